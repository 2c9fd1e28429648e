package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The agent may withdraw the petition until the council has deliberated
// ("or withdrawn", DOMAIN.md §1; the agent carries it, law 113-14 art. 122
// (check)).
func TestWithdraw_Law113_14_Art122(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"draft", []domain.Recorded{drafted()}},
		{"collecting", []domain.Recorded{drafted(), opened()}},
		{"deposited", hDeposited()},
		{"under review", hReview()},
		{"admissible", hAdmissible()},
		{"scheduled", hScheduled()},
		{"with committee", hWithCommittee()},
		{"committee reported", hReported()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.Withdraw{Reason: "résolu"}, asAgent).
				then(domain.Event{Payload: &petitionseventsv1.PetitionWithdrawn{Reason: "résolu"}})
		})
	}
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"deliberated", hDeliberated()},
		{"inadmissible", hInadmissible()},
		{"closed", append(hDeliberated(), outcomeNotified(), closed())},
		{"withdrawn", []domain.Recorded{drafted(), withdrawn()}},
	} {
		t.Run("not when "+tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.Withdraw{}, asAgent).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
	t.Run("oversized reason", func(t *testing.T) {
		given(t, drafted()).when(domain.Withdraw{Reason: strings.Repeat("r", domain.MaxReasons+1)}, asAgent).thenField("reason")
	})
}

// A withdrawn petition refuses every further act on the case ("or
// withdrawn" is an end state, DOMAIN.md §1 useful states; no article).
func TestWithdrawnRefusesFurtherActs(t *testing.T) {
	h := append(hScheduled(), withdrawn())
	for _, tc := range []struct {
		name string
		cmd  domain.Command
		ctx  domain.Context
	}{
		{"open", domain.OpenForSignatures{ModerationDays: 5}, asAgent},
		{"deposit", domain.Deposit{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}, asClerk},
		{"refer to bureau", domain.ReferToBureau{}, asClerk},
		{"decide", admit(250, 200), asClerk},
		{"schedule", domain.Schedule{Session: "2027-02", SessionMonths: communeSessions}, asClerk},
		{"refer to committee", domain.ReferToCommittee{Committee: "Commission du budget"}, asClerk},
		{"deliberate", deliberate(), asClerk},
		{"notify outcome", notify(aboutOutcome), asClerk},
		{"withdraw", domain.Withdraw{}, asAgent},
		{"close", domain.Close{}, asClerk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, h...).when(tc.cmd, tc.ctx).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
	t.Run("committee report", func(t *testing.T) {
		h := append(hWithCommittee(), withdrawn())
		given(t, h...).when(domain.RecordCommitteeReport{Summary: "Avis"}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
}

// Corrections: the log is never edited; a RecordCorrected event says what
// an earlier event should have said, and why (DOMAIN.md §5: auditors verify
// the history was not altered).
func TestCorrections(t *testing.T) {
	h := hDeposited() // ev-1 drafted, ev-2 opened, ev-3 deposited
	t.Run("unknown event", func(t *testing.T) {
		given(t, h...).when(domain.Correct{EventID: "ev-99", Field: "title", Value: "x", Reason: "typo"}, asClerk).thenField("corrected_event_id")
	})
	t.Run("field not correctable", func(t *testing.T) {
		given(t, h...).when(domain.Correct{EventID: "ev-3", Field: "decision_deadline", Value: "2026-06-01T00:00:00Z", Reason: "typo"}, asClerk).thenField("field")
		given(t, h...).when(domain.Correct{EventID: "ev-1", Field: "agent", Value: "agent-2", Reason: "typo"}, asClerk).thenField("field")
	})
	t.Run("reason required", func(t *testing.T) {
		given(t, h...).when(domain.Correct{EventID: "ev-1", Field: "title", Value: "Éclairage", Reason: " "}, asClerk).thenField("reason")
	})
	t.Run("value required", func(t *testing.T) {
		given(t, h...).when(domain.Correct{EventID: "ev-1", Field: "title", Value: "", Reason: "typo"}, asClerk).thenField("value")
	})
	t.Run("received_at not a time", func(t *testing.T) {
		given(t, h...).when(domain.Correct{EventID: "ev-3", Field: "received_at", Value: "14/01/2026", Reason: "typo"}, asClerk).thenField("value")
	})
	t.Run("received_at before any deposit", func(t *testing.T) {
		given(t, drafted()).when(domain.Correct{EventID: "ev-1", Field: "received_at", Value: "2026-01-14T09:00:00Z", Reason: "typo"}, asClerk).
			thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("received_at in the future", func(t *testing.T) {
		v := now.Add(time.Hour).Format(time.RFC3339)
		given(t, h...).when(domain.Correct{EventID: "ev-3", Field: "received_at", Value: v, Reason: "typo"}, asClerk).
			thenRule(domain.RuleDepositDate, fault.FailedPrecondition)
	})
	t.Run("title", func(t *testing.T) {
		cmd := domain.Correct{EventID: "ev-1", Field: "title", Value: "Éclairage public", Reason: "faute de frappe"}
		evs := given(t, h...).when(cmd, asClerk).then(domain.Event{Payload: &petitionseventsv1.RecordCorrected{
			CorrectedEventId: "ev-1", Field: "title", Value: "Éclairage public", Reason: "faute de frappe",
		}})
		s := given(t, append(h, rec(evs[0].Payload))...).state
		if s.Title != "Éclairage public" || len(s.Corrections) != 1 {
			t.Errorf("state title %q with %d correction(s), want the corrected title and 1", s.Title, len(s.Corrections))
		}
	})
}

// Correcting the date a paper petition was received moves the decision
// deadline (law 113-14 art. 125: 3 months from receipt) in the evolved
// state; the original PetitionDeposited event is left as it was.
func TestCorrectReceivedAtRecomputesDeadline_Law113_14_Art125(t *testing.T) {
	dep := deposited()
	original := proto.Clone(dep.Payload)
	h := []domain.Recorded{drafted(), opened(), dep}

	cmd := domain.Correct{EventID: "ev-3", Field: "received_at", Value: "2026-01-12T08:00:00+01:00", Reason: "date du cachet d'arrivée"}
	evs := given(t, h...).when(cmd, asClerk).then(domain.Event{Payload: &petitionseventsv1.RecordCorrected{
		CorrectedEventId: "ev-3", Field: "received_at", Value: "2026-01-12T08:00:00+01:00", Reason: "date du cachet d'arrivée",
	}})

	sc := given(t, append(h, rec(evs[0].Payload))...)
	s := sc.state
	if want := date("2026-01-12T07:00:00Z"); !s.ReceivedAt.Equal(want) {
		t.Errorf("ReceivedAt = %v, want %v", s.ReceivedAt, want)
	}
	if want := date("2026-04-12T07:00:00Z"); !s.Deadline.Equal(want) {
		t.Errorf("Deadline = %v, want %v", s.Deadline, want)
	}
	if !s.Overdue(date("2026-04-13T00:00:00Z")) {
		t.Error("not overdue on 2026-04-13 under the corrected deadline")
	}
	if !proto.Equal(sc.events[2].Payload, original) {
		t.Errorf("deposit event changed: %v, want %v", sc.events[2].Payload, original)
	}
	p := sc.events[2].Payload.(*petitionseventsv1.PetitionDeposited)
	if !p.GetDecisionDeadline().AsTime().Equal(deadline) || !p.GetReceivedAt().AsTime().Equal(received) {
		t.Errorf("deposit event now says %v → %v", p.GetReceivedAt().AsTime(), p.GetDecisionDeadline().AsTime())
	}

	t.Run("province: 2 months kept", func(t *testing.T) {
		h := []domain.Recorded{draftedIn(beniMellalProv), depositedOn(received, 2)}
		c := &petitionseventsv1.RecordCorrected{CorrectedEventId: "ev-2", Field: "received_at", Value: "2026-01-31T10:00:00Z", Reason: "cachet"}
		s := given(t, append(h, rec(c))...).state
		if want := date("2026-03-31T10:00:00Z"); !s.Deadline.Equal(want) {
			t.Errorf("Deadline = %v, want %v", s.Deadline, want)
		}
	})
	t.Run("month end", func(t *testing.T) {
		c := &petitionseventsv1.RecordCorrected{CorrectedEventId: "ev-3", Field: "received_at", Value: "2025-11-30T10:00:00Z", Reason: "cachet"}
		s := given(t, append(h, rec(c))...).state
		if want := date("2026-02-28T10:00:00Z"); !s.Deadline.Equal(want) {
			t.Errorf("Deadline = %v, want %v", s.Deadline, want)
		}
	})
}
