package audit_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/internal/integrity"
)

// savedFixture is a log of 12 events with a checkpoint recorded by a
// checkpointer that saves it beside the log.
type savedFixture struct {
	path  string
	saved *audit.SavedCheckpoint
	head  uint64
}

func newSavedFixture(t *testing.T) (*savedFixture, func() *audit.Checkpointer) {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	signer, vkey := newSigner(t, origin)
	path := filepath.Join(t.TempDir(), "audit", "nats-checkpoint.json")
	fresh := func() *audit.Checkpointer {
		return &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Every: 1 << 30, Interval: time.Hour,
			Logger: quiet, SavePath: path, PublicKey: vkey, Monitor: integrity.NewMonitor(quiet)}
	}
	c := fresh()
	stop := startCheckpointer(t, c)
	var last uint64
	for i := range 12 {
		last = appendEvent(t, s, fmt.Sprintf("test.s%d", i%3), i).Position
	}
	if err := c.WaitFor(ctx, int64(last)); err != nil {
		t.Fatal(err)
	}
	if size, err := c.Checkpoint(ctx); err != nil || size != 12 {
		t.Fatalf("checkpoint: %d %v", size, err)
	}
	if err := c.WaitFor(ctx, 13); err != nil {
		t.Fatal(err)
	}
	stop()
	saved, err := audit.ReadSavedCheckpoint(path, vkey)
	if err != nil || saved == nil {
		t.Fatalf("saved checkpoint: %v %v", saved, err)
	}
	if saved.TreeSize != 12 || saved.EventPosition != 13 {
		t.Fatalf("saved %+v, want the checkpoint of 12 events recorded at position 13", saved)
	}
	head, _ := s.LastPosition(ctx)
	return &savedFixture{path: path, saved: saved, head: head}, fresh
}

// rewrite writes an altered saved checkpoint.
func (f *savedFixture) rewrite(t *testing.T, change func(s *audit.SavedCheckpoint)) {
	t.Helper()
	s := *f.saved
	change(&s)
	if err := audit.WriteSavedCheckpoint(f.path, &s); err != nil {
		t.Fatal(err)
	}
}

// wantStartDamage runs CatchUp and checks the damage it reports, that Run
// then signs nothing and that Checkpoint refuses.
func wantStartDamage(t *testing.T, c *audit.Checkpointer, kind string, pos uint64) {
	t.Helper()
	ctx := context.Background()
	err := c.CatchUp(ctx)
	if !errors.Is(err, audit.ErrLogAltered) {
		t.Fatalf("CatchUp: %v, want ErrLogAltered", err)
	}
	d := integrity.AsDamage(err)
	if d == nil || d.Kind != kind || d.Position != pos {
		t.Fatalf("damage %+v, want %s at %d", d, kind, pos)
	}
	if got := c.Monitor.Damage(); got == nil || got.Kind != kind {
		t.Fatalf("monitor holds %+v", got)
	}
	before, _ := c.Store.LastPosition(ctx)
	if _, err := c.Checkpoint(ctx); !errors.Is(err, audit.ErrLogAltered) {
		t.Fatalf("Checkpoint over damage: %v", err)
	}
	if after, _ := c.Store.LastPosition(ctx); after != before {
		t.Fatalf("a checkpoint was recorded over damage: head %d → %d", before, after)
	}
}

func TestCheckpointerStartsAgainstTheSavedCheckpoint(t *testing.T) {
	t.Run("intact", func(t *testing.T) {
		f, fresh := newSavedFixture(t)
		c := fresh()
		if err := c.CatchUp(context.Background()); err != nil {
			t.Fatalf("CatchUp over an intact log: %v", err)
		}
		if size, _ := c.Root(); size != int64(f.head) {
			t.Fatalf("tree of %d after CatchUp, head %d", size, f.head)
		}
		if d := c.Monitor.Damage(); d != nil {
			t.Fatalf("damage on an intact log: %v", d)
		}
		// Run goes on from there and the file follows the newest checkpoint.
		ctx := context.Background()
		stop := startCheckpointer(t, c)
		last := appendEvent(t, c.Store, "test.s9", 99).Position
		if err := c.WaitFor(ctx, int64(last)); err != nil {
			t.Fatal(err)
		}
		if size, err := c.Checkpoint(ctx); err != nil || size != int64(last) {
			t.Fatalf("checkpoint: %d %v", size, err)
		}
		if err := c.WaitFor(ctx, int64(last)+1); err != nil {
			t.Fatal(err)
		}
		stop()
		s, err := audit.ReadSavedCheckpoint(f.path, "")
		if err != nil || s.TreeSize != int64(last) || s.EventPosition != last+1 {
			t.Fatalf("saved after Run: %+v %v", s, err)
		}
	})
	t.Run("log shorter than the checkpoint", func(t *testing.T) {
		// The checkpoint's event (and two more) are beyond the log's end:
		// its tail was lost.
		f, fresh := newSavedFixture(t)
		f.rewrite(t, func(s *audit.SavedCheckpoint) { s.EventPosition = f.head + 3 })
		wantStartDamage(t, fresh(), integrity.LogShorterThanCheckpoint, f.head+1)
	})
	t.Run("root differs", func(t *testing.T) {
		// A checkpoint of 12 events, validly signed, of another log.
		f, fresh := newSavedFixture(t)
		c := fresh()
		other := tlog.Hash{7}
		signed, err := audit.SignCheckpoint(c.Signer, origin, 12, other)
		if err != nil {
			t.Fatal(err)
		}
		f.rewrite(t, func(s *audit.SavedCheckpoint) { s.SignedNote, s.Root = signed, other.String() })
		wantStartDamage(t, c, integrity.CheckpointMismatch, 12)
	})
	t.Run("checkpoint event replaced", func(t *testing.T) {
		f, fresh := newSavedFixture(t)
		f.rewrite(t, func(s *audit.SavedCheckpoint) { s.EventHash = "00" + s.EventHash[2:] })
		wantStartDamage(t, fresh(), integrity.CheckpointMismatch, 13)
	})
	t.Run("signed by another key", func(t *testing.T) {
		f, fresh := newSavedFixture(t)
		c := fresh()
		_, otherKey := newSigner(t, origin)
		c.PublicKey = otherKey
		wantStartDamage(t, c, integrity.CheckpointMismatch, 0)
		_ = f
	})
	t.Run("no saved checkpoint", func(t *testing.T) {
		f, fresh := newSavedFixture(t)
		c := fresh()
		c.SavePath = filepath.Join(filepath.Dir(f.path), "none.json")
		if err := c.CatchUp(context.Background()); err != nil {
			t.Fatalf("CatchUp without a saved checkpoint: %v", err)
		}
	})
}

func TestCheckLog(t *testing.T) {
	f, fresh := newSavedFixture(t)
	c := fresh()
	d, err := audit.CheckLog(context.Background(), c.Store, "main", f.path, c.PublicKey)
	if err != nil || d != nil {
		t.Fatalf("CheckLog of an intact log: %v %v", d, err)
	}
	f.rewrite(t, func(s *audit.SavedCheckpoint) { s.EventPosition = f.head + 1 })
	d, err = audit.CheckLog(context.Background(), c.Store, "main", f.path, c.PublicKey)
	if err != nil || d == nil || d.Kind != integrity.LogShorterThanCheckpoint || d.Position != f.head+1 {
		t.Fatalf("CheckLog of a log shorter than its checkpoint: %+v %v", d, err)
	}
}
