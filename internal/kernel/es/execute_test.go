package es_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

var reg = es.NewRegistry([]es.Type{{Name: "territory.CouncilPopulationRecorded", Version: 1, Sample: &territoryeventsv1.CouncilPopulationRecorded{}}})

func openStore(t *testing.T) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// counted is a state that counts events and remembers their populations.
type counted struct {
	n    int
	seen map[int64]bool
}

func fold(st counted, _ *eventstore.Event, p proto.Message) counted {
	if st.seen == nil {
		st.seen = map[int64]bool{}
	}
	st.n++
	st.seen[p.(*territoryeventsv1.CouncilPopulationRecorded).GetPopulation()] = true
	return st
}

// record decides one event, refusing a population already recorded (so a
// command decided on a state that missed another's event would be wrong
// in a way the log shows).
func record(pop int64) func(counted) ([]es.Decided, error) {
	return func(st counted) ([]es.Decided, error) {
		if st.seen[pop] {
			return nil, fault.New(fault.FailedPrecondition, "ALREADY_RECORDED", "population %d already recorded", pop)
		}
		return []es.Decided{{Payload: &territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: pop}}}, nil
	}
}

func run(ctx context.Context, s eventstore.Store, stream string, decide func(counted) ([]es.Decided, error)) error {
	_, err := es.Execute(ctx, s, reg, stream, eventstore.Actor{}, nil, fold, decide)
	return err
}

// Many commands on one aggregate at once all succeed, each decided on the
// state the previous one left: nothing fails because they arrived together.
func TestConcurrentCommandsOnOneStreamAllSucceed(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(ctx, s, "case.hot", record(int64(i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	evs, err := s.ReadStream(ctx, "case.hot", 0, 0)
	if err != nil || len(evs) != n {
		t.Fatalf("%d events in the stream (%v), want %d", len(evs), err, n)
	}
	if c := s.Stats().Conflicts.Load(); c != 0 {
		t.Fatalf("%d conflicts between commands of one process, want none", c)
	}
}

// A command decided on a stale view still fails with its own reason: the
// clients all saw the stream empty and each asks to be the first; one is,
// the others are refused by the decision, not by REVISION_CONFLICT.
func TestStaleViewStillFailsWithItsReason(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	const n = 16
	first := func(pop int64) func(counted) ([]es.Decided, error) {
		return func(st counted) ([]es.Decided, error) {
			if st.n != 0 {
				return nil, fault.New(fault.FailedPrecondition, "NOT_FIRST", "the case already has %d events", st.n)
			}
			return record(pop)(st)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(ctx, s, "case.first", first(int64(i)))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		if kind, reason, _ := fault.Classify(err); kind != fault.FailedPrecondition || reason != "NOT_FIRST" {
			t.Fatalf("a stale command failed with %v (%v %q), want NOT_FIRST", err, kind, reason)
		}
	}
	if ok != 1 {
		t.Fatalf("%d commands succeeded, want 1", ok)
	}
}

// Writes that bypass this process's queue (another process's, here direct
// appends on the same log) make commands retry, and they still all land,
// each exactly once.
func TestCommandsRetryAgainstAnotherWriter(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	const n, other = 32, 200
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := range other {
			p, err := reg.Propose(&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: int64(1000 + j)}, es.Meta{ID: fmt.Sprintf("0193c4b2-0000-7000-8000-%012d", j)})
			if err == nil {
				_, err = s.Append(ctx, "case.shared", eventstore.Any, []eventstore.Proposed{p})
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
			errs[i] = run(ctx, s, "case.shared", record(int64(i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	evs, err := s.ReadStream(ctx, "case.shared", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := counted{}
	for i := range evs {
		p, err := reg.DecodeEvent(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		if pop := p.(*territoryeventsv1.CouncilPopulationRecorded).GetPopulation(); st.seen[pop] {
			t.Fatalf("population %d recorded twice", pop)
		}
		st = fold(st, &evs[i], p)
	}
	if st.n != n+other {
		t.Fatalf("%d events, want %d", st.n, n+other)
	}
	t.Logf("%d conflicts retried", s.Stats().Conflicts.Load())
}
