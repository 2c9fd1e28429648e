package es

import (
	"context"
	"slices"
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

// streamQueue is one stream's queue. One command at a time has the stream
// (the turn holder); the others wait in arrival order. A turn holder that
// runs a combinable command (Run) may take the waiters behind it that fold
// the stream the same way and decide them with its own, in one commit.
type streamQueue struct {
	mu      sync.Mutex
	busy    bool      // a turn holder has the stream
	waiting []*ticket // in arrival order
	// refs counts the commands holding or waiting for the stream (guarded
	// by streamQueues.mu); the queue, and its kept state, goes at zero.
	refs int
	// kept is the state the turn holders' last commit left (a *kept[S]),
	// or nil. Only the turn holder reads or writes it.
	kept any
}

type ticketState uint8

const (
	queued   ticketState = iota
	leading              // its own goroutine has the stream
	taken                // a turn holder decides it with its own
	answered             // a turn holder decided it: the answer is in member
)

// ticket is one command's place in a stream's queue.
type ticket struct {
	ctx context.Context
	// key says how the command folds the stream; the zero key is never
	// combined with another command.
	key    foldKey
	member any           // *member[S] when key is set
	state  ticketState   // guarded by streamQueue.mu
	wake   chan struct{} // one send: leading or answered
}

func newTicket(ctx context.Context, key foldKey, m any) *ticket {
	return &ticket{ctx: ctx, key: key, member: m, wake: make(chan struct{}, 1)}
}

var queues streamQueues

// enter queues t on the stream and waits until t has the stream (leading)
// or a turn holder answered it (answered). It fails with ctx's error if
// ctx ends while t is still waiting; once taken, t waits for its answer (a
// turn holder answers a taken command whose ctx ended with ctx.Err()
// without deciding it). leave must be called once enter succeeded, after
// handing the stream on.
func (q *streamQueues) enter(ctx context.Context, store eventstore.Store, stream string, t *ticket) (sq *streamQueue, leave func(), err error) {
	k := queueKey{store, stream}
	q.mu.Lock()
	if q.m == nil {
		q.m = make(map[queueKey]*streamQueue)
	}
	sq = q.m[k]
	if sq == nil {
		sq = &streamQueue{}
		q.m[k] = sq
	}
	sq.refs++
	q.mu.Unlock()
	leave = func() {
		q.mu.Lock()
		if sq.refs--; sq.refs == 0 {
			delete(q.m, k)
		}
		q.mu.Unlock()
	}
	sq.mu.Lock()
	if !sq.busy {
		sq.busy = true
		t.state = leading
		sq.mu.Unlock()
		return sq, leave, nil
	}
	sq.waiting = append(sq.waiting, t)
	sq.mu.Unlock()
	select {
	case <-t.wake:
		return sq, leave, nil
	case <-ctx.Done():
	}
	sq.mu.Lock()
	if t.state == queued {
		sq.waiting = slices.DeleteFunc(sq.waiting, func(w *ticket) bool { return w == t })
		sq.mu.Unlock()
		leave()
		return nil, nil, ctx.Err()
	}
	sq.mu.Unlock()
	<-t.wake
	return sq, leave, nil
}

// handOn gives the stream to the first waiter, or frees it.
func (sq *streamQueue) handOn() {
	sq.mu.Lock()
	defer sq.mu.Unlock()
	if len(sq.waiting) == 0 {
		sq.busy = false
		return
	}
	next := sq.waiting[0]
	sq.waiting = sq.waiting[1:]
	next.state = leading
	next.wake <- struct{}{}
}

// take takes the first waiter if it folds the stream as key says, for the
// turn holder to decide with its own; nil if there is none.
func (sq *streamQueue) take(key foldKey) *ticket {
	if key.fn == 0 {
		return nil
	}
	sq.mu.Lock()
	defer sq.mu.Unlock()
	if len(sq.waiting) == 0 || sq.waiting[0].key != key {
		return nil
	}
	t := sq.waiting[0]
	sq.waiting = sq.waiting[1:]
	t.state = taken
	return t
}

// putBack returns taken commands to the front of the queue, in their
// order (their events did not fit in the commit being prepared).
func (sq *streamQueue) putBack(ts []*ticket) {
	if len(ts) == 0 {
		return
	}
	sq.mu.Lock()
	defer sq.mu.Unlock()
	for _, t := range ts {
		t.state = queued
	}
	sq.waiting = append(slices.Clip(ts), sq.waiting...)
}

// answer wakes a taken command whose answer is ready.
func (sq *streamQueue) answer(t *ticket) {
	sq.mu.Lock()
	t.state = answered
	sq.mu.Unlock()
	t.wake <- struct{}{}
}
