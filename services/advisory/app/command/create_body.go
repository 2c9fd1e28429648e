package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// CreateBody sets up a council's advisory body. The body's id is its kind
// and the council's resource name comes from the request's parent; the
// ID and Council of SetUp are filled in by the handler.
type CreateBody struct {
	Council string // resource name, "communes/50910101"
	domain.SetUp
}

// CreateBodyHandler runs CreateBody.
type CreateBodyHandler struct{ Deps }

// Handle creates the body and returns its name and the log position
// written. A council has at most one body of each kind: the body's stream
// is created only if it does not exist. It fails with COUNCIL_NOT_FOUND for
// a council that is not registered at that level, and with an invalid
// field for a kind that names no body.
func (h CreateBodyHandler) Handle(ctx context.Context, actor eventstore.Actor, c CreateBody) (Body, uint64, error) {
	level, code, err := tdomain.ParseResourceName(c.Council)
	if err != nil {
		return Body{}, 0, fault.Field("parent", "%v", err)
	}
	if k, ok := h.Facts.Council(code); !ok || k.Level != level {
		return Body{}, 0, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", c.Council)
	}
	id := domain.BodyID(c.Kind)
	if id == "" {
		return Body{}, 0, fault.Field("kind", "must be BODY_KIND_EQUITY_GENDER, BODY_KIND_YOUTH or BODY_KIND_ECONOMIC")
	}
	b := Body{Council: c.Council, ID: id}
	cmd := c.SetUp
	cmd.ID, cmd.Council = id, c.Council
	pos, err := h.run(ctx, actor, b, "parent", cmd)
	return b, pos, err
}
