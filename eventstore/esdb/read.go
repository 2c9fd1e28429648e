package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	esdbc "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/eventstore"
)

// readPage is how many events one read of a stream asks for.
const readPage = 1000

// maxReadAll bounds the events one ReadAll returns.
const maxReadAll = 10000

// decode turns a recorded EventStoreDB event of stream id into a tasharuk
// event at position pos, checking that the envelope agrees with where the
// server keeps it.
func decode(id string, rec *esdbc.RecordedEvent, pos uint64) (eventstore.Event, error) {
	e, err := eventstore.UnmarshalStored(rec.Data, pos)
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("esdb: %s revision %d: %w", id, rec.EventNumber, err)
	}
	if e.Stream != id || e.Revision != rec.EventNumber || e.ID != rec.EventID.String() {
		return eventstore.Event{}, fmt.Errorf("%w: %s revision %d (event %s) holds the envelope of %s revision %d (event %s)",
			eventstore.ErrChainBroken, id, rec.EventNumber, rec.EventID, e.Stream, e.Revision, e.ID)
	}
	return e, nil
}

// readHead reads the last event of a stream.
func (s *Store) readHead(ctx context.Context, stream string) (eventstore.Head, error) {
	c := s.conn()
	rs, err := c.ReadStream(ctx, s.name(stream), esdbc.ReadStreamOptions{Direction: esdbc.Backwards, From: esdbc.End{}}, 1)
	if err != nil {
		return eventstore.Head{}, s.fail(ctx, c, "read head of "+stream, err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) || isNotFound(err) {
		return eventstore.Head{}, nil
	}
	if err != nil {
		return eventstore.Head{}, s.fail(ctx, c, "read head of "+stream, err)
	}
	rec := ev.OriginalEvent()
	e, err := decode(stream, rec, 0)
	if err != nil {
		return eventstore.Head{}, err
	}
	return eventstore.Head{Exists: true, Revision: e.Revision, Hash: e.Hash, LastID: e.ID}, nil
}

func isNotFound(err error) bool {
	var e *esdbc.Error
	return errors.As(err, &e) && e.Code() == esdbc.ErrorCodeResourceNotFound
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	if err := eventstore.ValidateStreamID(stream); err != nil {
		return nil, err
	}
	ctx, leave, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	var recs []*esdbc.RecordedEvent
	next := from
	for {
		count := uint64(readPage)
		if limit > 0 {
			count = min(count, uint64(limit-len(recs)))
		}
		page, err := s.readStreamPage(ctx, stream, next, count)
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s", eventstore.ErrStreamNotFound, stream)
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, page...)
		if uint64(len(page)) < count || (limit > 0 && len(recs) >= limit) {
			break
		}
		next = page[len(page)-1].EventNumber + 1
	}
	if len(recs) == 0 {
		return nil, nil
	}
	// Positions come from the index, which may not have seen the newest
	// events yet.
	if err := s.idx.ensure(ctx, s, stream, recs[len(recs)-1].EventNumber); err != nil {
		return nil, s.fail(ctx, s.conn(), "index "+stream, err)
	}
	out := make([]eventstore.Event, len(recs))
	for i, rec := range recs {
		pos, ok := s.idx.lookup(stream, rec.EventNumber)
		if !ok {
			return nil, fmt.Errorf("esdb: %s revision %d is not in the position index", stream, rec.EventNumber)
		}
		if out[i], err = decode(stream, rec, pos); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readStreamPage reads up to count events of a stream from revision from;
// a stream with no events fails with the client's not-found error.
func (s *Store) readStreamPage(ctx context.Context, stream string, from, count uint64) ([]*esdbc.RecordedEvent, error) {
	c := s.conn()
	rs, err := c.ReadStream(ctx, s.name(stream), esdbc.ReadStreamOptions{Direction: esdbc.Forwards, From: esdbc.Revision(from)}, count)
	if err != nil {
		return nil, s.fail(ctx, c, "read "+stream, err)
	}
	defer rs.Close()
	var out []*esdbc.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if isNotFound(err) {
			return nil, err
		}
		if err != nil {
			return nil, s.fail(ctx, c, "read "+stream, err)
		}
		out = append(out, ev.OriginalEvent())
	}
}

// ReadAll implements eventstore.Store. Position i is the i-th event of $all
// that belongs to the store; see the package documentation.
func (s *Store) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Event, error) {
	if from == 0 {
		from = 1
	}
	if limit <= 0 || limit > maxReadAll {
		limit = maxReadAll
	}
	ctx, leave, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := s.idx.extend(ctx, s); err != nil {
		return nil, err
	}
	end := s.idx.length()
	if from > end {
		return []eventstore.Event{}, nil
	}
	want := min(uint64(limit), end-from+1)
	out := make([]eventstore.Event, 0, want)
	// Read from the event before the first wanted (or the start), skipping
	// it: a forward read of $all starts at the position it is given.
	var cursor esdbc.AllPosition = esdbc.Start{}
	last, seen := s.idx.allPosition(from - 1)
	if seen {
		cursor = last
	}
	for uint64(len(out)) < want {
		c := s.conn()
		rs, err := c.ReadAll(ctx, esdbc.ReadAllOptions{Direction: esdbc.Forwards, From: cursor}, max(want-uint64(len(out)), 64)+1)
		if err != nil {
			return nil, s.fail(ctx, c, "read $all", err)
		}
		fresh := 0
		for uint64(len(out)) < want {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				return nil, s.fail(ctx, c, "read $all", err)
			}
			rec := ev.OriginalEvent()
			if seen && !after(rec.Position, last) {
				// A read from a position starts at that position.
				continue
			}
			fresh++
			last, seen = rec.Position, true
			id, ok := s.belongs(rec.StreamID)
			if !ok {
				continue
			}
			pos := from + uint64(len(out))
			if at, _ := s.idx.allPosition(pos); at != rec.Position {
				rs.Close()
				return nil, fmt.Errorf("esdb: $all holds %s revision %d at %d/%d where the index expects position %d at %d/%d",
					id, rec.EventNumber, rec.Position.Commit, rec.Position.Prepare, pos, at.Commit, at.Prepare)
			}
			e, err := decode(id, rec, pos)
			if err != nil {
				rs.Close()
				return nil, err
			}
			out = append(out, e)
		}
		rs.Close()
		if fresh == 0 {
			return nil, fmt.Errorf("esdb: $all ended before position %d, which the index holds", from+uint64(len(out)))
		}
		cursor = last
	}
	return out, nil
}

// LastPosition implements eventstore.Store: the number of the log's events
// in $all.
func (s *Store) LastPosition(ctx context.Context) (uint64, error) {
	ctx, leave, err := s.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer leave()
	if err := s.idx.extend(ctx, s); err != nil {
		return 0, err
	}
	return s.idx.length(), nil
}

// Subscribe implements eventstore.Store with a catch-up subscription to
// $all, filtered on the server by the stream-name prefix. It starts after
// the $all position of event from-1 (or at the start), delivers the
// recorded events, then follows the log live. A dropped subscription (the
// server restarted, the connection broke) is resumed after the last
// delivered event.
func (s *Store) Subscribe(ctx context.Context, from uint64, handle func(eventstore.Event) error) error {
	if from == 0 {
		from = 1
	}
	parent := ctx
	ctx, leave, err := s.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	ended := func(err error) error {
		if parent.Err() != nil {
			return parent.Err()
		}
		if s.closed.Load() {
			return eventstore.ErrClosed
		}
		return err
	}
	if err := s.idx.extend(ctx, s); err != nil {
		return ended(err)
	}
	// k events of the log come before the subscription's first.
	k := min(from-1, s.idx.length())
	var start esdbc.AllPosition = esdbc.Start{}
	if k > 0 {
		start, _ = s.idx.allPosition(k)
	}
	wait := 100 * time.Millisecond
	for {
		c := s.conn()
		sub, err := c.SubscribeToAll(ctx, esdbc.SubscribeToAllOptions{
			From:   start,
			Filter: &esdbc.SubscriptionFilter{Type: esdbc.StreamFilterType, Prefixes: []string{s.cfg.Prefix}},
		})
		if err != nil {
			err = s.fail(ctx, c, "subscribe to $all", err)
			if ended(nil) != nil || !resumable(err) {
				return ended(err)
			}
		} else {
			var dropped error
			for dropped == nil {
				ev := sub.Recv()
				switch {
				case ev.EventAppeared != nil:
					rec := ev.EventAppeared.OriginalEvent()
					id, ok := s.belongs(rec.StreamID)
					if !ok {
						continue
					}
					pos := k + 1
					if err := s.idx.observe(pos, rec.Position, id, rec.EventNumber, rec.Data); err != nil {
						_ = sub.Close()
						return err
					}
					k, start = pos, rec.Position
					wait = 100 * time.Millisecond
					if pos < from {
						continue
					}
					e, err := decode(id, rec, pos)
					if err == nil {
						err = handle(e)
					}
					if err != nil {
						_ = sub.Close()
						return err
					}
				case ev.SubscriptionDropped != nil:
					dropped = s.fail(ctx, c, "subscription to $all", ev.SubscriptionDropped.Error)
				}
			}
			_ = sub.Close()
			if ended(nil) != nil || !resumable(dropped) {
				return ended(dropped)
			}
			s.cfg.Logger.Warn("esdb: subscription dropped; resubscribing", "after", k, "err", dropped)
		}
		select {
		case <-ctx.Done():
			return ended(ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// resumable reports whether a subscription that ended with err should be
// opened again: the server could not be reached, or it dropped the
// subscription and asks for a new one (Aborted: "consumer too slow").
func resumable(err error) bool {
	return errors.Is(err, eventstore.ErrUnavailable) || status.Code(err) == codes.Aborted
}
