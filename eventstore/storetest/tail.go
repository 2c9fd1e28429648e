package storetest

import (
	"fmt"
	"testing"

	"github.com/tasharuk/tasharuk/eventstore"
)

// testReadFromAnyRevision: streams written interleaved with others (a
// busy log) read correctly from every revision, with and without a limit,
// and a retry of an append that others have since written after is
// recognised wherever it now lies.
func testReadFromAnyRevision(t *testing.T, s eventstore.Store) {
	const st = "case.tail"
	var want []eventstore.Event
	var retries []struct {
		expected eventstore.ExpectedRevision
		events   []eventstore.Proposed
		res      eventstore.AppendResult
	}
	for i := range 40 {
		exp := eventstore.NoStream
		if i > 0 {
			exp = eventstore.Exact(want[len(want)-1].Revision)
		}
		evs := events(1+i%3, fmt.Sprint("t", i))
		res := mustAppend(t, s, st, exp, evs)
		want = append(want, res.Events...)
		if i%7 == 0 {
			retries = append(retries, struct {
				expected eventstore.ExpectedRevision
				events   []eventstore.Proposed
				res      eventstore.AppendResult
			}{exp, evs, res})
		}
		// Other streams in between, a varying number of events each time.
		for j := range i % 4 {
			mustAppend(t, s, fmt.Sprintf("case.other%d", j), eventstore.Any, events(1+j, "o"))
		}
	}
	for from := range uint64(len(want)) + 2 {
		for _, limit := range []int{0, 1, 3} {
			got, err := s.ReadStream(ctxT(t), st, from, limit)
			if err != nil {
				t.Fatalf("read from %d limit %d: %v", from, limit, err)
			}
			exp := want[min(int(from), len(want)):]
			if limit > 0 && len(exp) > limit {
				exp = exp[:limit]
			}
			if len(got) != len(exp) {
				t.Fatalf("read from %d limit %d: %d events, want %d", from, limit, len(got), len(exp))
			}
			for i := range got {
				if got[i].ID != exp[i].ID || got[i].Revision != exp[i].Revision || got[i].Position != exp[i].Position {
					t.Fatalf("read from %d limit %d: event %d is %s rev %d pos %d, want %s rev %d pos %d", from, limit, i,
						got[i].ID, got[i].Revision, got[i].Position, exp[i].ID, exp[i].Revision, exp[i].Position)
				}
			}
		}
	}
	before, _ := s.LastPosition(ctxT(t))
	for _, r := range retries {
		got, err := s.Append(ctxT(t), st, r.expected, r.events)
		if err != nil {
			t.Fatalf("retry of the append at revision %d (expected %s): %v", r.res.Revision, r.expected, err)
		}
		if !got.Duplicate || got.Revision != r.res.Revision || got.Position != r.res.Position || len(got.Events) != len(r.res.Events) {
			t.Fatalf("retry of the append at revision %d: got revision %d position %d duplicate %v", r.res.Revision, got.Revision, got.Position, got.Duplicate)
		}
		// The same expectation with other events is a conflict.
		_, err = s.Append(ctxT(t), st, r.expected, events(len(r.events), "late"))
		wantWrongRevision(t, err, int64(want[len(want)-1].Revision))
	}
	if after, _ := s.LastPosition(ctxT(t)); after != before {
		t.Fatalf("retries and conflicts moved the log from %d to %d", before, after)
	}
}
