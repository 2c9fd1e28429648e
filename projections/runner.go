// Package projections runs tasharuk's read models over the event log
// (../shared/DESIGN.md, "Projections"): one subscription, each event
// decoded once through the es.Registry and offered, in log order and from
// one goroutine, to every registered context read model
// (services/<context>/readmodel). The runner keeps what is common to all of
// them: the position applied, the recording time of each position (as-of
// queries by time), read-your-writes (WaitFor), the log's head, one
// snapshot file with a section per read model, and the combined Digest
// (the same events give the same digest, however the models were built).
//
// It imports no context: the read models register themselves through the
// ReadModel interface.
package projections

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// ReadModel is one context's read model, fed by the Runner.
type ReadModel interface {
	// Name is its section in the snapshot file.
	Name() string
	// Apply is offered every event of the log the registry knows, in log
	// order, decoded; a model ignores other contexts' categories.
	Apply(e *eventstore.Event, payload proto.Message) error
	// Snapshot encodes the model's state; Restore replaces it with an
	// encoded state.
	Snapshot() ([]byte, error)
	Restore(data []byte) error
}

// Digester is a read model that can write its whole content, in a
// canonical order, for the Runner's Digest.
type Digester interface {
	Digest(write func(v any))
}

// TailDigester is a Digester with a part written after every model's
// Digest. Only the petitions' drafting order uses it: so the combined
// digest of a log is exactly the one the single pre-split model gave
// (testdata/prelog's golden digest, issue 15 acceptance 5).
type TailDigester interface {
	Digester
	DigestTail(write func(v any))
}

// Runner feeds the registered read models and keeps their common position.
// It is safe for concurrent use: Apply runs one event at a time; every
// read model has its own lock for its queries.
type Runner struct {
	reg    *es.Registry
	models []ReadModel
	// empty are the models' snapshots when registered (empty), to reset
	// them when a snapshot cannot be used.
	empty [][]byte

	// applying serialises Apply, snapshots and digests: the models are all
	// at the runner's position whenever it is held.
	applying sync.Mutex

	mu       sync.RWMutex
	position uint64
	advanced chan struct{} // closed and replaced whenever position moves
	unknown  int           // events of types the registry does not know
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

// New returns a runner over empty read models (their names must differ).
func New(reg *es.Registry, models ...ReadModel) *Runner {
	r := &Runner{reg: reg, models: models, advanced: make(chan struct{})}
	seen := map[string]bool{}
	for _, m := range models {
		if seen[m.Name()] {
			panic("projections: two read models named " + m.Name())
		}
		seen[m.Name()] = true
		b, err := m.Snapshot()
		if err != nil {
			panic(fmt.Sprintf("projections: read model %s cannot snapshot its empty state: %v", m.Name(), err))
		}
		r.empty = append(r.empty, b)
	}
	return r
}

// Position is the position of the last event applied.
func (r *Runner) Position() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.position
}

// ErrBehind: the model did not reach the position asked for in time.
var ErrBehind = errors.New("projections: read model has not reached the requested position")

// WaitFor waits until the read models have applied position pos
// (read-your-writes) or ctx ends; it waits at most 10 seconds. A position
// past the log's head (when SetHead gave the runner one) fails at once with
// an *AheadOfLogError: nothing has been written there, so no wait would
// reach it.
func (r *Runner) WaitFor(ctx context.Context, pos uint64) error {
	if pos == 0 {
		return nil
	}
	r.mu.RLock()
	at, head := r.position, r.head
	r.mu.RUnlock()
	if at < pos && head != nil {
		// The log's head is read after the position, so a write the caller
		// has seen acknowledged is at or below it; if the head cannot be
		// read, wait as before.
		if h, err := head(ctx); err == nil && pos > h {
			return &AheadOfLogError{Head: h, Asked: pos}
		}
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		r.mu.RLock()
		at, ch := r.position, r.advanced
		r.mu.RUnlock()
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

// Apply applies one event to every read model. Events must come in log
// order; an event at or below the current position is ignored (a
// subscription that restarted). An event of a type the registry does not
// know is counted and offered to no model. The position moves only once
// every model has applied the event, so WaitFor(pos) sees all of them.
func (r *Runner) Apply(e eventstore.Event) error {
	r.applying.Lock()
	defer r.applying.Unlock()
	if e.Position != 0 && e.Position <= r.Position() {
		return nil
	}
	known := r.reg.Known(e.Type, e.SchemaVersion)
	if known {
		payload, err := r.reg.DecodeEvent(&e)
		if err != nil {
			return fmt.Errorf("projections: event %s at %d (%s): %w", e.ID, e.Position, e.Type, err)
		}
		for _, m := range r.models {
			if err := m.Apply(&e, payload); err != nil {
				return fmt.Errorf("projections: %s: event %s at %d (%s): %w", m.Name(), e.ID, e.Position, e.Type, err)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !known {
		r.unknown++
	}
	if e.Position != 0 {
		r.position = e.Position
		t := e.RecordedAt.UnixNano()
		if n := len(r.recorded); n > 0 && r.recorded[n-1].MaxNanos > t {
			t = r.recorded[n-1].MaxNanos
		}
		r.recorded = append(r.recorded, timeAt{Position: e.Position, MaxNanos: t})
	}
	close(r.advanced)
	r.advanced = make(chan struct{})
	return nil
}

// PositionAt returns the last position recorded at or before t (0 if
// none).
func (r *Runner) PositionAt(t time.Time) uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := t.UnixNano()
	i := sort.Search(len(r.recorded), func(i int) bool { return r.recorded[i].MaxNanos > n })
	if i == 0 {
		return 0
	}
	return r.recorded[i-1].Position
}

// RecordedAt returns when the event at position pos was recorded (the
// running maximum up to it); zero if unknown.
func (r *Runner) RecordedAt(pos uint64) time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i := sort.Search(len(r.recorded), func(i int) bool { return r.recorded[i].Position >= pos })
	if i == len(r.recorded) || r.recorded[i].Position != pos {
		return time.Time{}
	}
	return time.Unix(0, r.recorded[i].MaxNanos).UTC()
}

// reset empties every read model and the runner. applying held.
func (r *Runner) reset() {
	for i, m := range r.models {
		if err := m.Restore(r.empty[i]); err != nil {
			panic(fmt.Sprintf("projections: read model %s cannot restore its empty state: %v", m.Name(), err))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.position, r.unknown, r.recorded = 0, 0, nil
	close(r.advanced)
	r.advanced = make(chan struct{})
}

// Reset empties every read model and the runner, to rebuild from zero.
func (r *Runner) Reset() {
	r.applying.Lock()
	defer r.applying.Unlock()
	r.reset()
}
