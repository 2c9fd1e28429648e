// Package integrity checks what the service reads back from its event log
// (DESIGN.md "Integrity on every read"): every event's hash, its stream's
// chain and the log's positions, before a read model applies it or the
// checkpointer signs a tree over it. A failure is reported once to a
// Monitor, which logs it at ERROR with its position, counts it in the
// metrics, answers /readyz with it and makes the Guard store refuse every
// write, so nothing is ever appended over a gap or after damage.
package integrity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Kinds of damage: the reason /readyz, the metrics and the logs give.
const (
	// The stored hash does not match the event's contents.
	HashMismatch = "HASH_MISMATCH"
	// The event does not follow its stream's previous event (revision or
	// prev_hash).
	ChainBroken = "CHAIN_BROKEN"
	// The event's position does not follow the previous one's (+1).
	PositionGap = "POSITION_GAP"
	// The log disagrees with the last signed checkpoint (its root at the
	// checkpoint's size, or the checkpoint event itself).
	CheckpointMismatch = "CHECKPOINT_MISMATCH"
	// The log ends before the last signed checkpoint (or before its
	// event): its tail was lost.
	LogShorterThanCheckpoint = "LOG_SHORTER_THAN_CHECKPOINT"
	// The log ends before the position the read models had applied when
	// the service last stopped: its tail was lost.
	LogShorterThanReadModel = "LOG_SHORTER_THAN_READ_MODEL"
)

// Refusal reasons of the Guard (rows of the catalogue in server/errors.go).
const (
	ReasonLogDamaged = "LOG_DAMAGED"
	ReasonReadOnly   = "READ_ONLY"
)

// Damage is one integrity failure of the log.
type Damage struct {
	// Position is the first position found wrong (for a lost tail, the
	// first missing position).
	Position uint64
	// Kind is one of the kinds above.
	Kind string
	// Detail says what was found, for an operator (no personal data: ids,
	// hashes and positions only).
	Detail string
	// Source names the reader that found it ("read model", "checkpointer",
	// "start").
	Source string
}

func (d *Damage) Error() string {
	return fmt.Sprintf("event log damaged at position %d: %s: %s", d.Position, d.Kind, d.Detail)
}

// AsDamage returns the Damage in err's chain, or nil.
func AsDamage(err error) *Damage {
	var d *Damage
	if errors.As(err, &d) {
		return d
	}
	return nil
}

type head struct {
	revision uint64
	hash     [32]byte
}

// streamKey names a stream in the checker's map by 128 bits of two seeded
// hashes of its name rather than by the name itself: a stream a signature
// has names of ~110 bytes, and there are as many streams as signatures.
type streamKey [2]uint64

// Checker checks events read from the log in global order: each event's
// hash, its stream's chain (revision +1, prev_hash = hash of the stream's
// previous event) and the log's positions (+1). It keeps the last hash of
// each stream it has seen (about 80 bytes a stream). Not safe for
// concurrent use.
type Checker struct {
	// Previous, if set, reads the event of stream at revision: the checker
	// asks it for the predecessor of the first event it meets of a stream
	// it has not seen from its start (a reader resumed from a snapshot).
	// Without it such an event's chain is taken as given.
	Previous func(ctx context.Context, stream string, revision uint64) (eventstore.Event, error)
	// Source names the reader in the Damage reports.
	Source string

	heads map[streamKey]head
	seeds [2]maphash.Seed
	last  uint64 // position of the last event checked (or the start)
	fresh bool   // started from position 0: every stream is seen from its first event
}

// Start resets the checker to follow the log after position (0: from its
// start).
func (c *Checker) Start(position uint64) {
	c.heads = make(map[streamKey]head)
	c.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	c.last = position
	c.fresh = position == 0
}

// Last returns the position of the last event checked.
func (c *Checker) Last() uint64 { return c.last }

func (c *Checker) damage(pos uint64, kind, format string, args ...any) *Damage {
	return &Damage{Position: pos, Kind: kind, Detail: fmt.Sprintf(format, args...), Source: c.Source}
}

// Check checks the next event. It returns a *Damage when the event does
// not verify, another error when the predecessor could not be read, and
// nil when it verifies (then it becomes the last event of its stream).
func (c *Checker) Check(ctx context.Context, e *eventstore.Event) error {
	if c.heads == nil {
		c.Start(c.last)
	}
	if e.Position != c.last+1 {
		if e.Position <= c.last {
			return c.damage(e.Position, PositionGap, "event %s at position %d follows position %d", e.ID, e.Position, c.last)
		}
		return c.damage(c.last+1, PositionGap, "position %d is missing: the event after position %d is at position %d (event %s)",
			c.last+1, c.last, e.Position, e.ID)
	}
	got := eventstore.ComputeHash(e)
	if !bytes.Equal(got, e.Hash) {
		return c.damage(e.Position, HashMismatch, "event %s (stream %s revision %d): stored hash %x, recomputed %x",
			e.ID, e.Stream, e.Revision, e.Hash, got)
	}
	key := streamKey{maphash.String(c.seeds[0], e.Stream), maphash.String(c.seeds[1], e.Stream)}
	h, seen := c.heads[key]
	switch {
	case seen:
		if e.Revision != h.revision+1 {
			return c.damage(e.Position, ChainBroken, "event %s in stream %s has revision %d, the stream's previous event has %d",
				e.ID, e.Stream, e.Revision, h.revision)
		}
		if !bytes.Equal(e.PrevHash, h.hash[:]) {
			return c.damage(e.Position, ChainBroken, "event %s in stream %s revision %d: prev_hash %x, the previous event's hash is %x",
				e.ID, e.Stream, e.Revision, e.PrevHash, h.hash)
		}
	case e.Revision == 0:
		if len(e.PrevHash) != 0 {
			return c.damage(e.Position, ChainBroken, "event %s opens stream %s but has prev_hash %x", e.ID, e.Stream, e.PrevHash)
		}
	case c.fresh:
		return c.damage(e.Position, ChainBroken, "event %s in stream %s has revision %d, but the stream has no earlier event in the log",
			e.ID, e.Stream, e.Revision)
	case c.Previous != nil:
		prev, err := c.Previous(ctx, e.Stream, e.Revision-1)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return c.damage(e.Position, ChainBroken, "event %s in stream %s has revision %d, but the stream has no earlier event",
				e.ID, e.Stream, e.Revision)
		}
		if err != nil {
			return fmt.Errorf("integrity: read the event before %s: %w", e.ID, err)
		}
		if prev.Revision != e.Revision-1 || prev.Position >= e.Position || !bytes.Equal(prev.Hash, e.PrevHash) ||
			!bytes.Equal(eventstore.ComputeHash(&prev), prev.Hash) {
			return c.damage(e.Position, ChainBroken, "event %s in stream %s revision %d: prev_hash %x does not match the stream's event at revision %d (hash %x)",
				e.ID, e.Stream, e.Revision, e.PrevHash, prev.Revision, prev.Hash)
		}
	}
	var nh head
	nh.revision = e.Revision
	copy(nh.hash[:], e.Hash)
	c.heads[key] = nh
	c.last = e.Position
	return nil
}

// PreviousFrom returns a Checker.Previous reading store.
func PreviousFrom(store eventstore.Store) func(context.Context, string, uint64) (eventstore.Event, error) {
	return func(ctx context.Context, stream string, revision uint64) (eventstore.Event, error) {
		evs, err := store.ReadStream(ctx, stream, revision, 1)
		if err != nil {
			return eventstore.Event{}, err
		}
		if len(evs) == 0 {
			return eventstore.Event{}, eventstore.ErrStreamNotFound
		}
		return evs[0], nil
	}
}

// Monitor holds the integrity state of the service: the first damage
// found, if any. Its methods are safe for concurrent use, and on a nil
// Monitor (which never reports damage).
type Monitor struct {
	logger   *slog.Logger
	failures *prometheus.CounterVec
	ok       prometheus.Gauge

	mu     sync.Mutex
	damage *Damage
}

// NewMonitor returns a Monitor logging to logger (default slog.Default()).
func NewMonitor(logger *slog.Logger) *Monitor {
	if logger == nil {
		logger = slog.Default()
	}
	m := &Monitor{
		logger: logger,
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tasharuk_integrity_failures_total",
			Help: "Integrity failures of the event log found, by kind and by the reader that found them.",
		}, []string{"kind", "source"}),
		ok: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tasharuk_integrity_ok",
			Help: "1 while every event read back from the log verified, 0 once damage was found (writes are then refused).",
		}),
	}
	m.ok.Set(1)
	return m
}

// Collectors are the Monitor's metrics, to register.
func (m *Monitor) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.failures, m.ok}
}

// Report records damage: logs it at ERROR with its position, counts it,
// and, if it is the first (or lies before the one known), makes it the
// damage Damage returns.
func (m *Monitor) Report(d *Damage) {
	if m == nil || d == nil {
		return
	}
	m.logger.Error("integrity: the event log is damaged; no checkpoint is signed and every write is refused",
		"position", d.Position, "reason", d.Kind, "source", d.Source, "detail", d.Detail)
	m.failures.WithLabelValues(d.Kind, d.Source).Inc()
	m.ok.Set(0)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.damage == nil || d.Position < m.damage.Position {
		m.damage = d
	}
}

// ReportErr reports err if it carries a Damage, and returns err.
func (m *Monitor) ReportErr(err error) error {
	if d := AsDamage(err); d != nil {
		m.Report(d)
	}
	return err
}

// Damage returns the damage found (the earliest reported), or nil.
func (m *Monitor) Damage() *Damage {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.damage
}

// Guard is the store given to everything that writes: it refuses every
// Append once the Monitor knows of damage (so nothing is appended over a
// gap or after an altered event) and, with ReadOnly, always. Reads pass
// through.
type Guard struct {
	eventstore.Store
	Monitor  *Monitor
	ReadOnly bool
}

// Append refuses while the log is damaged or the service is read-only.
func (g *Guard) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.Proposed) (eventstore.AppendResult, error) {
	if err := g.Refusal(); err != nil {
		return eventstore.AppendResult{}, err
	}
	return g.Store.Append(ctx, stream, expected, events)
}

// AppendMulti refuses while the log is damaged or the service is read-only.
func (g *Guard) AppendMulti(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := g.Refusal(); err != nil {
		return nil, err
	}
	return g.Store.AppendMulti(ctx, appends)
}

// Refusal returns the error every write gets now, or nil.
func (g *Guard) Refusal() error {
	if g.ReadOnly {
		return fault.New(fault.FailedPrecondition, ReasonReadOnly,
			"the service runs read-only (serve --read-only): it serves reads and exports and records nothing")
	}
	if d := g.Monitor.Damage(); d != nil {
		return fault.New(fault.Unavailable, ReasonLogDamaged,
			"the event log is damaged at position %d (%s): nothing is recorded until an operator repairs it; reads and exports still work",
			d.Position, d.Kind)
	}
	return nil
}
