package domain_test

import (
	"strings"
	"testing"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

const ieecagOpinion = ieecag + "/opinions/op-2026-07"

// The request ends answered: an advisory body by one of its adopted
// opinions, the public by a published synthesis (law 113-14 art. 119;
// the bodies' opinions: art. 120).
func TestAnswer_Law113_14_Art119(t *testing.T) {
	t.Run("a body by its opinion", func(t *testing.T) {
		sc := given(t, bodyRequested(), acknowledged())
		evs := sc.when(domain.Answer{Opinion: ieecagOpinion}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAnswered{Opinion: ieecagOpinion}})
		s := domain.Evolve(sc.state, domain.Recorded{Payload: evs[0].Payload, OccurredAt: now, RecordedAt: now})
		if s.Status != answered || s.Opinion != ieecagOpinion || !s.AnsweredAt.Equal(now) {
			t.Fatalf("answered state: %v %q at %v", s.Status, s.Opinion, s.AnsweredAt)
		}
	})
	t.Run("the public by a synthesis", func(t *testing.T) {
		given(t, publicRequested(), held("w-1")).when(domain.Answer{Synthesis: "  Priorité à l'éclairage. "}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAnswered{Synthesis: "Priorité à l'éclairage."}})
	})
	t.Run("a synthesis of 10,000 characters", func(t *testing.T) {
		long := strings.Repeat("s", domain.MaxSynthesis)
		given(t, publicRequested()).when(domain.Answer{Synthesis: long}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAnswered{Synthesis: long}})
	})
	t.Run("on the deadline day's last minute", func(t *testing.T) {
		given(t, bodyRequested()).when(domain.Answer{Opinion: ieecagOpinion}, domain.Context{Now: date("2026-12-01T23:59:00Z")}).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAnswered{Opinion: ieecagOpinion}})
	})

	for _, tc := range []struct {
		name   string
		given  domain.Recorded
		answer domain.Answer
		field  string
	}{
		{"opinion of another body", bodyRequested(), domain.Answer{Opinion: youthBody + "/opinions/op-1"}, "opinion"},
		{"opinion of another council's body", bodyRequested(), domain.Answer{Opinion: "communes/50910311/advisoryBodies/ieecag/opinions/op-1"}, "opinion"},
		{"opinion not an opinion", bodyRequested(), domain.Answer{Opinion: ieecag + "/meetings/m-1"}, "opinion"},
		{"opinion without id", bodyRequested(), domain.Answer{Opinion: ieecag + "/opinions/"}, "opinion"},
		{"body without opinion", bodyRequested(), domain.Answer{Synthesis: "Avis favorable"}, "opinion"},
		{"body with a synthesis too", bodyRequested(), domain.Answer{Opinion: ieecagOpinion, Synthesis: "Avis favorable"}, "synthesis"},
		{"public without synthesis", publicRequested(), domain.Answer{Synthesis: "  "}, "synthesis"},
		{"public synthesis too long", publicRequested(), domain.Answer{Synthesis: strings.Repeat("s", domain.MaxSynthesis+1)}, "synthesis"},
		{"public with an opinion", publicRequested(), domain.Answer{Opinion: ieecagOpinion, Synthesis: "Synthèse"}, "opinion"},
	} {
		t.Run("field "+tc.name, func(t *testing.T) {
			given(t, tc.given).when(tc.answer, asClerk).thenField(tc.field)
		})
	}

	t.Run("CONSULTATION_EXPIRED", func(t *testing.T) {
		re := given(t, bodyRequested(), acknowledged()).when(domain.Answer{Opinion: ieecagOpinion}, late).thenRule(domain.RuleExpired)
		detailNames(t, re.Error(), "answer", deadlineDay)
	})
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"answered", []domain.Recorded{publicRequested(), synthesised()}},
		{"withdrawn", []domain.Recorded{publicRequested(), withdrawn()}},
	} {
		t.Run("WRONG_STATE when "+tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.Answer{Synthesis: "encore"}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// A public action-programme consultation ends with the programme's
// adoption: its synthesis is published once ADOPTION is completed
// (PAC_NOT_ADOPTED; law 113-14 arts. 78-82, decree 2.16.301).
func TestPACNotAdopted_Law113_14_Arts78_82_Decree2_16_301(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"no phase", []domain.Recorded{pacRequested()}},
		{"through diagnosis", pacThrough(diagnosis)},
		{"through programming", pacThrough(programming)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := given(t, tc.given...).when(domain.Answer{Synthesis: "Programme adopté"}, asClerk).thenRule(domain.RulePACNotAdopted)
			detailNames(t, re.Error(), "ADOPTION", "law 113-14 arts. 78-82")
		})
	}
	t.Run("a region's programme: law 111-14", func(t *testing.T) {
		re := given(t, requestedBy(beniMellalReg, "", actionProgramme)).when(domain.Answer{Synthesis: "Programme"}, asClerk).
			thenRule(domain.RulePACNotAdopted)
		detailNames(t, re.Article, "law 111-14")
	})
	t.Run("adopted", func(t *testing.T) {
		given(t, pacThrough(adoption)...).when(domain.Answer{Synthesis: "Programme adopté"}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAnswered{Synthesis: "Programme adopté"}})
	})
	// The equity body is asked about the draft programme and answers with
	// its opinion before the council adopts it: the adoption rule is the
	// public consultation's.
	t.Run("a body's opinion on the draft", func(t *testing.T) {
		given(t, requestedBy(beniMellal, ieecag, actionProgramme)).when(domain.Answer{Opinion: ieecagOpinion}, asClerk).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAnswered{Opinion: ieecagOpinion}})
	})
}
