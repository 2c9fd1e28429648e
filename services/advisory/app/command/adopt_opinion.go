package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// AdoptOpinion records the vote adopting an opinion at a meeting. Its OpinionID is the named opinion's.
type AdoptOpinion struct {
	Opinion Opinion
	domain.AdoptOpinion
}

// AdoptOpinionHandler runs AdoptOpinion.
type AdoptOpinionHandler struct{ Deps }

// Handle decides the command on the opinion's body and returns the log
// position written.
func (h AdoptOpinionHandler) Handle(ctx context.Context, actor eventstore.Actor, c AdoptOpinion) (uint64, error) {
	if err := c.Opinion.check(); err != nil {
		return 0, err
	}
	cmd := c.AdoptOpinion
	cmd.OpinionID = c.Opinion.ID
	return h.run(ctx, actor, c.Opinion.Body, "name", cmd)
}
