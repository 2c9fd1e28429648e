// Package app runs petition commands: it loads a petition's stream, asks
// the domain to decide, and appends the events with the expected revision,
// retrying a bounded number of times when someone else wrote first. Reads
// come from the projections; every command returns the log position it
// wrote so callers can read their own writes.
package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/petitions/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
	treadmodel "github.com/tasharuk/tasharuk/services/territory/readmodel"
)

// PersonKeys gives the data keys that seal signers' names
// (privacy.KeyStore).
type PersonKeys interface {
	// SealingKey returns a durable key for a new signature and its id to
	// record.
	SealingKey(ctx context.Context) (id string, key []byte, err error)
	// Unused gives back a key whose signature was refused.
	Unused(id string, key []byte)
	// BindLater confirms, in the background, a key whose signature is
	// durable (it destroys the key if the person was erased meanwhile).
	BindLater(person, id string)
	// NameKey returns the key that opens a recorded name;
	// privacy.ErrErased once erased.
	NameKey(ctx context.Context, person, id string) ([]byte, error)
}

// SignerKeys turns a national ID into a signer key, and an account's
// subject into an account key, both keyed to a council (privacy.Keys).
type SignerKeys interface {
	SignerKey(councilCode, normalizedID string) string
	SignerAccountKey(councilCode, subject string) string
}

// Councils is what petitions read of the territory context: a council's
// level and population (its rulebook's threshold), and a region's
// provinces (the per-province minimum). The territory read model is it;
// the petitions context does not keep councils of its own.
type Councils interface {
	Council(code string) (tdomain.Council, bool)
	ChildCodes(code string) []string
}

// Service runs the petition commands.
type Service struct {
	Store    eventstore.Store
	Registry *es.Registry
	Runner   *projections.Runner
	Model    *readmodel.Petitions
	Councils Councils
	Signers  SignerKeys
	Persons  PersonKeys
	// Rules is the read model of rulebook versions (fed by the same runner
	// as Model); nil means version 1 of every level's rulebook, the code's
	// defaults (tools that record no amendment).
	Rules *treadmodel.Rulebooks
	// Documents keeps supporting documents' bytes (nil: attaching is
	// unavailable).
	Documents DocumentStore
	// DocumentKeys seals documents with personal data, each with its own
	// key (nil: such documents cannot be attached or read).
	DocumentKeys DocumentKeys
	// Now is the clock (injected in tests).
	Now func() time.Time

	// bindings remembers the accounts whose binding was seen whole.
	bindings bindingCache
}

// Name is a parsed petition resource name.
type Name struct {
	Level   territoryeventsv1.CouncilLevel
	Council string // council resource name
	Code    string // council code
	ID      string // petition id
}

// ParseName parses "communes/{code}/petitions/{id}".
func ParseName(name string) (Name, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[2] != "petitions" {
		return Name{}, fault.Field("name", "a petition name is {communes|provinces|regions}/{council}/petitions/{petition}, got %q", name)
	}
	level, code, err := tdomain.ParseResourceName(parts[0] + "/" + parts[1])
	if err != nil {
		return Name{}, fault.Field("name", "%v", err)
	}
	if u, err := uuid.Parse(parts[3]); err != nil || u.String() != parts[3] {
		return Name{}, fault.Field("name", "petition id %q is not a lower-case UUID", parts[3])
	}
	return Name{Level: level, Council: parts[0] + "/" + parts[1], Code: code, ID: parts[3]}, nil
}

// String is the resource name.
func (n Name) String() string { return n.Council + "/petitions/" + n.ID }

// StreamID is the petition's event stream.
func (n Name) StreamID() string { return domain.PetitionStream(n.Code, n.ID) }

// ParseCouncil parses a council resource name and checks that the council
// is known.
func (s *Service) ParseCouncil(name string) (tdomain.Council, error) {
	_, code, err := tdomain.ParseResourceName(name)
	if err != nil {
		return tdomain.Council{}, fault.Field("parent", "%v", err)
	}
	c, ok := s.Councils.Council(code)
	if !ok || tdomain.ResourceName(c.Level, c.Code) != name {
		return tdomain.Council{}, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", name)
	}
	return c, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// execute runs one command on a petition's stream (es.Execute): the
// command is built from the fresh state by build, then decided.
func (s *Service) execute(ctx context.Context, actor eventstore.Actor, n Name, build func(domain.State) (domain.Command, error)) (uint64, error) {
	return es.Run(ctx, s.Store, s.Registry, n.StreamID(), actor, s.Now, domain.Evolve,
		func(st domain.State, c domain.Command, dc es.Context) ([]domain.Event, error) {
			if st.Exists && st.Council != n.Council {
				return nil, notFound(n)
			}
			return domain.Decide(st, c, dc)
		}, build)
}

// executeAlone is execute for a command that acts outside the log (takes a
// receipt number, stores or destroys a document or its key) before its
// event is recorded: it is decided on the committed state only, never
// combined with the commands queued beside it (es.RunAlone).
func (s *Service) executeAlone(ctx context.Context, actor eventstore.Actor, n Name, build func(domain.State) (domain.Command, error)) (uint64, error) {
	return es.RunAlone(ctx, s.Store, s.Registry, n.StreamID(), actor, s.Now, domain.Evolve,
		func(st domain.State, c domain.Command, dc es.Context) ([]domain.Event, error) {
			if st.Exists && st.Council != n.Council {
				return nil, notFound(n)
			}
			return domain.Decide(st, c, dc)
		}, build)
}

// Petition returns the read model's view of a petition once it has
// applied pos.
func (s *Service) Petition(ctx context.Context, n Name, pos uint64) (readmodel.Petition, error) {
	if err := s.Runner.WaitFor(ctx, pos); err != nil {
		return readmodel.Petition{}, err
	}
	return s.lookup(n)
}

// lookup resolves a petition by its whole resource name, council and id:
// a petition addressed under another council's name is not found, whatever
// its id (DESIGN.md "Authorization: by resource, in one place").
func (s *Service) lookup(n Name) (readmodel.Petition, error) {
	p, ok := s.Model.Petition(n.String())
	if !ok || p.State.Council != n.Council || p.State.ID != n.ID {
		return readmodel.Petition{}, notFound(n)
	}
	return p, nil
}

func notFound(n Name) error {
	return fault.New(fault.NotFound, "PETITION_NOT_FOUND", "no petition %s", n)
}

// RulebookOn returns the rulebook in force for council c on day: the
// level's version in force that day with the council's internal rules
// (DESIGN.md "Rulebooks are data"). Decisions pass the date that matters:
// the deposit date for a petition's threshold and decision deadline.
func (s *Service) RulebookOn(c tdomain.Council, day time.Time) tdomain.Rulebook {
	if s.Rules == nil {
		rb := tdomain.DefaultRulebook(c.Level)
		rb.Version = 1
		return rb
	}
	return s.Rules.On(c, day)
}

// Draft is a CreatePetition request.
type Draft struct {
	Parent      string
	Kind        petitionseventsv1.PetitionerKind
	Title       string
	Request     string
	Reasons     string
	Association *petitionseventsv1.Association
	RequestID   string
	// Language is the agent's language for notifications.
	Language string
}

// reasonAlreadyExists: a client-chosen id names an existing petition.
const reasonAlreadyExists = "PETITION_ALREADY_EXISTS"

// Create drafts a petition. A request id makes retries safe: the same id
// gives the same petition, to the same actor in the same council. A
// client-chosen id is scoped to its council and never aliases an existing
// resource: the id of a petition of another council, or of another actor's
// petition, is ALREADY_EXISTS and nothing is written.
func (s *Service) Create(ctx context.Context, actor eventstore.Actor, d Draft) (Name, uint64, error) {
	c, err := s.ParseCouncil(d.Parent)
	if err != nil {
		return Name{}, 0, err
	}
	id := newID()
	if d.RequestID != "" {
		u, err := uuid.Parse(d.RequestID)
		if err != nil || u.String() != d.RequestID {
			return Name{}, 0, fault.Field("request_id", "a lower-case UUID")
		}
		id = d.RequestID
	}
	n := Name{Level: c.Level, Council: d.Parent, Code: c.Code, ID: id}
	if d.RequestID != "" {
		// Let the read model see every petition drafted so far, then refuse
		// an id already taken in another council. (Within this council the
		// petition's own stream, read fresh below, decides.)
		head, err := s.Store.LastPosition(ctx)
		if err != nil {
			return Name{}, 0, err
		}
		if err := s.Runner.WaitFor(ctx, head); err != nil {
			return Name{}, 0, err
		}
		for _, other := range s.Model.PetitionsWithID(id) {
			if other != n.String() {
				return Name{}, 0, errAlreadyExists()
			}
		}
	}
	pos, err := s.execute(ctx, actor, n, func(st domain.State) (domain.Command, error) {
		if st.Exists && d.RequestID != "" {
			if st.Agent == actor.Subject && actor.Subject != "" && st.Council == n.Council {
				return nil, errExisting
			}
			return nil, errAlreadyExists()
		}
		return domain.Draft{ID: id, Council: d.Parent, Kind: d.Kind, Title: d.Title, Request: d.Request, Reasons: d.Reasons, Association: d.Association, Language: d.Language}, nil
	})
	if errors.Is(err, errExisting) {
		p, perr := s.Petition(ctx, n, 0)
		return n, p.DepositPosition, perr
	}
	return n, pos, err
}

var errExisting = errors.New("petition already drafted by this request")

func errAlreadyExists() error {
	return fault.New(fault.AlreadyExists, reasonAlreadyExists, "request_id is the id of an existing petition: choose a new request_id (a fresh UUID) for a new petition")
}

// Act runs a command that needs nothing but the petition's state.
func (s *Service) Act(ctx context.Context, actor eventstore.Actor, name string, cmd domain.Command) (Name, uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return Name{}, 0, err
	}
	pos, err := s.execute(ctx, actor, n, func(domain.State) (domain.Command, error) { return cmd, nil })
	return n, pos, err
}

// Open submits a draft (or an amended refused petition) to its council's
// moderation, with the moderation deadline of the rulebook in force today.
func (s *Service) Open(ctx context.Context, actor eventstore.Actor, name string) (Name, uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return Name{}, 0, err
	}
	c, err := s.ParseCouncil(n.Council)
	if err != nil {
		return Name{}, 0, err
	}
	pos, err := s.execute(ctx, actor, n, func(domain.State) (domain.Command, error) {
		return domain.OpenForSignatures{ModerationDays: s.RulebookOn(c, s.Now()).ModerationDeadlineDays}, nil
	})
	return n, pos, err
}

// Schedule schedules a petition on an ordinary session of its council.
func (s *Service) Schedule(ctx context.Context, actor eventstore.Actor, name, session string) (Name, uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return Name{}, 0, err
	}
	c, err := s.ParseCouncil(n.Council)
	if err != nil {
		return Name{}, 0, err
	}
	pos, err := s.execute(ctx, actor, n, func(domain.State) (domain.Command, error) {
		// The council's calendar and agenda margin in force today.
		rb := s.RulebookOn(c, s.Now())
		return domain.Schedule{Session: session, SessionMonths: rb.OrdinarySessionMonths, MarginDays: rb.SessionMarginDays}, nil
	})
	return n, pos, err
}

// Deposit records a deposit and issues the receipt from the council's
// yearly receipt ledger.
func (s *Service) Deposit(ctx context.Context, actor eventstore.Actor, name string, receivedAt time.Time, channel petitionseventsv1.DepositChannel, documents []string) (Name, uint64, string, error) {
	n, err := ParseName(name)
	if err != nil {
		return Name{}, 0, "", err
	}
	c, err := s.ParseCouncil(n.Council)
	if err != nil {
		return Name{}, 0, "", err
	}
	if receivedAt.IsZero() {
		receivedAt = s.Now()
	}
	var receipt string
	pos, err := s.executeAlone(ctx, actor, n, func(st domain.State) (domain.Command, error) {
		// The deadline of the rulebook in force on the day the petition was
		// received.
		cmd := domain.Deposit{ReceivedAt: receivedAt, Channel: channel, Documents: documents,
			DeadlineMonths: s.RulebookOn(c, receivedAt).DecisionDeadlineMonths, ValidSignatures: int(s.validSignatures(n))}
		// Check the act before taking a receipt number for it.
		probe := cmd
		probe.ReceiptNumber = "probe"
		if _, err := domain.Decide(st, probe, domain.Context{Now: s.Now(), Actor: actor}); err != nil {
			return nil, err
		}
		if receipt == "" {
			r, err := s.issueReceipt(ctx, actor, c.Code, receivedAt.UTC().Year(), n.String())
			if err != nil {
				return nil, err
			}
			receipt = r
		}
		cmd.ReceiptNumber = receipt
		return cmd, nil
	})
	return n, pos, receipt, err
}

// validSignatures counts the petition's valid signatures (by its whole
// name: a same-id petition of another council lends none).
func (s *Service) validSignatures(n Name) int32 {
	p, err := s.lookup(n)
	if err != nil {
		return 0
	}
	return p.Valid
}

// issueReceipt takes the next number of the council's receipt ledger for
// the year (unique per council and year), or returns the number already
// issued to this petition.
func (s *Service) issueReceipt(ctx context.Context, actor eventstore.Actor, code string, year int, petition string) (string, error) {
	stream := domain.ReceiptStream(code, year)
	for attempt := 1; ; attempt++ {
		evs, err := s.Store.ReadStream(ctx, stream, 0, 0)
		exp := eventstore.NoStream
		switch {
		case errors.Is(err, eventstore.ErrStreamNotFound):
		case err != nil:
			return "", err
		default:
			exp = eventstore.Exact(evs[len(evs)-1].Revision)
			for i := range evs {
				p, err := s.Registry.DecodeEvent(&evs[i])
				if err != nil {
					return "", err
				}
				if r, ok := p.(*petitionseventsv1.ReceiptIssued); ok && r.GetPetition() == petition {
					return r.GetReceiptNumber(), nil
				}
			}
		}
		number := fmt.Sprintf("%s-%d-%05d", code, year, len(evs)+1)
		prop, err := s.Registry.Propose(&petitionseventsv1.ReceiptIssued{ReceiptNumber: number, Petition: petition}, es.Meta{ID: newID(), Actor: actor})
		if err != nil {
			return "", err
		}
		_, err = s.Store.Append(ctx, stream, exp, []eventstore.Proposed{prop})
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) && attempt < 20 {
			continue
		}
		if err != nil {
			return "", err
		}
		return number, nil
	}
}

// DecideAdmissibility records the bureau's decision, counting signatures
// from the read model once it has caught up with the log.
func (s *Service) DecideAdmissibility(ctx context.Context, actor eventstore.Actor, name string, decision petitionseventsv1.Admissibility, checklist *petitionseventsv1.Checklist, reasons string) (Name, uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return Name{}, 0, err
	}
	c, err := s.ParseCouncil(n.Council)
	if err != nil {
		return Name{}, 0, err
	}
	head, err := s.Store.LastPosition(ctx)
	if err != nil {
		return Name{}, 0, err
	}
	if err := s.Runner.WaitFor(ctx, head); err != nil {
		return Name{}, 0, err
	}
	var provinces []string
	if c.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION {
		provinces = s.Councils.ChildCodes(c.Code)
	}
	pos, err := s.execute(ctx, actor, n, func(st domain.State) (domain.Command, error) {
		p, _ := s.lookup(n)
		byProvince := map[string]int{}
		for k, v := range p.ByProvince {
			byProvince[k] = int(v)
		}
		byAssurance := map[petitionseventsv1.SignatureAssurance]int{}
		for k, v := range p.ByAssurance {
			byAssurance[k] = int(v)
		}
		// The threshold of the rulebook in force on the deposit date.
		rb := s.RulebookOn(c, depositDay(st, s.Now()))
		threshold := rb.SignatureThreshold(c)
		return domain.DecideAdmissibility{
			Decision: decision, Checklist: checklist, Reasons: reasons,
			Signatures: domain.Tally{Valid: int(p.Valid), ByProvince: byProvince, ByAssurance: byAssurance},
			Threshold:  threshold, ProvinceMinimum: rb.PerProvinceMinimum(threshold), Provinces: provinces,
			CountedAssurance: rb.CountedAssurance,
		}, nil
	})
	return n, pos, err
}

// depositDay is the day that matters for a petition's threshold and
// deadline: the day it was received (as corrected), or now before deposit.
func depositDay(st domain.State, now time.Time) time.Time {
	if !st.ReceivedAt.IsZero() {
		return st.ReceivedAt
	}
	return now
}

// RulebookOf returns the rulebook that applies to a petition: the one in
// force on its deposit day (today before deposit).
func (s *Service) RulebookOf(c tdomain.Council, st domain.State) tdomain.Rulebook {
	return s.RulebookOn(c, depositDay(st, s.Now()))
}

// ThresholdOf returns the signature threshold that applies to a petition:
// that of the rulebook in force on its deposit day (today before deposit).
func (s *Service) ThresholdOf(c tdomain.Council, st domain.State) int {
	return s.RulebookOf(c, st).SignatureThreshold(c)
}
