package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// TransmitOpinion records that an adopted opinion was sent to the council. Its OpinionID is the named opinion's.
type TransmitOpinion struct {
	Opinion Opinion
	domain.TransmitOpinion
}

// TransmitOpinionHandler runs TransmitOpinion.
type TransmitOpinionHandler struct{ Deps }

// Handle decides the command on the opinion's body and returns the log
// position written.
func (h TransmitOpinionHandler) Handle(ctx context.Context, actor eventstore.Actor, c TransmitOpinion) (uint64, error) {
	if err := c.Opinion.check(); err != nil {
		return 0, err
	}
	cmd := c.TransmitOpinion
	cmd.OpinionID = c.Opinion.ID
	return h.run(ctx, actor, c.Opinion.Body, "name", cmd)
}
