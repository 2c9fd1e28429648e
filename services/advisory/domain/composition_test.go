package domain_test

import (
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// Composition counts the members in office, women, young members and
// members with a disability, and their exact shares, so a dashboard can
// show them (DOMAIN.md §3): 21 members with 9 women, 7 young and 2 with a
// disability give 9/21, 7/21 and 2/21.
func TestComposition(t *testing.T) {
	members, women, youth, disability, ws, ys, ds := domain.Composition(given(t, hRoster()...).state)
	if members != 21 || women != 9 || youth != 7 || disability != 2 {
		t.Errorf("counts = %d members, %d women, %d youth, %d disability; want 21, 9, 7, 2", members, women, youth, disability)
	}
	if ws != 9.0/21 || ys != 7.0/21 || ds != 2.0/21 {
		t.Errorf("shares = %v, %v, %v; want %v, %v, %v", ws, ys, ds, 9.0/21, 7.0/21, 2.0/21)
	}

	t.Run("only members in office", func(t *testing.T) {
		// m03 (a young woman) and m05 (a woman with a disability) leave.
		h := append(hRoster(), left("m03", "démission"), left("m05", "fin de mandat"))
		members, women, youth, disability, ws, ys, ds := domain.Composition(given(t, h...).state)
		if members != 19 || women != 7 || youth != 6 || disability != 1 {
			t.Errorf("counts = %d, %d, %d, %d; want 19, 7, 6, 1", members, women, youth, disability)
		}
		if ws != 7.0/19 || ys != 6.0/19 || ds != 1.0/19 {
			t.Errorf("shares = %v, %v, %v", ws, ys, ds)
		}
	})
	t.Run("no members", func(t *testing.T) {
		for _, s := range []domain.State{{}, given(t, hBody()...).state} {
			m, w, y, d, ws, ys, ds := domain.Composition(s)
			if m != 0 || w != 0 || y != 0 || d != 0 || ws != 0 || ys != 0 || ds != 0 {
				t.Errorf("Composition of an empty body = %d %d %d %d %v %v %v", m, w, y, d, ws, ys, ds)
			}
		}
	})
}

// DaysToResponse is how long the council took to answer, in days, from
// transmission; 0 until it answered (DOMAIN.md §3).
func TestDaysToResponse(t *testing.T) {
	s := given(t, hResponded()...).state
	if d := domain.DaysToResponse(s.Opinions[draftID]); d != 3 {
		t.Errorf("DaysToResponse = %v, want 3", d)
	}
	s = given(t, hTransmitted()...).state
	if d := domain.DaysToResponse(s.Opinions[draftID]); d != 0 {
		t.Errorf("DaysToResponse before a response = %v, want 0", d)
	}
	op := domain.Opinion{TransmittedAt: transmitTime, RespondedAt: transmitTime.Add(6 * time.Hour)}
	if d := domain.DaysToResponse(op); d != 0.25 {
		t.Errorf("DaysToResponse(6h) = %v, want 0.25", d)
	}
}
