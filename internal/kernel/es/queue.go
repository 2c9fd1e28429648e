package es

import (
	"context"
	"sync"

	"github.com/tasharuk/tasharuk/eventstore"
)

// streamQueues holds, for each stream with a command in progress in this
// process, the queue of its commands. Commands on one aggregate are decided
// in turn against the state the previous one left, so two clerks acting on
// one consultation at once never conflict with each other: only a writer in
// another process can, and Execute retries for that.
//
// It is one table for the process (commands are per process by nature); a
// key includes the store, so two stores in one process — two simulated
// processes in a test — stay independent and still meet through the log's
// concurrency check.
type streamQueues struct {
	mu sync.Mutex
	m  map[queueKey]*streamQueue
}

type queueKey struct {
	store  eventstore.Store
	stream string
}

type streamQueue struct {
	// turn holds a token while a command has the stream; blocked senders
	// are served in arrival order.
	turn chan struct{}
	refs int
}

var queues streamQueues

// acquire waits for the stream's turn, in arrival order, or for ctx to end.
func (q *streamQueues) acquire(ctx context.Context, store eventstore.Store, stream string) (release func(), err error) {
	k := queueKey{store, stream}
	q.mu.Lock()
	if q.m == nil {
		q.m = make(map[queueKey]*streamQueue)
	}
	sq := q.m[k]
	if sq == nil {
		sq = &streamQueue{turn: make(chan struct{}, 1)}
		q.m[k] = sq
	}
	sq.refs++
	q.mu.Unlock()
	drop := func() {
		q.mu.Lock()
		if sq.refs--; sq.refs == 0 {
			delete(q.m, k)
		}
		q.mu.Unlock()
	}
	select {
	case sq.turn <- struct{}{}:
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
	return func() {
		<-sq.turn
		drop()
	}, nil
}
