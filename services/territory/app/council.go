package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// maxAttempts bounds the tries of one command: the first and three retries
// after a concurrent write to the same council.
const maxAttempts = 4

// LoadCouncil reads the stream of the council with this code and returns
// its state, the revision of its last event, and whether it has any. A code
// that cannot name a council fails with a *domain.FieldError.
func LoadCouncil(ctx context.Context, store eventstore.Store, registry *es.Registry, code string) (state domain.State, revision uint64, exists bool, err error) {
	if !domain.ValidCode(code) {
		return domain.State{}, 0, false, &domain.FieldError{Field: "code", Problem: fmt.Sprintf("%q must be 1-%d characters of a-z, 0-9 or '-'", code, domain.MaxCodeLen)}
	}
	evs, err := store.ReadStream(ctx, domain.StreamID(code), 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return domain.State{}, 0, false, nil
	}
	if err != nil {
		return domain.State{}, 0, false, fmt.Errorf("load council %s: %w", code, err)
	}
	for i := range evs {
		m, err := registry.DecodeEvent(&evs[i])
		if err != nil {
			return domain.State{}, 0, false, fmt.Errorf("load council %s: event %d: %w", code, evs[i].Revision, err)
		}
		state = domain.Evolve(state, m)
		revision = evs[i].Revision
	}
	return state, revision, len(evs) > 0, nil
}

// loaded is a council as read from its stream.
type loaded struct {
	state    domain.State
	revision uint64
	exists   bool
}

// writer decides commands on councils and appends the events.
type writer struct {
	store    eventstore.Store
	registry *es.Registry
	now      func() time.Time
}

// outcome is what one command did.
type outcome struct {
	after    loaded
	events   []proto.Message // none when the council was already as asked
	position uint64          // of the last event appended
}

// execute decides cmdFor(state) on the council code, starting from cur
// (read from the store when nil), and appends the events. After a
// concurrent write it reads the council again and decides anew, up to
// maxAttempts times in all.
func (w writer) execute(ctx context.Context, code string, cur *loaded, cmdFor func(domain.State) any, actor eventstore.Actor, correlationID string) (outcome, error) {
	for attempt := 1; ; attempt++ {
		if cur == nil {
			s, rev, exists, err := LoadCouncil(ctx, w.store, w.registry, code)
			if err != nil {
				return outcome{}, err
			}
			cur = &loaded{state: s, revision: rev, exists: exists}
		}
		evs, err := domain.Decide(cur.state, cmdFor(cur.state))
		if err != nil {
			return outcome{after: *cur}, fmt.Errorf("council %s: %w", code, err)
		}
		if len(evs) == 0 {
			return outcome{after: *cur}, nil
		}
		proposed, err := w.propose(evs, actor, correlationID)
		if err != nil {
			return outcome{after: *cur}, err
		}
		expected := eventstore.NoStream
		if cur.exists {
			expected = eventstore.Exact(cur.revision)
		}
		res, err := w.store.Append(ctx, domain.StreamID(code), expected, proposed)
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) && attempt < maxAttempts {
			cur = nil
			continue
		}
		if err != nil {
			return outcome{after: *cur}, fmt.Errorf("council %s: %w", code, err)
		}
		after := loaded{state: cur.state, revision: res.Revision, exists: true}
		for _, e := range evs {
			after.state = domain.Evolve(after.state, e)
		}
		return outcome{after: after, events: evs, position: res.Position}, nil
	}
}

func (w writer) propose(evs []proto.Message, actor eventstore.Actor, correlationID string) ([]eventstore.Proposed, error) {
	var occurred time.Time // zero: when the store records it
	if w.now != nil {
		occurred = w.now()
	}
	out := make([]eventstore.Proposed, len(evs))
	for i, e := range evs {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("event id: %w", err)
		}
		out[i], err = w.registry.Propose(e, es.Meta{ID: id.String(), OccurredAt: occurred, Actor: actor, CorrelationID: correlationID})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
