package es

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Decided is an event a decision produced: a payload and when it happened
// in the world (zero: when recorded).
type Decided struct {
	Payload    proto.Message
	OccurredAt time.Time
}

// MaxAttempts bounds how often a command is decided again after a writer
// in another process changed the stream first (commands of this process
// on one stream wait their turn and never conflict with each other), and
// RetryFor how long it keeps trying. Between attempts it waits a short,
// random, growing time, so that processes racing on one aggregate spread
// out. The budget is there for a storm, not for ordinary load: each attempt
// loses only to a command of another process landing in between.
const (
	MaxAttempts = 32
	RetryFor    = 10 * time.Second
)

// Execute runs one command on one stream: it waits for the stream's turn
// among this process's commands (in arrival order), reads the stream,
// folds it into a state with fold, asks decide for events, and appends
// them with the revision it read. When another process wrote first it
// reads and decides again, within MaxAttempts and RetryFor, then fails with
// a Conflict fault (REVISION_CONFLICT). A decision that refuses the
// command on the state it sees (a client acting on a stale view) fails with
// decide's own error, as without the queue. It returns the log position
// written (0 when the decision produced no events). An event without an
// occurrence time happened when the service's clock now says (the store's
// own clock only stamps recorded_at).
func Execute[S any](ctx context.Context, store eventstore.Store, reg *Registry, stream string, actor eventstore.Actor, now func() time.Time,
	fold func(S, *eventstore.Event, proto.Message) S, decide func(S) ([]Decided, error)) (uint64, error) {
	t := newTicket(ctx, foldKey{}, nil)
	sq, leave, err := queues.enter(ctx, store, stream, t)
	if err != nil {
		return 0, err
	}
	defer leave()
	defer sq.handOn()
	// This command folds the stream its own way and writes past any state
	// kept for combined commands: that state is no longer the stream's.
	sq.kept = nil
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	correlation := uuid.Must(uuid.NewV7()).String()
	deadline := time.Now().Add(RetryFor)
	for attempt := 1; ; attempt++ {
		pos, err := executeOnce(ctx, store, reg, stream, actor, now, fold, decide, correlation)
		if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			return pos, err
		}
		if attempt >= MaxAttempts || time.Now().After(deadline) {
			return 0, fault.New(fault.Conflict, "REVISION_CONFLICT", "the record kept changing while this act was recorded; try again")
		}
		if err := backoff(ctx, attempt); err != nil {
			return 0, err
		}
	}
}

// Backoff is the wait between Execute's attempts, for commands that write
// several streams and so cannot go through Execute (attempt counts from 1).
func Backoff(ctx context.Context, attempt int) error { return backoff(ctx, attempt) }

// backoff waits a random time up to 2^attempt ms (at most 100 ms).
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Duration(1)<<min(attempt, 7)*time.Millisecond, 100*time.Millisecond)
	t := time.NewTimer(rand.N(limit) + time.Millisecond/2)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// executeOnce reads, decides and appends once.
func executeOnce[S any](ctx context.Context, store eventstore.Store, reg *Registry, stream string, actor eventstore.Actor, now func() time.Time,
	fold func(S, *eventstore.Event, proto.Message) S, decide func(S) ([]Decided, error), correlation string) (uint64, error) {
	var st S
	exp := eventstore.NoStream
	evs, err := store.ReadStream(ctx, stream, 0, 0)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
	case err != nil:
		return 0, err
	default:
		for i := range evs {
			p, err := reg.DecodeEvent(&evs[i])
			if err != nil {
				return 0, err
			}
			st = fold(st, &evs[i], p)
		}
		exp = eventstore.Exact(evs[len(evs)-1].Revision)
	}
	decided, err := decide(st)
	if err != nil {
		return 0, err
	}
	if len(decided) == 0 {
		return 0, nil
	}
	proposed := make([]eventstore.Proposed, len(decided))
	for i, d := range decided {
		if d.OccurredAt.IsZero() && now != nil {
			d.OccurredAt = now()
		}
		proposed[i], err = reg.Propose(d.Payload, Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: d.OccurredAt, Actor: actor, CorrelationID: correlation})
		if err != nil {
			return 0, err
		}
	}
	res, err := store.Append(ctx, stream, exp, proposed)
	if err != nil {
		return 0, err
	}
	return res.Position, nil
}

// Run is Execute for an aggregate written the usual way: evolve folds a
// Recorded into the state, decide decides a command with the shared
// Context, and command builds the command from the fresh state (most
// commands ignore it).
//
// When evolve is a named function (a domain's Evolve, not a closure), the
// state is a function of the stream alone, so Run keeps it between the
// commands queued on the stream and combines them: the turn holder decides
// the commands waiting behind it, in arrival order, each on the state the
// one before left, and commits all their events in one append (see
// combine). With any other evolve (a closure may fold per command, as the
// receipt ledgers do) each command reads, decides and appends alone, as
// Execute does; so does a command run with RunAlone. Within a group a
// command sees the events of those before it with the time they were
// decided as recorded_at (the store stamps the real one at the commit);
// no domain's Decide reads recorded_at, and the state kept after a commit
// is evolved with the recorded events, never with those stand-ins. decide
// and command must not keep the state (or a map of it) past their return:
// it is the kept state, which the next commits evolve.
func Run[S, C any](ctx context.Context, store eventstore.Store, reg *Registry, stream string, actor eventstore.Actor, now func() time.Time,
	evolve func(S, Recorded) S, decide func(S, C, Context) ([]Decided, error), command func(S) (C, error)) (uint64, error) {
	decideOne := func(st S) ([]Decided, error) {
		c, err := command(st)
		if err != nil {
			return nil, err
		}
		return decide(st, c, Context{Now: now(), Actor: actor})
	}
	if key := foldKeyOf[S](evolve); key.fn != 0 {
		return combine(ctx, store, reg, stream, actor, now, key, evolve, decideOne)
	}
	return runAlone(ctx, store, reg, stream, actor, now, evolve, decideOne)
}

// RunAlone is Run for a command whose decision acts outside the log — it
// stores or destroys something, or takes a number from another stream —
// before its events are recorded. Combined, it would be decided on a state
// holding other commands' events that are not committed yet (and may never
// be), and its effect could not be undone; so it waits its turn like any
// command but is decided on the state the log holds, read afresh, and
// appended alone.
func RunAlone[S, C any](ctx context.Context, store eventstore.Store, reg *Registry, stream string, actor eventstore.Actor, now func() time.Time,
	evolve func(S, Recorded) S, decide func(S, C, Context) ([]Decided, error), command func(S) (C, error)) (uint64, error) {
	return runAlone(ctx, store, reg, stream, actor, now, evolve, func(st S) ([]Decided, error) {
		c, err := command(st)
		if err != nil {
			return nil, err
		}
		return decide(st, c, Context{Now: now(), Actor: actor})
	})
}

func runAlone[S any](ctx context.Context, store eventstore.Store, reg *Registry, stream string, actor eventstore.Actor, now func() time.Time,
	evolve func(S, Recorded) S, decide func(S) ([]Decided, error)) (uint64, error) {
	fold := func(st S, e *eventstore.Event, p proto.Message) S { return evolve(st, RecordedFrom(e, p)) }
	return Execute(ctx, store, reg, stream, actor, now, fold, decide)
}
