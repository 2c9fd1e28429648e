package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// RecordWorkshop records a workshop of a public consultation.
type RecordWorkshop struct {
	Consultation Consultation
	domain.RecordWorkshop
}

// RecordWorkshopHandler runs RecordWorkshop.
type RecordWorkshopHandler struct{ Deps }

// Handle records the workshop and returns the log position written.
func (h RecordWorkshopHandler) Handle(ctx context.Context, actor eventstore.Actor, c RecordWorkshop) (uint64, error) {
	if c.Workshop == nil {
		return 0, fault.Field("workshop", "required")
	}
	return h.run(ctx, actor, c.Consultation, c.RecordWorkshop)
}
