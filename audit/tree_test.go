package audit_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

// mth is RFC 6962's Merkle tree hash, written out independently of tlog.
func mth(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := mth(leaves[:k]), mth(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func leafData(i int) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "event %d", i))
	return h[:]
}

func TestTreeMatchesRFC6962(t *testing.T) {
	var tr audit.Tree
	var leaves [][]byte
	const n = 70
	for i := range n {
		leaves = append(leaves, leafData(i))
		if err := tr.Append(leaves[i]); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Size() != n {
		t.Fatalf("Size = %d", tr.Size())
	}
	for size := int64(0); size <= n; size++ {
		got, err := tr.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if want := mth(leaves[:size]); got != tlog.Hash(want) {
			t.Fatalf("Root(%d) = %s, want %x", size, got, want)
		}
	}
	if _, err := tr.Root(n + 1); !errors.Is(err, audit.ErrOutOfRange) {
		t.Fatalf("Root beyond the tree: %v", err)
	}
}

func TestTreeProofs(t *testing.T) {
	var tr audit.Tree
	const n = 40
	for i := range n {
		if err := tr.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
	}
	for size := int64(1); size <= n; size++ {
		root, _ := tr.Root(size)
		for i := range size {
			p, err := tr.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.VerifyInclusion(p, size, root, i, leafData(int(i))); err != nil {
				t.Fatalf("leaf %d in %d: %v", i, size, err)
			}
			if err := audit.VerifyInclusion(p, size, root, i, leafData(int(i)+1)); !errors.Is(err, audit.ErrProofInvalid) {
				t.Fatalf("wrong leaf %d in %d verified: %v", i, size, err)
			}
		}
		for old := int64(1); old <= size; old++ {
			oldRoot, _ := tr.Root(old)
			p, err := tr.ConsistencyProof(old, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.VerifyConsistency(p, old, oldRoot, size, root); err != nil {
				t.Fatalf("%d -> %d: %v", old, size, err)
			}
			bad := oldRoot
			bad[0] ^= 1
			if err := audit.VerifyConsistency(p, old, bad, size, root); !errors.Is(err, audit.ErrProofInvalid) {
				t.Fatalf("%d -> %d with a wrong old root verified: %v", old, size, err)
			}
		}
	}
	for _, c := range [][2]int64{{-1, 3}, {3, 3}, {0, n + 1}} {
		if _, err := tr.InclusionProof(c[0], c[1]); !errors.Is(err, audit.ErrOutOfRange) {
			t.Errorf("InclusionProof(%d, %d): %v", c[0], c[1], err)
		}
	}
	for _, c := range [][2]int64{{0, 3}, {4, 3}, {1, n + 1}} {
		if _, err := tr.ConsistencyProof(c[0], c[1]); !errors.Is(err, audit.ErrOutOfRange) {
			t.Errorf("ConsistencyProof(%d, %d): %v", c[0], c[1], err)
		}
	}
}

func TestTreeConcurrent(t *testing.T) {
	var tr audit.Tree
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			if err := tr.Append(leafData(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				size := tr.Size()
				if size == 0 {
					continue
				}
				root, err := tr.Root(size)
				if err != nil {
					t.Error(err)
					return
				}
				p, err := tr.InclusionProof(size-1, size)
				if err != nil {
					t.Error(err)
					return
				}
				if err := audit.VerifyInclusion(p, size, root, size-1, leafData(int(size-1))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The stored hashes are readable as a tlog.HashReader.
	root, err := tlog.TreeHash(tr.Size(), &tr)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := tr.Root(tr.Size()); root != want {
		t.Fatalf("TreeHash over ReadHashes = %s, Root = %s", root, want)
	}
}

// TestTreeAppendLeavesStoresTlogsHashes builds a tree past the chunk
// boundaries of its stored hashes and leaves with AppendLeaves (how a
// restart loads the tree file) and checks every stored hash against
// tlog's own StoredHashes over the same records, and the roots against
// RFC 6962.
func TestTreeAppendLeavesStoresTlogsHashes(t *testing.T) {
	const n = 40000 // stored hashes and leaves both cross a chunk boundary (1<<15)
	var all []byte
	var leaves [][]byte
	var ref []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = ref[x]
		}
		return out, nil
	})
	for i := range n {
		l := leafData(i)
		leaves = append(leaves, l)
		all = append(all, l...)
		hs, err := tlog.StoredHashes(int64(i), l, reader)
		if err != nil {
			t.Fatal(err)
		}
		ref = append(ref, hs...)
	}
	var tr audit.Tree
	// In uneven parts, as the tree file is read.
	for _, part := range [][]byte{all[:32*7], all[32*7 : 32*33000], all[32*33000:]} {
		if err := tr.AppendLeaves(part); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Size() != n {
		t.Fatalf("Size = %d, want %d", tr.Size(), n)
	}
	idx := make([]int64, len(ref))
	for i := range idx {
		idx[i] = int64(i)
	}
	got, err := tr.ReadHashes(idx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ref {
		if got[i] != ref[i] {
			t.Fatalf("stored hash %d = %s, tlog gives %s", i, got[i], ref[i])
		}
	}
	if _, err := tr.ReadHashes([]int64{int64(len(ref))}); !errors.Is(err, audit.ErrOutOfRange) {
		t.Fatalf("a stored hash past the tree: %v", err)
	}
	for _, size := range []int64{1, 2, 3, 32768, 32769, n} {
		r, err := tr.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if want := mth(leaves[:size]); r != tlog.Hash(want) {
			t.Fatalf("Root(%d) = %s, want %x", size, r, want)
		}
	}
	if err := tr.AppendLeaves(make([]byte, 33)); err == nil {
		t.Fatal("AppendLeaves took 33 bytes")
	}
	if tr.Size() != n {
		t.Fatalf("a refused AppendLeaves changed the size to %d", tr.Size())
	}
}
