package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/fanout"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

func openNATS(t *testing.T) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// counting counts the subscriptions open on the store beneath the fanout.
type counting struct {
	eventstore.Store
	open, peak, delivered atomic.Int64
}

func (c *counting) Subscribe(ctx context.Context, from uint64, handle func(eventstore.Event) error) error {
	n := c.open.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	defer c.open.Add(-1)
	return c.Store.Subscribe(ctx, from, func(e eventstore.Event) error {
		c.delivered.Add(1)
		return handle(e)
	})
}

// The shared store passes the event store's conformance suite, with a ring
// of 4 so that its subscriptions go behind the ring and back.
func TestConformanceShared(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		f := fanout.New(openNATS(t), 4)
		t.Cleanup(f.Stop)
		return f
	})
}

func appendN(t *testing.T, s eventstore.Store, n int, tag string) {
	t.Helper()
	for i := range n {
		if _, err := s.Append(context.Background(), fmt.Sprintf("case.%s%d", tag, i%5), eventstore.Any,
			[]eventstore.Proposed{storetest.Event("test.Added", fmt.Sprint(tag, i))}); err != nil {
			t.Fatal(err)
		}
	}
}

// sub is one subscriber's record of what it was given.
type sub struct {
	from uint64
	slow time.Duration
	mu   sync.Mutex
	got  []uint64
	ids  []string
	err  chan error
}

func (s *sub) run(ctx context.Context, st eventstore.Store) {
	s.err <- st.Subscribe(ctx, s.from, func(e eventstore.Event) error {
		if s.slow > 0 && e.Position%7 == 0 {
			time.Sleep(s.slow)
		}
		s.mu.Lock()
		s.got = append(s.got, e.Position)
		s.ids = append(s.ids, e.ID)
		s.mu.Unlock()
		return nil
	})
}

func (s *sub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// Subscribers from the start, the middle, the head and beyond it, fast
// and slow (a ring of 16 that the slow ones fall out of), while events are
// appended: each gets every event from its position, in order, once, with
// the ids the log holds at those positions; a handler's error ends only
// its own subscription; cancelling returns context.Canceled; once all are
// at the head they share one subscription of the store beneath.
func TestEverySubscriberGetsEveryEventOnce(t *testing.T) {
	under := &counting{Store: openNATS(t)}
	f := fanout.New(under, 16)
	t.Cleanup(f.Stop)
	appendN(t, f, 200, "before")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	subs := []*sub{{from: 1}, {from: 1, slow: time.Millisecond}, {from: 100}, {from: 150, slow: 200 * time.Microsecond}, {from: 201}, {from: 0}, {from: 260}}
	for _, s := range subs {
		s.err = make(chan error, 1)
		go s.run(ctx, f)
	}
	// One that fails at position 120 ends alone, with its error.
	stop := errors.New("stop here")
	failed := make(chan error, 1)
	go func() {
		failed <- f.Subscribe(ctx, 110, func(e eventstore.Event) error {
			if e.Position == 120 {
				return stop
			}
			return nil
		})
	}()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); appendN(t, f, 50, fmt.Sprint("live", w)) }()
	}
	wg.Wait()
	if err := <-failed; !errors.Is(err, stop) {
		t.Fatalf("the failing subscriber ended with %v, want its handler's error", err)
	}
	const last = 400
	deadline := time.Now().Add(60 * time.Second)
	for _, s := range subs {
		want := last - int(max(s.from, 1)) + 1
		for s.count() < want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	// All at the head: they share one subscription (the hub), maybe with a
	// subscriber that has not noticed it could join yet; a few more events
	// let them join.
	for range 3 {
		appendN(t, f, 20, "join")
		time.Sleep(200 * time.Millisecond)
	}
	if n := under.open.Load(); n != 1 {
		t.Errorf("%d subscriptions open beneath %d subscribers at the head, want 1 (the hub)", n, len(subs))
	}
	all, err := under.ReadAll(context.Background(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	idAt := map[uint64]string{}
	for _, e := range all {
		idAt[e.Position] = e.ID
	}
	end := uint64(len(all))
	time.Sleep(100 * time.Millisecond) // let a duplicate show up
	cancel()
	for i, s := range subs {
		if err := <-s.err; !errors.Is(err, context.Canceled) {
			t.Errorf("subscriber %d ended with %v, want context.Canceled", i, err)
		}
		from := max(s.from, 1)
		if len(s.got) != int(end-from+1) {
			t.Errorf("subscriber %d from %d: %d events, want %d", i, from, len(s.got), end-from+1)
		}
		for k, p := range s.got {
			if p != from+uint64(k) || s.ids[k] != idAt[p] {
				t.Fatalf("subscriber %d from %d: delivery %d was position %d (%s), want %d (%s)", i, from, k, p, s.ids[k], from+uint64(k), idAt[from+uint64(k)])
			}
		}
	}
	t.Logf("subscriptions beneath: at most %d at once", under.peak.Load())
}

// After Stop, subscriptions still work, each on its own.
func TestStoppedStoreStillSubscribes(t *testing.T) {
	f := fanout.New(openNATS(t), 8)
	appendN(t, f, 30, "a")
	f.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []uint64
	err := f.Subscribe(ctx, 5, func(e eventstore.Event) error {
		got = append(got, e.Position)
		if e.Position == 30 {
			return errors.New("done")
		}
		return nil
	})
	if err == nil || err.Error() != "done" || len(got) != 26 || got[0] != 5 {
		t.Fatalf("after Stop: %v, %d events from %v", err, len(got), got[:min(1, len(got))])
	}
}

// The hub starts at the head: a subscriber catching up from position 1
// reads the old events through its own subscription only, not a second
// time through the hub's, then joins the hub for what is new.
func TestCatchingUpIsNotReadTwice(t *testing.T) {
	under := &counting{Store: openNATS(t)}
	f := fanout.New(under, 16)
	t.Cleanup(f.Stop)
	appendN(t, f, 500, "old")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Slower than a subscription: a hub reading from 1 would leave it
	// behind its ring, to read everything again on its own.
	s := &sub{from: 1, slow: time.Millisecond, err: make(chan error, 1)}
	go s.run(ctx, f)
	deadline := time.Now().Add(30 * time.Second)
	for s.count() < 500 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	appendN(t, f, 100, "new")
	for s.count() < 600 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-s.err; !errors.Is(err, context.Canceled) || s.count() != 600 {
		t.Fatalf("subscriber: %v after %d events, want context.Canceled after 600", err, s.count())
	}
	// 500 old events once, each new one at most twice (the own
	// subscription and the hub overlap until the subscriber joins).
	if n := under.delivered.Load(); n > 500+2*100 {
		t.Fatalf("the store beneath delivered %d events for 500 old and 100 new", n)
	}
	if n := under.delivered.Load(); n < 600 {
		t.Fatalf("the store beneath delivered %d events, fewer than the subscriber got", n)
	}
}
