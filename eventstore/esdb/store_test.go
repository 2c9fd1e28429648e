package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	esdbc "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/esdb"
	"github.com/tasharuk/tasharuk/eventstore/esdb/esdbtest"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

func newServer(t *testing.T) *esdbtest.Server {
	t.Helper()
	srv, err := esdbtest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func open(t *testing.T, cfg esdb.Config) *esdb.Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.URL, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func rawClient(t *testing.T, url string) *esdbc.Client {
	t.Helper()
	conf, err := esdbc.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdbc.NoopLogging()
	c, err := esdbc.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConformanceOverTestServer(t *testing.T) {
	t.Run("FreshServer", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			return open(t, esdb.Config{URL: newServer(t).URL()})
		})
	})
	// One server for every case, a fresh prefix each time, and other
	// applications' events (and system-like streams) interleaved: the
	// position index must count only the store's own streams.
	t.Run("SharedServerFreshPrefix", func(t *testing.T) {
		srv := newServer(t)
		other := rawClient(t, srv.URL())
		var n atomic.Int64
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			i := n.Add(1)
			for _, stream := range []string{fmt.Sprintf("orders-%d", i), "$settings", fmt.Sprintf("t%d-", i+1000)} {
				if _, err := other.AppendToStream(context.Background(), stream, esdbc.AppendToStreamOptions{},
					esdbc.EventData{EventType: "Noise", ContentType: esdbc.ContentTypeJson, Data: []byte(`{"noise":true}`)}); err != nil {
					t.Fatal(err)
				}
			}
			return open(t, esdb.Config{URL: srv.URL(), Prefix: fmt.Sprintf("t%d-", i)})
		})
	})
}

func TestConformanceAgainstRealServer(t *testing.T) {
	url := os.Getenv("TASHARUK_ESDB_URL")
	if url == "" {
		t.Skip("TASHARUK_ESDB_URL not set: no EventStoreDB server to test against (reported as not run)")
	}
	run := time.Now().UnixNano()
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return open(t, esdb.Config{URL: url, Prefix: fmt.Sprintf("tasharuk-test-%d-%d-", run, n.Add(1))})
	})
}

// An unreachable server fails Open quickly, with an error wrapping
// ErrUnavailable.
func TestUnreachableServer(t *testing.T) {
	// A loopback port with nothing listening.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()

	for _, tc := range []struct {
		name    string
		url     string
		timeout time.Duration
	}{
		// The client gives up after its discovery attempts: 10, 100 ms
		// apart, by default.
		{"refused", "esdb://" + addr + "?tls=false", 10 * time.Second},
		{"refused, fewer attempts", "esdb://" + addr + "?tls=false&maxDiscoverAttempts=2&discoveryInterval=50", 10 * time.Second},
		// The context's deadline comes first.
		{"deadline", "esdb://" + addr + "?tls=false&maxDiscoverAttempts=1000", 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			s, err := esdb.Open(ctx, esdb.Config{URL: tc.url, Logger: quiet})
			took := time.Since(start)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded against a closed port")
			}
			if !errors.Is(err, eventstore.ErrUnavailable) {
				t.Fatalf("error %v does not wrap ErrUnavailable", err)
			}
			if took > min(tc.timeout+time.Second, 5*time.Second) {
				t.Fatalf("Open took %v to fail", took)
			}
			t.Logf("failed in %v: %v", took, err)
		})
	}
}

// A store whose server goes away answers ErrUnavailable, not a hang.
func TestServerGoesAway(t *testing.T) {
	srv := newServer(t)
	s := open(t, esdb.Config{URL: srv.URL() + "&maxDiscoverAttempts=2&discoveryInterval=20"})
	ctx := context.Background()
	if _, err := s.Append(ctx, "case.gone", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.Happened", "x")}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	for i := range 3 {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.ReadStream(ctx, "case.gone", 0, 0)
		cancel()
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("read %d after the server stopped: %v, want ErrUnavailable", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastPosition(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

// The layout: one EventStoreDB stream per tasharuk stream, the envelope as
// binary data, the tasharuk id and type as the event's.
func TestLayout(t *testing.T) {
	srv := newServer(t)
	s := open(t, esdb.Config{URL: srv.URL()})
	ctx := context.Background()
	ev := storetest.Event("petition.Filed", "p")
	res, err := s.Append(ctx, "petition.50910101.p1", eventstore.NoStream, []eventstore.Proposed{ev})
	if err != nil {
		t.Fatal(err)
	}
	c := rawClient(t, srv.URL())
	rs, err := c.ReadStream(ctx, "tasharuk-petition.50910101.p1", esdbc.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	rec := got.Event
	if rec.EventID.String() != ev.ID || rec.EventType != "petition.Filed" || rec.ContentType != "application/octet-stream" || rec.EventNumber != 0 {
		t.Fatalf("recorded %+v", rec)
	}
	stored, err := eventstore.UnmarshalStored(rec.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(stored.Hash) != string(res.Events[0].Hash) || stored.Position != 1 {
		t.Fatalf("stored envelope %+v", stored)
	}
	if _, err := rs.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("second event: %v", err)
	}
}

// Two stores on one server: the second one's remembered head is stale, the
// server answers its retry of the first one's append idempotently, and the
// store returns the events recorded the first time.
func TestIdempotentRetryFromAnotherProcess(t *testing.T) {
	srv := newServer(t)
	a := open(t, esdb.Config{URL: srv.URL()})
	b := open(t, esdb.Config{URL: srv.URL()})
	ctx := context.Background()
	first := []eventstore.Proposed{storetest.Event("test.Happened", "1")}
	if _, err := b.Append(ctx, "case.x", eventstore.NoStream, first); err != nil {
		t.Fatal(err)
	}
	// b remembers revision 0; a appends revision 1.
	next := []eventstore.Proposed{storetest.Event("test.Happened", "2")}
	orig, err := a.Append(ctx, "case.x", eventstore.Exact(0), next)
	if err != nil {
		t.Fatal(err)
	}
	// b retries the same append: its head says revision 0, it seals
	// revision 1 again with its own time and hash, and the server finds the
	// ids already there.
	dup, err := b.Append(ctx, "case.x", eventstore.Exact(0), next)
	if err != nil {
		t.Fatal(err)
	}
	if !dup.Duplicate || dup.Position != orig.Position || string(dup.Events[0].Hash) != string(orig.Events[0].Hash) {
		t.Fatalf("retry = %+v, original %+v", dup, orig)
	}
	if n := srv.EventCount(); n != 2 {
		t.Fatalf("%d events on the server, want 2", n)
	}
	// A different event at the same expectation is a conflict.
	_, err = b.Append(ctx, "case.x", eventstore.Exact(0), []eventstore.Proposed{storetest.Event("test.Happened", "3")})
	var wrong *eventstore.WrongExpectedRevisionError
	if !errors.As(err, &wrong) || wrong.Actual != 1 {
		t.Fatalf("conflicting append: %v", err)
	}
}

// Any and StreamExists from two stores that race for one stream: each
// store's events are sealed after the head it read, the server refuses the
// loser, and the loser reads again and appends after the winner, so the
// hash chain holds.
func TestAnyAcrossProcessesKeepsTheChain(t *testing.T) {
	srv := newServer(t)
	stores := []*esdb.Store{open(t, esdb.Config{URL: srv.URL()}), open(t, esdb.Config{URL: srv.URL()})}
	ctx := context.Background()
	errs := make(chan error, 40)
	for i := range 40 {
		go func() {
			exp := eventstore.Any
			if i > 0 && i%2 == 0 {
				exp = eventstore.StreamExists
			}
			_, err := stores[i%2].Append(ctx, "case.shared", exp, []eventstore.Proposed{storetest.Event("test.Happened", fmt.Sprint(i))})
			if errors.Is(err, eventstore.ErrWrongExpectedRevision) && exp.IsStreamExists() {
				err = nil // the stream may not exist yet
			}
			errs <- err
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, err := stores[0].ReadStream(ctx, "case.shared", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var v eventstore.ChainVerifier
	for i := range got {
		if err := v.Verify(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Both stores number the log the same way.
	for _, s := range stores {
		all, err := s.ReadAll(ctx, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range all {
			if e.Position != uint64(i+1) || e.ID != got[i].ID {
				t.Fatalf("position %d holds %s, the stream's event %d is %s", e.Position, e.ID, i, got[i].ID)
			}
		}
	}
}

// An append larger than the server's limit is refused before it is sent.
func TestAppendSizeLimit(t *testing.T) {
	srv := newServer(t)
	s := open(t, esdb.Config{URL: srv.URL()})
	evs := make([]eventstore.Proposed, 3)
	for i := range evs {
		evs[i] = storetest.Event("test.Big", "")
		evs[i].Payload = make([]byte, eventstore.MaxPayloadSize)
	}
	_, err := s.Append(context.Background(), "case.big", eventstore.NoStream, evs)
	if !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("append of 1.5 MiB: %v, want ErrInvalidEvent", err)
	}
	if n := srv.EventCount(); n != 0 {
		t.Fatalf("%d events written", n)
	}
}

// The store opens on a log that is already there and numbers it as the
// store that wrote it did.
func TestReopen(t *testing.T) {
	srv := newServer(t)
	a := open(t, esdb.Config{URL: srv.URL()})
	ctx := context.Background()
	var want []eventstore.Event
	for i := range 5 {
		res, err := a.Append(ctx, fmt.Sprintf("case.r%d", i%2), eventstore.Any, []eventstore.Proposed{
			storetest.Event("test.Happened", fmt.Sprint(i)), storetest.Event("test.Happened", fmt.Sprint(i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, res.Events...)
	}
	b := open(t, esdb.Config{URL: srv.URL()})
	last, err := b.LastPosition(ctx)
	if err != nil || last != uint64(len(want)) {
		t.Fatalf("reopened last position %d, %v", last, err)
	}
	got, err := b.ReadAll(ctx, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		w := want[2+i]
		if e.Position != w.Position || e.ID != w.ID || string(e.Hash) != string(w.Hash) {
			t.Fatalf("reopened position %d holds %s, want %s at %d", e.Position, e.ID, w.ID, w.Position)
		}
	}
	// b continues the chain a wrote.
	res, err := b.Append(ctx, "case.r0", eventstore.Exact(5), []eventstore.Proposed{storetest.Event("test.Happened", "b")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Position != uint64(len(want))+1 || string(res.Events[0].PrevHash) != string(want[len(want)-1].Hash) {
		t.Fatalf("append after reopen: position %d prev %x", res.Position, res.Events[0].PrevHash)
	}
}

// A stream whose name has the prefix but holds something else than
// tasharuk envelopes is reported, not silently misread.
func TestForeignEventInPrefixedStream(t *testing.T) {
	srv := newServer(t)
	s := open(t, esdb.Config{URL: srv.URL()})
	c := rawClient(t, srv.URL())
	ctx := context.Background()
	if _, err := c.AppendToStream(ctx, "tasharuk-case.foreign", esdbc.AppendToStreamOptions{ExpectedRevision: esdbc.NoStream{}},
		esdbc.EventData{EventID: uuid.New(), EventType: "x", Data: []byte("not an envelope")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(ctx, "case.foreign", 0, 0); err == nil {
		t.Fatal("reading a foreign event succeeded")
	}
}

// A subscription the server drops (a consumer too slow, a restart) resumes
// after the last delivered event: nothing is lost or delivered twice.
func TestSubscriptionResumesAfterDrop(t *testing.T) {
	srv := newServer(t)
	s := open(t, esdb.Config{URL: srv.URL()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	appendN := func(n int, tag string) {
		for i := range n {
			if _, err := s.Append(ctx, fmt.Sprintf("case.%s%d", tag, i%3), eventstore.Any, []eventstore.Proposed{storetest.Event("test.Happened", tag)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(5, "a")
	got := make(chan uint64, 100)
	subCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Subscribe(subCtx, 2, func(e eventstore.Event) error {
			got <- e.Position
			return nil
		})
	}()
	next := uint64(2)
	expect := func(upTo uint64) {
		t.Helper()
		for next <= upTo {
			select {
			case p := <-got:
				if p != next {
					t.Fatalf("delivered position %d, want %d", p, next)
				}
				next++
			case <-ctx.Done():
				t.Fatalf("waiting for position %d", next)
			}
		}
	}
	expect(5)
	srv.DropSubscriptions()
	appendN(4, "b")
	expect(9)
	srv.DropSubscriptions()
	srv.DropSubscriptions()
	appendN(2, "c")
	expect(11)
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("subscription ended with %v", err)
	}
	select {
	case p := <-got:
		t.Fatalf("extra delivery of position %d", p)
	default:
	}
}

// Closing the store ends its subscriptions with ErrClosed.
func TestCloseEndsSubscriptions(t *testing.T) {
	srv := newServer(t)
	s := open(t, esdb.Config{URL: srv.URL()})
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- s.Subscribe(context.Background(), 1, func(eventstore.Event) error {
			close(started)
			return nil
		})
	}()
	if _, err := s.Append(context.Background(), "case.c", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.Happened", "x")}); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("subscription ended with %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscription still running after Close")
	}
}
