package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// CompletePhase ends the next phase of an action-programme consultation.
type CompletePhase struct {
	Consultation Consultation
	domain.CompletePhase
}

// CompletePhaseHandler runs CompletePhase.
type CompletePhaseHandler struct{ Deps }

// Handle decides the command on the consultation and returns the log
// position written.
func (h CompletePhaseHandler) Handle(ctx context.Context, actor eventstore.Actor, c CompletePhase) (uint64, error) {
	return h.run(ctx, actor, c.Consultation, c.CompletePhase)
}
