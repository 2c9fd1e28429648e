package domain_test

import (
	"slices"
	"testing"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// The action programme (PAC) is prepared in phases, in order: launch
// meeting, diagnosis workshops, priorities, programming, adoption (law
// 113-14 arts. 78-82, decree 2.16.301). Completing a phase puts the
// consultation under way.
func TestPhasesInOrder_Law113_14_Arts78_82_Decree2_16_301(t *testing.T) {
	h := []domain.Recorded{pacRequested(), acknowledged()}
	evs := given(t, h...).when(domain.CompletePhase{Phase: launch}, asClerk).
		then(domain.Event{Payload: &consultationseventsv1.PhaseCompleted{Phase: launch}})
	h = append(h, rec(evs[0].Payload))
	if s := given(t, h...).state; s.Status != inProgress {
		t.Fatalf("after LAUNCH: status %v, want IN_PROGRESS", s.Status)
	}
	h = append(h, held("w-1"))
	for _, p := range []consultationseventsv1.Phase{diagnosis, priorities, programming, adoption} {
		evs := given(t, h...).when(domain.CompletePhase{Phase: p}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.PhaseCompleted{Phase: p}})
		h = append(h, rec(evs[0].Payload))
	}
	s := given(t, h...).state
	if want := []consultationseventsv1.Phase{launch, diagnosis, priorities, programming, adoption}; !slices.Equal(s.Phases, want) || s.Status != inProgress {
		t.Fatalf("phases %v status %v, want %v IN_PROGRESS", s.Phases, s.Status, want)
	}
	t.Run("a requested consultation goes under way", func(t *testing.T) {
		sc := given(t, pacRequested())
		evs := sc.when(domain.CompletePhase{Phase: launch}, asClerk).then(domain.Event{Payload: &consultationseventsv1.PhaseCompleted{Phase: launch}})
		if s := domain.Evolve(sc.state, rec(evs[0].Payload)); s.Status != inProgress {
			t.Fatalf("status %v, want IN_PROGRESS", s.Status)
		}
	})
}

// A phase completed out of order is refused, naming the phase expected
// (PHASE_OUT_OF_ORDER; law 113-14 arts. 78-82, decree 2.16.301).
func TestPhaseOutOfOrder_Law113_14_Arts78_82_Decree2_16_301(t *testing.T) {
	for _, tc := range []struct {
		name     string
		given    []domain.Recorded
		phase    consultationseventsv1.Phase
		expected string
	}{
		{"diagnosis before launch", []domain.Recorded{pacRequested(), held("w-1")}, diagnosis, "LAUNCH"},
		{"adoption before launch", []domain.Recorded{pacRequested()}, adoption, "LAUNCH"},
		{"launch twice", pacThrough(launch), launch, "DIAGNOSIS"},
		{"priorities skipped", pacThrough(diagnosis), programming, "PRIORITIES"},
		{"back to diagnosis", pacThrough(programming), diagnosis, "ADOPTION"},
		{"adoption twice", pacThrough(adoption), adoption, "every phase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := given(t, tc.given...).when(domain.CompletePhase{Phase: tc.phase}, asClerk).thenRule(domain.RulePhaseOrder)
			detailNames(t, re.Error(), tc.expected, "decree 2.16.301")
		})
	}
	t.Run("a province's programme: law 112-14", func(t *testing.T) {
		re := given(t, requestedBy(beniMellalProv, "", actionProgramme)).when(domain.CompletePhase{Phase: diagnosis}, asClerk).
			thenRule(domain.RulePhaseOrder)
		detailNames(t, re.Article, "law 112-14")
	})
	t.Run("field phase unset", func(t *testing.T) {
		given(t, pacRequested()).when(domain.CompletePhase{}, asClerk).thenField("phase")
	})
	t.Run("field phase unknown", func(t *testing.T) {
		given(t, pacRequested()).when(domain.CompletePhase{Phase: consultationseventsv1.Phase(9)}, asClerk).thenField("phase")
	})
}

// Only an action-programme consultation has phases (NOT_AN_ACTION_PROGRAMME;
// law 113-14 arts. 78-82, decree 2.16.301).
func TestNotAnActionProgramme_Law113_14_Arts78_82(t *testing.T) {
	for _, kind := range []consultationseventsv1.SubjectKind{budget, petition, other} {
		t.Run(kind.String(), func(t *testing.T) {
			re := given(t, requestedBy(beniMellal, "", kind)).when(domain.CompletePhase{Phase: launch}, asClerk).
				thenRule(domain.RuleNotActionProgramme)
			detailNames(t, re.Article, "law 113-14 arts. 78-82", "decree 2.16.301")
		})
	}
}

// The diagnosis is made in workshops in neighbourhoods and villages: it
// cannot be completed before one is recorded (DIAGNOSIS_WITHOUT_WORKSHOP;
// decree 2.16.301).
func TestDiagnosisWithoutWorkshop_Decree2_16_301(t *testing.T) {
	re := given(t, pacRequested(), phase(launch)).when(domain.CompletePhase{Phase: diagnosis}, asClerk).
		thenRule(domain.RuleDiagnosisWorkshop)
	detailNames(t, re.Error(), "workshop", "decree 2.16.301")
	t.Run("a workshop makes it possible", func(t *testing.T) {
		given(t, pacRequested(), phase(launch), held("w-1")).when(domain.CompletePhase{Phase: diagnosis}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.PhaseCompleted{Phase: diagnosis}})
	})
}

// Phases follow the consultation's life: none after the deadline, the
// answer or a withdrawal.
func TestPhaseStates(t *testing.T) {
	t.Run("CONSULTATION_EXPIRED", func(t *testing.T) {
		given(t, pacRequested()).when(domain.CompletePhase{Phase: launch}, late).thenRule(domain.RuleExpired)
	})
	t.Run("WRONG_STATE when answered", func(t *testing.T) {
		given(t, append(pacThrough(adoption), synthesised())...).when(domain.CompletePhase{Phase: adoption}, asClerk).
			thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("WRONG_STATE when withdrawn", func(t *testing.T) {
		given(t, pacRequested(), withdrawn()).when(domain.CompletePhase{Phase: launch}, asClerk).
			thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
}
