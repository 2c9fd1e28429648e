// Package readmodel is the petitions context's read model: every
// petition with its timeline, its stored events (for as-of folds) and its
// signature book, and the erased signers, from the petition.*,
// signature.* and privacy.* streams. The projections runner feeds it
// (Apply); the petitions service, the audit trail and the status figures
// query it. It needs no other context's facts: petitions are keyed by
// their council's code, and the roll-ups over the council tree are
// services/status's, which composes this model with territory's.
package readmodel

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// StoredEvent is an event as the log holds it (projections.StoredEvent).
type StoredEvent = projections.StoredEvent

// AsOf chooses the past a query looks at (projections.AsOf).
type AsOf = projections.AsOf

// Petitions is the read model. It is safe for concurrent use: Apply takes
// the write lock, queries the read lock.
type Petitions struct {
	reg *es.Registry

	mu sync.RWMutex
	// Petitions and their signature books are keyed by the petition's
	// whole resource name ("communes/50910113/petitions/<id>"), never by
	// id alone: two councils' petitions with the same id are two cases.
	petitions map[string]*Petition      // by resource name
	streams   map[string]*Petition      // "<council code>.<id>" (the stream's suffix) → petition
	byID      map[string][]string       // petition id → resource names with a petition or a book
	byCouncil map[string][]*Petition    // council code → petitions, in drafting order
	books     map[string]*signatureBook // petition resource name → signatures
	erased    map[[32]byte]struct{}     // signer keys of erased persons
	provinces map[string]string         // interned province codes
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
	// ByAssurance counts the valid signatures by level of assurance
	// (signatures recorded before levels read as pdomain.AssuranceOf says).
	// It is derived from the SignatureAdded events the digest covers, and
	// left out of the digest (json "-"), which stays the pre-split model's
	// (testdata/prelog); the snapshot (gob) keeps it.
	ByAssurance map[petitionseventsv1.SignatureAssurance]int32 `json:"-"`
	// History keeps the petition's events as stored, so its state at any
	// past position or time can be folded again (as-of queries).
	History []StoredEvent
	// Signatures records each change of the valid count, in log order.
	Signatures []SignatureChange
}

// SignatureChange is one signature added (+1) or ended (-1).
type SignatureChange struct {
	Position   uint64
	OccurredAt int64 // Unix nanoseconds
	Delta      int8
	Province   string
	// Assurance is the signature's level (out of the digest, as
	// Petition.ByAssurance).
	Assurance petitionseventsv1.SignatureAssurance `json:"-"`
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
	status    uint8
	assurance petitionseventsv1.SignatureAssurance
	province  string
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

// New returns an empty model; reg decodes stored events for as-of folds.
func New(reg *es.Registry) *Petitions {
	return &Petitions{
		reg:       reg,
		petitions: map[string]*Petition{},
		streams:   map[string]*Petition{},
		byID:      map[string][]string{},
		byCouncil: map[string][]*Petition{},
		books:     map[string]*signatureBook{},
		erased:    map[[32]byte]struct{}{},
		provinces: map[string]string{},
	}
}

// Name is the model's section in the snapshot file.
func (m *Petitions) Name() string { return "petitions" }

// Apply applies an event of a petition, signature or privacy stream; it
// ignores other streams.
func (m *Petitions) Apply(e *eventstore.Event, payload proto.Message) error {
	// The stream formats are the context's domain/streams.go.
	switch pdomain.Category(e.Stream) {
	case pdomain.PetitionCategory:
		m.mu.Lock()
		defer m.mu.Unlock()
		code, id, _ := pdomain.ParsePetitionStream(e.Stream)
		m.applyPetition(code, id, e, payload)
	case pdomain.SignatureCategory:
		// The stream names the petition by id only; SignatureAdded names
		// it in full, and a signer key is keyed to its council
		// (privacy.Keys.SignerKey).
		m.mu.Lock()
		defer m.mu.Unlock()
		pid, key, _ := pdomain.ParseSignatureStream(e.Stream)
		return m.applySignature(pid, key, e, payload)
	case pdomain.PrivacyCategory:
		if pe, ok := payload.(*petitionseventsv1.PersonDataErased); ok {
			key, err := decodeKey(pe.GetSignerKey())
			if err != nil {
				return err
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			m.erased[key] = struct{}{}
		}
	}
	return nil
}

// PetitionName is a petition's resource name from its council's resource
// name and its id.
func PetitionName(council, id string) string { return council + "/petitions/" + id }

// indexID records that name is a petition (or a book) with id. Lock held.
func (m *Petitions) indexID(id, name string) {
	for _, n := range m.byID[id] {
		if n == name {
			return
		}
	}
	m.byID[id] = append(m.byID[id], name)
}

func (m *Petitions) applyPetition(code, id string, e *eventstore.Event, payload proto.Message) {
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
	p.History = append(p.History, projections.Stored(e))
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
func (m *Petitions) signatureOwner(pid string, key [32]byte, payload proto.Message) string {
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

func (m *Petitions) applySignature(pid, hexKey string, e *eventstore.Event, payload proto.Message) error {
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
		sig = signature{status: sigValid, assurance: pdomain.AssuranceOf(pl), province: m.intern(pl.GetProvince()), position: e.Position}
		b.sigs[key] = sig
		b.order = append(b.order, key)
		if p != nil {
			p.Signatures = append(p.Signatures, SignatureChange{Position: e.Position, OccurredAt: e.OccurredAt.UnixNano(), Delta: 1, Province: sig.province, Assurance: sig.assurance})
			p.Valid++
			p.countLevel(sig.assurance, 1)
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
			p.Signatures = append(p.Signatures, SignatureChange{Position: e.Position, OccurredAt: e.OccurredAt.UnixNano(), Delta: -1, Province: sig.province, Assurance: sig.assurance})
			p.Valid--
			p.countLevel(sig.assurance, -1)
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

// countLevel adds delta to the valid signatures of a level.
func (p *Petition) countLevel(level petitionseventsv1.SignatureAssurance, delta int32) {
	if p.ByAssurance == nil {
		p.ByAssurance = map[petitionseventsv1.SignatureAssurance]int32{}
	}
	p.ByAssurance[level] += delta
	if p.ByAssurance[level] == 0 {
		delete(p.ByAssurance, level)
	}
}

// intern shares province strings between signatures. Lock held.
func (m *Petitions) intern(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := m.provinces[s]; ok {
		return c
	}
	m.provinces[s] = s
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
