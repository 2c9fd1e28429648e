package natsstore

import (
	"context"
	"fmt"

	"github.com/tasharuk/tasharuk/eventstore"
)

// locate returns the stream sequence of revision rev of the stream on
// subject, given a head of that stream at or after rev. It starts from the
// head: revisions rev..head.Revision need as many distinct sequences, so
// rev is at most head.seq - (head.Revision - rev) — exactly there when
// nothing else was written in between (a hot stream) — and at least rev+1.
// Each probe is one direct get of the subject's next message from a
// sequence, which the server answers from its per-subject index; probes
// halve the range, so a stream interleaved with others costs O(log n)
// small reads, never a scan from the start of the log.
func (s *Store) locate(ctx context.Context, subject string, head cachedHead, rev uint64) (uint64, error) {
	if !head.Exists || rev > head.Revision {
		return 0, fmt.Errorf("natsstore: revision %d is past the head of %s", rev, subject)
	}
	if rev == head.Revision {
		return head.seq, nil
	}
	// lo..hi bounds rev's sequence; (lowQ, lowR) and (upQ, upR) are the
	// nearest known messages below and above it (sequence, revision), the
	// one below starting as a virtual revision -1 at sequence 0.
	lo, hi := rev+1, head.seq-(head.Revision-rev)
	lowQ, lowR := uint64(0), int64(-1)
	upQ, upR := head.seq, int64(head.Revision)
	p := hi
	for step := 0; ; step++ {
		msgs, err := s.readConsistent(ctx, directGetRequest{Seq: p, NextFor: subject, Batch: 1}, head.seq, 0)
		if err != nil {
			return 0, err
		}
		if len(msgs) == 0 {
			return 0, fmt.Errorf("%w: %s has no message at or after sequence %d below its head %d", eventstore.ErrUnavailable, subject, p, head.seq)
		}
		q := msgs[0].seq
		e, err := eventstore.UnmarshalStored(msgs[0].data, q)
		if err != nil {
			return 0, err
		}
		switch r := e.Revision; {
		case r == rev:
			return q, nil
		case r > rev:
			// rev lies before p, and before q by at least r-rev messages.
			hi = min(p-1, q-(r-rev))
			upQ, upR = q, int64(r)
		default:
			lo = q + (rev - r)
			lowQ, lowR = q, int64(r)
		}
		if lo > hi {
			return 0, fmt.Errorf("%w: revision %d of %s not found between its neighbours", eventstore.ErrChainBroken, rev, subject)
		}
		// Interpolate between the neighbours (streams interleave evenly
		// with others over short spans), bisecting every other step so
		// that an uneven log still costs O(log n) probes.
		if step%2 == 0 {
			p = lowQ + uint64(float64(int64(rev)-lowR)*float64(upQ-lowQ)/float64(upR-lowR))
		} else {
			p = lo + (hi-lo)/2
		}
		p = min(max(p, lo), hi)
	}
}
