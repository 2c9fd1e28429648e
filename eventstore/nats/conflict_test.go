package natsstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"testing"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// A conflict, and a retry of an append that others wrote after, cost a
// number of reads that does not grow with the stream: none beyond the head
// for the usual conflict (someone wrote the revision first), and a
// logarithmic number of small probes from the head for a retry deep in a
// stream interleaved with another.
func TestConflictPathReadsDoNotGrowWithTheStream(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	ctx := context.Background()
	const st = "case.long"
	const n = 3000
	var deep struct {
		exp eventstore.ExpectedRevision
		evs []eventstore.Proposed
		res eventstore.AppendResult
	}
	for i := range n {
		exp := eventstore.NoStream
		if i > 0 {
			exp = eventstore.Exact(uint64(i - 1))
		}
		evs := []eventstore.Proposed{storetest.Event("test.E", fmt.Sprint(i))}
		res, err := s.Append(ctx, st, exp, evs)
		if err != nil {
			t.Fatal(err)
		}
		if i == n/3 {
			deep.exp, deep.evs, deep.res = exp, evs, res
		}
		if i%2 == 0 {
			if _, err := s.Append(ctx, "case.beside", eventstore.Any, []eventstore.Proposed{storetest.Event("test.O", "o")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// reads returns the read requests f made, after checking that they
	// fetched no more messages than twice that plus the 5 of the tail read.
	reads := func(f func()) uint64 {
		before, msgsBefore := s.Stats().Reads.Load(), s.Stats().ReadMsgs.Load()
		f()
		r, m := s.Stats().Reads.Load()-before, s.Stats().ReadMsgs.Load()-msgsBefore
		if m > 2*r+5 {
			t.Fatalf("%d reads fetched %d messages", r, m)
		}
		return r
	}

	// A writer that saw revision n-2 loses to the one that wrote n-1.
	r := reads(func() {
		_, err := s.Append(ctx, st, eventstore.Exact(n-2), []eventstore.Proposed{storetest.Event("test.Late", "x")})
		var wrong *eventstore.WrongExpectedRevisionError
		if !errors.As(err, &wrong) || wrong.Actual != n-1 {
			t.Fatalf("stale append: %v, want a conflict at revision %d", err, n-1)
		}
	})
	if r > 1 {
		t.Fatalf("a conflict at the head took %d reads, want at most 1 (the head)", r)
	}

	// A retry of an append now 2,000 revisions behind the head.
	limit := uint64(bits.Len(uint(2*n))) + 3
	r = reads(func() {
		res, err := s.Append(ctx, st, deep.exp, deep.evs)
		if err != nil || !res.Duplicate || res.Position != deep.res.Position {
			t.Fatalf("deep retry: %+v, %v; want the original at position %d", res, err, deep.res.Position)
		}
	})
	if r > limit {
		t.Fatalf("a retry deep in the stream took %d reads, want at most %d", r, limit)
	}
	t.Logf("deep retry: %d reads", r)

	// Reading the tail of the stream is a few reads, not a walk from its start.
	r = reads(func() {
		got, err := s.ReadStream(ctx, st, n-5, 0)
		if err != nil || len(got) != 5 || got[0].Revision != n-5 {
			t.Fatalf("tail read: %d events, %v", len(got), err)
		}
	})
	if r > limit {
		t.Fatalf("reading the last 5 events took %d reads, want at most %d", r, limit)
	}
	t.Logf("tail read: %d reads", r)
}
