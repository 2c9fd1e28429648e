package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

var (
	// ErrOutOfRange: a size, index or position the tree does not cover.
	ErrOutOfRange = errors.New("audit: outside the tree")
	// ErrProofInvalid: an inclusion or consistency proof does not verify.
	ErrProofInvalid = errors.New("audit: proof does not verify")
)

// chunkLen is the number of stored hashes per chunk: the tree grows by whole
// chunks, so it never copies its hashes to grow.
const chunkLen = 1 << 15

// Tree is the Merkle tree over the global log (see the package
// documentation), kept in memory as tlog's stored hashes. It is safe for
// concurrent use; the zero value is an empty tree.
//
// Memory: a tree of n records keeps tlog.StoredHashCount(n) hashes, just
// under 2n, of 32 bytes each, and the n event hashes themselves (so a proof
// can name its leaf without reading the event from disk): about 96 bytes
// per event (96 MB for a million events), allocated in chunks of 1 MiB.
// Proofs and roots read at most a few dozen of them.
type Tree struct {
	mu     sync.RWMutex
	n      int64 // records
	count  int64 // stored hashes
	chunks [][]tlog.Hash
	leaves [][]tlog.Hash // event hashes, by leaf index
}

// lockedReader reads the stored hashes of a tree whose lock the caller holds.
type lockedReader struct{ t *Tree }

func (r lockedReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return r.t.readLocked(indexes)
}

func (t *Tree) readLocked(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= t.count {
			return nil, fmt.Errorf("%w: stored hash %d of a tree of %d records", ErrOutOfRange, x, t.n)
		}
		out[i] = t.chunks[x/chunkLen][x%chunkLen]
	}
	return out, nil
}

// ReadHashes implements tlog.HashReader over the stored hashes.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.readLocked(indexes)
}

// Append adds the next leaf: eventHash is the stored hash of the event at
// position Size()+1. Callers append in position order.
func (t *Tree) Append(eventHash []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.appendLocked(eventHash)
}

// AppendLeaves adds the leaves held in hashes, 32 bytes each (event hashes
// in position order, as the tree file keeps them), under one lock: what a
// restart does with a million of them.
func (t *Tree) AppendLeaves(hashes []byte) error {
	if len(hashes)%tlog.HashSize != 0 {
		return fmt.Errorf("audit: %d bytes of leaves is not a whole number of hashes", len(hashes))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := 0; i < len(hashes); i += tlog.HashSize {
		if err := t.appendLocked(hashes[i : i+tlog.HashSize]); err != nil {
			return err
		}
	}
	return nil
}

// appendLocked adds one leaf: its record hash, then the hash of every
// subtree it completes (tlog's stored hashes, in tlog's order, as
// tlog.StoredHashesForRecordHash gives them), reading the left siblings
// straight from the chunks. The lock is held.
func (t *Tree) appendLocked(eventHash []byte) error {
	if at := tlog.StoredHashIndex(0, t.n); at != t.count {
		return fmt.Errorf("audit: tree holds %d stored hashes, leaf %d belongs at %d", t.count, t.n, at)
	}
	h := recordHash(eventHash)
	t.store(h)
	// Each trailing 1 bit of n completes a subtree, whose left half is
	// the stored hash at that level just before.
	n := t.n
	for level := 0; n>>uint(level)&1 == 1; level++ {
		x := tlog.StoredHashIndex(level, n>>uint(level)-1)
		h = tlog.NodeHash(t.chunks[x/chunkLen][x%chunkLen], h)
		t.store(h)
	}
	if c := t.n / chunkLen; c == int64(len(t.leaves)) {
		t.leaves = append(t.leaves, make([]tlog.Hash, chunkLen))
	}
	// Event hashes are SHA-256; a verifier reading a damaged export may
	// append another length, which the tree hashes as given (and reports
	// elsewhere): Leaf then holds its first 32 bytes.
	copy(t.leaves[t.n/chunkLen][t.n%chunkLen][:], eventHash)
	t.n++
	return nil
}

// store appends a stored hash. The lock is held.
func (t *Tree) store(h tlog.Hash) {
	c := t.count / chunkLen
	if c == int64(len(t.chunks)) {
		t.chunks = append(t.chunks, make([]tlog.Hash, chunkLen))
	}
	t.chunks[c][t.count%chunkLen] = h
	t.count++
}

// recordHash is tlog.RecordHash (SHA-256 of 0x00 and the data) without
// its allocation for the usual 32-byte event hash.
func recordHash(data []byte) tlog.Hash {
	if len(data) != tlog.HashSize {
		return tlog.RecordHash(data)
	}
	var buf [1 + tlog.HashSize]byte
	copy(buf[1:], data)
	return sha256.Sum256(buf[:])
}

// Leaf returns the event hash of leaf index (0-based: position index+1).
func (t *Tree) Leaf(index int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if index < 0 || index >= t.n {
		return tlog.Hash{}, fmt.Errorf("%w: leaf %d of a tree of %d", ErrOutOfRange, index, t.n)
	}
	return t.leaves[index/chunkLen][index%chunkLen], nil
}

// Size returns the number of leaves (events) in the tree.
func (t *Tree) Size() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.n
}

// Root returns the root hash of the tree of the first size leaves
// (0 <= size <= Size()); the empty tree's root is SHA-256 of nothing.
func (t *Tree) Root(size int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size < 0 || size > t.n {
		return tlog.Hash{}, fmt.Errorf("%w: size %d of a tree of %d", ErrOutOfRange, size, t.n)
	}
	return tlog.TreeHash(size, lockedReader{t})
}

// InclusionProof proves that leaf index (0-based: position index+1) is in
// the tree of size leaves (index < size <= Size()).
func (t *Tree) InclusionProof(index, size int64) (tlog.RecordProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if index < 0 || index >= size || size > t.n {
		return nil, fmt.Errorf("%w: leaf %d in a tree of size %d (tree holds %d)", ErrOutOfRange, index, size, t.n)
	}
	return tlog.ProveRecord(size, index, lockedReader{t})
}

// ConsistencyProof proves that the tree of oldSize leaves is a prefix of the
// tree of newSize leaves (1 <= oldSize <= newSize <= Size()).
func (t *Tree) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if oldSize < 1 || oldSize > newSize || newSize > t.n {
		return nil, fmt.Errorf("%w: sizes %d and %d (tree holds %d)", ErrOutOfRange, oldSize, newSize, t.n)
	}
	return tlog.ProveTree(newSize, oldSize, lockedReader{t})
}

// VerifyInclusion checks that proof shows the event whose stored hash is
// eventHash at leaf index (position index+1) of the tree of size leaves
// with root hash root.
func VerifyInclusion(proof tlog.RecordProof, size int64, root tlog.Hash, index int64, eventHash []byte) error {
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(eventHash)); err != nil {
		return fmt.Errorf("%w: leaf %d in tree of size %d: %v", ErrProofInvalid, index, size, err)
	}
	return nil
}

// VerifyConsistency checks that proof shows the tree of oldSize leaves with
// root oldRoot to be a prefix of the tree of newSize leaves with root
// newRoot.
func VerifyConsistency(proof tlog.TreeProof, oldSize int64, oldRoot tlog.Hash, newSize int64, newRoot tlog.Hash) error {
	if err := tlog.CheckTree(proof, newSize, newRoot, oldSize, oldRoot); err != nil {
		return fmt.Errorf("%w: tree of size %d as a prefix of size %d: %v", ErrProofInvalid, oldSize, newSize, err)
	}
	return nil
}

// VerifyInclusionHex is VerifyInclusion for proofs received over the API:
// raw hashes, a 1-based position and the event hash in hex.
func VerifyInclusionHex(proof [][32]byte, size int64, root []byte, position int64, eventHashHex string) error {
	var r tlog.Hash
	if len(root) != len(r) {
		return fmt.Errorf("%w: root of %d bytes", ErrProofInvalid, len(root))
	}
	copy(r[:], root)
	p := make(tlog.RecordProof, len(proof))
	for i, h := range proof {
		p[i] = tlog.Hash(h)
	}
	eh, err := hex.DecodeString(eventHashHex)
	if err != nil {
		return fmt.Errorf("%w: event hash: %v", ErrProofInvalid, err)
	}
	return VerifyInclusion(p, size, r, position-1, eh)
}
