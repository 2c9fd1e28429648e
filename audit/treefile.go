package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/integrity"
)

// The tree file (Checkpointer.TreePath) keeps the tree's leaves — the
// stored hashes of the log's events, 32 bytes each in position order — up
// to the tree size of the latest signed checkpoint saved beside it
// (SavePath). It is appended to each time that file moves on, after it,
// and synced.
//
// At start, a checkpointer with a saved checkpoint of tree size n and a
// tree file of at least n leaves rebuilds the tree from the first n
// leaves (hashing only: no event is read), and takes it only if its root is
// the signed checkpoint's; then it replays the log from position n+1, the
// chain of each stream checked from its previous event (read by revision),
// and its checkpoint counts come from the checkpoint stream. A tree file
// that is short, unreadable or does not give the signed root is ignored
// (logged) and the log replayed from position 1, as without it. The file
// holds nothing the signed root does not vouch for; what it skips at start
// is re-reading the events before n, which every read still checks
// (DESIGN.md "Integrity on every read") and `audit verify` replays whole.
type treeFile struct {
	// leaves is the number of leaves the file is known to hold, written or
	// loaded by this checkpointer (0: unknown, the next save rewrites it).
	leaves int64
}

// reset empties the tree.
func (t *Tree) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n, t.count, t.chunks, t.leaves = 0, 0, nil, nil
}

// resumeFromTreeFile loads the tree from TreePath if it gives the trusted
// checkpoint's root, and sets the checkpointer up to replay the rest. The
// caller holds no lock; it runs before the catch-up replay.
func (c *Checkpointer) resumeFromTreeFile(ctx context.Context) error {
	c.mu.Lock()
	t, root := c.trusted, c.trustedRoot
	c.mu.Unlock()
	if c.TreePath == "" || t == nil || c.tree.Size() != 0 {
		return nil
	}
	n := t.TreeSize
	start := time.Now()
	tree := &c.tree // empty, and not read by anyone before the catch-up
	var got int64
	var err error
	if p := c.Preload; p != nil && p.result(ctx) && p.size == n && p.root == root {
		tree.takeFrom(p.tree) // read and checked while the log opened
		got = n
	} else {
		got, err = readLeaves(c.TreePath, n, tree)
	}
	if err == nil && got < n {
		err = fmt.Errorf("%d leaves, the saved checkpoint covers %d", got, n)
	}
	if err == nil {
		var r tlog.Hash
		if r, err = tree.Root(n); err == nil && r != root {
			err = fmt.Errorf("the root of its %d leaves is %s, the signed checkpoint says %s", n, r, t.Root)
		}
	}
	if err != nil {
		tree.reset()
		c.logger().Warn("audit: tree file not used; the tree is rebuilt from the log", "path", c.TreePath, "err", err)
		return nil
	}
	// The checkpoints recorded within the first n events, counted and
	// checked as the replay would have.
	var cks []eventstore.Event
	evs, err := c.Store.ReadStream(ctx, c.stream(), 0, 0)
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		tree.reset()
		return err
	}
	for _, e := range evs {
		if int64(e.Position) <= n {
			cks = append(cks, e)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.treeFile.leaves = n
	c.checker.Start(uint64(n))
	c.checker.Source = "checkpointer"
	c.checker.Previous = integrity.PreviousFrom(c.Store)
	own := int64(0)
	for i := range cks {
		e := &cks[i]
		if e.Type != CheckpointType {
			continue
		}
		c.nonOwn = int64(e.Position) - 1 - own
		if err := c.checkRecordedLocked(e); err != nil {
			return err
		}
		own++
	}
	c.nonOwn = n - own
	c.logger().Info("audit: tree loaded from its file", "path", c.TreePath, "tree_size", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// TreePreload is the tree file read, before the log is open, up to the
// signed checkpoint saved beside it, and checked against that checkpoint's
// root (PreloadTree). A Checkpointer given it (Checkpointer.Preload) takes
// the tree from it instead of reading the file, if it is of the saved
// checkpoint CatchUp checks the log against; everything else CatchUp
// checks is unchanged.
type TreePreload struct {
	done chan struct{}
	tree *Tree
	size int64
	root tlog.Hash
	err  error
}

// PreloadTree starts reading the tree file at treePath in the background,
// up to the tree size of the checkpoint saved at savePath (its signature
// checked with publicKey): serve starts it before the log is open, so the
// audit tree is hashed while the NATS server recovers the log.
func PreloadTree(savePath, treePath, publicKey string) *TreePreload {
	p := &TreePreload{done: make(chan struct{}), tree: &Tree{}}
	go func() {
		defer close(p.done)
		saved, err := ReadSavedCheckpoint(savePath, publicKey)
		if err != nil || saved == nil {
			p.err = fmt.Errorf("no saved checkpoint to read the tree file against: %v", err)
			return
		}
		root, _ := saved.RootHash() // checked by ReadSavedCheckpoint
		got, err := readLeaves(treePath, saved.TreeSize, p.tree)
		if err == nil && got < saved.TreeSize {
			err = fmt.Errorf("%d leaves, the saved checkpoint covers %d", got, saved.TreeSize)
		}
		if err == nil {
			var r tlog.Hash
			if r, err = p.tree.Root(saved.TreeSize); err == nil && r != root {
				err = fmt.Errorf("the root of its %d leaves is %s, the signed checkpoint says %s", saved.TreeSize, r, saved.Root)
			}
		}
		if err != nil {
			p.err, p.tree = err, nil
			return
		}
		p.size, p.root = saved.TreeSize, root
	}()
	return p
}

// Wait returns once the preload is done.
func (p *TreePreload) Wait() { <-p.done }

// result waits for the preload and says whether it gave a tree.
func (p *TreePreload) result(ctx context.Context) bool {
	select {
	case <-p.done:
		return p.err == nil && p.tree != nil
	case <-ctx.Done():
		return false
	}
}

// takeFrom moves o's content into t, which is empty.
func (t *Tree) takeFrom(o *Tree) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n, t.count, t.chunks, t.leaves = o.n, o.count, o.chunks, o.leaves
	o.n, o.count, o.chunks, o.leaves = 0, 0, nil, nil
}

// readLeaves appends up to n leaves of the file at path to tree and returns
// how many it read.
func readLeaves(path string, n int64, tree *Tree) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 32*4096)
	var read int64
	for read < n {
		want := min(int64(len(buf)), (n-read)*32)
		k, err := io.ReadFull(f, buf[:want])
		k -= k % 32
		if err := tree.AppendLeaves(buf[:k]); err != nil {
			return read, err
		}
		read += int64(k / 32)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return read, nil
		}
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// treeCaughtUpLocked writes the tree file up to the saved checkpoint when
// the tree covers it but the file is not known to (the tree was rebuilt
// from the log: no file, or a damaged one), so the next start loads it.
func (c *Checkpointer) treeCaughtUpLocked() {
	if c.TreePath == "" || c.ReadOnly || c.latest == nil || c.savedPos == 0 || c.latest.EventPosition != c.savedPos {
		return
	}
	if c.treeFile.leaves != c.latest.TreeSize {
		c.saveTreeLocked(c.latest.TreeSize)
	}
}

// saveTreeLocked brings the tree file to size leaves (the tree size of the
// checkpoint just saved): it appends the missing leaves and syncs. A file
// that holds more or other than the tree's first leaves is rewritten.
func (c *Checkpointer) saveTreeLocked(size int64) {
	if c.TreePath == "" || size > c.tree.Size() {
		return
	}
	if err := c.writeTree(size); err != nil {
		c.treeFile.leaves = 0
		c.logger().Warn("audit: save the tree file", "path", c.TreePath, "err", err)
	}
}

func (c *Checkpointer) writeTree(size int64) error {
	if err := os.MkdirAll(filepath.Dir(c.TreePath), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(c.TreePath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	// Not written or loaded by this checkpointer yet (or in doubt): from
	// scratch.
	from := c.treeFile.leaves
	if from > size {
		from = 0
	}
	if err := f.Truncate(from * 32); err != nil {
		return err
	}
	if _, err := f.Seek(from*32, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 0, 32*4096)
	for i := from; i < size; i++ {
		h, err := c.tree.Leaf(i)
		if err != nil {
			return err
		}
		buf = append(buf, h[:]...)
		if len(buf) == cap(buf) {
			if _, err := f.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	c.treeFile.leaves = size
	return nil
}
