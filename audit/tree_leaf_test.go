package audit

import (
	"crypto/sha256"
	"errors"
	"testing"
)

// The tree keeps every event hash so proofs name their leaf without a read
// of the log, across chunk boundaries.
func TestTreeLeaf(t *testing.T) {
	var tree Tree
	n := int64(chunkLen + 3)
	for i := int64(0); i < n; i++ {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		if err := tree.Append(h[:]); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []int64{0, 1, chunkLen - 1, chunkLen, n - 1} {
		got, err := tree.Leaf(i)
		want := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		if err != nil || got != want {
			t.Fatalf("leaf %d = %x, %v; want %x", i, got, err, want)
		}
	}
	if _, err := tree.Leaf(n); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("leaf past the end: %v", err)
	}
	if _, err := tree.Leaf(-1); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("negative leaf: %v", err)
	}
}
