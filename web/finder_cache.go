package web

import (
	"sync"
	"time"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// listingFresh is how long a council's listing may serve readers after
// the log has moved on, unless a reader asks for a later position (?at=,
// after their own act): the finder may lag others' acts by this much,
// never the reader's own.
const listingFresh = 2 * time.Second

// listingCache keeps each council's listing of petitions (by council and
// API filter) with the log position it reflects, so the finder does not
// ask the API for every petition of the country on every page.
type listingCache struct {
	mu      sync.Mutex
	entries map[string]listing
}

type listing struct {
	head  uint64
	taken time.Time
	list  []*petitionsv1.Petition
}

// get returns the listing if it reflects head, or is recent and reflects
// at least the position the reader asked for (want).
func (c *listingCache) get(key string, head, want uint64, now time.Time) ([]*petitionsv1.Petition, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if e.head == head || (want <= e.head && now.Sub(e.taken) < listingFresh) {
		return e.list, true
	}
	return nil, false
}

// maxListings bounds the cache: councils × filters.
const maxListings = 4096

func (c *listingCache) put(key string, head uint64, now time.Time, list []*petitionsv1.Petition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxListings {
		c.entries = map[string]listing{}
	}
	c.entries[key] = listing{head: head, taken: now, list: list}
}

// foldCache keeps each petition's folded text by revision, so a search
// folds a petition's words once, not on every query.
type foldCache struct {
	mu   sync.RWMutex
	docs map[string]foldedDoc
}

type foldedDoc struct {
	revision uint64
	doc      string
}

// maxFolded bounds the cache; past it the cache starts again.
const maxFolded = 200_000

func (c *foldCache) doc(p *petitionsv1.Petition, council string) string {
	c.mu.RLock()
	d, ok := c.docs[p.GetName()]
	c.mu.RUnlock()
	if ok && d.revision == p.GetRevision() {
		return d.doc
	}
	doc := index(p.GetTitle(), p.GetRequest(), p.GetReasons(), council)
	c.mu.Lock()
	if c.docs == nil || len(c.docs) >= maxFolded {
		c.docs = map[string]foldedDoc{}
	}
	c.docs[p.GetName()] = foldedDoc{revision: p.GetRevision(), doc: doc}
	c.mu.Unlock()
	return doc
}
