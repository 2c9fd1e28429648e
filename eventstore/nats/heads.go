package natsstore

import (
	"sync"

	"github.com/tasharuk/tasharuk/eventstore"
)

// cachedHead is a stream's head with the JetStream sequence of its last
// message (0 for a stream with no events), the value the next append
// expects as the subject's last sequence.
type cachedHead struct {
	eventstore.Head
	seq uint64
}

// headCache remembers the heads of recently written streams so that an
// aggregate written again does not have to be read first. It is only an
// optimisation: a stale entry makes the server refuse the write, and the
// store then reads the head again.
type headCache struct {
	mu  sync.Mutex
	max int
	m   map[string]cachedHead
}

func (c *headCache) init(max int) {
	c.max = max
	c.m = make(map[string]cachedHead)
}

func (c *headCache) get(stream string) (cachedHead, bool) {
	c.mu.Lock()
	h, ok := c.m[stream]
	c.mu.Unlock()
	return h, ok
}

func (c *headCache) put(stream string, h cachedHead) {
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
