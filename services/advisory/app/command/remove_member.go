package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// RemoveMember records a member leaving the body.
type RemoveMember struct {
	Body Body
	domain.RemoveMember
}

// RemoveMemberHandler runs RemoveMember.
type RemoveMemberHandler struct{ Deps }

// Handle decides the command on the body and returns the log position
// written.
func (h RemoveMemberHandler) Handle(ctx context.Context, actor eventstore.Actor, c RemoveMember) (uint64, error) {
	return h.run(ctx, actor, c.Body, "name", c.RemoveMember)
}
