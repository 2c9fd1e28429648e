package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// RespondToOpinion records how the council took a transmitted opinion into account. Its OpinionID is the named opinion's.
type RespondToOpinion struct {
	Opinion Opinion
	domain.Respond
}

// RespondToOpinionHandler runs RespondToOpinion.
type RespondToOpinionHandler struct{ Deps }

// Handle decides the command on the opinion's body and returns the log
// position written.
func (h RespondToOpinionHandler) Handle(ctx context.Context, actor eventstore.Actor, c RespondToOpinion) (uint64, error) {
	if err := c.Opinion.check(); err != nil {
		return 0, err
	}
	cmd := c.Respond
	cmd.OpinionID = c.Opinion.ID
	return h.run(ctx, actor, c.Opinion.Body, "name", cmd)
}
