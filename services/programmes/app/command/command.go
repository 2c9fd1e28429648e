// Package command holds the programmes context's command handlers, one
// file each. A handler takes the actor and a typed command, checks what
// only the read models know (the commune, the consultation that prepared
// the programme), lets the domain decide on the programme's (or the
// import's) stream and returns the log position it wrote. Ids and the
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
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// IDs makes the ids of new imports (lower-case UUIDs).
type IDs interface {
	NewID() string
}

// Facts is what the handlers read from other contexts' read models.
type Facts interface {
	// Council returns the council with this code.
	Council(code string) (tdomain.Council, bool)
	// Consultation returns the consultation with this full resource name.
	Consultation(name string) (cdomain.State, bool)
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

// Programme names one programme: its commune's resource name
// ("communes/50910113") and the year its mandate began.
type Programme struct{ Council, Year string }

// Name is the programme's resource name.
func (p Programme) Name() string { return domain.ProgrammeName(p.Council, p.Year) }

var (
	year = regexp.MustCompile(`^(19|20)[0-9]{2}$`)
	id   = regexp.MustCompile(`^[0-9a-f-]{36}$`)
)

// notFound is the answer for a programme that is not this name's.
func notFound(p Programme) error {
	return fault.New(fault.NotFound, domain.ReasonProgrammeNotFound, "no programme %s", p.Name())
}

// check refuses a name whose parts could not come from a parsed resource
// name, so that no crafted name reaches a stream id.
func (p Programme) check() error {
	if _, _, err := tdomain.ParseResourceName(p.Council); err != nil {
		return fault.Field("name", "%v", err)
	}
	if !year.MatchString(p.Year) {
		return fault.Field("name", "a programme is named by the year its mandate began, got %q", p.Year)
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

// run decides cmd on the programme p. A programme recorded on the stream
// under another name (another level's prefix) is not p's: the act is
// refused as not found and nothing is written (DESIGN.md "Authorization:
// by resource, in one place").
func (d Deps) run(ctx context.Context, actor eventstore.Actor, p Programme, cmd func(domain.State) (domain.Command, error)) (uint64, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	return es.Run(ctx, d.Store, d.Registry, domain.ProgrammeStream(domain.CouncilCode(p.Council), p.Year), actor, d.Now, domain.Evolve,
		func(st domain.State, cm domain.Command, dc es.Context) ([]domain.Event, error) {
			if st.Exists && st.Council != p.Council {
				return nil, notFound(p)
			}
			return domain.Decide(st, cm, dc)
		}, cmd)
}

// act runs a command that does not depend on the state.
func (d Deps) act(ctx context.Context, actor eventstore.Actor, p Programme, cmd domain.Command) (uint64, error) {
	return d.run(ctx, actor, p, func(domain.State) (domain.Command, error) { return cmd, nil })
}

// newID returns a new id from the generator, refusing one that is not a
// lower-case UUID: it would become part of a resource name and a stream id.
func (d Deps) newID() (string, error) {
	n := d.IDs.NewID()
	if !id.MatchString(n) {
		return "", fmt.Errorf("programmes: the id generator gave %q, not a lower-case UUID", n)
	}
	return n, nil
}
