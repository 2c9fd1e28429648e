package app

import (
	"context"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// Handler carries out an administrator's commands on one council at a
// time. Checking that the actor may do so is the caller's business.
type Handler struct {
	Store    eventstore.Store
	Registry *es.Registry
	// Now gives the events' OccurredAt; nil leaves it to the store (the
	// time of recording).
	Now func() time.Time
}

// Register records a new council and returns it with the log position of
// its registration. It fails with domain.ErrCouncilExists or a
// *domain.FieldError (matching domain.ErrInvalid).
func (h *Handler) Register(ctx context.Context, council domain.Council, actor eventstore.Actor) (domain.Council, uint64, error) {
	out, err := h.writer().execute(ctx, council.Code, nil, func(domain.State) any {
		return domain.RegisterCouncil{Council: council}
	}, actor, "")
	if err != nil {
		return domain.Council{}, 0, err
	}
	return out.after.state.Council, out.position, nil
}

// RecordPopulation records a council's new population figure and returns
// the council after it, with the log position written, 0 when the figure
// was already recorded. It fails with domain.ErrCouncilNotFound or a
// *domain.FieldError.
func (h *Handler) RecordPopulation(ctx context.Context, code string, population int64, censusYear int32, source string, actor eventstore.Actor) (domain.Council, uint64, error) {
	cmd := domain.RecordPopulation{Population: population, CensusYear: censusYear, Source: source}
	out, err := h.writer().execute(ctx, code, nil, func(domain.State) any { return cmd }, actor, "")
	if err != nil {
		return domain.Council{}, 0, err
	}
	return out.after.state.Council, out.position, nil
}

func (h *Handler) writer() writer {
	return writer{store: h.Store, registry: h.Registry, now: h.Now}
}
