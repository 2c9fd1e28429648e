// Package fanout shares one subscription to the log among the service's
// in-process subscribers (the read models' follower, the checkpointer, the
// integration feed, the notifications outbox).
//
// Without it each of them held a JetStream consumer of its own: the
// server read and sent every event four times, the client parsed it four
// times and the store decoded its envelope four times (issue 17: about a
// seventh of serve's CPU per signature). With it, one upstream
// subscription (the hub) keeps the last events in a ring; a subscriber
// whose next position the ring covers reads from it, at its own pace, and
// one that is behind (catching up from an old position, or too slow to
// stay within the ring) reads through a subscription of its own until the
// ring covers it again. Each subscriber still gets every event from its
// position, in order, once; its handler's error and its context end only
// its subscription, as with eventstore.Store.Subscribe. The hub never
// waits for a subscriber.
//
// Subscribers share the events they are given: a handler must not change
// an event's byte slices (none does; the store's decoders copy).
package fanout

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/tasharuk/tasharuk/eventstore"
)

// DefaultRing is how many of the last events the hub keeps.
const DefaultRing = 8192

// Store is an eventstore.Store whose Subscribe is shared (see the package
// comment); every other method is the underlying store's.
type Store struct {
	eventstore.Store

	ring int

	mu     sync.Mutex
	closed bool
	hub    *hub
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New shares s's subscriptions, keeping the last ring events (DefaultRing
// if ring <= 0). Stop stops the hub; Close closes s.
func New(s eventstore.Store, ring int) *Store {
	if ring <= 0 {
		ring = DefaultRing
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Store{Store: s, ring: ring, ctx: ctx, cancel: cancel}
}

// Stop stops the hub's subscription and waits for it. Subscriptions still
// running go on through subscriptions of their own.
func (s *Store) Stop() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// hub is one upstream subscription and the ring of what it delivered.
type hub struct {
	mu sync.Mutex
	// ring holds entries n-len..n-1 of everything the hub received (n
	// counts them all); entry k is at ring[k%cap].
	ring []eventstore.Event
	n    int
	// cover: the hub has delivered every event with a position in
	// [cover, through] (through = cover-1 while nothing came).
	cover, through uint64
	// wake is closed (and replaced) when an entry arrives or the hub ends.
	wake    chan struct{}
	waiting bool
	done    bool
}

// hubFor returns the running hub if it covers position next now (it has
// every event from next it received, and has received those before next),
// starting one at the head if none runs; nil if the store is closed or the
// hub does not cover next (a subscriber behind it, or ahead of it while it
// catches up, reads on its own meanwhile).
func (s *Store) hubFor(next uint64) *hub {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if h := s.hub; h != nil {
		h.mu.Lock()
		done, covers := h.done, h.cover <= next && next <= h.through+1
		h.mu.Unlock()
		if !done {
			if covers {
				return h
			}
			return nil
		}
	}
	// The hub serves what is new: it starts at the head, not at an old
	// position, so a subscriber catching up (the read models without a
	// snapshot) is not read twice, by its own subscription and the hub's.
	start := next
	if head, err := s.Store.LastPosition(s.ctx); err == nil && head+1 > start {
		start = head + 1
	}
	h := &hub{ring: make([]eventstore.Event, 0, s.ring), cover: start, through: start - 1, wake: make(chan struct{})}
	s.hub = h
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.Store.Subscribe(s.ctx, start, h.put)
		h.mu.Lock()
		h.done = true
		h.notify()
		h.mu.Unlock()
	}()
	if start != next {
		return nil
	}
	return h
}

// put takes one event from the upstream subscription.
func (h *hub) put(e eventstore.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ring) < cap(h.ring) {
		h.ring = append(h.ring, e)
	} else {
		// The oldest entry leaves: the hub no longer covers its position.
		old := &h.ring[h.n%cap(h.ring)]
		h.cover = old.Position + 1
		*old = e
	}
	h.n++
	h.through = e.Position
	h.notify()
	return nil
}

// notify wakes the readers waiting for an entry; h.mu is held.
func (h *hub) notify() {
	if h.waiting {
		close(h.wake)
		h.wake = make(chan struct{})
		h.waiting = false
	}
}

// errBehind: the reader's next entry has left the ring, or the hub ended.
var errBehind = errors.New("fanout: behind the ring")

// read delivers the hub's events from position next to handle until ctx
// ends, handle fails or the reader falls behind (errBehind); it returns
// the next position to deliver.
func (h *hub) read(ctx context.Context, next uint64, handle func(eventstore.Event) error) (uint64, error) {
	h.mu.Lock()
	if h.cover > next {
		h.mu.Unlock()
		return next, errBehind
	}
	// The first entry at or after next (entries are in position order).
	first := h.n - len(h.ring)
	k := first + sort.Search(len(h.ring), func(i int) bool { return h.entry(first+i).Position >= next })
	h.mu.Unlock()
	for {
		h.mu.Lock()
		if k < h.n-len(h.ring) {
			h.mu.Unlock()
			return next, errBehind
		}
		if k == h.n {
			if h.done {
				h.mu.Unlock()
				return next, errBehind
			}
			h.waiting = true
			wake := h.wake
			h.mu.Unlock()
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return next, ctx.Err()
			}
		}
		e := h.entry(k)
		h.mu.Unlock()
		k++
		if e.Position < next {
			continue
		}
		if err := handle(e); err != nil {
			return next, err
		}
		next = e.Position + 1
	}
}

// entry k of the ring; h.mu is held.
func (h *hub) entry(k int) eventstore.Event { return h.ring[k%cap(h.ring)] }

// errAttach ends a subscriber's own subscription once the hub covers it.
var errAttach = errors.New("fanout: the hub covers this subscriber")

// Subscribe delivers every event from position from to handle, as
// eventstore.Store.Subscribe does: from the hub while it covers the
// subscriber's next position, through a subscription of its own while it
// does not.
func (s *Store) Subscribe(ctx context.Context, from uint64, handle func(eventstore.Event) error) error {
	if from == 0 {
		from = 1
	}
	next := from
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if h := s.hubFor(next); h != nil {
			var err error
			if next, err = h.read(ctx, next, handle); !errors.Is(err, errBehind) {
				return err
			}
		}
		// Behind the hub (or no hub): a subscription of its own, until the
		// hub covers the next position again.
		checked := 0
		err := s.Store.Subscribe(ctx, next, func(e eventstore.Event) error {
			if err := handle(e); err != nil {
				return err
			}
			next = e.Position + 1
			if checked++; checked%16 == 0 && s.hubFor(next) != nil {
				return errAttach
			}
			return nil
		})
		if !errors.Is(err, errAttach) {
			return err
		}
	}
}
