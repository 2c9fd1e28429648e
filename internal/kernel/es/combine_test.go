package es

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

var tally = NewRegistry([]Type{{Name: "territory.CouncilPopulationRecorded", Version: 1, Sample: &territoryeventsv1.CouncilPopulationRecorded{}}})

// counting is a real store that counts the appends and stream reads made
// through it (a counter, not a double: every call goes to the store).
// beforeAppend, when set, runs before each append.
type counting struct {
	eventstore.Store
	appends, reads atomic.Int64
	beforeAppend   func(n int64)
}

func (c *counting) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs []eventstore.Proposed) (eventstore.AppendResult, error) {
	n := c.appends.Add(1)
	if c.beforeAppend != nil {
		c.beforeAppend(n)
	}
	return c.Store.Append(ctx, stream, exp, evs)
}

func (c *counting) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	c.reads.Add(1)
	return c.Store.ReadStream(ctx, stream, from, limit)
}

func openNATS(t *testing.T) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// populations is an aggregate's state: the populations recorded, in order.
type populations struct {
	order []int64
	seen  map[int64]bool
	// recorded is each event's id and recorded_at, which only the commit
	// knows.
	recorded []string
}

// evolvePopulations is a named evolve, so Run keeps and combines. It
// updates its map in place, as some domains' Evolve do.
func evolvePopulations(st populations, r Recorded) populations {
	if st.seen == nil {
		st.seen = map[int64]bool{}
	}
	pop := r.Payload.(*territoryeventsv1.CouncilPopulationRecorded).GetPopulation()
	st.order = append(st.order, pop)
	st.seen[pop] = true
	st.recorded = append(st.recorded, fmt.Sprintf("%s@%d", r.ID, r.RecordedAt.UnixNano()))
	return st
}

func decidePopulation(st populations, pop int64, _ Context) ([]Decided, error) {
	if st.seen[pop] {
		return nil, fault.New(fault.FailedPrecondition, "ALREADY_RECORDED", "population %d already recorded", pop)
	}
	return []Decided{{Payload: &territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: pop}}}, nil
}

var testNow = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }

// runPop records pop on stream through Run; build (if set) sees the state
// first and may refuse.
func runPop(ctx context.Context, s eventstore.Store, stream string, pop int64, build func(populations) error) (uint64, error) {
	return Run(ctx, s, tally, stream, eventstore.Actor{Subject: fmt.Sprintf("clerk-%d", pop)}, testNow, evolvePopulations, decidePopulation,
		func(st populations) (int64, error) {
			if build != nil {
				if err := build(st); err != nil {
					return 0, err
				}
			}
			return pop, nil
		})
}

// waitQueued waits until n commands wait behind the turn holder.
func waitQueued(t *testing.T, s eventstore.Store, stream string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		queues.mu.Lock()
		sq := queues.m[queueKey{s, stream}]
		queues.mu.Unlock()
		got := 0
		if sq != nil {
			sq.mu.Lock()
			got = len(sq.waiting)
			sq.mu.Unlock()
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d commands queued, want %d", got, n)
		}
	}
}

// readPops returns the stream's events and their populations.
func readPops(t *testing.T, s eventstore.Store, stream string) ([]eventstore.Event, []int64) {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	pops := make([]int64, len(evs))
	for i := range evs {
		p, err := tally.DecodeEvent(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		pops[i] = p.(*territoryeventsv1.CouncilPopulationRecorded).GetPopulation()
	}
	return evs, pops
}

// holder starts a command that keeps the stream's turn until release is
// closed, and returns its result channel.
func holder(t *testing.T, s eventstore.Store, stream string, pop int64) (release func(), result <-chan error) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	res := make(chan error, 1)
	go func() {
		_, err := runPop(context.Background(), s, stream, pop, func(populations) error {
			select {
			case <-started:
			default:
				close(started)
			}
			<-hold
			return nil
		})
		res <- err
	}()
	<-started
	return func() { close(hold) }, res
}

// Commands queued on one stream while it is busy are decided in arrival
// order and committed together: every one succeeds with the position of its
// own event, the stream holds each once in arrival order, each with its own
// correlation id and actor, and the whole took one append per
// maxCombined commands.
func TestQueuedCommandsAreCommittedTogetherInArrivalOrder(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream, n = "case.combined", 100
	release, first := holder(t, s, stream, 0)
	pos := make([]uint64, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	// One more command arrives while the second group commits: it has the
	// stream to itself and decides on the state kept from that commit.
	var last string // the state it saw (printed: the map changes later)
	lastDone := make(chan error, 1)
	s.beforeAppend = func(a int64) {
		if a != 2 {
			return
		}
		go func() {
			_, err := runPop(context.Background(), s, stream, n+1, func(st populations) error { last = fmt.Sprint(st); return nil })
			lastDone <- err
		}()
		waitQueued(t, s, stream, 1)
	}
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pos[i], errs[i] = runPop(context.Background(), s, stream, int64(i), nil)
		}()
		waitQueued(t, s, stream, i) // arrival order is i's order
	}
	release()
	errs[0] = <-first
	wg.Wait()
	if err := <-lastDone; err != nil {
		t.Fatal(err)
	}
	reads := s.reads.Load()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	evs, pops := readPops(t, s, stream)
	if len(evs) != n+2 {
		t.Fatalf("%d events, want %d", len(evs), n+2)
	}
	// The kept state is the state a read gives, recorded_at included.
	var read populations
	for i := range evs[:n+1] {
		p, _ := tally.DecodeEvent(&evs[i])
		read = evolvePopulations(read, RecordedFrom(&evs[i], p))
	}
	if last != fmt.Sprint(read) {
		t.Fatalf("the kept state differs from a read:\n kept %v\n read %v", last, read)
	}
	corr := map[string]bool{}
	for i := 1; i <= n; i++ {
		if pops[i] != int64(i) {
			t.Fatalf("event %d records %d: not in arrival order (%v)", i, pops[i], pops)
		}
		if evs[i].Position != pos[i] {
			t.Fatalf("command %d answered position %d, its event is at %d", i, pos[i], evs[i].Position)
		}
		if evs[i].Actor.Subject != fmt.Sprintf("clerk-%d", i) || corr[evs[i].CorrelationID] {
			t.Fatalf("event %d: actor %q, correlation %q (seen before: %v)", i, evs[i].Actor.Subject, evs[i].CorrelationID, corr[evs[i].CorrelationID])
		}
		corr[evs[i].CorrelationID] = true
	}
	// The holder takes the first 63 behind it, the next turn the rest, the
	// last command commits alone; the stream was read once, by the holder.
	if want := int64((n+maxCombined)/maxCombined) + 1; s.appends.Load() != want || reads != 1 {
		t.Fatalf("%d appends and %d reads for %d commands, want %d and 1", s.appends.Load(), reads, n+2, want)
	}
	t.Logf("%d commands: %d appends, %d stream reads", n+1, s.appends.Load(), reads)
}

// Many commands at once on one stream (no arrival order forced): all
// succeed, each once, in fewer appends than commands.
func TestConcurrentCommandsShareCommits(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream, n = "case.hot", 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = runPop(context.Background(), s, stream, int64(i), nil)
		}()
	}
	wg.Wait()
	reads := s.reads.Load()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	_, pops := readPops(t, s, stream)
	seen := map[int64]bool{}
	for _, p := range pops {
		if seen[p] {
			t.Fatalf("population %d recorded twice", p)
		}
		seen[p] = true
	}
	if len(pops) != n {
		t.Fatalf("%d events, want %d", len(pops), n)
	}
	if s.appends.Load() >= n {
		t.Fatalf("%d appends for %d commands: none combined", s.appends.Load(), n)
	}
	t.Logf("%d commands at once: %d appends, %d stream reads", n, s.appends.Load(), reads)
}

// A command refused inside a group gets its own error and adds nothing;
// the commands around it are recorded in the same commit. The refusal is
// decided on the state its predecessor in the group left.
func TestRefusedCommandInAGroup(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream = "case.refused"
	release, first := holder(t, s, stream, 0)
	type result struct {
		pos uint64
		err error
	}
	res := make([]chan result, 4)
	cmds := []func() (uint64, error){
		func() (uint64, error) { return runPop(context.Background(), s, stream, 1, nil) },
		// Refused only on a state that holds the command before it.
		func() (uint64, error) {
			return runPop(context.Background(), s, stream, 99, func(st populations) error {
				if st.seen[1] {
					return fault.New(fault.FailedPrecondition, "AFTER_ONE", "1 is recorded")
				}
				return nil
			})
		},
		// An event the log cannot take (too large) fails its command alone.
		func() (uint64, error) {
			return Run(context.Background(), s, tally, stream, eventstore.Actor{}, testNow, evolvePopulations,
				func(populations, int64, Context) ([]Decided, error) {
					return []Decided{{Payload: &territoryeventsv1.CouncilPopulationRecorded{Code: strings.Repeat("x", eventstore.MaxPayloadSize), Population: 98}}}, nil
				}, func(populations) (int64, error) { return 0, nil })
		},
		func() (uint64, error) { return runPop(context.Background(), s, stream, 2, nil) },
	}
	for i, c := range cmds {
		res[i] = make(chan result, 1)
		go func() { p, err := c(); res[i] <- result{p, err} }()
		waitQueued(t, s, stream, i+1)
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	got := make([]result, 4)
	for i := range res {
		got[i] = <-res[i]
	}
	if _, reason, _ := fault.Classify(got[1].err); reason != "AFTER_ONE" || got[1].pos != 0 {
		t.Fatalf("the refused command answered %d, %v; want AFTER_ONE", got[1].pos, got[1].err)
	}
	if !errors.Is(got[2].err, eventstore.ErrInvalidEvent) || got[2].pos != 0 {
		t.Fatalf("the command with an oversized event answered %d, %v; want ErrInvalidEvent", got[2].pos, got[2].err)
	}
	got[2] = got[3]
	evs, pops := readPops(t, s, stream)
	if fmt.Sprint(pops) != "[0 1 2]" {
		t.Fatalf("the stream holds %v, want [0 1 2]", pops)
	}
	if got[0].err != nil || got[2].err != nil || got[0].pos != evs[1].Position || got[2].pos != evs[2].Position {
		t.Fatalf("neighbours answered %+v and %+v; events at %d and %d", got[0], got[2], evs[1].Position, evs[2].Position)
	}
	if s.appends.Load() != 1 {
		t.Fatalf("%d appends, want the one of the group", s.appends.Load())
	}
}

// Another process writes the stream between two turns of this one: the
// state kept from the first turn is stale, the append on it is refused by
// the log, and the command is decided again on the state read afresh (its
// decision counts the events it sees). Nothing is lost or doubled.
func TestKeptStateIsDroppedWhenAnotherProcessWrites(t *testing.T) {
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePorts(t, 1)[0])
	ns, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dir, KeysDir: dir, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Close() })
	other, err := natsstore.Open(context.Background(), natsstore.Config{URL: "nats://" + addr, Replicas: 1, NKeyFile: natsstore.SeedFile(dir, natsstore.UserService)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	s := &counting{Store: ns}
	const stream = "case.shared"
	ctx := context.Background()

	// The second command records 100 + the number of events it sees.
	var seenBy []int
	var mu sync.Mutex
	second := make(chan error, 1)
	wrote := false
	// The second command arrives while the first is committing (so it is
	// not taken into the first's group and the queue stays alive between
	// the turns); in its turn, another process writes before it decides.
	s.beforeAppend = func(n int64) {
		if n != 1 {
			return
		}
		go func() {
			_, err := Run(ctx, s, tally, stream, eventstore.Actor{}, testNow, evolvePopulations,
				func(st populations, _ int64, c Context) ([]Decided, error) {
					mu.Lock()
					seenBy = append(seenBy, len(st.order))
					mu.Unlock()
					return decidePopulation(st, int64(100+len(st.order)), c)
				},
				func(populations) (int64, error) {
					if !wrote {
						wrote = true
						p, err := tally.Propose(&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 7}, Meta{ID: "0193c4b2-0000-7000-8000-000000000007"})
						if err == nil {
							_, err = other.Append(ctx, stream, eventstore.Any, []eventstore.Proposed{p})
						}
						if err != nil {
							return 0, err
						}
					}
					return 0, nil
				})
			second <- err
		}()
		waitQueued(t, s, stream, 1)
	}
	if _, err := runPop(ctx, s, stream, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	reads := s.reads.Load()
	_, pops := readPops(t, s, stream)
	if fmt.Sprint(pops) != "[0 7 102]" {
		t.Fatalf("the stream holds %v, want [0 7 102]", pops)
	}
	// Decided first on the kept state (1 event, no read), then on a fresh
	// read (2 events): two reads in all, the first command's and the retry's.
	if fmt.Sprint(seenBy) != "[1 2]" || reads != 2 || s.appends.Load() != 3 {
		t.Fatalf("the second command saw %v events; %d reads, %d appends (want [1 2], 2, 3)", seenBy, reads, s.appends.Load())
	}
}

// A waiter whose context ends gets ctx.Err(), is not decided and records
// nothing, whether it was still queued or already taken into a group; the
// others are recorded.
func TestCancelledWaiterIsNotDecided(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream = "case.cancelled"
	release, first := holder(t, s, stream, 0)
	cctx, cancel := context.WithCancel(context.Background())
	var decided atomic.Bool
	res := make([]chan error, 3)
	for i := range res {
		res[i] = make(chan error, 1)
	}
	go func() {
		// Its predecessor's decision ends its context: it is then queued or
		// just taken, never decided.
		_, err := runPop(context.Background(), s, stream, 1, func(populations) error { cancel(); return nil })
		res[0] <- err
	}()
	waitQueued(t, s, stream, 1)
	go func() {
		_, err := runPop(cctx, s, stream, 2, func(populations) error { decided.Store(true); return nil })
		res[1] <- err
	}()
	waitQueued(t, s, stream, 2)
	go func() { _, err := runPop(context.Background(), s, stream, 3, nil); res[2] <- err }()
	waitQueued(t, s, stream, 3)
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-res[1]; !errors.Is(err, context.Canceled) || decided.Load() {
		t.Fatalf("the cancelled command answered %v (decided: %v), want context.Canceled, undecided", err, decided.Load())
	}
	if err0, err2 := <-res[0], <-res[2]; err0 != nil || err2 != nil {
		t.Fatalf("its neighbours: %v, %v", err0, err2)
	}
	if _, pops := readPops(t, s, stream); fmt.Sprint(pops) != "[0 1 3]" {
		t.Fatalf("the stream holds %v, want [0 1 3]", pops)
	}

	// Cancelled while queued, with nobody to take it: it leaves the queue.
	release, first = holder(t, s, stream, 4)
	qctx, qcancel := context.WithCancel(context.Background())
	go func() { _, err := runPop(qctx, s, stream, 5, nil); res[1] <- err }()
	waitQueued(t, s, stream, 1)
	qcancel()
	if err := <-res[1]; !errors.Is(err, context.Canceled) {
		t.Fatalf("a queued command whose context ended answered %v", err)
	}
	waitQueued(t, s, stream, 0)
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, pops := readPops(t, s, stream); fmt.Sprint(pops) != "[0 1 3 4]" {
		t.Fatalf("the stream holds %v, want [0 1 3 4]", pops)
	}
}

type evolver struct{ pop int64 }

func (e evolver) evolve(st populations, _ Recorded) populations {
	st.order = append(st.order, e.pop)
	return st
}

// Only a named evolve is combined: a closure's or a method value's code
// is shared by instances that fold differently (a closure capturing the
// request it looks for, as the receipt ledgers do).
func TestOnlyNamedEvolvesAreCombined(t *testing.T) {
	if foldKeyOf(evolvePopulations).fn == 0 {
		t.Fatal("a named evolve is not combined")
	}
	for pop := range int64(2) {
		closure := func(st populations, r Recorded) populations { st.order = append(st.order, pop); return st }
		if k := foldKeyOf(closure); k.fn != 0 {
			t.Fatalf("a closure is combined (key %v)", k)
		}
		if k := foldKeyOf(evolver{pop}.evolve); k.fn != 0 {
			t.Fatalf("a method value is combined (key %v)", k)
		}
	}
	if foldKeyOf(evolvePopulations) != foldKeyOf(evolvePopulations) {
		t.Fatal("one evolve has two keys")
	}
}

// A command run alone (RunAlone: it acts outside the log) is never taken
// into a group: the group before it stops there, it is decided on the
// committed state, appended alone, and the commands after it keep their
// arrival order.
func TestRunAloneIsNeverCombined(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream = "case.alone"
	ctx := context.Background()
	release, first := holder(t, s, stream, 0)
	res := make([]chan error, 3)
	var saw []int64
	var appendsBefore int64
	cmds := []func() error{
		func() error { _, err := runPop(ctx, s, stream, 1, nil); return err },
		func() error {
			_, err := RunAlone(ctx, s, tally, stream, eventstore.Actor{}, testNow, evolvePopulations, decidePopulation,
				func(st populations) (int64, error) {
					saw, appendsBefore = st.order, s.appends.Load()
					return 50, nil
				})
			return err
		},
		func() error { _, err := runPop(ctx, s, stream, 2, nil); return err },
	}
	for i, c := range cmds {
		res[i] = make(chan error, 1)
		go func() { res[i] <- c() }()
		waitQueued(t, s, stream, i+1)
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i := range res {
		if err := <-res[i]; err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	if fmt.Sprint(saw) != "[0 1]" || appendsBefore != 1 {
		t.Fatalf("the command run alone saw %v after %d appends, want [0 1] after the group's one", saw, appendsBefore)
	}
	if _, pops := readPops(t, s, stream); fmt.Sprint(pops) != "[0 1 50 2]" || s.appends.Load() != 3 {
		t.Fatalf("the stream holds %v after %d appends, want [0 1 50 2] after 3", pops, s.appends.Load())
	}
}

// Groups racing a writer that bypasses the queue (another process's
// appends, here direct on the same log) are decided again on a fresh read
// when it wins: every command lands once, none is lost or doubled.
func TestGroupsRetryAgainstAnotherWriter(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream, n, other = "case.raced", 48, 200
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := range other {
			p, err := tally.Propose(&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: int64(1000 + j)}, Meta{ID: fmt.Sprintf("0193c4b2-0000-7000-8000-%012d", j)})
			if err == nil {
				_, err = s.Store.Append(ctx, stream, eventstore.Any, []eventstore.Proposed{p})
			}
			if err != nil {
				errs[n] = err
				return
			}
		}
	}()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = runPop(ctx, s, stream, int64(i), nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	appends := s.appends.Load()
	_, pops := readPops(t, s, stream)
	seen := map[int64]bool{}
	for _, p := range pops {
		if seen[p] {
			t.Fatalf("population %d recorded twice", p)
		}
		seen[p] = true
	}
	if len(pops) != n+other {
		t.Fatalf("%d events, want %d", len(pops), n+other)
	}
	t.Logf("%d commands beside %d foreign appends: %d appends of commands, %d conflicts", n, other, appends, s.Store.(*natsstore.Store).Stats().Conflicts.Load())
}

// A whole group loses its commit to a write that bypassed the queue: it is
// read again and decided again as a whole, then committed in one append.
func TestGroupDecidedAgainAfterAConflict(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream = "case.regrouped"
	ctx := context.Background()
	release, first := holder(t, s, stream, 0)
	res := make([]chan error, 3)
	for i := range res {
		res[i] = make(chan error, 1)
		go func() { _, err := runPop(ctx, s, stream, int64(i+1), nil); res[i] <- err }()
		waitQueued(t, s, stream, i+1)
	}
	s.beforeAppend = func(n int64) {
		if n != 1 {
			return
		}
		p, err := tally.Propose(&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 2}, Meta{ID: "0193c4b2-0000-7000-8000-000000000002"})
		if err == nil {
			_, err = s.Store.Append(ctx, stream, eventstore.Any, []eventstore.Proposed{p})
		}
		if err != nil {
			t.Error(err)
		}
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// The foreign write recorded 2: decided again on it, command 2 is
	// refused, its neighbours land.
	errs := []error{<-res[0], <-res[1], <-res[2]}
	if _, reason, _ := fault.Classify(errs[1]); errs[0] != nil || errs[2] != nil || reason != "ALREADY_RECORDED" {
		t.Fatalf("after the conflict the group answered %v", errs)
	}
	if _, pops := readPops(t, s, stream); fmt.Sprint(pops) != "[2 0 1 3]" || s.appends.Load() != 2 {
		t.Fatalf("the stream holds %v after %d appends, want [2 0 1 3] after 2", pops, s.appends.Load())
	}
}

// A commit that fails for another reason than a conflict (here the log was
// closed under it) acknowledges nothing: every command that wrote, or was
// decided on the writes of one before it, gets the store's error; a
// refusal decided on the committed state alone stands.
func TestFailedCommitAnswersTheGroup(t *testing.T) {
	s := &counting{Store: openNATS(t)}
	const stream = "case.failed"
	ctx := context.Background()
	hold := make(chan struct{})
	started := make(chan struct{})
	res := make([]chan error, 3)
	for i := range res {
		res[i] = make(chan error, 1)
	}
	go func() {
		// Refused on the committed (empty) state, after holding the turn.
		_, err := runPop(ctx, s, stream, 0, func(populations) error {
			close(started)
			<-hold
			return fault.New(fault.FailedPrecondition, "NOT_YET", "refused on the committed state")
		})
		res[0] <- err
	}()
	<-started
	go func() { _, err := runPop(ctx, s, stream, 1, nil); res[1] <- err }()
	waitQueued(t, s, stream, 1)
	go func() {
		_, err := runPop(ctx, s, stream, 2, func(st populations) error {
			if !st.seen[1] {
				return errors.New("decided without the command before it")
			}
			return fault.New(fault.FailedPrecondition, "AFTER_ONE", "refused on 1, not recorded yet")
		})
		res[2] <- err
	}()
	waitQueued(t, s, stream, 2)
	s.beforeAppend = func(int64) { _ = s.Store.Close() }
	close(hold)
	errs := []error{<-res[0], <-res[1], <-res[2]}
	if _, reason, _ := fault.Classify(errs[0]); reason != "NOT_YET" || !errors.Is(errs[1], eventstore.ErrClosed) || !errors.Is(errs[2], eventstore.ErrClosed) {
		t.Fatalf("the group answered %v; want NOT_YET, then the store's error twice", errs)
	}
	if s.appends.Load() != 1 {
		t.Fatalf("%d appends, want the group's one", s.appends.Load())
	}
}
