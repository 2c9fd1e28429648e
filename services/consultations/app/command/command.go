// Package command holds the consultations context's command handlers, one
// file each. A handler takes the actor and a typed command, checks what
// only the read model knows (the council, the body asked, the petition or
// opinion named), lets the domain decide on the consultation's (or
// survey's) stream and returns the log position it wrote. Ids and the
// clock come in from outside (IDs, Now).
package command

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// IDs makes the ids of new consultations and surveys (lower-case UUIDs).
type IDs interface {
	NewID() string
}

// Facts is what the handlers read from the read model before they decide:
// facts of other streams, which a consultation's own stream cannot tell.
type Facts interface {
	// Council returns the council with this code.
	Council(code string) (tdomain.Council, bool)
	// Body returns the advisory body with this resource name.
	Body(name string) (adomain.State, bool)
	// Exists reports whether a resource (a petition) of this name exists.
	Exists(name string) bool
}

// Deps is what every handler shares.
type Deps struct {
	Store    eventstore.Store
	Registry *es.Registry
	Facts    Facts
	IDs      IDs
	// Now is the clock: the events' OccurredAt and the domain's now.
	Now func() time.Time
}

// Consultation names one consultation: its council's resource name
// ("communes/50910101") and its id.
type Consultation struct{ Council, ID string }

// Name is the consultation's resource name.
func (c Consultation) Name() string { return domain.ConsultationName(c.Council, c.ID) }

// id is what this service gives a consultation or a survey: a lower-case
// UUID.
var id = regexp.MustCompile(`^[0-9a-f-]{36}$`)

// notFound is the answer for a consultation that is not this name's.
func notFound(c Consultation) error {
	return fault.New(fault.NotFound, "CONSULTATION_NOT_FOUND", "no consultation %s", c.Name())
}

// check refuses a name whose parts could not come from a parsed resource
// name, so that no crafted name reaches a stream id.
func (c Consultation) check() error {
	if _, _, err := tdomain.ParseResourceName(c.Council); err != nil {
		return fault.Field("name", "%v", err)
	}
	if !id.MatchString(c.ID) {
		return fault.Field("name", "a consultation id is a lower-case UUID, got %q", c.ID)
	}
	return nil
}

// council resolves a council resource name to a registered council of
// that level.
func (d Deps) council(parent string) (tdomain.Council, error) {
	level, code, err := tdomain.ParseResourceName(parent)
	if err != nil {
		return tdomain.Council{}, fault.Field("parent", "%v", err)
	}
	c, ok := d.Facts.Council(code)
	if !ok || c.Level != level {
		return tdomain.Council{}, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", parent)
	}
	return c, nil
}

// run decides cmd on the consultation c. The stream is read by the
// council's code; a consultation recorded there under another name
// (another level's prefix) is not c's, so the act is refused as not found
// and nothing is written (DESIGN.md "Authorization: by resource, in one
// place").
func (d Deps) run(ctx context.Context, actor eventstore.Actor, c Consultation, cmd domain.Command) (uint64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	return es.Run(ctx, d.Store, d.Registry, domain.StreamID(c.Council, c.ID), actor, d.Now, domain.Evolve,
		func(st domain.State, cm domain.Command, dc es.Context) ([]domain.Event, error) {
			if st.Exists && st.Council != c.Council {
				return nil, notFound(c)
			}
			return domain.Decide(st, cm, dc)
		},
		func(domain.State) (domain.Command, error) { return cmd, nil })
}

// newID returns a new id from the generator, refusing one that is not a
// lower-case UUID: it would become part of a resource name and a stream id.
func (d Deps) newID() (string, error) {
	n := d.IDs.NewID()
	if !id.MatchString(n) {
		return "", fmt.Errorf("consultations: the id generator gave %q, not a lower-case UUID", n)
	}
	return n, nil
}
