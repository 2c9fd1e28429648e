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
// queue rather than fail each other's concurrency checks. The zero value is
// ready to use.
type Locks struct {
	mu sync.Mutex
	m  map[string]*lock
}

type lock struct {
	mu   sync.Mutex
	refs int
}

// Lock waits for stream's lock and returns its release.
func (l *Locks) Lock(stream string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*lock)
	}
	sl := l.m[stream]
	if sl == nil {
		sl = &lock{}
		l.m[stream] = sl
	}
	sl.refs++
	l.mu.Unlock()
	sl.mu.Lock()
	return func() {
		sl.mu.Unlock()
		l.mu.Lock()
		if sl.refs--; sl.refs == 0 {
			delete(l.m, stream)
		}
		l.mu.Unlock()
	}
}
