package domain_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// lifecycle decides each command against the state the previous events
// left and folds what it produced, a day apart.
type lifecycle struct {
	t     *testing.T
	s     domain.State
	clock time.Time
	n     int
}

func (l *lifecycle) step(name string, cmd domain.Command, want consultationseventsv1.ConsultationState) {
	l.t.Helper()
	evs, err := domain.Decide(l.s, cmd, domain.Context{Now: l.clock, Actor: clerk})
	if err != nil {
		l.t.Fatalf("%s: %v", name, err)
	}
	for _, e := range evs {
		l.n++
		l.s = domain.Evolve(l.s, domain.Recorded{ID: fmt.Sprintf("ev-%d", l.n), Payload: e.Payload, OccurredAt: l.clock, RecordedAt: l.clock, Actor: clerk})
	}
	if got := l.s.StateAt(l.clock); got != want {
		l.t.Fatalf("%s: state %v, want %v", name, got, want)
	}
	l.clock = l.clock.Add(24 * time.Hour)
}

// A public consultation on the commune action programme, from request to
// published synthesis (law 113-14 arts. 78-82 and 119, decree 2.16.301):
// requested → acknowledged → launch → three diagnosis workshops →
// diagnosis → priorities → programming → adoption → answered.
func TestLifecyclePAC_Law113_14_Arts78_82_119(t *testing.T) {
	start := date("2026-11-10T09:00:00Z")
	l := &lifecycle{t: t, clock: start}
	l.step("request", domain.Request{
		ID: consultationID, Council: beniMellal, Requester: committee, Committee: "Commission du développement",
		SubjectKind: actionProgramme, Title: "Programme d'action de la commune 2022-2027", Deadline: deadlineDay,
	}, requested)
	l.step("acknowledge", domain.Acknowledge{}, acknowledgd)
	l.step("launch", domain.CompletePhase{Phase: launch}, inProgress)
	for i, w := range []*consultationseventsv1.WorkshopHeld{
		workshop("w-1", 80, 27, 29, 5),
		workshop("w-2", 70, 22, 22, 4),
		workshop("w-3", 50, 17, 15, 4),
	} {
		w.Date = l.clock.Format(time.DateOnly)
		l.step(fmt.Sprintf("workshop %d", i+1), domain.RecordWorkshop{Workshop: w}, inProgress)
	}
	for _, p := range []consultationseventsv1.Phase{diagnosis, priorities, programming, adoption} {
		l.step(domain.PhaseName(p), domain.CompletePhase{Phase: p}, inProgress)
	}
	answeredAt := l.clock
	l.step("answer", domain.Answer{Synthesis: "Le programme retient l'éclairage, l'eau et les pistes rurales."}, answered)

	s := l.s
	if !s.Exists || s.Title != "Programme d'action de la commune 2022-2027" || s.Committee != "Commission du développement" ||
		!s.CreatedAt.Equal(start) || !s.AnsweredAt.Equal(answeredAt) || !s.UpdatedAt.Equal(answeredAt) || s.Opinion != "" ||
		s.Synthesis != "Le programme retient l'éclairage, l'eau et les pistes rurales." {
		t.Errorf("final state %+v", s)
	}
	if want := []consultationseventsv1.Phase{launch, diagnosis, priorities, programming, adoption}; !slices.Equal(s.Phases, want) {
		t.Errorf("phases %v, want %v", s.Phases, want)
	}
	p := domain.Participation(s.Workshops)
	if p.GetWorkshops() != 3 || p.GetParticipants() != 200 || p.GetWomenRate() != 0.33 || p.GetYouthRate() != 0.33 || p.GetDisabilityRate() != 0.065 {
		t.Errorf("participation %v", p)
	}
	if s.StateAt(afterDeadline.AddDate(5, 0, 0)) != answered {
		t.Error("an answered consultation expired")
	}
}

// A body consultation: requested → acknowledged → answered by the body's
// opinion; another left unanswered expires, then is withdrawn.
func TestLifecycleBody_Law113_14_Art119(t *testing.T) {
	l := &lifecycle{t: t, clock: date("2026-11-20T09:00:00Z")}
	l.step("request", request(), requested)
	l.step("acknowledge", domain.Acknowledge{}, acknowledgd)
	l.step("answer", domain.Answer{Opinion: ieecagOpinion}, answered)
	if l.s.Opinion != ieecagOpinion || l.s.Synthesis != "" {
		t.Errorf("opinion %q synthesis %q", l.s.Opinion, l.s.Synthesis)
	}

	l = &lifecycle{t: t, clock: date("2026-11-30T09:00:00Z")}
	l.step("request", request(), requested)
	l.step("acknowledge", domain.Acknowledge{}, acknowledgd)
	// The clock is now 2026-12-02T09:00Z: the deadline day is over.
	if got := l.s.StateAt(l.clock); got != expired || l.s.Status != acknowledgd {
		t.Fatalf("state %v (stored %v), want EXPIRED (stored ACKNOWLEDGED)", got, l.s.Status)
	}
	l.step("withdraw", domain.Withdraw{Reason: "avis sans objet"}, withdrawnSt)
}
