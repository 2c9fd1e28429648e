package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// ExtendRequest extends a request's deadline once (law 31-13 art. 16).
type ExtendRequest struct {
	Name    string
	Reasons string
}

// ExtendRequestHandler runs ExtendRequest.
type ExtendRequestHandler struct{ Deps }

// Handle records the extension and returns the log position written.
func (h ExtendRequestHandler) Handle(ctx context.Context, actor eventstore.Actor, c ExtendRequest) (uint64, error) {
	r, err := ParseRequest(c.Name)
	if err != nil {
		return 0, err
	}
	return h.run(ctx, actor, r, nil, domain.Extend{Reasons: c.Reasons})
}
