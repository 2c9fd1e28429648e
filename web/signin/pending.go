package signin

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Pending holds the sign-ins under way (Authorization, keyed by state)
// until their callback, for at most TTL; each is taken once.
type Pending struct {
	TTL time.Duration
	Max int

	mu sync.Mutex
	m  map[[32]byte]Authorization
}

// Put keeps a; when Max are held, the expired ones go, and if none has, a
// is dropped (the browser is told to try again) rather than an older one.
func (p *Pending) Put(a Authorization, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[[32]byte]Authorization{}
	}
	if len(p.m) >= p.max() {
		for k, x := range p.m {
			if now.Sub(x.Created) >= p.ttl() {
				delete(p.m, k)
			}
		}
		if len(p.m) >= p.max() {
			return false
		}
	}
	p.m[sha256.Sum256([]byte(a.State))] = a
	return true
}

// Take removes and returns the sign-in of state, if it is still in time.
func (p *Pending) Take(state string, now time.Time) (Authorization, bool) {
	k := sha256.Sum256([]byte(state))
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.m[k]
	delete(p.m, k)
	if !ok || now.Sub(a.Created) >= p.ttl() {
		return Authorization{}, false
	}
	return a, true
}

func (p *Pending) ttl() time.Duration {
	if p.TTL <= 0 {
		return 10 * time.Minute
	}
	return p.TTL
}

func (p *Pending) max() int {
	if p.Max <= 0 {
		return 10_000
	}
	return p.Max
}
