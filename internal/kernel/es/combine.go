package es

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// maxCombined bounds how many commands one turn holder decides and commits
// together; the events of one commit are also bounded, by
// eventstore.MaxAppendEvents.
const maxCombined = 64

// foldKey says how a command folds its stream: a named evolve function and
// the state's type. Commands with one key on one stream see one state.
type foldKey struct {
	fn  uintptr
	typ reflect.Type
}

// anonymous matches the runtime names of closures and method values: one
// code pointer serves every instance of a closure, whatever it captured,
// so a closure cannot say that two commands fold alike.
var anonymous = regexp.MustCompile(`\.func\d+($|\.)|\.gowrap\d+|-fm$`)

// foldKeyOf returns evolve's key, or the zero key (never combined) when
// evolve is not a named function.
func foldKeyOf[S any](evolve func(S, Recorded) S) foldKey {
	pc := reflect.ValueOf(evolve).Pointer()
	if !namedFunc(pc) {
		return foldKey{}
	}
	return foldKey{fn: pc, typ: reflect.TypeFor[S]()}
}

// named caches namedFunc's answer per code pointer: every command asks,
// and a function's name does not change.
var named sync.Map // uintptr → bool

// namedFunc reports whether pc is a named function's, not a closure's or
// a method value's.
func namedFunc(pc uintptr) bool {
	if v, ok := named.Load(pc); ok {
		return v.(bool)
	}
	f := runtime.FuncForPC(pc)
	ok := pc != 0 && f != nil && !anonymous.MatchString(f.Name())
	named.Store(pc, ok)
	return ok
}

// kept is a stream's state as this process's last commit left it: the
// recorded events of that commit folded into the state it was decided on,
// so it is what a read of the stream would give, unless another process
// wrote since (the append's expected revision then says so). It holds the
// stream's events as evolve sees them too: a group whose commands must be
// decided on events not yet recorded evolves those on a state folded
// afresh from them, never on this one (an evolve may change a map in
// place), so this state only ever sees recorded events.
type kept[S any] struct {
	key    foldKey
	state  S
	head   eventstore.ExpectedRevision
	events []Recorded
}

// member is one command of a combined commit.
type member[S any] struct {
	t           *ticket
	decide      func(S) ([]Decided, error)
	actor       eventstore.Actor
	now         func() time.Time
	correlation string
	deadline    time.Time
	lost        int // attempts lost to a write of another process

	done     bool
	pos      uint64
	err      error
	panicked *panicked
	// This attempt: its events are proposed[first:first+n] of the commit;
	// onPending says it was decided on a state holding events of the
	// commit (not yet recorded).
	first, n  int
	onPending bool
}

// panicked is a decision's panic, raised again in its command's goroutine.
type panicked struct {
	value any
	stack []byte
}

func (m *member[S]) decideOn(st S) (d []Decided, err error) {
	defer func() {
		if r := recover(); r != nil {
			m.panicked = &panicked{value: r, stack: debug.Stack()}
			d, err = nil, nil
		}
	}()
	return m.decide(st)
}

// combine runs one command of Run on stream. It waits for its turn; a turn
// holder ahead of it may decide it (then combine returns that answer).
// Given the turn, it decides its own command and those waiting behind it
// with the same fold, in arrival order, each on the state the one before
// left (a refused command gets its error and contributes nothing), and
// appends every accepted event in one atomic append with one expected
// revision. Each command gets its own answer: the position of its last
// event, or its error. The state is kept between turns while commands
// queue on the stream, so a command decides without reading the stream.
//
// When another process wrote the stream first, the group is decided again
// on a fresh read, each command within its own budget (MaxAttempts,
// RetryFor); when the append fails otherwise, nothing was acknowledged and
// every command that wrote, or was decided on a state holding those
// writes, gets the error. A command whose ctx ended before it was decided
// gets ctx.Err() and is not decided.
func combine[S any](ctx context.Context, store eventstore.Store, reg *Registry, stream string, actor eventstore.Actor, now func() time.Time,
	key foldKey, evolve func(S, Recorded) S, decide func(S) ([]Decided, error)) (uint64, error) {
	m := &member[S]{decide: decide, actor: actor, now: now, correlation: uuid.Must(uuid.NewV7()).String(), deadline: time.Now().Add(RetryFor)}
	m.t = newTicket(ctx, key, m)
	sq, leave, err := queues.enter(ctx, store, stream, m.t)
	if err != nil {
		return 0, err
	}
	defer leave()
	if m.t.state == leading {
		func() {
			defer sq.handOn()
			if err := ctx.Err(); err != nil {
				m.done, m.err = true, err
				return
			}
			g := &group[S]{sq: sq, store: store, reg: reg, stream: stream, key: key, evolve: evolve, self: m, members: []*member[S]{m}}
			g.run()
		}()
	}
	if p := m.panicked; p != nil {
		panic(fmt.Sprintf("%v\n\nraised while deciding a command on %s:\n%s", p.value, stream, p.stack))
	}
	return m.pos, m.err
}

// group is a turn holder's commands: its own first, then those it took.
type group[S any] struct {
	sq      *streamQueue
	store   eventstore.Store
	reg     *Registry
	stream  string
	key     foldKey
	evolve  func(S, Recorded) S
	self    *member[S]
	members []*member[S]
}

func (g *group[S]) run() {
	defer func() {
		if r := recover(); r != nil {
			// An evolve or the store panicked: answer everyone, keep nothing.
			g.sq.kept = nil
			for _, m := range g.members {
				if !m.done {
					g.finish(m, 0, fmt.Errorf("es: recording a command on %s failed: %v", g.stream, r))
				}
			}
			panic(r)
		}
	}()
	k, have := g.sq.kept.(*kept[S])
	have = have && k.key == g.key
	// Whatever happens now, the kept state is consumed: it is put back only
	// once a commit is known to have landed on it.
	g.sq.kept = nil
	taking := true
	for round := 1; ; round++ {
		live := g.live()
		if len(live) == 0 {
			return
		}
		ctx, stop := groupContext(live)
		if !have {
			var err error
			if k, err = g.load(ctx); err != nil {
				stop()
				for _, m := range live {
					g.finish(m, 0, err)
				}
				return
			}
			have = true
		}
		proposed := g.decideAll(k, taking)
		taking = false
		if len(proposed) == 0 {
			stop()
			for _, m := range g.live() {
				g.finish(m, m.pos, m.err)
			}
			g.sq.kept = k
			return
		}
		res, err := g.store.Append(ctx, g.stream, k.head, proposed)
		stop()
		switch {
		case err == nil:
			g.committed(k, res, len(proposed))
			return
		case errors.Is(err, eventstore.ErrWrongExpectedRevision):
			// Another process wrote the stream: read it and decide again.
			have = false
			live = g.live()
			for _, m := range live {
				if m.lost++; m.lost >= MaxAttempts || time.Now().After(m.deadline) {
					g.finish(m, 0, fault.New(fault.Conflict, "REVISION_CONFLICT", "the record kept changing while this act was recorded; try again"))
				}
			}
			if live = g.live(); len(live) == 0 {
				return
			}
			ctx, stop := groupContext(live)
			err := backoff(ctx, round)
			stop()
			if err != nil {
				for _, m := range live {
					g.finish(m, 0, m.t.ctx.Err())
				}
				return
			}
		default:
			// Not acknowledged, perhaps recorded: no answer decided on those
			// events stands.
			for _, m := range g.live() {
				if m.n > 0 || m.onPending {
					g.finish(m, 0, err)
				} else {
					g.finish(m, m.pos, m.err)
				}
			}
			return
		}
	}
}

// live returns the members not answered yet.
func (g *group[S]) live() []*member[S] {
	var out []*member[S]
	for _, m := range g.members {
		if !m.done {
			out = append(out, m)
		}
	}
	return out
}

// finish answers m; a taken member is woken.
func (g *group[S]) finish(m *member[S], pos uint64, err error) {
	m.done, m.pos, m.err = true, pos, err
	if m != g.self {
		g.sq.answer(m.t)
	}
}

// load reads and folds the whole stream.
func (g *group[S]) load(ctx context.Context) (*kept[S], error) {
	k := &kept[S]{key: g.key, head: eventstore.NoStream}
	evs, err := g.store.ReadStream(ctx, g.stream, 0, 0)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return k, nil
	case err != nil:
		return nil, err
	}
	if err := k.add(g.reg, g.evolve, evs); err != nil {
		return nil, err
	}
	return k, nil
}

// add evolves k with recorded events, decoded as a read decodes them.
func (k *kept[S]) add(reg *Registry, evolve func(S, Recorded) S, evs []eventstore.Event) error {
	for i := range evs {
		p, err := reg.DecodeEvent(&evs[i])
		if err != nil {
			return err
		}
		r := RecordedFrom(&evs[i], p)
		k.state = evolve(k.state, r)
		k.events = append(k.events, r)
	}
	if len(evs) > 0 {
		k.head = eventstore.Exact(evs[len(evs)-1].Revision)
	}
	return nil
}

// decideAll decides the live members in order on k's state, taking waiters
// behind them while taking is set, and returns the events to commit. A
// member after one with events is decided on a state folded afresh from
// k's events and evolved with those of the members before it, as they will
// be recorded but for recorded_at (the store stamps it at the commit; the
// member sees the time they were decided). k itself is not changed.
func (g *group[S]) decideAll(k *kept[S], taking bool) (proposed []eventstore.Proposed) {
	st, pending := k.state, false
	var unfolded []Recorded
	for i := 0; ; i++ {
		if i == len(g.members) {
			if !taking || len(g.members) >= maxCombined {
				break
			}
			t := g.sq.take(g.key)
			if t == nil {
				break
			}
			// The key holds the state's type, so this holds.
			g.members = append(g.members, t.member.(*member[S]))
		}
		m := g.members[i]
		if m.done {
			continue
		}
		m.pos, m.err, m.first, m.n, m.onPending = 0, nil, 0, 0, false
		if err := m.t.ctx.Err(); err != nil {
			g.finish(m, 0, err)
			continue
		}
		if len(unfolded) > 0 {
			if !pending {
				var fresh S
				for _, r := range k.events {
					fresh = g.evolve(fresh, r)
				}
				st, pending = fresh, true
			}
			for _, r := range unfolded {
				st = g.evolve(st, r)
			}
			unfolded = unfolded[:0]
		}
		m.onPending = pending
		decided, err := m.decideOn(st)
		switch {
		case m.panicked != nil:
			g.finish(m, 0, nil)
			continue
		case err != nil:
			m.err = err
			continue
		case len(decided) == 0:
			continue
		}
		ps, recs, err := g.propose(m, decided)
		if err != nil {
			m.err = err
			continue
		}
		if len(proposed) > 0 && len(proposed)+len(ps) > eventstore.MaxAppendEvents {
			// Too many events for one commit: this member and those after
			// it go back to the front of the queue, to be decided again.
			var back []*ticket
			for _, r := range g.members[i:] {
				switch {
				case r.done:
				case r.t.ctx.Err() != nil:
					g.finish(r, 0, r.t.ctx.Err())
				default:
					back = append(back, r.t)
				}
			}
			g.members = g.members[:i]
			g.sq.putBack(back)
			break
		}
		m.first, m.n = len(proposed), len(ps)
		proposed = append(proposed, ps...)
		unfolded = append(unfolded, recs...)
	}
	return proposed
}

// propose turns m's decided events into proposed events and the Recorded
// the next member's state is evolved with.
func (g *group[S]) propose(m *member[S], decided []Decided) ([]eventstore.Proposed, []Recorded, error) {
	ps := make([]eventstore.Proposed, len(decided))
	recs := make([]Recorded, len(decided))
	decidedAt := time.Now().UTC()
	for i, d := range decided {
		if d.OccurredAt.IsZero() && m.now != nil {
			d.OccurredAt = m.now()
		}
		id := uuid.Must(uuid.NewV7()).String()
		p, err := g.reg.Propose(d.Payload, Meta{ID: id, OccurredAt: d.OccurredAt, Actor: m.actor, CorrelationID: m.correlation})
		if err != nil {
			return nil, nil, err
		}
		occurred := d.OccurredAt
		if occurred.IsZero() {
			occurred = decidedAt
		}
		ps[i] = p
		recs[i] = Recorded{ID: id, Payload: d.Payload, OccurredAt: occurred.UTC(), RecordedAt: decidedAt, Actor: m.actor}
	}
	// One command's bad events must not fail the commands beside it.
	if err := eventstore.ValidateAppend(g.stream, ps); err != nil {
		return nil, nil, err
	}
	return ps, recs, nil
}

// committed answers the members of a commit that landed and keeps the
// state it left: k evolved with the recorded events, decoded as a read
// would decode them.
func (g *group[S]) committed(k *kept[S], res eventstore.AppendResult, n int) {
	whole := len(res.Events) == n
	for _, m := range g.live() {
		pos := m.pos
		if m.n > 0 {
			pos = res.Position
			if whole {
				pos = res.Events[m.first+m.n-1].Position
			}
		}
		g.finish(m, pos, m.err)
	}
	if !whole || k.add(g.reg, g.evolve, res.Events) != nil {
		// A backend that does not return the recorded events (or one that
		// does not decode): the next turn reads the stream.
		return
	}
	g.sq.kept = k
}

// groupContext returns a context for the group's reads, appends and waits:
// it carries the turn holder's values and ends when every member's own
// context has ended, so one client leaving does not fail the others.
func groupContext[S any](ms []*member[S]) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ms[0].t.ctx))
	var left atomic.Int32
	left.Store(int32(len(ms)))
	stops := make([]func() bool, len(ms))
	for i, m := range ms {
		stops[i] = context.AfterFunc(m.t.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
