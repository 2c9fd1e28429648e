package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// CreateOpinion drafts an opinion of the body, on a consultation request
// or (empty Consultation) on its own initiative. Its OpinionID is given by
// the handler.
type CreateOpinion struct {
	Body Body
	domain.DraftOpinion
}

// CreateOpinionHandler runs CreateOpinion.
type CreateOpinionHandler struct{ Deps }

// Handle drafts the opinion under a new id and returns its name and the
// log position written. An opinion on a referral names a consultation of
// the same council addressed to this body: another council's consultation
// is refused before it is looked up, an unknown one is CONSULTATION_NOT_FOUND.
func (h CreateOpinionHandler) Handle(ctx context.Context, actor eventstore.Actor, c CreateOpinion) (Opinion, uint64, error) {
	b := c.Body
	if _, err := b.stream("parent"); err != nil {
		return Opinion{}, 0, err
	}
	if name := c.Consultation; name != "" {
		parts := strings.Split(name, "/")
		if len(parts) != 4 || parts[0]+"/"+parts[1] != b.Council || parts[2] != "consultations" {
			return Opinion{}, 0, fault.Field("consultation", "a consultation of %s: %s/consultations/{id}", b.Council, b.Council)
		}
		cons, ok := h.Facts.Consultation(name)
		if !ok || cons.Council != b.Council {
			return Opinion{}, 0, fault.New(fault.NotFound, "CONSULTATION_NOT_FOUND", "no consultation %s", name)
		}
		if cons.Body != b.Name() {
			return Opinion{}, 0, fault.Field("consultation", "consultation %s was not addressed to %s", name, b.Name())
		}
	}
	o := Opinion{Body: b, ID: h.IDs.NewID()}
	if !opinionID.MatchString(o.ID) {
		return Opinion{}, 0, fmt.Errorf("advisory: the id generator gave %q, not a lower-case UUID", o.ID)
	}
	cmd := c.DraftOpinion
	cmd.OpinionID = o.ID
	pos, err := h.run(ctx, actor, b, "parent", cmd)
	return o, pos, err
}
