package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/internal/integrity"
)

// A checkpointer restarted beside its tree file rebuilds the tree from the
// file, checked against the signed checkpoint, and reads only the events
// after it: same tree, same checkpoint counts (its next checkpoint lands),
// chains of older streams still checked. A damaged or missing tree file is
// ignored and the tree rebuilt from the log, with no damage reported for
// the log, and the file written again for the next start.
func TestRestartFromTheTreeFile(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	const origin = "tasharuk.test/treefile"
	signer, vkey := newSigner(t, origin)
	dir := filepath.Join(t.TempDir(), "audit")
	savePath, treePath := filepath.Join(dir, "nats-checkpoint.json"), filepath.Join(dir, "nats-tree.leaves")
	fresh := func() *audit.Checkpointer {
		return &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Every: 100, Interval: time.Hour,
			Logger: quiet, SavePath: savePath, TreePath: treePath, PublicKey: vkey, Monitor: integrity.NewMonitor(quiet)}
	}
	c := fresh()
	if err := c.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	stop := startCheckpointer(t, c)
	const n = 1000
	var last uint64
	for i := range n {
		last = appendEvent(t, s, fmt.Sprintf("test.s%d", i%7), i).Position
	}
	if err := c.WaitFor(ctx, int64(last)); err != nil {
		t.Fatal(err)
	}
	size, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := s.LastPosition(ctx)
	if err := c.WaitFor(ctx, int64(head)); err != nil {
		t.Fatal(err)
	}
	stop()
	saved, err := audit.ReadSavedCheckpoint(savePath, vkey)
	if err != nil || saved == nil || saved.TreeSize != size {
		t.Fatalf("saved checkpoint %+v %v, want tree size %d", saved, err, size)
	}
	if fi, err := os.Stat(treePath); err != nil || fi.Size() != 32*size {
		t.Fatalf("tree file: %v %v, want %d leaves", fi, err, size)
	}
	wantSize, wantRoot := c.Root()

	// restart starts a checkpointer over the log; with preload, given the
	// tree file as serve reads it while the log opens (audit.PreloadTree).
	restart := func(name string, preload ...*audit.TreePreload) *audit.Checkpointer {
		t.Helper()
		c := fresh()
		if len(preload) > 0 {
			c.Preload = preload[0]
			name += ", preloaded"
		}
		before := s.Stats().ReadMsgs.Load()
		if err := c.CatchUp(ctx); err != nil {
			t.Fatalf("%s: CatchUp: %v", name, err)
		}
		read := s.Stats().ReadMsgs.Load() - before
		if gotSize, gotRoot := c.Root(); gotSize != wantSize || gotRoot != wantRoot {
			t.Fatalf("%s: tree of %d (%s) after CatchUp, want %d (%s)", name, gotSize, gotRoot, wantSize, wantRoot)
		}
		if d := c.Monitor.Damage(); d != nil {
			t.Fatalf("%s: damage on an intact log: %v", name, d)
		}
		t.Logf("%s: %d messages read to start over a log of %d events", name, read, head)
		if strings.HasPrefix(name, "from the file") && read > uint64(head)/4 {
			t.Fatalf("from the file: %d messages read to start, want far fewer than the log's %d events", read, head)
		}
		if (strings.HasPrefix(name, "damaged file") || strings.HasPrefix(name, "no file")) && read < uint64(head) {
			t.Fatalf("%s: %d messages read, want the whole log (%d)", name, read, head)
		}
		return c
	}

	c2 := restart("from the file")
	restart("from the file", audit.PreloadTree(savePath, treePath, vkey))
	// A preload read before the log moved on (a newer checkpoint saved
	// since) is of another tree size: the file is read instead.
	stale := audit.PreloadTree(savePath, treePath, vkey)
	// It follows on: events on streams begun before the file's size are
	// chain-checked, and its next checkpoint is recorded (its counts of
	// the checkpoint stream are right).
	stop = startCheckpointer(t, c2)
	for i := range 20 {
		last = appendEvent(t, s, fmt.Sprintf("test.s%d", i%7), n+i).Position
	}
	if err := c2.WaitFor(ctx, int64(last)); err != nil {
		t.Fatal(err)
	}
	next, err := c2.Checkpoint(ctx)
	if err != nil || next != int64(last) {
		t.Fatalf("checkpoint after the restart: size %d %v, want %d", next, err, last)
	}
	head, _ = s.LastPosition(ctx)
	if err := c2.WaitFor(ctx, int64(head)); err != nil {
		t.Fatal(err)
	}
	if d := c2.Monitor.Damage(); d != nil {
		t.Fatalf("damage after the restart: %v", d)
	}
	stop()
	if saved, err := audit.ReadSavedCheckpoint(savePath, vkey); err != nil || saved.TreeSize != next {
		t.Fatalf("saved checkpoint after the restart: %+v %v, want size %d", saved, err, next)
	}
	if fi, err := os.Stat(treePath); err != nil || fi.Size() != 32*next {
		t.Fatalf("tree file after the restart: %v %v, want %d leaves", fi, err, next)
	}
	wantSize, wantRoot = c2.Root()
	restart("from the file, preload of an older checkpoint", stale)

	// One flipped bit in a leaf: the file does not give the signed root.
	b, err := os.ReadFile(treePath)
	if err != nil {
		t.Fatal(err)
	}
	b[32*5] ^= 1
	if err := os.WriteFile(treePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Preloaded, the damaged file gives no tree: the tree is rebuilt from
	// the log, as without preload.
	restart("damaged file", audit.PreloadTree(savePath, treePath, vkey))
	if err := os.WriteFile(treePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	restart("damaged file")
	// The replay wrote the file again: the next start takes it.
	restart("from the file")
	restart("from the file", audit.PreloadTree(savePath, treePath, vkey))
	// The preload is what the tree is taken from: with the file damaged
	// after it was read, the start still reads only the tail.
	p := audit.PreloadTree(savePath, treePath, vkey)
	p.Wait()
	good, err := os.ReadFile(treePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(treePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	restart("from the file (damaged after the preload)", p)
	if err := os.WriteFile(treePath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	// A preload checked against another key's checkpoint gives nothing.
	_, otherKey := newSigner(t, origin)
	restart("from the file, preload with another key", audit.PreloadTree(savePath, treePath, otherKey))

	// So does a start without any file.
	if err := os.Remove(treePath); err != nil {
		t.Fatal(err)
	}
	restart("no file")
	if fi, err := os.Stat(treePath); err != nil || fi.Size() != 32*next {
		t.Fatalf("tree file after a start without one: %v %v, want %d leaves", fi, err, next)
	}
	restart("from the file")
}
