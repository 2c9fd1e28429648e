package domain_test

import (
	"strings"
	"testing"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// The council may withdraw its request, with a reason, until it is
// answered, even after the deadline (law 113-14 art. 119; "or withdrawn",
// DOMAIN.md §2).
func TestWithdraw_Law113_14_Art119(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
		ctx   domain.Context
	}{
		{"requested", []domain.Recorded{bodyRequested()}, asClerk},
		{"acknowledged", []domain.Recorded{bodyRequested(), acknowledged()}, asClerk},
		{"in progress", []domain.Recorded{publicRequested(), held("w-1")}, asClerk},
		{"expired", []domain.Recorded{bodyRequested(), acknowledged()}, late},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := given(t, tc.given...)
			evs := sc.when(domain.Withdraw{Reason: " budget reporté "}, tc.ctx).
				then(domain.Event{Payload: &consultationseventsv1.ConsultationWithdrawn{Reason: "budget reporté"}})
			s := domain.Evolve(sc.state, rec(evs[0].Payload))
			if s.Status != withdrawnSt || s.WithdrawalReason != "budget reporté" || s.StateAt(afterDeadline) != withdrawnSt {
				t.Fatalf("withdrawn state: %v %q", s.Status, s.WithdrawalReason)
			}
		})
	}
	t.Run("field reason missing", func(t *testing.T) {
		given(t, bodyRequested()).when(domain.Withdraw{Reason: "  "}, asClerk).thenField("reason")
	})
	t.Run("field reason too long", func(t *testing.T) {
		given(t, bodyRequested()).when(domain.Withdraw{Reason: strings.Repeat("r", domain.MaxReason+1)}, asClerk).thenField("reason")
	})
	t.Run("WRONG_STATE when answered", func(t *testing.T) {
		given(t, publicRequested(), synthesised()).when(domain.Withdraw{Reason: "trop tard"}, asClerk).
			thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("WRONG_STATE when withdrawn", func(t *testing.T) {
		given(t, publicRequested(), withdrawn()).when(domain.Withdraw{Reason: "encore"}, asClerk).
			thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
}
