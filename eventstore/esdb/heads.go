package esdb

import (
	"sync"

	"github.com/tasharuk/tasharuk/eventstore"
)

// headCache remembers the heads of recently written streams so that an
// aggregate written again does not have to be read first. It is only an
// optimisation: a stale entry makes the server refuse the write with a
// wrong expected version, and the store then reads the head again.
type headCache struct {
	mu  sync.Mutex
	max int
	m   map[string]eventstore.Head
}

func (c *headCache) init(max int) {
	c.max = max
	c.m = make(map[string]eventstore.Head)
}

func (c *headCache) get(stream string) (eventstore.Head, bool) {
	c.mu.Lock()
	h, ok := c.m[stream]
	c.mu.Unlock()
	return h, ok
}

func (c *headCache) put(stream string, h eventstore.Head) {
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

func (c *headCache) forget(stream string) {
	c.mu.Lock()
	delete(c.m, stream)
	c.mu.Unlock()
}

// streamLocks serialises appends to one stream within the process, so that
// they queue rather than fail each other's concurrency checks.
type streamLocks struct {
	mu sync.Mutex
	m  map[string]*streamLock
}

type streamLock struct {
	mu   sync.Mutex
	refs int
}

func (l *streamLocks) lock(stream string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*streamLock)
	}
	sl := l.m[stream]
	if sl == nil {
		sl = &streamLock{}
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
