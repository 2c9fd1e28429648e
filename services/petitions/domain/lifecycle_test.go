package domain_test

import (
	"fmt"
	"testing"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The whole procedure of law 113-14 arts. 121-125, each event decided by
// Decide from the state the previous ones left, then folded with Evolve:
// draft → collecting → deposited (receipt) → under review → admissible →
// scheduled → with committee → report → deliberated → outcome notified →
// closed.
func TestLifecycle_Law113_14_Arts121_125(t *testing.T) {
	var (
		s     domain.State
		clock = date("2026-01-10T09:00:00Z")
		n     int
	)
	step := func(name string, cmd domain.Command, actor eventstore.Actor, want petitionseventsv1.PetitionState, check func(domain.State)) {
		t.Helper()
		ctx := domain.Context{Now: clock, Actor: actor}
		evs, err := domain.Decide(s, cmd, ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range evs {
			n++
			occurred := e.OccurredAt
			if occurred.IsZero() {
				occurred = clock
			}
			s = domain.Evolve(s, domain.Recorded{ID: fmt.Sprintf("ev-%d", n), Payload: e.Payload, OccurredAt: occurred, RecordedAt: clock, Actor: actor})
		}
		if s.Status != want {
			t.Fatalf("%s: status %v, want %v", name, s.Status, want)
		}
		if check != nil {
			check(s)
		}
		clock = clock.Add(72 * time.Hour)
	}

	step("draft", citizensDraft(), agent, petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, func(s domain.State) {
		if !s.Exists || s.Agent != "agent-1" || s.Council != beniMellal || s.Level() != domain.Commune {
			t.Errorf("drafted state %+v", s)
		}
	})
	step("open", domain.OpenForSignatures{ModerationDays: 5}, agent, petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION, func(s domain.State) {
		if s.Public() {
			t.Error("public before moderation")
		}
	})
	step("clear", domain.Moderate{Clear: true}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING, func(s domain.State) {
		if !s.Public() || s.ModeratedBy != "clerk-1" {
			t.Errorf("cleared: public %v by %q", s.Public(), s.ModeratedBy)
		}
	})
	paper := clock.Add(-24 * time.Hour)
	step("deposit", domain.Deposit{
		ReceivedAt: paper, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber,
		DeadlineMonths: 3, ValidSignatures: 214, Documents: []string{"liste des signataires"},
	}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED, func(s domain.State) {
		if s.ReceiptNumber != receiptNumber || !s.ReceivedAt.Equal(paper) || !s.Deadline.Equal(paper.AddDate(0, 3, 0)) ||
			s.DeadlineMonths != 3 || s.ValidAtDeposit != 214 {
			t.Errorf("deposited state: receipt %s received %v deadline %v (%d months) valid %d",
				s.ReceiptNumber, s.ReceivedAt, s.Deadline, s.DeadlineMonths, s.ValidAtDeposit)
		}
		if s.Overdue(clock) || !s.Overdue(s.Deadline.Add(time.Second)) {
			t.Error("deposited petition: overdue only after its deadline")
		}
	})
	step("refer to bureau", domain.ReferToBureau{}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW, nil)
	step("admissible", admit(214, 200), clerk, petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE, func(s domain.State) {
		if s.DecidedBy != "clerk-1" || s.ThresholdAtDecision != 200 || !s.Decided() {
			t.Errorf("decided state: by %q threshold %d", s.DecidedBy, s.ThresholdAtDecision)
		}
	})
	step("schedule", domain.Schedule{SessionMonths: communeSessions}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_SCHEDULED, func(s domain.State) {
		// Decided in late January: the February session is next.
		if s.Session != "2026-02" {
			t.Errorf("session %q, want 2026-02", s.Session)
		}
	})
	step("committee", domain.ReferToCommittee{Committee: "Commission des services publics"}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE, nil)
	step("report", domain.RecordCommitteeReport{Summary: "Avis favorable"}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE, func(s domain.State) {
		if s.CommitteeReport != "Avis favorable" {
			t.Errorf("report %q", s.CommitteeReport)
		}
	})
	step("deliberate", domain.RecordDeliberation{
		Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "Approuvée", Reference: "PV-1",
	}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_DELIBERATED, func(s domain.State) {
		if s.Outcome != petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED || s.DeliberatedAt.IsZero() {
			t.Errorf("deliberated state: %v at %v", s.Outcome, s.DeliberatedAt)
		}
	})
	step("notify outcome", domain.NotifyAgent{Subject: aboutOutcome, Channel: "portal"}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_DELIBERATED, func(s domain.State) {
		if s.OutcomeNotified.IsZero() {
			t.Error("outcome not marked notified")
		}
	})
	step("close", domain.Close{Note: "examinée et approuvée"}, clerk, petitionseventsv1.PetitionState_PETITION_STATE_CLOSED, func(s domain.State) {
		if s.ClosingNote != "examinée et approuvée" || len(s.EventIDs) != 12 {
			t.Errorf("closed state: note %q, %d events", s.ClosingNote, len(s.EventIDs))
		}
	})
}

// The inadmissible branch: deposited → under review → inadmissible
// (reasons) → notified → closed (law 113-14 art. 125).
func TestLifecycleInadmissible_Law113_14_Art125(t *testing.T) {
	h := hReview()
	sc := given(t, h...)
	evs := sc.when(refuse(120, 200, validReasons), asClerk).then(domain.Event{Payload: &petitionseventsv1.AdmissibilityDecided{
		Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Checklist: fullChecklist(), Reasons: validReasons,
		ValidSignatures: 120, Threshold: 200,
	}})
	h = append(h, rec(evs[0].Payload))
	if s := given(t, h...).state; s.Status != petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE || s.DecisionReasons != validReasons {
		t.Fatalf("status %v reasons %q", s.Status, s.DecisionReasons)
	}
	evs = given(t, h...).when(notify(aboutDecision), asClerk).then(domain.Event{
		Payload: &petitionseventsv1.AgentNotified{Subject: aboutDecision, Channel: "letter", Reference: "L-2"}, OccurredAt: now.Add(-time.Hour),
	})
	h = append(h, domain.Recorded{Payload: evs[0].Payload, OccurredAt: evs[0].OccurredAt, RecordedAt: now})
	if s := given(t, h...).state; s.Status != petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE || !s.DecisionNotified.Equal(now.Add(-time.Hour)) {
		t.Fatalf("status %v notified %v", s.Status, s.DecisionNotified)
	}
	evs = given(t, h...).when(domain.Close{}, asClerk).then(domain.Event{Payload: &petitionseventsv1.PetitionClosed{}})
	h = append(h, domain.Recorded{Payload: evs[0].Payload, RecordedAt: now})
	if s := given(t, h...).state; s.Status != petitionseventsv1.PetitionState_PETITION_STATE_CLOSED {
		t.Fatalf("status %v, want CLOSED", s.Status)
	}
}
