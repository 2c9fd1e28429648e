package domain_test

import (
	"testing"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

const (
	aboutDecision = petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY
	aboutOutcome  = petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME
)

// The president notifies the agent of the reasoned decision (law 113-14
// art. 125).
func TestNotifyDecision_Law113_14_Art125(t *testing.T) {
	cmd := notify(aboutDecision)
	given(t, hInadmissible()...).when(cmd, asClerk).then(domain.Event{
		Payload:    &petitionseventsv1.AgentNotified{Subject: aboutDecision, Channel: "letter", Reference: "L-2"},
		OccurredAt: cmd.At,
	})
	t.Run("before a decision", func(t *testing.T) {
		given(t, hReview()...).when(notify(aboutDecision), asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("twice", func(t *testing.T) {
		h := append(hInadmissible(), decisionNotified())
		given(t, h...).when(notify(aboutDecision), asClerk).thenError(fault.FailedPrecondition, "ALREADY_NOTIFIED")
	})
	t.Run("dated before the decision", func(t *testing.T) {
		c := notify(aboutDecision)
		c.At = date("2026-02-01T09:00:00Z")
		given(t, hInadmissible()...).when(c, asClerk).thenField("notify_time")
	})
	t.Run("in the future", func(t *testing.T) {
		c := notify(aboutDecision)
		c.At = now.Add(time.Hour)
		given(t, hInadmissible()...).when(c, asClerk).thenField("notify_time")
	})
	t.Run("no channel", func(t *testing.T) {
		c := notify(aboutDecision)
		c.Channel = " "
		given(t, hInadmissible()...).when(c, asClerk).thenField("channel")
	})
	t.Run("no subject", func(t *testing.T) {
		given(t, hInadmissible()...).when(notify(petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_UNSPECIFIED), asClerk).thenField("subject")
	})
}

// In every case the agent is told the outcome (law 113-14 art. 125).
func TestNotifyOutcome_Law113_14_Art125(t *testing.T) {
	thenOne[*petitionseventsv1.AgentNotified](given(t, hDeliberated()...).when(notify(aboutOutcome), asClerk))
	t.Run("before deliberation", func(t *testing.T) {
		given(t, hReported()...).when(notify(aboutOutcome), asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("twice", func(t *testing.T) {
		h := append(hDeliberated(), outcomeNotified())
		given(t, h...).when(notify(aboutOutcome), asClerk).thenError(fault.FailedPrecondition, "ALREADY_NOTIFIED")
	})
}

// The case closes only once the agent was told (law 113-14 art. 125).
func TestClose_AgentNotNotified_Law113_14_Art125(t *testing.T) {
	t.Run("inadmissible, not notified", func(t *testing.T) {
		given(t, hInadmissible()...).when(domain.Close{}, asClerk).thenRule(domain.RuleAgentNotified, fault.FailedPrecondition)
	})
	t.Run("inadmissible, notified", func(t *testing.T) {
		h := append(hInadmissible(), decisionNotified())
		given(t, h...).when(domain.Close{Note: "notifiée le 10 février"}, asClerk).
			then(domain.Event{Payload: &petitionseventsv1.PetitionClosed{Note: "notifiée le 10 février"}})
	})
	t.Run("deliberated, outcome not notified", func(t *testing.T) {
		given(t, hDeliberated()...).when(domain.Close{}, asClerk).thenRule(domain.RuleAgentNotified, fault.FailedPrecondition)
	})
	t.Run("deliberated, only the admissibility notified", func(t *testing.T) {
		h := append(hAdmissible(), decisionNotified(), scheduled("2026-05"), withCommittee(), reported(), deliberated())
		given(t, h...).when(domain.Close{}, asClerk).thenRule(domain.RuleAgentNotified, fault.FailedPrecondition)
	})
	t.Run("deliberated, outcome notified", func(t *testing.T) {
		h := append(hDeliberated(), outcomeNotified())
		given(t, h...).when(domain.Close{}, asClerk).then(domain.Event{Payload: &petitionseventsv1.PetitionClosed{}})
	})
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"draft", []domain.Recorded{drafted()}},
		{"deposited", hDeposited()},
		{"admissible", hAdmissible()},
		{"with committee", hWithCommittee()},
		{"withdrawn", []domain.Recorded{drafted(), withdrawn()}},
		{"closed", append(hInadmissible(), decisionNotified(), closed())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.Close{}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}
