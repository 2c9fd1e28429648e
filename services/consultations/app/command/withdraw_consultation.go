package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// WithdrawConsultation withdraws the request.
type WithdrawConsultation struct {
	Consultation Consultation
	domain.Withdraw
}

// WithdrawConsultationHandler runs WithdrawConsultation.
type WithdrawConsultationHandler struct{ Deps }

// Handle decides the command on the consultation and returns the log
// position written.
func (h WithdrawConsultationHandler) Handle(ctx context.Context, actor eventstore.Actor, c WithdrawConsultation) (uint64, error) {
	return h.run(ctx, actor, c.Consultation, c.Withdraw)
}
