package audit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/integrity"
)

// catchUpPage is the number of events CatchUp reads at a time.
const catchUpPage = 5000

// progressEvery is how often a long catch-up logs how far it is.
const progressEvery = 5 * time.Second

// CatchUp checks the log against the saved checkpoint (SavePath) and
// replays it up to its current head, checking every event (hash, chain,
// position) and every checkpoint recorded in it, before it returns: the
// service calls it before it serves, so damage is known before anything is
// written. It returns an error wrapping ErrLogAltered and an
// *integrity.Damage when the log does not verify (and reports it to
// Monitor). Run then follows the log from where CatchUp stopped.
func (c *Checkpointer) CatchUp(ctx context.Context) error {
	if err := c.validate(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return ErrAlreadyRunning
	}
	c.running = true
	c.mu.Unlock()
	err := c.catchUpTo(ctx)
	c.mu.Lock()
	c.running = false
	if errors.Is(err, ErrLogAltered) {
		c.runErr = err
	}
	c.notifyLocked()
	c.mu.Unlock()
	return err
}

func (c *Checkpointer) catchUpTo(ctx context.Context) error {
	head, err := c.begin(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.catchUp = int64(head)
	c.mu.Unlock()
	if err := c.resumeFromTreeFile(ctx); err != nil {
		return err
	}
	start := time.Now()
	next := start.Add(progressEvery)
	for from := uint64(c.tree.Size()) + 1; from <= head; {
		if now := time.Now(); now.After(next) {
			next = now.Add(progressEvery)
			c.logger().Info("start-up progress", "phase", "integrity check: replay", "position", from-1, "head", head,
				"elapsed", now.Sub(start).Round(time.Second))
		}
		page, err := c.Store.ReadAll(ctx, from, catchUpPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			// The store still counts the lost events in its head (JetStream
			// keeps the last sequence of a block whose tail it dropped).
			c.mu.Lock()
			d := &integrity.Damage{Position: from, Kind: integrity.PositionGap, Source: "checkpointer",
				Detail: fmt.Sprintf("the log's head is at position %d but it holds nothing from position %d on: its tail is lost", head, from)}
			if t := c.trusted; t != nil && from <= t.EventPosition {
				d.Kind, d.Source = integrity.LogShorterThanCheckpoint, "start"
				d.Detail = fmt.Sprintf("the log holds nothing from position %d on (its head says %d), but the last signed checkpoint (tree size %d, root %s) was recorded at position %d: its tail is lost",
					from, head, t.TreeSize, t.Root, t.EventPosition)
			}
			err := c.alteredLocked(d)
			c.mu.Unlock()
			return err
		}
		for _, e := range page {
			if e.Position > head {
				return nil
			}
			if err := c.apply(e); err != nil {
				return err
			}
		}
		from = page[len(page)-1].Position + 1
	}
	return nil
}

// begin reads the log's head and, the first time, checks it against the
// saved checkpoint.
func (c *Checkpointer) begin(ctx context.Context) (uint64, error) {
	head, err := c.Store.LastPosition(ctx)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.SavePath == "" || c.trustedLoaded {
		return head, nil
	}
	saved, err := ReadSavedCheckpoint(c.SavePath, c.PublicKey)
	if err != nil {
		return 0, c.alteredLocked(&integrity.Damage{Kind: integrity.CheckpointMismatch, Source: "start",
			Detail: fmt.Sprintf("the saved checkpoint does not verify: %v", err)})
	}
	c.trustedLoaded = true
	if saved == nil {
		return head, nil
	}
	root, _ := saved.RootHash() // checked by ReadSavedCheckpoint
	c.trusted, c.trustedRoot, c.savedPos = saved, root, saved.EventPosition
	if c.latest == nil {
		c.latest = saved
	}
	if head < saved.EventPosition {
		return 0, c.alteredLocked(&integrity.Damage{Position: head + 1, Kind: integrity.LogShorterThanCheckpoint, Source: "start",
			Detail: fmt.Sprintf("the log ends at position %d, but the last signed checkpoint (tree size %d, root %s) was recorded at position %d: events from position %d on are lost",
				head, saved.TreeSize, saved.Root, saved.EventPosition, head+1)})
	}
	// A checkpointer resumed past the saved checkpoint (Run called again)
	// checks now what its replay would have checked.
	if c.tree.Size() >= saved.TreeSize {
		if got, err := c.tree.Root(saved.TreeSize); err != nil || got != root {
			return 0, c.alteredLocked(c.trustedMismatch(saved.TreeSize, got))
		}
	}
	return head, nil
}

// checkTrustedLocked checks the event just added to the tree against the
// saved checkpoint: the tree of its size has its root, and its own event is
// where it was.
func (c *Checkpointer) checkTrustedLocked(e *eventstore.Event) error {
	t := c.trusted
	if t == nil {
		return nil
	}
	pos := int64(e.Position)
	if pos == t.TreeSize {
		got, err := c.tree.Root(pos)
		if err != nil {
			return err
		}
		if got != c.trustedRoot {
			return c.alteredLocked(c.trustedMismatch(pos, got))
		}
	}
	if e.Position == t.EventPosition && hex.EncodeToString(e.Hash) != t.EventHash {
		return c.alteredLocked(c.mismatch(pos, "the event at position %d (%s) is not the last signed checkpoint's event (hash %s): the log was rewritten",
			pos, e.ID, t.EventHash))
	}
	return nil
}

func (c *Checkpointer) trustedMismatch(size int64, got fmt.Stringer) *integrity.Damage {
	return &integrity.Damage{Position: uint64(size), Kind: integrity.CheckpointMismatch, Source: "checkpointer",
		Detail: fmt.Sprintf("the root of the first %d events is %s, the last signed checkpoint says %s", size, got, c.trusted.Root)}
}

// mismatch is a CheckpointMismatch damage at pos.
func (c *Checkpointer) mismatch(pos int64, format string, args ...any) *integrity.Damage {
	return &integrity.Damage{Position: uint64(pos), Kind: integrity.CheckpointMismatch, Source: "checkpointer",
		Detail: fmt.Sprintf(format, args...)}
}

// alteredLocked reports the damage in err to Monitor and returns err as an
// ErrLogAltered.
func (c *Checkpointer) alteredLocked(err error) error {
	if err == nil {
		return nil
	}
	d := integrity.AsDamage(err)
	if d == nil {
		return err // a read failed: not damage
	}
	c.Monitor.Report(d)
	return fmt.Errorf("%w: %w", ErrLogAltered, d)
}

// saveLocked writes the newest checkpoint seen to SavePath if the file
// holds an older one.
func (c *Checkpointer) saveLocked() {
	if c.SavePath == "" || c.ReadOnly || c.latest == nil || c.latest.EventPosition <= c.savedPos {
		c.treeCaughtUpLocked()
		return
	}
	if err := WriteSavedCheckpoint(c.SavePath, c.latest); err != nil {
		c.logger().Warn("audit: save the latest checkpoint", "path", c.SavePath, "err", err)
		return
	}
	c.savedPos = c.latest.EventPosition
	c.saveTreeLocked(c.latest.TreeSize)
}

// CheckLog reads the whole log of the checkpoint stream of logName and
// checks it as CatchUp does (hash, chain and position of every event, the
// checkpoints recorded in it, and the saved checkpoint at savePath if
// there is one, its signature by vkey if given), signing and writing
// nothing. It returns the damage found, or nil when the log verifies.
func CheckLog(ctx context.Context, store eventstore.Store, logName, savePath, vkey string) (*integrity.Damage, error) {
	c := &Checkpointer{Store: store, LogName: logName, SavePath: savePath, PublicKey: vkey, ReadOnly: true}
	err := c.catchUpTo(ctx)
	if d := integrity.AsDamage(err); d != nil {
		return d, nil
	}
	return nil, err
}
