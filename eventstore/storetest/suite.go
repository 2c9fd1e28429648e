// Package storetest is the conformance suite every eventstore.Store backend
// must pass. A backend's test calls Run with a function that opens a fresh,
// empty store for each case.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/eventstore"
)

// Opener returns a fresh, empty store; the backend's test arranges for it
// to be closed (t.Cleanup).
type Opener func(t *testing.T) eventstore.Store

// Run runs every conformance case against stores made by open.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(*testing.T, eventstore.Store)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"ExpectedRevisions", testExpectedRevisions},
		{"RacingExactAppenders", testRacingExactAppenders},
		{"RacingStreamCreation", testRacingStreamCreation},
		{"ConcurrentAnyAppendsToOneStream", testConcurrentAny},
		{"IdempotentRetries", testIdempotentRetries},
		{"ReadFromAnyRevisionAndRetryBehindTheHead", testReadFromAnyRevision},
		{"MultiEventAppendIsAtomic", testAtomicAppend},
		{"InvalidInputWritesNothing", testInvalidInput},
		{"ReadAllOrderEqualsAppendOrder", testReadAllOrder},
		{"SubscribeCatchUpThenLive", testSubscribe},
		{"HashChainsVerify", testHashChains},
		{"MultiStreamAppendIsAtomic", testMultiAppend},
		{"RacingMultiStreamAppends", testRacingMulti},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

// NewID returns a fresh UUIDv7 event id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Event builds a proposed event with a fresh id.
func Event(typ string, payload string) eventstore.Proposed {
	return eventstore.Proposed{
		ID:            NewID(),
		Type:          typ,
		SchemaVersion: 1,
		Payload:       []byte(payload),
		Actor:         eventstore.Actor{Subject: "clerk-1", Role: "staff", Council: "50910101"},
		CorrelationID: "corr-1",
	}
}

func events(n int, prefix string) []eventstore.Proposed {
	out := make([]eventstore.Proposed, n)
	for i := range out {
		out[i] = Event("test.Happened", fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs []eventstore.Proposed) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxT(t), stream, exp, evs)
	if err != nil {
		t.Fatalf("append to %s (expected %s): %v", stream, exp, err)
	}
	return res
}

// readAll reads the whole log page by page.
func readAll(t *testing.T, s eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	from := uint64(1)
	for {
		page, err := s.ReadAll(ctxT(t), from, 1000)
		if err != nil {
			t.Fatalf("read all from %d: %v", from, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		from = page[len(page)-1].Position + 1
	}
}

func wantWrongRevision(t *testing.T, err error, actual int64) {
	t.Helper()
	var wrong *eventstore.WrongExpectedRevisionError
	if !errors.As(err, &wrong) {
		t.Fatalf("got error %v, want *WrongExpectedRevisionError", err)
	}
	if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		t.Fatalf("errors.Is(%v, ErrWrongExpectedRevision) = false", err)
	}
	if wrong.Actual != actual {
		t.Fatalf("actual revision in error = %d, want %d", wrong.Actual, actual)
	}
}

func testAppendAndReadStream(t *testing.T, s eventstore.Store) {
	occurred := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	evs := events(3, "a")
	evs[0].OccurredAt = occurred
	before := time.Now().Add(-time.Second)
	res := mustAppend(t, s, "petition.50910101.p1", eventstore.NoStream, evs)
	if res.Revision != 2 || len(res.Events) != 3 {
		t.Fatalf("result revision %d with %d events, want 2 and 3", res.Revision, len(res.Events))
	}
	got, err := s.ReadStream(ctxT(t), "petition.50910101.p1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		if e.ID != evs[i].ID || string(e.Payload) != string(evs[i].Payload) || e.Type != "test.Happened" || e.SchemaVersion != 1 {
			t.Fatalf("event %d = %+v, want the appended one", i, e)
		}
		if e.Revision != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.Revision)
		}
		if e.Position != res.Events[i].Position || e.Position == 0 {
			t.Fatalf("event %d position %d, append said %d", i, e.Position, res.Events[i].Position)
		}
		if e.Actor != evs[i].Actor || e.CorrelationID != "corr-1" {
			t.Fatalf("event %d metadata %+v", i, e)
		}
		if e.RecordedAt.Before(before) || e.RecordedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("recorded_at %v is not now", e.RecordedAt)
		}
		if !bytes.Equal(e.Hash, res.Events[i].Hash) || len(e.Hash) != 32 {
			t.Fatalf("event %d hash differs from the append result", i)
		}
	}
	if !got[0].OccurredAt.Equal(occurred) {
		t.Fatalf("occurred_at = %v, want %v", got[0].OccurredAt, occurred)
	}
	if !got[1].OccurredAt.Equal(got[1].RecordedAt) {
		t.Fatalf("unset occurred_at should default to recorded_at")
	}
	if res.Position != got[2].Position {
		t.Fatalf("result position %d, last event position %d", res.Position, got[2].Position)
	}
	// from and limit.
	part, err := s.ReadStream(ctxT(t), "petition.50910101.p1", 1, 1)
	if err != nil || len(part) != 1 || part[0].Revision != 1 {
		t.Fatalf("read from 1 limit 1 = %v, %v", part, err)
	}
	if _, err := s.ReadStream(ctxT(t), "petition.50910101.nope", 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("reading a missing stream: %v, want ErrStreamNotFound", err)
	}
	last, err := s.LastPosition(ctxT(t))
	if err != nil || last != res.Position {
		t.Fatalf("last position %d, %v; want %d", last, err, res.Position)
	}
}

func testExpectedRevisions(t *testing.T, s eventstore.Store) {
	const st = "case.x1"
	_, err := s.Append(ctxT(t), st, eventstore.StreamExists, events(1, "e"))
	wantWrongRevision(t, err, eventstore.NoRevision)
	_, err = s.Append(ctxT(t), st, eventstore.Exact(0), events(1, "e"))
	wantWrongRevision(t, err, eventstore.NoRevision)

	mustAppend(t, s, st, eventstore.NoStream, events(1, "a"))
	_, err = s.Append(ctxT(t), st, eventstore.NoStream, events(1, "b"))
	wantWrongRevision(t, err, 0)
	mustAppend(t, s, st, eventstore.Exact(0), events(2, "c"))
	_, err = s.Append(ctxT(t), st, eventstore.Exact(1), events(1, "d"))
	wantWrongRevision(t, err, 2)
	mustAppend(t, s, st, eventstore.StreamExists, events(1, "e"))
	res := mustAppend(t, s, st, eventstore.Any, events(1, "f"))
	if res.Revision != 4 {
		t.Fatalf("revision after 5 events = %d", res.Revision)
	}
	mustAppend(t, s, "case.x2", eventstore.Any, events(1, "g"))
	got, _ := s.ReadStream(ctxT(t), st, 0, 0)
	if len(got) != 5 {
		t.Fatalf("%d events in stream, want 5 (failed appends must write nothing)", len(got))
	}
}

func testRacingExactAppenders(t *testing.T, s eventstore.Store) {
	const st = "case.race"
	mustAppend(t, s, st, eventstore.NoStream, events(1, "init"))
	for round := uint64(0); round < 10; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Append(ctxT(t), st, eventstore.Exact(round), events(1, fmt.Sprintf("r%d-%d", round, i)))
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			wantWrongRevision(t, err, int64(round+1))
		}
		if wins != 1 {
			t.Fatalf("round %d: %d appenders won, want exactly 1 (errors %v)", round, wins, errs)
		}
	}
	got, _ := s.ReadStream(ctxT(t), st, 0, 0)
	if len(got) != 11 {
		t.Fatalf("%d events, want 11", len(got))
	}
}

func testRacingStreamCreation(t *testing.T, s eventstore.Store) {
	const n = 50
	const st = "signature.p1.key123"
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.Append(ctxT(t), st, eventstore.NoStream, events(1, fmt.Sprint("g", i)))
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		wantWrongRevision(t, err, 0)
	}
	if wins != 1 {
		t.Fatalf("%d goroutines created the stream, want exactly 1", wins)
	}
	got, _ := s.ReadStream(ctxT(t), st, 0, 0)
	if len(got) != 1 {
		t.Fatalf("%d events in the stream, want 1", len(got))
	}
}

func testConcurrentAny(t *testing.T, s eventstore.Store) {
	const n = 40
	const st = "case.busy"
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Append(ctxT(t), st, eventstore.Any, events(1, fmt.Sprint("any", i)))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("append with Any failed: %v", err)
		}
	}
	got, _ := s.ReadStream(ctxT(t), st, 0, 0)
	if len(got) != n {
		t.Fatalf("%d events, want %d", len(got), n)
	}
	var v eventstore.ChainVerifier
	for i := range got {
		if err := v.Verify(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func testIdempotentRetries(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	first := events(2, "first")
	orig := mustAppend(t, s, "case.idem", eventstore.NoStream, first)
	more := events(1, "more")
	orig2 := mustAppend(t, s, "case.idem", eventstore.Exact(1), more)
	anyEvs := events(1, "any")
	orig3 := mustAppend(t, s, "case.idem", eventstore.Any, anyEvs)
	lastBefore, _ := s.LastPosition(ctx)

	check := func(name string, got, want eventstore.AppendResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: retry failed: %v", name, err)
		}
		if got.Revision != want.Revision || got.Position != want.Position || len(got.Events) != len(want.Events) {
			t.Fatalf("%s: retry returned revision %d position %d, original %d %d", name, got.Revision, got.Position, want.Revision, want.Position)
		}
		for i := range got.Events {
			if got.Events[i].ID != want.Events[i].ID || !bytes.Equal(got.Events[i].Hash, want.Events[i].Hash) {
				t.Fatalf("%s: retry returned event %d %s, original %s", name, i, got.Events[i].ID, want.Events[i].ID)
			}
		}
	}
	r, err := s.Append(ctx, "case.idem", eventstore.NoStream, first)
	check("NoStream", r, orig, err)
	r, err = s.Append(ctx, "case.idem", eventstore.Exact(1), more)
	check("Exact", r, orig2, err)
	r, err = s.Append(ctx, "case.idem", eventstore.Any, anyEvs)
	check("Any", r, orig3, err)

	lastAfter, _ := s.LastPosition(ctx)
	if lastAfter != lastBefore {
		t.Fatalf("retries moved the log from %d to %d", lastBefore, lastAfter)
	}
	got, _ := s.ReadStream(ctx, "case.idem", 0, 0)
	if len(got) != 4 {
		t.Fatalf("%d events after retries, want 4", len(got))
	}
}

func testAtomicAppend(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, "case.atomic", eventstore.NoStream, events(1, "a"))
	// A failed expectation writes none of the batch.
	_, err := s.Append(ctx, "case.atomic", eventstore.Exact(5), events(5, "b"))
	wantWrongRevision(t, err, 0)
	// An invalid event in the middle writes none of the batch.
	bad := events(5, "c")
	bad[2].Type = ""
	if _, err := s.Append(ctx, "case.atomic", eventstore.Exact(0), bad); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("invalid event in batch: %v, want ErrInvalidEvent", err)
	}
	got, _ := s.ReadStream(ctx, "case.atomic", 0, 0)
	if len(got) != 1 {
		t.Fatalf("%d events, want 1: a failed multi-event append wrote part of itself", len(got))
	}
	// A good batch lands whole, contiguous in the log.
	res := mustAppend(t, s, "case.atomic", eventstore.Exact(0), events(20, "d"))
	for i := 1; i < len(res.Events); i++ {
		if res.Events[i].Position != res.Events[i-1].Position+1 {
			t.Fatalf("batch not contiguous in the log: %d then %d", res.Events[i-1].Position, res.Events[i].Position)
		}
	}
	// Concurrent multi-event appends to many streams stay whole and
	// contiguous per append.
	var wg sync.WaitGroup
	results := make([]eventstore.AppendResult, 16)
	errs := make([]error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.Append(ctx, fmt.Sprintf("case.atomic%d", i), eventstore.NoStream, events(3+i%4, "m"))
		}()
	}
	wg.Wait()
	for i := range 16 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		got, err := s.ReadStream(ctx, fmt.Sprintf("case.atomic%d", i), 0, 0)
		if err != nil || len(got) != 3+i%4 {
			t.Fatalf("stream %d: %d events, %v", i, len(got), err)
		}
		for j := 1; j < len(got); j++ {
			if got[j].Position != got[j-1].Position+1 {
				t.Fatalf("stream %d: multi-event append interleaved with others", i)
			}
		}
	}
}

func testInvalidInput(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	good := events(1, "ok")
	cases := []struct {
		name   string
		stream string
		evs    []eventstore.Proposed
		want   error
	}{
		{"empty stream id", "", good, eventstore.ErrInvalidStream},
		{"wildcard in stream id", "case.*", good, eventstore.ErrInvalidStream},
		{"space in stream id", "case.a b", good, eventstore.ErrInvalidStream},
		{"empty token", "case..a", good, eventstore.ErrInvalidStream},
		{"no events", "case.ok", nil, eventstore.ErrInvalidEvent},
		{"bad id", "case.ok", []eventstore.Proposed{{ID: "not-a-uuid", Type: "t"}}, eventstore.ErrInvalidEvent},
		{"upper-case id", "case.ok", []eventstore.Proposed{{ID: "0193C4B2-0000-7000-8000-000000000000", Type: "t"}}, eventstore.ErrInvalidEvent},
		{"same id twice", "case.ok", []eventstore.Proposed{good[0], good[0]}, eventstore.ErrInvalidEvent},
		{"oversize payload", "case.ok", []eventstore.Proposed{{ID: NewID(), Type: "t", Payload: make([]byte, eventstore.MaxPayloadSize+1)}}, eventstore.ErrInvalidEvent},
	}
	for _, c := range cases {
		if _, err := s.Append(ctx, c.stream, eventstore.Any, c.evs); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if last, err := s.LastPosition(ctx); err != nil || last != 0 {
		t.Fatalf("invalid appends moved the log to %d (%v)", last, err)
	}
}

type appended struct {
	stream string
	res    eventstore.AppendResult
}

// appendMany appends from several goroutines to many streams and returns
// what each append reported.
func appendMany(t *testing.T, s eventstore.Store, writers, perWriter int, tag string) []appended {
	t.Helper()
	var mu sync.Mutex
	var out []appended
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				st := fmt.Sprintf("case.%s%d", tag, (w*perWriter+i)%(writers*2))
				res, err := s.Append(ctxT(t), st, eventstore.Any, events(1+i%3, tag))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				out = append(out, appended{st, res})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

func testReadAllOrder(t *testing.T, s eventstore.Store) {
	done := appendMany(t, s, 8, 25, "order")
	byPos := map[uint64]eventstore.Event{}
	total := 0
	for _, a := range done {
		for _, e := range a.res.Events {
			byPos[e.Position] = e
			total++
		}
	}
	all := readAll(t, s)
	if len(all) != total {
		t.Fatalf("read all returned %d events, %d were appended", len(all), total)
	}
	for i, e := range all {
		if i > 0 && e.Position <= all[i-1].Position {
			t.Fatalf("read all out of order at %d: %d after %d", i, e.Position, all[i-1].Position)
		}
		want, ok := byPos[e.Position]
		if !ok || want.ID != e.ID || want.Stream != e.Stream || want.Revision != e.Revision {
			t.Fatalf("position %d holds %s/%d, the append there was %s/%d", e.Position, e.Stream, e.Revision, want.Stream, want.Revision)
		}
	}
	// Reading from the middle starts exactly there.
	mid := all[len(all)/2].Position
	page, err := s.ReadAll(ctxT(t), mid, 5)
	if err != nil || len(page) != 5 || page[0].Position != mid {
		t.Fatalf("read all from %d: %d events, first %v, %v", mid, len(page), page, err)
	}
	// Past the end is empty, not an error.
	page, err = s.ReadAll(ctxT(t), all[len(all)-1].Position+1, 10)
	if err != nil || len(page) != 0 {
		t.Fatalf("read past the end: %d events, %v", len(page), err)
	}
}

func testSubscribe(t *testing.T, s eventstore.Store) {
	before := appendMany(t, s, 4, 10, "sub")
	n := 0
	for _, a := range before {
		n += len(a.res.Events)
	}
	from := uint64(n/2 + 1)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var mu sync.Mutex
	var got []uint64
	var caughtUp = make(chan struct{})
	var closeOnce sync.Once
	subErr := make(chan error, 1)
	go func() {
		subErr <- s.Subscribe(ctx, from, func(e eventstore.Event) error {
			mu.Lock()
			got = append(got, e.Position)
			if e.Position == uint64(n) {
				closeOnce.Do(func() { close(caughtUp) })
			}
			mu.Unlock()
			return nil
		})
	}()
	select {
	case <-caughtUp:
	case <-time.After(30 * time.Second):
		t.Fatal("subscription did not catch up")
	}
	after := appendMany(t, s, 4, 10, "live")
	m := 0
	for _, a := range after {
		m += len(a.res.Events)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k >= n-int(from)+1+m || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Let any extra (duplicate) delivery show up before checking.
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-subErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("subscription ended with %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := n - int(from) + 1 + m
	if len(got) != want {
		t.Fatalf("subscription delivered %d events, want %d", len(got), want)
	}
	for i, p := range got {
		if p != from+uint64(i) {
			t.Fatalf("delivery %d was position %d, want %d (each event once, in order)", i, p, from+uint64(i))
		}
	}

	// A handler error ends the subscription with that error.
	stop := errors.New("stop here")
	err := s.Subscribe(ctxT(t), 1, func(e eventstore.Event) error {
		if e.Position == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("subscription ended with %v, want the handler's error", err)
	}
}

func testHashChains(t *testing.T, s eventstore.Store) {
	appendMany(t, s, 6, 20, "chain")
	all := readAll(t, s)
	var v eventstore.ChainVerifier
	for i := range all {
		if err := v.Verify(&all[i]); err != nil {
			t.Fatal(err)
		}
	}
	if v.Count != len(all) || v.Streams() == 0 {
		t.Fatalf("verified %d events in %d streams", v.Count, v.Streams())
	}
	// Every stream read alone is the same chain.
	streams := map[string]bool{}
	for _, e := range all {
		streams[e.Stream] = true
	}
	names := make([]string, 0, len(streams))
	for st := range streams {
		names = append(names, st)
	}
	sort.Strings(names)
	for _, st := range names {
		evs, err := s.ReadStream(ctxT(t), st, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var prev []byte
		for i, e := range evs {
			if !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(eventstore.ComputeHash(&evs[i]), e.Hash) {
				t.Fatalf("stream %s revision %d does not chain", st, e.Revision)
			}
			prev = e.Hash
		}
	}
}

// multiOrUnsupported runs AppendMulti; a backend without multi-stream
// commits must refuse with ErrMultiStreamUnsupported and record nothing
// (supported reports which).
func multiOrUnsupported(t *testing.T, s eventstore.Store, parts []eventstore.StreamAppend) (res []eventstore.AppendResult, supported bool, err error) {
	t.Helper()
	before, perr := s.LastPosition(ctxT(t))
	if perr != nil {
		t.Fatal(perr)
	}
	res, err = s.AppendMulti(ctxT(t), parts)
	if errors.Is(err, eventstore.ErrMultiStreamUnsupported) {
		if after, _ := s.LastPosition(ctxT(t)); after != before {
			t.Fatalf("an unsupported multi-stream append moved the log from %d to %d", before, after)
		}
		return nil, false, err
	}
	return res, true, err
}

func testMultiAppend(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, "multi-a", eventstore.NoStream, events(1, "a"))
	parts := []eventstore.StreamAppend{
		{Stream: "multi-b", Expected: eventstore.NoStream, Events: events(1, "b")},
		{Stream: "multi-a", Expected: eventstore.Exact(0), Events: events(2, "a+")},
		{Stream: "multi-c", Expected: eventstore.NoStream, Events: events(1, "c")},
	}
	res, supported, err := multiOrUnsupported(t, s, parts)
	if !supported {
		for _, st := range []string{"multi-b", "multi-c"} {
			if _, err := s.ReadStream(ctx, st, 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatalf("unsupported multi-stream append: stream %s: %v, want not found", st, err)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d results, want 3", len(res))
	}
	// Positions are contiguous over the whole commit, in the parts' order;
	// revisions follow each stream's head.
	wantRev := []uint64{0, 2, 0}
	pos := res[0].Events[0].Position
	for i, r := range res {
		if r.Revision != wantRev[i] || r.Events[len(r.Events)-1].Stream != parts[i].Stream {
			t.Fatalf("part %d: revision %d of %s, want %d of %s", i, r.Revision, r.Events[len(r.Events)-1].Stream, wantRev[i], parts[i].Stream)
		}
		for _, e := range r.Events {
			if e.Position != pos {
				t.Fatalf("part %d: event at position %d, want %d (contiguous)", i, e.Position, pos)
			}
			pos++
		}
		if r.Position != r.Events[len(r.Events)-1].Position {
			t.Fatalf("part %d: result position %d, last event at %d", i, r.Position, r.Events[len(r.Events)-1].Position)
		}
	}
	before, err := s.LastPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before != pos-1 {
		t.Fatalf("log at %d after the commit, want %d", before, pos-1)
	}
	// A retry of the same commit records nothing and answers as before.
	again, err := s.AppendMulti(ctx, parts)
	if err != nil {
		t.Fatalf("retried multi-stream append: %v", err)
	}
	for i := range again {
		if again[i].Position != res[i].Position || !again[i].Duplicate {
			t.Fatalf("retry part %d: position %d duplicate %v, want %d true", i, again[i].Position, again[i].Duplicate, res[i].Position)
		}
	}
	// A conflict on any one stream records nothing on any, and names it.
	for _, stale := range []int{0, 1, 2} {
		conflicting := []eventstore.StreamAppend{
			{Stream: fmt.Sprintf("multi-d%d", stale), Expected: eventstore.NoStream, Events: events(1, "d")},
			{Stream: "multi-a", Expected: eventstore.Exact(2), Events: events(1, "a++")},
			{Stream: "multi-b", Expected: eventstore.StreamExists, Events: events(1, "b+")},
		}
		switch stale {
		case 0:
			mustAppend(t, s, "multi-d0", eventstore.NoStream, events(1, "d0"))
			before++
		case 1:
			conflicting[1].Expected = eventstore.Exact(1)
		case 2:
			conflicting[2] = eventstore.StreamAppend{Stream: "multi-e", Expected: eventstore.StreamExists, Events: events(1, "e")}
		}
		_, err := s.AppendMulti(ctx, conflicting)
		var wrong *eventstore.WrongExpectedRevisionError
		if !errors.As(err, &wrong) || wrong.Stream != conflicting[stale].Stream {
			t.Fatalf("conflict on %s: got %v, want a wrong expected revision naming it", conflicting[stale].Stream, err)
		}
		if after, _ := s.LastPosition(ctx); after != before {
			t.Fatalf("a refused multi-stream append moved the log from %d to %d", before, after)
		}
	}
	for _, st := range []string{"multi-d1", "multi-d2", "multi-e"} {
		if _, err := s.ReadStream(ctx, st, 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatalf("stream %s after refused commits: %v, want not found", st, err)
		}
	}
	// Each stream's chain holds across the commit, and the whole log verifies.
	all := readAll(t, s)
	var v eventstore.ChainVerifier
	for i := range all {
		if err := v.Verify(&all[i]); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.ReadStream(ctx, "multi-a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || !bytes.Equal(a[1].PrevHash, a[0].Hash) || !bytes.Equal(a[2].PrevHash, a[1].Hash) {
		t.Fatalf("multi-a: %d events, chain broken across the commit", len(a))
	}
	// Invalid input writes nothing: a stream twice.
	_, err = s.AppendMulti(ctx, []eventstore.StreamAppend{
		{Stream: "multi-g", Expected: eventstore.Any, Events: events(1, "g")},
		{Stream: "multi-g", Expected: eventstore.Any, Events: events(1, "g")},
	})
	if !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Fatalf("a stream twice: %v, want ErrInvalidStream", err)
	}
	if after, _ := s.LastPosition(ctx); after != before {
		t.Fatalf("invalid multi-stream append moved the log from %d to %d", before, after)
	}
}

// testRacingMulti: eight writers each claim two fresh streams, all sharing
// one of them; exactly one commit lands, and none of the losers' other
// streams exists.
func testRacingMulti(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	supported := true
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.AppendMulti(ctx, []eventstore.StreamAppend{
				{Stream: fmt.Sprintf("race-own-%d", i), Expected: eventstore.NoStream, Events: events(1, "own")},
				{Stream: "race-shared", Expected: eventstore.NoStream, Events: events(1, "shared")},
			})
			if errors.Is(err, eventstore.ErrMultiStreamUnsupported) {
				mu.Lock()
				supported = false
				mu.Unlock()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if !supported {
		if p, _ := s.LastPosition(ctx); p != 0 {
			t.Fatalf("unsupported multi-stream appends moved the log to %d", p)
		}
		return
	}
	won := 0
	for i, err := range errs {
		_, ownErr := s.ReadStream(ctx, fmt.Sprintf("race-own-%d", i), 0, 0)
		switch {
		case err == nil:
			won++
			if ownErr != nil {
				t.Fatalf("winner %d: own stream %v", i, ownErr)
			}
		case errors.Is(err, eventstore.ErrWrongExpectedRevision):
			if !errors.Is(ownErr, eventstore.ErrStreamNotFound) {
				t.Fatalf("loser %d: own stream written (%v)", i, ownErr)
			}
		default:
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d commits won the shared stream, want 1", won)
	}
	if p, _ := s.LastPosition(ctx); p != 2 {
		t.Fatalf("log at %d, want 2", p)
	}
}
