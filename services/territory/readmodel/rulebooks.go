// Package readmodel holds the territory context's read models.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// Rulebooks answers "which petition rules were in force for this council
// on this day?" from the recorded rulebook amendments and councils'
// internal rules (DESIGN.md "Rulebooks are data"). It is a read model of
// the runner (projections.ReadModel): Apply sees every event of the log in
// order and keeps the rulebook ones. Safe for concurrent use.
type Rulebooks struct {
	mu       sync.RWMutex
	levels   map[territoryeventsv1.CouncilLevel][]domain.RulebookVersion
	councils map[string][]domain.RulebookVersion // by council code
	// events are the applied rulebook events, for snapshots.
	events []snapEvent
}

// snapEvent is one applied rulebook event in a snapshot.
type snapEvent struct {
	Type       string
	Payload    []byte
	RecordedAt time.Time
}

// NewRulebooks returns an empty read model.
func NewRulebooks() *Rulebooks {
	return &Rulebooks{levels: map[territoryeventsv1.CouncilLevel][]domain.RulebookVersion{}, councils: map[string][]domain.RulebookVersion{}}
}

// Name is the read model's section in the snapshot file.
func (r *Rulebooks) Name() string { return "territory.rulebooks" }

// Apply keeps a rulebook event; every other event is ignored.
func (r *Rulebooks) Apply(e *eventstore.Event, payload proto.Message) error {
	switch payload.(type) {
	case *territoryeventsv1.RulebookAmended, *territoryeventsv1.CouncilRulesSet:
	default:
		return nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(payload)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(payload, e.RecordedAt)
	r.events = append(r.events, snapEvent{Type: string(payload.ProtoReflect().Descriptor().Name()), Payload: b, RecordedAt: e.RecordedAt})
	return nil
}

// add folds one event. Lock held.
func (r *Rulebooks) add(payload proto.Message, recordedAt time.Time) {
	v, ok := domain.VersionOf(payload, recordedAt)
	if !ok {
		return
	}
	switch p := payload.(type) {
	case *territoryeventsv1.RulebookAmended:
		r.levels[p.GetLevel()] = append(r.levels[p.GetLevel()], v)
	case *territoryeventsv1.CouncilRulesSet:
		r.councils[p.GetCouncilCode()] = append(r.councils[p.GetCouncilCode()], v)
	}
}

// Snapshot encodes the applied rulebook events.
func (r *Rulebooks) Snapshot() ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(r.events); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Restore replaces the content with a snapshot's (empty for nil data).
func (r *Rulebooks) Restore(data []byte) error {
	var evs []snapEvent
	if len(data) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&evs); err != nil {
			return fmt.Errorf("rulebooks: restore: %w", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.levels = map[territoryeventsv1.CouncilLevel][]domain.RulebookVersion{}
	r.councils = map[string][]domain.RulebookVersion{}
	r.events = nil
	for _, e := range evs {
		var m proto.Message
		switch e.Type {
		case "RulebookAmended":
			m = &territoryeventsv1.RulebookAmended{}
		case "CouncilRulesSet":
			m = &territoryeventsv1.CouncilRulesSet{}
		default:
			return fmt.Errorf("rulebooks: restore: unknown event %q", e.Type)
		}
		if err := proto.Unmarshal(e.Payload, m); err != nil {
			return fmt.Errorf("rulebooks: restore: %w", err)
		}
		r.add(m, e.RecordedAt)
		r.events = append(r.events, e)
	}
	return nil
}

// Versions returns every recorded version for council c (its level's
// amendments and its own internal rules) in the order they take effect.
func (r *Rulebooks) Versions(c domain.Council) []domain.RulebookVersion {
	r.mu.RLock()
	defer r.mu.RUnlock()
	vs := append(append([]domain.RulebookVersion(nil), r.levels[c.Level]...), r.councils[c.Code]...)
	return domain.InForceOrder(vs)
}

// On returns the rulebook in force for council c on day on (its time of
// day is ignored: rules take effect from midnight UTC of their effective
// day).
func (r *Rulebooks) On(c domain.Council, on time.Time) domain.Rulebook {
	u := on.UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	return domain.RulebookOn(c.Level, r.Versions(c), day)
}
