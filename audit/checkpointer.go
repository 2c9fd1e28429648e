package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/proto"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/integrity"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

var (
	// ErrLogAltered: the log read back does not match what the checkpointer
	// knows of it (an event whose hash does not verify, a gap in positions,
	// or a recorded checkpoint whose root differs from the rebuilt tree).
	ErrLogAltered = errors.New("audit: event log does not verify")
	// ErrAlreadyRunning: Run was called on a Checkpointer that is running.
	ErrAlreadyRunning = errors.New("audit: checkpointer already running")
)

// Defaults of the Checkpointer.
const (
	DefaultEvery    = 1000
	DefaultInterval = time.Minute
)

// checkpointActor is recorded as the actor of checkpoint events.
var checkpointActor = eventstore.Actor{Subject: "audit-checkpointer", Role: "system"}

var defaultRegistry = es.NewRegistry(EventTypes)

// Checkpointer follows the log, keeps the Merkle tree over it and records
// signed checkpoints of that tree in the log.
//
// Run follows the log from position 1 (its tree lives in memory; see [Tree]
// for its size) and, every Every events or every Interval when events other
// than its own checkpoints were recorded since the last checkpoint, appends a
// CheckpointRecorded event for every event applied so far to stream
// "checkpoint.<LogName>". Checkpoint events are events of the log like any
// other and become leaves of later trees. Replaying the log, Run checks every
// event's hash, its stream's chain and its position, and every checkpoint
// already recorded on its stream against the rebuilt tree, and stops with
// ErrLogAltered on a mismatch rather than sign over an altered log
// (DESIGN.md "Integrity on every read"). With SavePath it also checks the
// log against the latest checkpoint saved beside it, which catches a lost
// tail; CatchUp does all this before the service starts writing.
//
// Run one Checkpointer per log: two would each record checkpoints. The
// other methods are safe for concurrent use with Run and with each other.
type Checkpointer struct {
	Store eventstore.Store
	// Registry encodes the checkpoint events; it must hold EventTypes
	// (default: a registry of EventTypes alone).
	Registry *es.Registry
	// Signer signs checkpoints, normally named Origin (LoadOrCreateKey).
	Signer note.Signer
	// Origin is the first line of every checkpoint, naming the log.
	Origin string
	// LogName names the checkpoint stream, "checkpoint.<LogName>".
	LogName string
	// Every is the number of events after which a checkpoint is recorded
	// (default DefaultEvery; checkpoint events do not count).
	Every int
	// Interval is the longest time between a recorded event and the next
	// checkpoint (default DefaultInterval).
	Interval time.Duration
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
	// SavePath, if set, is a file of the data folder that keeps the latest
	// signed checkpoint seen in the log (see SavedCheckpoint). At start the
	// log must reach that checkpoint's event, hold it unchanged, and have
	// that checkpoint's root at its tree size.
	SavePath string
	// PublicKey, if set, verifies the saved checkpoint's signature.
	PublicKey string
	// TreePath, if set with SavePath, is a file beside it keeping the
	// tree's leaves up to the saved checkpoint, so that a restart rebuilds
	// the tree from it, checked against the signed root, instead of from
	// the whole log (see treefile.go).
	TreePath string
	// Preload, if set, is the tree file read before the log was opened
	// (PreloadTree): CatchUp takes the tree from it rather than reading
	// the file, when it is of the saved checkpoint.
	Preload *TreePreload
	// Monitor receives the damage found; while it knows of any (found by
	// any reader), no checkpoint is signed.
	Monitor *integrity.Monitor
	// ReadOnly follows and checks the log but records no checkpoint (the
	// service runs read-only).
	ReadOnly bool

	tree     Tree
	treeFile treeFile   // guarded by mu
	ckMu     sync.Mutex // serialises checkpoint writes

	checker integrity.Checker // guarded by mu
	// trusted is the saved checkpoint read at start (nil: none), latest the
	// newest checkpoint seen in the log, savedPos the event position of the
	// one in the file. Guarded by mu.
	trusted       *SavedCheckpoint
	trustedRoot   tlog.Hash
	trustedLoaded bool
	latest        *SavedCheckpoint
	savedPos      uint64

	mu      sync.Mutex // guards what follows and tree appends
	changed chan struct{}
	kick    chan struct{}
	running bool
	// catchUp is the log's head when Run started: no checkpoint is
	// written while replaying up to it, since checkpoints already in the
	// log are still to come and a new one would duplicate them.
	catchUp int64
	runErr  error
	// nonOwn counts the applied events that are not checkpoints of this
	// log; ckSize is the tree size of the latest checkpoint recorded or
	// seen, and ckNonOwn was nonOwn when the tree had that size.
	nonOwn int64
	ckSize int64
	// ckEvents counts the checkpoint events applied from the log: the next
	// checkpoint is appended only if the checkpoint stream still holds
	// exactly these (another replica's checkpointer may have written one
	// this one has not seen yet: then this one skips instead of
	// duplicating).
	ckEvents int64
	ckNonOwn int64
}

func (c *Checkpointer) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Checkpointer) registry() *es.Registry {
	if c.Registry != nil {
		return c.Registry
	}
	return defaultRegistry
}

func (c *Checkpointer) every() int64 {
	if c.Every > 0 {
		return int64(c.Every)
	}
	return DefaultEvery
}

func (c *Checkpointer) interval() time.Duration {
	if c.Interval > 0 {
		return c.Interval
	}
	return DefaultInterval
}

func (c *Checkpointer) stream() string { return CheckpointStream(c.LogName) }

func (c *Checkpointer) validate() error {
	if c.Store == nil {
		return errors.New("audit: checkpointer has no store")
	}
	if c.Signer == nil {
		return errors.New("audit: checkpointer has no signer")
	}
	if err := validOrigin(c.Origin); err != nil {
		return err
	}
	if c.LogName == "" {
		return errors.New("audit: checkpointer has no log name")
	}
	if err := eventstore.ValidateStreamID(c.stream()); err != nil {
		return fmt.Errorf("audit: log name %q: %w", c.LogName, err)
	}
	return nil
}

// Run follows the log until ctx ends (then it returns nil) or the log
// cannot be followed or does not verify (then it returns the error). It
// may be called again after it returned; it then resumes where it stopped.
func (c *Checkpointer) Run(ctx context.Context) error {
	if err := c.validate(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return ErrAlreadyRunning
	}
	c.running = true
	c.runErr = nil
	if c.kick == nil {
		c.kick = make(chan struct{}, 1)
	}
	kick := c.kick
	c.mu.Unlock()
	head, err := c.begin(ctx)
	if err != nil {
		c.mu.Lock()
		c.running = false
		if errors.Is(err, ErrLogAltered) {
			c.runErr = err
			c.notifyLocked()
		}
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	c.catchUp = int64(head)
	c.mu.Unlock()

	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.loop(runCtx, kick)
	}()
	err = c.Store.Subscribe(runCtx, uint64(c.tree.Size())+1, c.apply)
	cancel()
	wg.Wait()
	if ctx.Err() != nil {
		err = nil
	} else if err == nil {
		err = errors.New("audit: log subscription ended")
	}

	c.mu.Lock()
	c.running = false
	c.runErr = err
	c.notifyLocked()
	c.mu.Unlock()
	if err != nil {
		c.logger().Error("audit: checkpointer stopped", "err", err)
	}
	return err
}

// loop records checkpoints when due.
func (c *Checkpointer) loop(ctx context.Context, kick <-chan struct{}) {
	t := time.NewTicker(c.interval())
	defer t.Stop()
	for {
		// A tick records a checkpoint if any event came since the latest;
		// a kick only if Every events did (it may be stale).
		var atLeast int64
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.mu.Lock()
			replaying := c.tree.Size() < c.catchUp
			c.mu.Unlock()
			if replaying {
				continue
			}
			atLeast = 1
		case <-kick:
			atLeast = c.every()
		}
		if c.ReadOnly || c.Monitor.Damage() != nil {
			continue // nothing is signed read-only, or over damage (reported already)
		}
		if _, err := c.checkpoint(ctx, atLeast); err != nil && ctx.Err() == nil {
			c.logger().Error("audit: record checkpoint", "err", err)
		}
	}
}

// apply adds one event of the log to the tree.
func (c *Checkpointer) apply(e eventstore.Event) error {
	pos := int64(e.Position)
	c.mu.Lock()
	defer c.mu.Unlock()
	size := c.tree.Size()
	if pos <= size {
		return nil // delivered again
	}
	// Position (+1), hash and the stream's chain, before the event becomes
	// a leaf of a tree that will be signed.
	if c.checker.Source == "" {
		c.checker.Source = "checkpointer"
	}
	if err := c.checker.Check(context.Background(), &e); err != nil {
		return c.alteredLocked(err)
	}
	own := e.Stream == c.stream() && e.Type == CheckpointType
	if own {
		if err := c.checkRecordedLocked(&e); err != nil {
			return err
		}
	}
	// A witness's cosignature of a checkpoint is not news to certify: were
	// it counted, every cosigned checkpoint would call for another one.
	// What it cosigned must be the log's tree, like a checkpoint.
	if e.Stream == CosignatureStream(c.LogName) && e.Type == CosignatureType {
		own = true
		if err := c.checkCosignedLocked(&e); err != nil {
			return err
		}
	}
	if err := c.tree.Append(e.Hash); err != nil {
		return err
	}
	if !own {
		c.nonOwn++
	}
	if err := c.checkTrustedLocked(&e); err != nil {
		return err
	}
	if pos == c.catchUp {
		c.saveLocked() // the replay is done: remember its latest checkpoint
	}
	due := c.nonOwn-c.ckNonOwn >= c.every() && pos >= c.catchUp
	c.notifyLocked()
	if due {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// checkRecordedLocked checks a checkpoint found on the log's checkpoint
// stream against the tree built so far, and takes it as the latest
// checkpoint.
func (c *Checkpointer) checkRecordedLocked(e *eventstore.Event) error {
	pos := int64(e.Position)
	var ck auditeventsv1.CheckpointRecorded
	if e.SchemaVersion != 1 {
		c.logger().Warn("audit: checkpoint event of unknown version", "position", pos, "version", e.SchemaVersion)
		return nil
	}
	if err := proto.Unmarshal(e.Payload, &ck); err != nil {
		return c.alteredLocked(c.mismatch(pos, "checkpoint event %s does not decode: %v", e.ID, err))
	}
	size := int64(ck.GetTreeSize())
	if size >= pos {
		return c.alteredLocked(c.mismatch(pos, "checkpoint event %s covers %d events", e.ID, size))
	}
	c.ckEvents++
	root, err := c.tree.Root(size)
	if err != nil {
		return err
	}
	if !bytes.Equal(root[:], ck.GetRootHash()) {
		return c.alteredLocked(c.mismatch(pos, "checkpoint event %s: root of the first %d events is %s, the checkpoint says %x",
			e.ID, size, root, ck.GetRootHash()))
	}
	if c.latest == nil || size > c.latest.TreeSize {
		c.latest = &SavedCheckpoint{SignedNote: ck.GetSignedNote(), TreeSize: size, Root: root.String(),
			EventPosition: uint64(pos), EventHash: hex.EncodeToString(e.Hash)}
		if pos > c.catchUp {
			c.saveLocked()
		}
	}
	if size > c.ckSize {
		c.ckSize = size
		// The events between the checkpoint's size and the checkpoint event
		// itself were recorded by others while it was being written.
		c.ckNonOwn = max(0, c.nonOwn-(pos-1-size))
	}
	return nil
}

// checkCosignedLocked checks that a recorded cosignature is of a tree the
// log holds: a log rewritten under its witnesses' recorded cosignatures
// stops the checkpointer (the witnesses' signatures themselves are checked
// by whoever trusts their keys: audit verify --witness).
func (c *Checkpointer) checkCosignedLocked(e *eventstore.Event) error {
	pos := int64(e.Position)
	if e.SchemaVersion != 1 {
		return nil
	}
	var cs auditeventsv1.CheckpointCosigned
	if err := proto.Unmarshal(e.Payload, &cs); err != nil {
		return c.alteredLocked(c.mismatch(pos, "cosignature event %s does not decode: %v", e.ID, err))
	}
	size := int64(cs.GetTreeSize())
	if cs.GetTreeSize() >= uint64(pos) {
		return c.alteredLocked(c.mismatch(pos, "cosignature event %s covers %d events", e.ID, cs.GetTreeSize()))
	}
	root, err := c.tree.Root(size)
	if err != nil {
		return err
	}
	if !bytes.Equal(root[:], cs.GetRootHash()) {
		return c.alteredLocked(c.mismatch(pos, "witness %s cosigned the first %d events with root %x, the log's root is %s: the log was rewritten after it was witnessed",
			cs.GetWitness(), size, cs.GetRootHash(), root))
	}
	return nil
}

// notifyLocked wakes the WaitFor callers.
func (c *Checkpointer) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// Checkpoint records a checkpoint now for every event applied so far and
// returns its tree size. It records nothing, and returns the size of the
// latest checkpoint, when no event was applied since that checkpoint was
// taken; it returns 0 and records nothing while the tree is empty.
func (c *Checkpointer) Checkpoint(ctx context.Context) (size int64, err error) {
	if err := c.validate(); err != nil {
		return 0, err
	}
	return c.checkpoint(ctx, 0)
}

// checkpoint records a checkpoint: with atLeast 0 when the tree grew since
// the latest one, otherwise only when at least atLeast events other than
// checkpoints were applied since.
func (c *Checkpointer) checkpoint(ctx context.Context, atLeast int64) (int64, error) {
	c.ckMu.Lock()
	defer c.ckMu.Unlock()
	if d := c.Monitor.Damage(); d != nil {
		return 0, fmt.Errorf("%w: no checkpoint is signed over a damaged log: %w", ErrLogAltered, d)
	}

	c.mu.Lock()
	size := c.tree.Size()
	nonOwn := c.nonOwn
	last := c.ckSize
	seen := c.ckEvents
	grown := size > last
	if atLeast > 0 {
		grown = nonOwn-c.ckNonOwn >= atLeast
	}
	c.mu.Unlock()
	if size == 0 || !grown {
		return last, nil
	}
	root, err := c.tree.Root(size)
	if err != nil {
		return 0, err
	}
	signed, err := SignCheckpoint(c.Signer, c.Origin, size, root)
	if err != nil {
		return 0, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return 0, fmt.Errorf("audit: checkpoint id: %w", err)
	}
	p, err := c.registry().Propose(&auditeventsv1.CheckpointRecorded{
		TreeSize:   uint64(size),
		RootHash:   root[:],
		SignedNote: signed,
	}, es.Meta{ID: id.String(), Actor: checkpointActor})
	if err != nil {
		return 0, err
	}
	expected := eventstore.NoStream
	if seen > 0 {
		expected = eventstore.Exact(uint64(seen - 1))
	}
	res, err := c.Store.Append(ctx, c.stream(), expected, []eventstore.Proposed{p})
	if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		// Another checkpointer (another replica) recorded one first; its
		// checkpoint reaches this one through the log.
		c.logger().Debug("audit: checkpoint skipped: another checkpointer recorded one first")
		return last, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: record checkpoint of %d events: %w", size, err)
	}

	c.mu.Lock()
	if size >= c.ckSize {
		c.ckSize = size
		c.ckNonOwn = nonOwn
	}
	// The appended checkpoint comes back through the subscription too,
	// where checkRecordedLocked counts it in ckEvents.
	c.mu.Unlock()
	c.logger().Info("audit: checkpoint recorded", "tree_size", size, "root", root.String(), "position", res.Position)
	return size, nil
}

// WaitFor returns when the tree covers position, when ctx ends (with its
// error), or when Run has stopped on an error (with that error).
func (c *Checkpointer) WaitFor(ctx context.Context, position int64) error {
	for {
		c.mu.Lock()
		if c.tree.Size() >= position {
			c.mu.Unlock()
			return nil
		}
		if c.runErr != nil {
			err := c.runErr
			c.mu.Unlock()
			return fmt.Errorf("audit: checkpointer stopped: %w", err)
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Root returns the current size of the tree and its root hash.
func (c *Checkpointer) Root() (size int64, root tlog.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	size = c.tree.Size()
	root, _ = c.tree.Root(size) // cannot fail for the current size
	return size, root
}

// InclusionProof proves that the event at position is in the current tree,
// and returns that tree's size and root.
func (c *Checkpointer) InclusionProof(position int64) (proof tlog.RecordProof, size int64, root tlog.Hash, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	size = c.tree.Size()
	if position < 1 || position > size {
		return nil, size, root, fmt.Errorf("%w: position %d, tree of %d events", ErrOutOfRange, position, size)
	}
	proof, err = c.tree.InclusionProof(position-1, size)
	if err != nil {
		return nil, size, root, err
	}
	root, err = c.tree.Root(size)
	return proof, size, root, err
}

// InclusionProofAt proves that the event at position is in the tree of
// size events (a checkpointed size, say).
func (c *Checkpointer) InclusionProofAt(position, size int64) (tlog.RecordProof, error) {
	return c.tree.InclusionProof(position-1, size)
}

// EventHash returns the stored hash of the event at position, from the
// tree (no read of the log).
func (c *Checkpointer) EventHash(position int64) (tlog.Hash, error) {
	return c.tree.Leaf(position - 1)
}

// ConsistencyProof proves that the tree of oldSize events is a prefix of
// the tree of newSize events.
func (c *Checkpointer) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	return c.tree.ConsistencyProof(oldSize, newSize)
}

// RootAt returns the root of the tree of the first size events.
func (c *Checkpointer) RootAt(size int64) (tlog.Hash, error) {
	return c.tree.Root(size)
}

// WaitCheckpoint returns the newest checkpoint recorded in the log once it
// covers more than after events, or ctx's error, or the error Run stopped
// with. It is how the witnesses are fed (witness.Collector) without a
// second read of the log.
func (c *Checkpointer) WaitCheckpoint(ctx context.Context, after int64) (*SavedCheckpoint, error) {
	for {
		c.mu.Lock()
		if c.latest != nil && c.latest.TreeSize > after {
			l := *c.latest
			c.mu.Unlock()
			return &l, nil
		}
		if c.runErr != nil {
			err := c.runErr
			c.mu.Unlock()
			return nil, fmt.Errorf("audit: checkpointer stopped: %w", err)
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}
