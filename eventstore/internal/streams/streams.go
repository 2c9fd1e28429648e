// Package streams holds what every event-log backend needs per stream: a
// cache of recently written heads and per-stream append locks.
package streams

import "sync"

// HeadCache remembers the heads of recently written streams so that an
// aggregate written again does not have to be read first. It is only an
// optimisation: a stale entry makes the server refuse the write (wrong
// expected revision), and the store then reads the head again. V is the
// backend's head (with whatever the backend's concurrency check needs).
type HeadCache[V any] struct {
	mu  sync.Mutex
	max int
	m   map[string]V
}

// Init sets the cache to hold at most max heads.
func (c *HeadCache[V]) Init(max int) {
	c.max = max
	c.m = make(map[string]V)
}

// Get returns the cached head of stream.
func (c *HeadCache[V]) Get(stream string) (V, bool) {
	c.mu.Lock()
	h, ok := c.m[stream]
	c.mu.Unlock()
	return h, ok
}

// Put caches the head of stream.
func (c *HeadCache[V]) Put(stream string, h V) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Drop about a quarter of the entries; map order is random enough.
		n := c.max / 4
		for k := range c.m {
			delete(c.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[stream] = h
	c.mu.Unlock()
}

// Forget drops the cached head of stream.
func (c *HeadCache[V]) Forget(stream string) {
	c.mu.Lock()
	delete(c.m, stream)
	c.mu.Unlock()
}

// Locks serialises appends to one stream within the process, so that they
// queue rather than fail each other's concurrency checks. Waiters are
// served in arrival order (a hot stream's writers take turns), and a waiter
// whose append is already known to fail is told so without being given the
// lock (see LockUnless). The zero value is ready to use.
type Locks struct {
	mu sync.Mutex
	m  map[string]*lock
}

type lock struct {
	waiters []*waiter
}

type waiter struct {
	skip func() bool
	// ch says true when the lock is the waiter's, false when skip said
	// the waiter no longer needs it.
	ch chan bool
}

// Lock waits for stream's lock and returns its release.
func (l *Locks) Lock(stream string) (unlock func()) {
	unlock, _ = l.LockUnless(stream, nil)
	return unlock
}

// LockUnless waits for stream's lock unless skip reports, before or while
// waiting, that the caller no longer needs it (its expectation is already
// contradicted): then it returns locked false at once. skip runs with the
// table's mutex held, from whichever goroutine releases the lock, and must
// be quick.
func (l *Locks) LockUnless(stream string, skip func() bool) (unlock func(), locked bool) {
	l.mu.Lock()
	if skip != nil && skip() {
		l.mu.Unlock()
		return nil, false
	}
	if l.m == nil {
		l.m = make(map[string]*lock)
	}
	sl := l.m[stream]
	if sl == nil {
		sl = &lock{}
		l.m[stream] = sl
		l.mu.Unlock()
		return func() { l.release(stream, sl) }, true
	}
	release := func() { l.release(stream, sl) }
	w := &waiter{skip: skip, ch: make(chan bool, 1)}
	sl.waiters = append(sl.waiters, w)
	l.mu.Unlock()
	if <-w.ch {
		return release, true
	}
	return nil, false
}

// release hands the lock to the first waiter that still needs it, telling
// those before it that they do not, or frees it.
func (l *Locks) release(stream string, sl *lock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(sl.waiters) > 0 {
		w := sl.waiters[0]
		sl.waiters[0] = nil
		sl.waiters = sl.waiters[1:]
		if w.skip != nil && w.skip() {
			w.ch <- false
			continue
		}
		w.ch <- true
		return
	}
	delete(l.m, stream)
}
