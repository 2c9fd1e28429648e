// Package command holds the information context's command handlers, one
// file each. A handler takes the actor and a typed command, checks what
// only the read model knows (the council, the calendar known now), lets the
// domain decide on the request's stream and returns the log position it
// wrote. Ids, the clock and the keys that seal a requester's identity come
// in from outside.
package command

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/information/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// IDs makes the ids of new requests (lower-case UUIDs).
type IDs interface{ NewID() string }

// UUIDs makes UUIDv7 ids.
type UUIDs struct{}

// NewID returns a new UUIDv7.
func (UUIDs) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Councils tells whether a council is registered (the territory read
// model).
type Councils interface {
	Council(code string) (tdomain.Council, bool)
}

// PersonKeys gives the data keys that seal a requester's identity
// (privacy.KeyStore).
type PersonKeys interface {
	SealingKey(ctx context.Context) (id string, key []byte, err error)
	Unused(id string, key []byte)
	BindLater(person, id string)
	NameKey(ctx context.Context, person, id string) ([]byte, error)
}

// RequesterKeys turns an account into the keyed hash that finds "my
// requests" without any identity in the log (privacy.Keys).
type RequesterKeys interface {
	SignerKey(councilCode, normalizedID string) string
}

// Deps is what every handler shares.
type Deps struct {
	Store      eventstore.Store
	Registry   *es.Registry
	Model      *readmodel.Model
	Councils   Councils
	Persons    PersonKeys
	Requesters RequesterKeys
	IDs        IDs
	// Now is the clock: the events' OccurredAt and the domain's today.
	Now func() time.Time
}

// RequesterKey is the key of an account's requests in a council.
func RequesterKey(keys RequesterKeys, code, subject string) string {
	return keys.SignerKey(code, "information-requester:"+subject)
}

// Person is the key-store person whose data key seals the request's
// identity: the requester's account key, or for a request keyed in by the
// official, a keyed hash of the request's id (a valid key-store key, and
// the same for no two requests).
func Person(keys RequesterKeys, code, id, requesterKey string) string {
	if requesterKey != "" {
		return requesterKey
	}
	return keys.SignerKey(code, "information-request:"+id)
}

// Request names one request: "communes/{c}/informationRequests/{uuid}".
type Request struct{ Council, Code, ID string }

// Name is the resource name.
func (r Request) Name() string { return r.Council + "/informationRequests/" + r.ID }

// ParseRequest parses a request's resource name. Only communes keep
// requests here: the product tracks communes' duty under law 31-13.
func ParseRequest(name string) (Request, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[2] != "informationRequests" {
		return Request{}, fault.Field("name", "a request's name is communes/{commune}/informationRequests/{request}, got %q", name)
	}
	if _, _, err := tdomain.ParseResourceName(parts[0] + "/" + parts[1]); err != nil {
		return Request{}, fault.Field("name", "%v", err)
	}
	if u, err := uuid.Parse(parts[3]); err != nil || u.String() != parts[3] {
		return Request{}, fault.Field("name", "request id %q is not a lower-case UUID", parts[3])
	}
	r := Request{Council: parts[0] + "/" + parts[1], Code: parts[1], ID: parts[3]}
	if parts[0] != "communes" {
		// A province or region keeps no requests here: the whole name
		// resolves, or nothing does.
		return Request{}, notFound(r)
	}
	return r, nil
}

// ParseCouncil parses "communes/{c}" and checks the council is known.
func ParseCouncil(c Councils, name string) (code string, err error) {
	_, code, err = tdomain.ParseResourceName(name)
	if err != nil {
		return "", fault.Field("parent", "%v", err)
	}
	council, ok := c.Council(code)
	if !ok || tdomain.ResourceName(council.Level, council.Code) != name || !strings.HasPrefix(name, "communes/") {
		return "", fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no commune %s", name)
	}
	return code, nil
}

func notFound(r Request) error {
	return fault.New(fault.NotFound, domain.ReasonRequestNotFound, "no request for information %s", r.Name())
}

// Env returns the domain's environment now: today in Morocco, the calendar
// known now, the rulebook.
func (d Deps) Env() domain.Env {
	return domain.Env{Today: domain.DayOf(d.Now()), Calendar: d.Model.Calendar(0), Rules: d.Model.Rules()}
}

// Owns reports whether actor may act on the request as its requester: a
// citizen only on their own.
func (d Deps) Owns(actor eventstore.Actor, code string, st domain.State) bool {
	return st.RequesterKey != "" && st.RequesterKey == RequesterKey(d.Requesters, code, actor.Subject)
}

// run decides cmd on request r. A request recorded under another name is
// not r's: refused as not found, nothing written. check sees the fresh
// state first (ownership).
func (d Deps) run(ctx context.Context, actor eventstore.Actor, r Request, check func(domain.State) error, cmd domain.Command) (uint64, error) {
	fold := func(st domain.State, e *eventstore.Event, p proto.Message) domain.State {
		return domain.Evolve(st, es.RecordedFrom(e, p))
	}
	return es.Execute(ctx, d.Store, d.Registry, domain.RequestStream(r.Code, r.ID), actor, d.Now, fold, func(st domain.State) ([]es.Decided, error) {
		if st.Exists && st.Name != r.Name() {
			return nil, notFound(r)
		}
		if _, receive := cmd.(domain.Receive); !receive && !st.Exists {
			return nil, notFound(r)
		}
		if check != nil {
			if err := check(st); err != nil {
				return nil, err
			}
		}
		return domain.Decide(st, cmd, d.Env())
	})
}

// Official reports whether the actor is the council's designated
// official (the interceptor checked the council).
func Official(actor eventstore.Actor) bool { return actor.Role == string(access.RoleInformation) }

// ownerOrOfficial refuses a citizen acting on someone else's request as
// not found: the request's existence is not theirs to learn.
func (d Deps) ownerOrOfficial(actor eventstore.Actor, r Request) func(domain.State) error {
	return func(st domain.State) error {
		if Official(actor) || d.Owns(actor, r.Code, st) {
			return nil
		}
		return notFound(r)
	}
}
