package domain_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// A public consultation records its workshops with participation counted
// by sex, youth and disability (law 113-14 art. 119); the first workshop
// puts the consultation under way.
func TestRecordWorkshop_Law113_14_Art119(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"requested", []domain.Recorded{publicRequested()}},
		{"acknowledged", []domain.Recorded{publicRequested(), acknowledged()}},
		{"in progress", []domain.Recorded{publicRequested(), held("w-1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := given(t, tc.given...)
			w := workshop("w-2", 40, 14, 12, 3)
			evs := sc.when(record(w), asClerk).then(domain.Event{Payload: w})
			s := domain.Evolve(sc.state, rec(evs[0].Payload))
			if s.Status != inProgress || len(s.Workshops) != len(sc.state.Workshops)+1 {
				t.Fatalf("status %v with %d workshops, want IN_PROGRESS with %d", s.Status, len(s.Workshops), len(sc.state.Workshops)+1)
			}
		})
	}
	t.Run("trims place and theme, held today", func(t *testing.T) {
		w := workshop("w-1", 10, 0, 0, 0)
		w.Place, w.Theme, w.Date, w.Contributions = "  Douar Aït Ali ", " Eau potable ", "2026-11-29", 0
		want := proto.Clone(w).(*consultationseventsv1.WorkshopHeld)
		want.Place, want.Theme = "Douar Aït Ali", "Eau potable"
		given(t, publicRequested()).when(record(w), asClerk).then(domain.Event{Payload: want})
		if w.GetPlace() != "  Douar Aït Ali " {
			t.Error("the command's workshop was modified")
		}
	})
	t.Run("every participant a woman, young and with a disability", func(t *testing.T) {
		w := workshop("w-1", 7, 7, 7, 7)
		given(t, publicRequested()).when(record(w), asClerk).then(domain.Event{Payload: w})
	})

	for _, tc := range []struct {
		name  string
		edit  func(*consultationseventsv1.WorkshopHeld)
		field string
	}{
		{"id missing", func(w *consultationseventsv1.WorkshopHeld) { w.WorkshopId = "" }, "workshop.workshop_id"},
		{"id malformed", func(w *consultationseventsv1.WorkshopHeld) { w.WorkshopId = "w 1/2" }, "workshop.workshop_id"},
		{"date missing", func(w *consultationseventsv1.WorkshopHeld) { w.Date = "" }, "workshop.date"},
		{"date malformed", func(w *consultationseventsv1.WorkshopHeld) { w.Date = "20/11/2026" }, "workshop.date"},
		{"date tomorrow", func(w *consultationseventsv1.WorkshopHeld) { w.Date = "2026-11-30" }, "workshop.date"},
		{"place missing", func(w *consultationseventsv1.WorkshopHeld) { w.Place = " " }, "workshop.place"},
		{"theme missing", func(w *consultationseventsv1.WorkshopHeld) { w.Theme = "" }, "workshop.theme"},
		{"theme too long", func(w *consultationseventsv1.WorkshopHeld) { w.Theme = strings.Repeat("t", domain.MaxShort+1) }, "workshop.theme"},
		{"no participants", func(w *consultationseventsv1.WorkshopHeld) {
			w.Participants, w.Women, w.Youth, w.Disability = 0, 0, 0, 0
		}, "workshop.participants"},
		{"negative participants", func(w *consultationseventsv1.WorkshopHeld) { w.Participants = -3 }, "workshop.participants"},
		{"negative contributions", func(w *consultationseventsv1.WorkshopHeld) { w.Contributions = -1 }, "workshop.contributions"},
	} {
		t.Run("field "+tc.name, func(t *testing.T) {
			w := workshop("w-1", 40, 14, 12, 3)
			tc.edit(w)
			given(t, publicRequested()).when(record(w), asClerk).thenField(tc.field)
		})
	}
	t.Run("field workshop missing", func(t *testing.T) {
		given(t, publicRequested()).when(domain.RecordWorkshop{}, asClerk).thenField("workshop")
	})
	t.Run("WORKSHOP_EXISTS", func(t *testing.T) {
		given(t, publicRequested(), held("w-1")).when(record(workshop("w-1", 5, 1, 1, 0)), asClerk).
			thenError(fault.AlreadyExists, "WORKSHOP_EXISTS")
	})
	t.Run("the same workshop again is a retry: nothing recorded", func(t *testing.T) {
		w := workshop("w-1", 40, 14, 12, 3)
		w.Place = "  " + w.Place + " "
		given(t, publicRequested(), held("w-1")).when(record(w), asClerk).then()
	})
	t.Run("CONSULTATION_EXPIRED: not after the deadline", func(t *testing.T) {
		given(t, publicRequested(), held("w-1")).when(record(workshop("w-2", 5, 1, 1, 0)), late).thenRule(domain.RuleExpired)
	})
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"answered", []domain.Recorded{publicRequested(), held("w-1"), synthesised()}},
		{"withdrawn", []domain.Recorded{publicRequested(), withdrawn()}},
	} {
		t.Run("WRONG_STATE when "+tc.name, func(t *testing.T) {
			given(t, tc.given...).when(record(workshop("w-2", 5, 1, 1, 0)), asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// Workshops gather citizens and associations: an advisory body asked for
// its view answers with an opinion, it holds no workshops of the
// consultation (WORKSHOPS_ARE_PUBLIC; law 113-14 art. 119, law 112-14 art.
// 110 (check), law 111-14 art. 116 (check)).
func TestWorkshopsArePublic_Law113_14_Art119(t *testing.T) {
	for _, tc := range []struct {
		name    string
		council string
		article string
	}{
		{"commune", beniMellal, "law 113-14 art. 119"},
		{"province", beniMellalProv, "law 112-14 art. 110"},
		{"region", beniMellalReg, "law 111-14 art. 116"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := given(t, requestedBy(tc.council, tc.council+"/advisoryBodies/ieecag", other)).
				when(record(workshop("w-1", 40, 14, 12, 3)), asClerk).thenRule(domain.RuleWorkshopsArePublic)
			if re.Article != tc.article {
				t.Errorf("article %q, want %q", re.Article, tc.article)
			}
		})
	}
}

// Women, young people and people with disabilities are each counted among
// the participants: no count below zero or above the participants
// (PARTICIPANT_COUNTS_INCONSISTENT; law 113-14 art. 119).
func TestParticipantCountsInconsistent_Law113_14_Art119(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		women, youth, disability int32
		names                    []string
	}{
		{"more women than participants", 41, 12, 3, []string{"women 41"}},
		{"more young people than participants", 14, 50, 3, []string{"youth 50"}},
		{"more people with disabilities than participants", 14, 12, 41, []string{"disability 41"}},
		{"negative women", -1, 12, 3, []string{"women -1"}},
		{"negative youth", 14, -2, 3, []string{"youth -2"}},
		{"negative disability", 14, 12, -3, []string{"disability -3"}},
		{"several at once", 41, -1, 3, []string{"women 41", "youth -1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := given(t, publicRequested()).when(record(workshop("w-1", 40, tc.women, tc.youth, tc.disability)), asClerk).
				thenRule(domain.RuleParticipantCounts)
			detailNames(t, re.Detail, append(tc.names, "40 participants")...)
		})
	}
}

// Participation sums the workshops; the rates are exact divisions. The
// Béni Mellal-Khénifra figures (DOMAIN.md): 33 % women, 33 % youth, 6.5 %
// people with disabilities.
func TestParticipation(t *testing.T) {
	h := []domain.Recorded{publicRequested()}
	for _, w := range []*consultationseventsv1.WorkshopHeld{
		workshop("w-1", 80, 27, 29, 5),
		workshop("w-2", 70, 22, 22, 4),
		workshop("w-3", 50, 17, 15, 4),
	} {
		evs := given(t, h...).when(record(w), asClerk).then(domain.Event{Payload: w})
		h = append(h, rec(evs[0].Payload))
	}
	s := given(t, h...).state
	if s.Status != inProgress || len(s.Workshops) != 3 {
		t.Fatalf("status %v with %d workshops", s.Status, len(s.Workshops))
	}
	got := domain.Participation(s.Workshops)
	want := &consultationseventsv1.Participation{
		Workshops: 3, Participants: 200, Women: 66, Youth: 66, Disability: 13, Contributions: 36,
		WomenRate: float64(66) / float64(200), YouthRate: float64(66) / float64(200), DisabilityRate: float64(13) / float64(200),
	}
	if !proto.Equal(got, want) {
		t.Fatalf("participation %v, want %v", got, want)
	}
	if got.GetWomenRate() != 0.33 || got.GetYouthRate() != 0.33 || got.GetDisabilityRate() != 0.065 {
		t.Errorf("rates %v %v %v, want exactly 0.33 0.33 0.065", got.GetWomenRate(), got.GetYouthRate(), got.GetDisabilityRate())
	}
	if empty := domain.Participation(nil); !proto.Equal(empty, &consultationseventsv1.Participation{}) {
		t.Errorf("no workshops: %v, want all zero", empty)
	}
}

// States folded from a common past do not share their workshops or phases
// (three of each: the slices have spare capacity an append could reuse).
func TestEvolveBranchesDoNotShare(t *testing.T) {
	base := given(t, pacRequested(), held("w-1"), held("w-2"), held("w-3"), phase(launch), phase(diagnosis), phase(priorities)).state
	a := domain.Evolve(domain.Evolve(base, held("w-4a")), phase(programming))
	b := domain.Evolve(domain.Evolve(base, held("w-4b")), phase(adoption))
	if a.Workshops[3].GetWorkshopId() != "w-4a" || b.Workshops[3].GetWorkshopId() != "w-4b" || len(base.Workshops) != 3 {
		t.Errorf("workshops shared: %v / %v", a.Workshops, b.Workshops)
	}
	if a.Phases[3] != programming || b.Phases[3] != adoption || len(base.Phases) != 3 {
		t.Errorf("phases shared: %v / %v", a.Phases, b.Phases)
	}
}
