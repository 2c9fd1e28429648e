package esdb

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	esdbc "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/tasharuk/tasharuk/eventstore"
)

// indexPage is how many events of $all one read asks for while the index
// is extended.
const indexPage = 1000

// recentSize is how many of the last indexed events keep a digest of their
// stored bytes, so that an append can tell its own write from an earlier,
// identical one without reading the events back.
const recentSize = 8192

// index maps tasharuk's dense global positions to EventStoreDB's $all
// positions. Position i (1-based) is the i-th event of $all whose stream
// belongs to the store (its name has the store's prefix); the index is
// built by reading $all from the start and extended by reading it from
// where the last extension stopped. It costs about 24 bytes per event plus
// the stream names, all in memory.
type index struct {
	// extendMu admits one reader of $all at a time.
	extendMu sync.Mutex
	// scanned is the position of the last event of $all read (any stream);
	// valid when scannedAny.
	scanned    esdbc.Position
	scannedAny bool

	mu sync.RWMutex
	// at[i] is the $all position of tasharuk position i+1.
	at []esdbc.Position
	// streams maps a stream id to the positions of its events, by revision.
	streams map[string][]uint64
	recent  [recentSize]recentEntry
}

type recentEntry struct {
	pos    uint64
	digest [sha256.Size]byte
}

func (x *index) init() { x.streams = make(map[string][]uint64) }

// after reports whether $all position a comes after b.
func after(a, b esdbc.Position) bool {
	return a.Commit > b.Commit || (a.Commit == b.Commit && a.Prepare > b.Prepare)
}

// length returns the number of indexed events: the last position.
func (x *index) length() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return uint64(len(x.at))
}

// allPosition returns the $all position of tasharuk position pos.
func (x *index) allPosition(pos uint64) (esdbc.Position, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if pos == 0 || pos > uint64(len(x.at)) {
		return esdbc.Position{}, false
	}
	return x.at[pos-1], true
}

// lookup returns the position of a stream's event.
func (x *index) lookup(stream string, rev uint64) (uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	revs := x.streams[stream]
	if rev >= uint64(len(revs)) {
		return 0, false
	}
	return revs[rev], true
}

// digest returns the digest of the stored bytes of the event at pos, if it
// is still among the recent ones.
func (x *index) digest(pos uint64) ([sha256.Size]byte, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e := x.recent[pos%recentSize]
	return e.digest, e.pos == pos
}

// add indexes the next event of the log, the one after every indexed event;
// an event at or before the last indexed one is already there. x.mu is
// held.
func (x *index) addLocked(p esdbc.Position, stream string, rev uint64, data []byte) error {
	if n := len(x.at); n > 0 && !after(p, x.at[n-1]) {
		return nil
	}
	revs := x.streams[stream]
	if rev != uint64(len(revs)) {
		return fmt.Errorf("esdb: $all holds revision %d of stream %s after %d of its events: the stream was changed outside tasharuk (deleted, truncated or written out of order)", rev, stream, len(revs))
	}
	x.at = append(x.at, p)
	pos := uint64(len(x.at))
	x.streams[stream] = append(revs, pos)
	x.recent[pos%recentSize] = recentEntry{pos: pos, digest: sha256.Sum256(data)}
	return nil
}

// observe checks an event a subscription delivered as position pos against
// the index, adding it when it is the next one.
func (x *index) observe(pos uint64, p esdbc.Position, stream string, rev uint64, data []byte) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := uint64(len(x.at))
	switch {
	case pos <= n:
		if x.at[pos-1] != p {
			return fmt.Errorf("esdb: subscription delivered %s revision %d at $all %d/%d as position %d, which the index places at %d/%d",
				stream, rev, p.Commit, p.Prepare, pos, x.at[pos-1].Commit, x.at[pos-1].Prepare)
		}
		return nil
	case pos == n+1:
		return x.addLocked(p, stream, rev, data)
	default:
		return fmt.Errorf("esdb: subscription delivered position %d, the index ends at %d", pos, n)
	}
}

// extend reads $all from where the index stopped to its current end.
func (x *index) extend(ctx context.Context, s *Store) error {
	x.extendMu.Lock()
	defer x.extendMu.Unlock()
	for {
		var from esdbc.AllPosition = esdbc.Start{}
		if x.scannedAny {
			from = x.scanned
		}
		c := s.conn()
		rs, err := c.ReadAll(ctx, esdbc.ReadAllOptions{Direction: esdbc.Forwards, From: from}, indexPage)
		if err != nil {
			return s.fail(ctx, c, "read $all", err)
		}
		got, err := x.extendPage(s, rs)
		rs.Close()
		if err != nil {
			return s.fail(ctx, c, "read $all", err)
		}
		if got < indexPage {
			return nil
		}
	}
}

// extendPage indexes one page of $all and returns how many events it held.
func (x *index) extendPage(s *Store, rs *esdbc.ReadStream) (int, error) {
	got := 0
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got++
		rec := ev.OriginalEvent()
		if rec == nil {
			continue
		}
		if x.scannedAny && !after(rec.Position, x.scanned) {
			// A read from a position starts at that position.
			continue
		}
		x.scanned, x.scannedAny = rec.Position, true
		id, ok := s.belongs(rec.StreamID)
		if !ok {
			continue
		}
		x.mu.Lock()
		err = x.addLocked(rec.Position, id, rec.EventNumber, rec.Data)
		x.mu.Unlock()
		if err != nil {
			return got, err
		}
	}
}

// ensure extends the index until it holds revision rev of a stream, which
// the caller knows to be recorded.
func (x *index) ensure(ctx context.Context, s *Store, stream string, rev uint64) error {
	wait := 2 * time.Millisecond
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := x.lookup(stream, rev); ok {
			return nil
		}
		if err := x.extend(ctx, s); err != nil {
			return err
		}
		if _, ok := x.lookup(stream, rev); ok {
			return nil
		}
		// A node answers reads of $all from its index, which may lag the
		// write it acknowledged by a moment.
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: revision %d of stream %s is recorded but not (yet) in $all", eventstore.ErrUnavailable, rev, stream)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}
