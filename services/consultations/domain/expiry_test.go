package domain_test

import (
	"testing"
	"time"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// A request lapses at the end of its deadline day, unless it was answered
// or withdrawn (law 113-14 art. 119: a view asked for by a deadline;
// CONSULTATION_EXPIRED). EXPIRED is computed, never stored.
func TestExpiry_ConsultationExpired_Law113_14_Art119(t *testing.T) {
	lastMinute := time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		given   []domain.Recorded
		at      time.Time
		expired bool
		state   consultationseventsv1.ConsultationState
	}{
		{"requested, deadline day's last minute", []domain.Recorded{bodyRequested()}, lastMinute, false, requested},
		{"requested, a second after the day", []domain.Recorded{bodyRequested()}, afterDeadline, true, expired},
		{"acknowledged, after", []domain.Recorded{bodyRequested(), acknowledged()}, afterDeadline, true, expired},
		{"in progress, after", []domain.Recorded{publicRequested(), held("w-1")}, afterDeadline, true, expired},
		{"answered never expires", []domain.Recorded{publicRequested(), synthesised()}, afterDeadline.AddDate(1, 0, 0), false, answered},
		{"withdrawn never expires", []domain.Recorded{publicRequested(), withdrawn()}, afterDeadline.AddDate(1, 0, 0), false, withdrawnSt},
		{"nothing requested", nil, afterDeadline, false, consultationseventsv1.ConsultationState_CONSULTATION_STATE_UNSPECIFIED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...).state
			if got := s.Expired(tc.at); got != tc.expired {
				t.Errorf("Expired(%v) = %v, want %v", tc.at, got, tc.expired)
			}
			if got := s.StateAt(tc.at); got != tc.state {
				t.Errorf("StateAt(%v) = %v, want %v", tc.at, got, tc.state)
			}
			if s.Status == expired {
				t.Error("EXPIRED stored")
			}
		})
	}
	t.Run("day boundary: expired from 00:00 of the next day", func(t *testing.T) {
		s := given(t, bodyRequested()).state
		if s.Expired(s.Deadline.Add(-time.Nanosecond)) || !s.Expired(s.Deadline) {
			t.Error("the deadline day ends at the next day's 00:00 UTC")
		}
	})
}

// The addressee acknowledges a request once, while it is REQUESTED and
// not expired (law 113-14 art. 119).
func TestAcknowledge_Law113_14_Art119(t *testing.T) {
	t.Run("requested", func(t *testing.T) {
		sc := given(t, bodyRequested())
		evs := sc.when(domain.Acknowledge{}, asClerk).then(domain.Event{Payload: &consultationseventsv1.ConsultationAcknowledged{}})
		if s := domain.Evolve(sc.state, rec(evs[0].Payload)); s.Status != acknowledgd {
			t.Fatalf("status %v, want ACKNOWLEDGED", s.Status)
		}
	})
	t.Run("on the deadline day", func(t *testing.T) {
		given(t, bodyRequested()).when(domain.Acknowledge{}, domain.Context{Now: date("2026-12-01T23:59:00Z")}).
			then(domain.Event{Payload: &consultationseventsv1.ConsultationAcknowledged{}})
	})
	t.Run("CONSULTATION_EXPIRED", func(t *testing.T) {
		re := given(t, bodyRequested()).when(domain.Acknowledge{}, late).thenRule(domain.RuleExpired)
		detailNames(t, re.Error(), deadlineDay, "law 113-14 art. 119")
	})
	t.Run("CONSULTATION_EXPIRED at a province: law 112-14 art. 110", func(t *testing.T) {
		re := given(t, requestedBy(beniMellalProv, "", budget)).when(domain.Acknowledge{}, late).thenRule(domain.RuleExpired)
		detailNames(t, re.Article, "law 112-14 art. 110")
	})
	t.Run("CONSULTATION_EXPIRED at a region: law 111-14 art. 116", func(t *testing.T) {
		re := given(t, requestedBy(beniMellalReg, "", budget)).when(domain.Acknowledge{}, late).thenRule(domain.RuleExpired)
		detailNames(t, re.Article, "law 111-14 art. 116")
	})
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"acknowledged", []domain.Recorded{bodyRequested(), acknowledged()}},
		{"in progress", []domain.Recorded{publicRequested(), held("w-1")}},
		{"answered", []domain.Recorded{publicRequested(), synthesised()}},
		{"withdrawn", []domain.Recorded{publicRequested(), withdrawn()}},
	} {
		t.Run("WRONG_STATE when "+tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.Acknowledge{}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
	t.Run("answered and past the deadline: WRONG_STATE, not expired", func(t *testing.T) {
		e := given(t, publicRequested(), synthesised()).when(domain.Acknowledge{}, late).thenError(fault.FailedPrecondition, "WRONG_STATE")
		detailNames(t, e.Detail, "ANSWERED")
	})
}
