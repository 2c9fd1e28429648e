package natsstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

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
