package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

const hashDomain = "tasharuk.event.v1"

// CanonicalBytes returns the bytes that [ComputeHash] hashes; the layout is
// given in the package documentation.
func CanonicalBytes(e *Event) []byte {
	n := len(hashDomain) + 8*16 + len(e.ID) + len(e.Stream) + len(e.Type) + len(e.Payload) +
		len(e.Actor.Subject) + len(e.Actor.Role) + len(e.Actor.Council) +
		len(e.CorrelationID) + len(e.CausationID) + len(e.PrevHash)
	b := make([]byte, 0, n)
	b = append(b, hashDomain...)
	b = appendStr(b, e.ID)
	b = appendStr(b, e.Stream)
	b = binary.BigEndian.AppendUint64(b, e.Revision)
	b = appendStr(b, e.Type)
	b = binary.BigEndian.AppendUint64(b, uint64(e.SchemaVersion))
	b = appendBytes(b, e.Payload)
	b = binary.BigEndian.AppendUint64(b, uint64(e.OccurredAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.RecordedAt.UnixNano()))
	b = appendStr(b, e.Actor.Subject)
	b = appendStr(b, e.Actor.Role)
	b = appendStr(b, e.Actor.Council)
	b = appendStr(b, e.CorrelationID)
	b = appendStr(b, e.CausationID)
	b = appendBytes(b, e.PrevHash)
	return b
}

func appendBytes(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// ComputeHash returns SHA-256 over the event's canonical bytes.
func ComputeHash(e *Event) []byte {
	h := sha256.Sum256(CanonicalBytes(e))
	return h[:]
}

// ChainVerifier checks events read from the log, in global order, against
// their hashes and their streams' chains. The zero value is ready to use.
type ChainVerifier struct {
	heads    map[string]Head
	position uint64
	// Count is the number of events verified so far.
	Count int
}

// Verify checks one event: its hash matches its contents, it follows its
// stream's previous event (revision and prev_hash), and its position
// follows the previous event's.
func (v *ChainVerifier) Verify(e *Event) error {
	if v.heads == nil {
		v.heads = make(map[string]Head)
	}
	if got := ComputeHash(e); !bytes.Equal(got, e.Hash) {
		return fmt.Errorf("%w: event %s (stream %s revision %d, position %d): stored hash %x, recomputed %x",
			ErrChainBroken, e.ID, e.Stream, e.Revision, e.Position, e.Hash, got)
	}
	if e.Position != 0 && e.Position <= v.position {
		return fmt.Errorf("%w: event %s at position %d follows position %d", ErrChainBroken, e.ID, e.Position, v.position)
	}
	h := v.heads[e.Stream]
	want := uint64(0)
	if h.Exists {
		want = h.Revision + 1
	}
	if e.Revision != want {
		return fmt.Errorf("%w: event %s in stream %s has revision %d, expected %d", ErrChainBroken, e.ID, e.Stream, e.Revision, want)
	}
	if !bytes.Equal(e.PrevHash, h.Hash) {
		return fmt.Errorf("%w: event %s in stream %s revision %d: prev_hash %x does not match previous event's hash %x",
			ErrChainBroken, e.ID, e.Stream, e.Revision, e.PrevHash, h.Hash)
	}
	v.heads[e.Stream] = Head{Exists: true, Revision: e.Revision, Hash: e.Hash, LastID: e.ID}
	if e.Position != 0 {
		v.position = e.Position
	}
	v.Count++
	return nil
}

// Streams returns the number of distinct streams seen.
func (v *ChainVerifier) Streams() int { return len(v.heads) }
