package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// AssignBureauRole gives a member in office an office in the bureau, or takes it away.
type AssignBureauRole struct {
	Body Body
	domain.AssignBureauRole
}

// AssignBureauRoleHandler runs AssignBureauRole.
type AssignBureauRoleHandler struct{ Deps }

// Handle decides the command on the body and returns the log position
// written.
func (h AssignBureauRoleHandler) Handle(ctx context.Context, actor eventstore.Actor, c AssignBureauRole) (uint64, error) {
	return h.run(ctx, actor, c.Body, "name", c.AssignBureauRole)
}
