package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// AcknowledgeConsultation records that the addressee acknowledged the request.
type AcknowledgeConsultation struct {
	Consultation Consultation
	domain.Acknowledge
}

// AcknowledgeConsultationHandler runs AcknowledgeConsultation.
type AcknowledgeConsultationHandler struct{ Deps }

// Handle decides the command on the consultation and returns the log
// position written.
func (h AcknowledgeConsultationHandler) Handle(ctx context.Context, actor eventstore.Actor, c AcknowledgeConsultation) (uint64, error) {
	return h.run(ctx, actor, c.Consultation, c.Acknowledge)
}
