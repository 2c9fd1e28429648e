package domain_test

import (
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Overdue: no decision notified within the deadline (law 113-14 art. 125:
// 3 months from receipt for communes). The standard history's petition was
// received 2026-01-15, so its deadline is 2026-04-15.
func TestOverdue_Law113_14_Art125(t *testing.T) {
	before := deadline.Add(-time.Hour)
	after := deadline.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
		at    time.Time
		want  bool
	}{
		{"not deposited: no deadline", []domain.Recorded{drafted(), opened()}, now, false},
		{"deposited, before the deadline", hDeposited(), before, false},
		{"deposited, at the deadline", hDeposited(), deadline, false},
		{"deposited, after the deadline", hDeposited(), after, true},
		{"under review, after the deadline", hReview(), after, true},
		{"decided but not notified", hInadmissible(), after, true},
		{"admissible but not notified", hAdmissible(), after, true},
		{"decision notified", append(hInadmissible(), decisionNotified()), after, false},
		{"decision notified, long after", append(hInadmissible(), decisionNotified()), now, false},
		{"withdrawn", append(hReview(), withdrawn()), after, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...).state
			if got := s.Overdue(tc.at); got != tc.want {
				t.Errorf("Overdue(%v) = %v, want %v (deadline %v)", tc.at, got, tc.want, s.Deadline)
			}
		})
	}
}
