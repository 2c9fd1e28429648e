package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// AddMember adds a member to the body, possibly replacing one.
type AddMember struct {
	Body Body
	domain.AddMember
}

// AddMemberHandler runs AddMember.
type AddMemberHandler struct{ Deps }

// Handle adds the member and returns the log position written.
func (h AddMemberHandler) Handle(ctx context.Context, actor eventstore.Actor, c AddMember) (uint64, error) {
	if c.Member == nil {
		return 0, fault.Field("member", "required")
	}
	return h.run(ctx, actor, c.Body, "name", c.AddMember)
}
