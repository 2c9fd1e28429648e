package natsstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// A lone appender pays no atomic batch: each of its appends is one plain
// publish. Many appenders at once still share commits (group commit).
func TestLoneAppendsArePlainPublishesAndLoadGroups(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	ctx := context.Background()
	for i := range 20 {
		exp := eventstore.NoStream
		if i > 0 {
			exp = eventstore.Exact(uint64(i - 1))
		}
		if _, err := s.Append(ctx, "case.lone", exp, []eventstore.Proposed{storetest.Event("test.E", fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if b, c := st.BatchCommits.Load(), st.Commits.Load(); b != 0 || c != 20 {
		t.Fatalf("20 lone appends took %d commits, %d of them atomic batches; want 20 plain publishes", c, b)
	}

	const writers = 256
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[w] = s.Append(ctx, fmt.Sprintf("case.crowd%d", w), eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.E", "c")})
		}()
	}
	before := st.Commits.Load()
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := st.Commits.Load() - before; c >= writers || st.BatchCommits.Load() == 0 {
		t.Fatalf("%d appends at once took %d commits (%d batches); want them grouped", writers, c, st.BatchCommits.Load())
	}
	t.Logf("%d appends at once: %d commits", writers, st.Commits.Load()-before)
}

// Multi-stream appends ride the group commits with the other appends, each
// as one unit: concurrent multi-stream appends share batches, and when a
// group is refused because one of them conflicts on the server (a stream
// another process wrote, unknown to this store's heads), that one fails
// whole — none of its streams written — while every other in the group
// lands whole, its events contiguous in the log.
func TestMultiStreamAppendsGroupAndAreNeverSplit(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	ctx := context.Background()
	// rawWrite records an event on stream behind the store's back, as
	// another process would.
	rawWrite := func(stream string) {
		t.Helper()
		ev := eventstore.Seal(stream, eventstore.Head{}, []eventstore.Proposed{storetest.Event("test.E", "elsewhere")}, time.Now())
		b, err := eventstore.MarshalStored(&ev[0])
		if err != nil {
			t.Fatal(err)
		}
		ack, err := s.Conn().Request("tasharuk.log."+stream, b, 5*time.Second)
		if err != nil || !strings.Contains(string(ack.Data), `"seq"`) {
			t.Fatalf("raw write: %v %s", err, ack.Data)
		}
	}
	const writers = 24
	retried := false
	for round := 0; round < 20 && !retried; round++ {
		taken := fmt.Sprintf("multi.taken%d", round)
		rawWrite(taken)
		before, err := s.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		retriesBefore, batchesBefore := s.Stats().BatchRetries.Load(), s.Stats().BatchCommits.Load()
		start := make(chan struct{})
		var wg sync.WaitGroup
		res := make([][]eventstore.AppendResult, writers)
		errs := make([]error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				parts := []eventstore.StreamAppend{
					{Stream: fmt.Sprintf("multi.r%d.w%d.a", round, w), Expected: eventstore.NoStream, Events: []eventstore.Proposed{storetest.Event("test.E", "a")}},
					{Stream: fmt.Sprintf("multi.r%d.w%d.b", round, w), Expected: eventstore.NoStream, Events: []eventstore.Proposed{storetest.Event("test.E", "b"), storetest.Event("test.E", "b2")}},
				}
				if w == writers/2 {
					parts = append(parts, eventstore.StreamAppend{Stream: taken, Expected: eventstore.NoStream, Events: []eventstore.Proposed{storetest.Event("test.E", "t")}})
				}
				<-start
				res[w], errs[w] = s.AppendMulti(ctx, parts)
			}()
		}
		close(start)
		wg.Wait()
		for w := range writers {
			a, b := fmt.Sprintf("multi.r%d.w%d.a", round, w), fmt.Sprintf("multi.r%d.w%d.b", round, w)
			if w == writers/2 {
				var wrong *eventstore.WrongExpectedRevisionError
				if !errors.As(errs[w], &wrong) || wrong.Stream != taken {
					t.Fatalf("round %d: the conflicting append: %v, want a wrong expected revision on %s", round, errs[w], taken)
				}
				for _, st := range []string{a, b} {
					if _, err := s.ReadStream(ctx, st, 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
						t.Fatalf("round %d: the refused append wrote %s (%v)", round, st, err)
					}
				}
				continue
			}
			if errs[w] != nil {
				t.Fatalf("round %d: writer %d: %v", round, w, errs[w])
			}
			// Its three events are consecutive in the log, a's then b's.
			pos := res[w][0].Position
			if res[w][1].Events[0].Position != pos+1 || res[w][1].Position != pos+2 {
				t.Fatalf("round %d: writer %d split: a at %d, b at %d-%d", round, w, pos, res[w][1].Events[0].Position, res[w][1].Position)
			}
			got, err := s.ReadAll(ctx, pos, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].Stream != a || got[1].Stream != b || got[2].Stream != b {
				t.Fatalf("round %d: writer %d: the log at %d holds %v", round, w, pos, got)
			}
		}
		if after, _ := s.LastPosition(ctx); after != before+3*(writers-1) {
			t.Fatalf("round %d: the log moved from %d to %d, want %d events", round, before, after, 3*(writers-1))
		}
		if s.Stats().BatchCommits.Load()-batchesBefore >= writers {
			t.Fatalf("round %d: %d multi-stream appends at once took %d batches; want them grouped", round, writers, s.Stats().BatchCommits.Load()-batchesBefore)
		}
		retried = s.Stats().BatchRetries.Load() > retriesBefore
	}
	if !retried {
		t.Fatal("in 20 rounds the conflicting append never shared a refused group; the test did not test the retry")
	}
}
