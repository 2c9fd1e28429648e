// Package projections builds tasharuk's read models from the event log: the
// councils, every petition with its timeline and signature counts, and the
// status figures of each council and region. A Model is fed events in log
// order (Apply), can be snapshotted with its position and resumed, and can
// always be rebuilt from zero: the same events give the same Digest.
// Queries that depend on time take the clock as an argument, so overdue
// cases are computed against an injected clock.
package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Model is the read model. It is safe for concurrent use: Apply takes the
// write lock, queries the read lock.
type Model struct {
	reg *es.Registry

	mu       sync.RWMutex
	position uint64
	advanced chan struct{} // closed and replaced whenever position moves

	councils map[string]*tdomain.Council // by code
	children map[string][]string         // parent code → child codes
	// Petitions and their signature books are keyed by the petition's
	// whole resource name ("communes/50910113/petitions/<id>"), never by
	// id alone: two councils' petitions with the same id are two cases.
	petitions map[string]*Petition      // by resource name
	streams   map[string]*Petition      // "<council code>.<id>" (the stream's suffix) → petition
	byID      map[string][]string       // petition id → resource names with a petition or a book
	byCouncil map[string][]*Petition    // council code → petitions, in drafting order
	books     map[string]*signatureBook // petition resource name → signatures
	erased    map[[32]byte]struct{}     // signer keys of erased persons
	unknown   int                       // events of types this model does not know
	// mech holds advisory bodies, consultations and surveys.
	mech mechanisms
	// recorded maps positions to recording times (running maximum, so it
	// can be searched) for as-of-time queries.
	recorded []timeAt
	// head gives the log's last position (SetHead, in head.go).
	head func(context.Context) (uint64, error)
}

type timeAt struct {
	Position uint64
	MaxNanos int64
}

// Petition is one petition as the read model holds it.
type Petition struct {
	State           pdomain.State
	Revision        uint64
	DepositPosition uint64
	Timeline        []TimelineEntry
	Valid           int32
	Withdrawn       int32
	Struck          int32
	ByProvince      map[string]int32
	// History keeps the petition's events as stored, so its state at any
	// past position or time can be folded again (as-of queries).
	History []StoredEvent
	// Signatures records each change of the valid count, in log order.
	Signatures []SignatureChange
}

// StoredEvent is an event as the log holds it, without decoding.
type StoredEvent struct {
	ID         string
	Type       string
	Version    uint32
	Payload    []byte
	OccurredAt time.Time
	RecordedAt time.Time
	Actor      eventstore.Actor
	Position   uint64
	Revision   uint64
	Hash       []byte
	PrevHash   []byte
}

// SignatureChange is one signature added (+1) or ended (-1).
type SignatureChange struct {
	Position   uint64
	OccurredAt int64 // Unix nanoseconds
	Delta      int8
	Province   string
}

// TimelineEntry is one act on a petition.
type TimelineEntry struct {
	EventID    string
	Type       string
	Summary    string
	OccurredAt time.Time
	RecordedAt time.Time
	ActorRole  string
	Actor      string
	Position   uint64
	Hash       []byte
	StateAfter petitionseventsv1.PetitionState
}

// Signature statuses in a book.
const (
	sigValid uint8 = iota + 1
	sigWithdrawn
	sigStruck
)

type signature struct {
	status   uint8
	province string
	// position of the SignatureAdded event, where the encrypted name is.
	position uint64
}

// signatureBook holds one petition's signatures by signer key. Keys are
// kept as 32 raw bytes: a million signatures fit in well under 100 MB.
type signatureBook struct {
	sigs map[[32]byte]signature
	// order lists the keys in the order the signatures were recorded.
	order [][32]byte
}

// New returns an empty model.
func New(reg *es.Registry) *Model {
	return &Model{
		reg:       reg,
		advanced:  make(chan struct{}),
		councils:  map[string]*tdomain.Council{},
		children:  map[string][]string{},
		petitions: map[string]*Petition{},
		streams:   map[string]*Petition{},
		byID:      map[string][]string{},
		byCouncil: map[string][]*Petition{},
		books:     map[string]*signatureBook{},
		erased:    map[[32]byte]struct{}{},
		mech:      newMechanisms(),
	}
}

// Position is the position of the last event applied.
func (m *Model) Position() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.position
}

// ErrBehind: the model did not reach the position asked for in time.
var ErrBehind = errors.New("projections: read model has not reached the requested position")

// WaitFor waits until the model has applied position pos (read-your-writes)
// or ctx ends; it waits at most 10 seconds. A position past the log's head
// (when SetHead gave the model one) fails at once with an *AheadOfLogError:
// nothing has been written there, so no wait would reach it.
func (m *Model) WaitFor(ctx context.Context, pos uint64) error {
	if pos == 0 {
		return nil
	}
	m.mu.RLock()
	at, head := m.position, m.head
	m.mu.RUnlock()
	if at < pos && head != nil {
		// The log's head is read after the model's position, so a write the
		// caller has seen acknowledged is at or below it; if the head cannot
		// be read, wait as before.
		if h, err := head(ctx); err == nil && pos > h {
			return &AheadOfLogError{Head: h, Asked: pos}
		}
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		m.mu.RLock()
		at, ch := m.position, m.advanced
		m.mu.RUnlock()
		if at >= pos {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			return fmt.Errorf("%w: at %d, asked for %d", ErrBehind, at, pos)
		}
	}
}

// Apply applies one event. Events must come in log order; an event at or
// below the current position is ignored (a subscription that restarted).
func (m *Model) Apply(e eventstore.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Position != 0 && e.Position <= m.position {
		return nil
	}
	if err := m.apply(&e); err != nil {
		return fmt.Errorf("projections: event %s at %d (%s): %w", e.ID, e.Position, e.Type, err)
	}
	if e.Position != 0 {
		m.position = e.Position
		t := e.RecordedAt.UnixNano()
		if n := len(m.recorded); n > 0 && m.recorded[n-1].MaxNanos > t {
			t = m.recorded[n-1].MaxNanos
		}
		m.recorded = append(m.recorded, timeAt{Position: e.Position, MaxNanos: t})
	}
	close(m.advanced)
	m.advanced = make(chan struct{})
	return nil
}

func (m *Model) apply(e *eventstore.Event) error {
	if !m.reg.Known(e.Type, e.SchemaVersion) {
		m.unknown++
		return nil
	}
	payload, err := m.reg.DecodeEvent(e)
	if err != nil {
		return err
	}
	// The stream formats are each context's domain/streams.go.
	switch pdomain.Category(e.Stream) {
	case tdomain.CouncilCategory:
		m.applyCouncil(payload)
	case pdomain.PetitionCategory:
		code, id, _ := pdomain.ParsePetitionStream(e.Stream)
		m.applyPetition(code, id, e, payload)
	case pdomain.SignatureCategory:
		// The stream names the petition by id only; SignatureAdded names
		// it in full, and a signer key is keyed to its council
		// (privacy.Keys.SignerKey).
		pid, key, _ := pdomain.ParseSignatureStream(e.Stream)
		return m.applySignature(pid, key, e, payload)
	case adomain.BodyCategory:
		m.applyBody(e, payload)
	case cdomain.ConsultationCategory:
		m.applyConsultation(e, payload)
	case cdomain.SurveyCategory:
		m.applySurvey(e, payload)
	case pdomain.PrivacyCategory:
		if pe, ok := payload.(*petitionseventsv1.PersonDataErased); ok {
			key, err := decodeKey(pe.GetSignerKey())
			if err != nil {
				return err
			}
			m.erased[key] = struct{}{}
		}
	}
	return nil
}

func (m *Model) applyCouncil(payload proto.Message) {
	var code string
	switch p := payload.(type) {
	case *territoryeventsv1.CouncilRegistered:
		code = p.GetCode()
	case *territoryeventsv1.CouncilPopulationRecorded:
		code = p.GetCode()
	default:
		return
	}
	var st tdomain.State
	if c, ok := m.councils[code]; ok {
		st = tdomain.State{Registered: true, Council: *c}
	}
	st = tdomain.Evolve(st, payload)
	if !st.Registered {
		return
	}
	if _, existed := m.councils[code]; !existed && st.Council.ParentCode != "" {
		m.children[st.Council.ParentCode] = append(m.children[st.Council.ParentCode], code)
	}
	c := st.Council
	m.councils[code] = &c
}

// PetitionName is a petition's resource name from its council's resource
// name and its id.
func PetitionName(council, id string) string { return council + "/petitions/" + id }

// indexID records that name is a petition (or a book) with id. Lock held.
func (m *Model) indexID(id, name string) {
	for _, n := range m.byID[id] {
		if n == name {
			return
		}
	}
	m.byID[id] = append(m.byID[id], name)
}

func (m *Model) applyPetition(code, id string, e *eventstore.Event, payload proto.Message) {
	p := m.streams[code+"."+id]
	if p == nil {
		d, ok := payload.(*petitionseventsv1.PetitionDrafted)
		// The draft's council must be the stream's: a petition is the
		// case of the council whose stream holds it.
		if !ok || councilCode(d.GetCouncil()) != code || d.GetPetitionId() != id {
			return
		}
		name := PetitionName(d.GetCouncil(), id)
		if m.petitions[name] != nil {
			return
		}
		p = &Petition{ByProvince: map[string]int32{}}
		m.petitions[name] = p
		m.streams[code+"."+id] = p
		m.indexID(id, name)
		m.byCouncil[code] = append(m.byCouncil[code], p)
	}
	p.State = pdomain.Evolve(p.State, pdomain.Recorded{
		ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor,
	})
	p.History = append(p.History, stored(e))
	p.Revision = e.Revision
	if _, ok := payload.(*petitionseventsv1.PetitionDeposited); ok {
		p.DepositPosition = e.Position
	}
	p.Timeline = append(p.Timeline, TimelineEntry{
		EventID: e.ID, Type: e.Type, Summary: summarize(payload), OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt,
		ActorRole: e.Actor.Role, Actor: e.Actor.Subject, Position: e.Position, Hash: e.Hash, StateAfter: p.State.Status,
	})
}

// signatureOwner returns the resource name of the petition a signature
// event belongs to, or "" when it cannot be told. SignatureAdded names its
// petition in full (it must agree with the stream's id); a withdrawal or a
// strike belongs to the petition with that id whose book holds the signer
// key (signer keys are keyed to the council, so a key is never in two
// councils' books). Lock held.
func (m *Model) signatureOwner(pid string, key [32]byte, payload proto.Message) string {
	if added, ok := payload.(*petitionseventsv1.SignatureAdded); ok {
		name := added.GetPetition()
		if name == "" {
			// Not expected in any log; attribute only if the id is unique.
			if names := m.byID[pid]; len(names) == 1 {
				return names[0]
			}
			return ""
		}
		if !strings.HasSuffix(name, "/petitions/"+pid) {
			return ""
		}
		return name
	}
	for _, name := range m.byID[pid] {
		if b := m.books[name]; b != nil {
			if _, ok := b.sigs[key]; ok {
				return name
			}
		}
	}
	return ""
}

func (m *Model) applySignature(pid, hexKey string, e *eventstore.Event, payload proto.Message) error {
	key, err := decodeKey(hexKey)
	if err != nil {
		return err
	}
	switch payload.(type) {
	case *petitionseventsv1.SignatureAdded, *petitionseventsv1.SignatureWithdrawn, *petitionseventsv1.SignatureStruck:
	default:
		return nil
	}
	name := m.signatureOwner(pid, key, payload)
	if name == "" {
		return nil
	}
	b := m.books[name]
	if b == nil {
		b = &signatureBook{sigs: map[[32]byte]signature{}}
		m.books[name] = b
		m.indexID(pid, name)
	}
	p := m.petitions[name]
	sig, had := b.sigs[key]
	switch pl := payload.(type) {
	case *petitionseventsv1.SignatureAdded:
		if had {
			return nil
		}
		sig = signature{status: sigValid, province: m.intern(pl.GetProvince()), position: e.Position}
		b.sigs[key] = sig
		b.order = append(b.order, key)
		if p != nil {
			p.Signatures = append(p.Signatures, SignatureChange{Position: e.Position, OccurredAt: e.OccurredAt.UnixNano(), Delta: 1, Province: sig.province})
			p.Valid++
			if sig.province != "" {
				p.ByProvince[sig.province]++
			}
		}
	case *petitionseventsv1.SignatureWithdrawn, *petitionseventsv1.SignatureStruck:
		if !had || sig.status != sigValid {
			return nil
		}
		if _, w := pl.(*petitionseventsv1.SignatureWithdrawn); w {
			sig.status = sigWithdrawn
		} else {
			sig.status = sigStruck
		}
		b.sigs[key] = sig
		if p != nil {
			p.Signatures = append(p.Signatures, SignatureChange{Position: e.Position, OccurredAt: e.OccurredAt.UnixNano(), Delta: -1, Province: sig.province})
			p.Valid--
			if sig.status == sigWithdrawn {
				p.Withdrawn++
			} else {
				p.Struck++
			}
			if sig.province != "" {
				p.ByProvince[sig.province]--
			}
		}
	}
	return nil
}

// intern shares province strings between signatures.
func (m *Model) intern(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := m.councils[s]; ok {
		return c.Code
	}
	return s
}

func decodeKey(h string) ([32]byte, error) {
	var k [32]byte
	if len(h) != 64 {
		return k, fmt.Errorf("signer key %q is not 64 hex characters", h)
	}
	for i := 0; i < 32; i++ {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return k, fmt.Errorf("signer key %q is not hex", h)
		}
		k[i] = hi<<4 | lo
	}
	return k, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// councilCode returns the code of a council resource name ("communes/x").
func councilCode(name string) string {
	_, code, _ := strings.Cut(name, "/")
	return code
}

func summarize(p proto.Message) string {
	switch e := p.(type) {
	case *petitionseventsv1.PetitionDrafted:
		return "Petition drafted: " + e.GetTitle()
	case *petitionseventsv1.PetitionOpenedForSignatures:
		return "Opened for signatures"
	case *petitionseventsv1.PetitionDeposited:
		return fmt.Sprintf("Deposited, receipt %s, decision due by %s", e.GetReceiptNumber(), e.GetDecisionDeadline().AsTime().Format("2006-01-02"))
	case *petitionseventsv1.PetitionReferredToBureau:
		return "Referred to the bureau for admissibility"
	case *petitionseventsv1.AdmissibilityDecided:
		if e.GetDecision() == petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE {
			return fmt.Sprintf("Declared admissible (%d valid signatures, %d required)", e.GetValidSignatures(), e.GetThreshold())
		}
		return "Declared inadmissible: " + e.GetReasons()
	case *petitionseventsv1.PetitionScheduled:
		return "Scheduled on the " + e.GetSession() + " ordinary session"
	case *petitionseventsv1.PetitionReferredToCommittee:
		return "Referred to the " + e.GetCommittee()
	case *petitionseventsv1.CommitteeReportRecorded:
		return "Committee reported: " + e.GetSummary()
	case *petitionseventsv1.PetitionDeliberated:
		return "Council deliberated: " + strings.TrimPrefix(e.GetOutcome().String(), "DELIBERATION_OUTCOME_") + ". " + e.GetSummary()
	case *petitionseventsv1.AgentNotified:
		return "Agent notified of the " + strings.ToLower(strings.TrimPrefix(e.GetSubject().String(), "NOTIFICATION_SUBJECT_")) + " by " + e.GetChannel()
	case *petitionseventsv1.PetitionWithdrawn:
		return "Withdrawn by its agent"
	case *petitionseventsv1.PetitionClosed:
		return "Closed"
	case *petitionseventsv1.RecordCorrected:
		return fmt.Sprintf("Correction of %s (event %s): %s", e.GetField(), e.GetCorrectedEventId(), e.GetReason())
	}
	return ""
}
