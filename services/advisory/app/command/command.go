// Package command holds the advisory context's command handlers, one file
// each. A handler takes the actor and a typed command, checks what only
// the read model knows (the council, a referral's consultation), lets the
// domain decide on the body's stream and returns the log position it
// wrote. Ids and the clock come in from outside (IDs, Now).
package command

import (
	"context"
	"regexp"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// IDs makes the ids of new opinions (lower-case UUIDs).
type IDs interface {
	NewID() string
}

// Facts is what the handlers read from the read model before they decide:
// facts of other streams, which the body's own stream cannot tell.
type Facts interface {
	// Council returns the council with this code.
	Council(code string) (tdomain.Council, bool)
	// Consultation returns the consultation with this resource name.
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

// Body names one advisory body: its council's resource name
// ("communes/50910101") and its id ("youth").
type Body struct{ Council, ID string }

// Name is the body's resource name.
func (b Body) Name() string { return b.Council + "/advisoryBodies/" + b.ID }

// Opinion names one opinion of a body.
type Opinion struct {
	Body
	ID string
}

var (
	bodyID    = regexp.MustCompile(`^[a-z-]{1,32}$`)
	opinionID = regexp.MustCompile(`^[0-9a-f-]{36}$`)
)

// notFound is the answer for a body that is not this name's.
func notFound(b Body) error {
	return fault.New(fault.NotFound, domain.ReasonBodyNotFound, "no advisory body %s", b.Name())
}

// stream checks b's parts, so that no crafted name reaches a stream id,
// and returns its stream.
func (b Body) stream(field string) (string, error) {
	_, code, err := tdomain.ParseResourceName(b.Council)
	if err != nil {
		return "", fault.Field(field, "%v", err)
	}
	if !bodyID.MatchString(b.ID) {
		return "", fault.Field(field, "a body id is one of equity-gender, youth, economic, got %q", b.ID)
	}
	return domain.BodyStream(code, b.ID), nil
}

func (o Opinion) check() error {
	if !opinionID.MatchString(o.ID) {
		return fault.Field("name", "an opinion id is a lower-case UUID, got %q", o.ID)
	}
	return nil
}

// run decides cmd on the body b. The stream is read by the council's code;
// a body recorded there under another name (another level's prefix) is
// not b's, so the act is refused as not found and nothing is written
// (DESIGN.md "Authorization: by resource, in one place").
func (d Deps) run(ctx context.Context, actor eventstore.Actor, b Body, field string, cmd domain.Command) (uint64, error) {
	stream, err := b.stream(field)
	if err != nil {
		return 0, err
	}
	return es.Run(ctx, d.Store, d.Registry, stream, actor, d.Now, domain.Evolve,
		func(st domain.State, c domain.Command, dc es.Context) ([]domain.Event, error) {
			if st.Exists && st.Council != b.Council {
				return nil, notFound(b)
			}
			return domain.Decide(st, c, dc)
		},
		func(domain.State) (domain.Command, error) { return cmd, nil })
}
