package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/eventstore/esdb/esdbtest"
)

func start(t *testing.T) (*esdbtest.Server, *esdb.Client) {
	t.Helper()
	srv, err := esdbtest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL(), "esdb://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "?tls=false") {
		t.Fatalf("URL %s", srv.URL())
	}
	conf, err := esdb.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c
}

// raw is a plain gRPC client of the server's Streams service, to look at
// the wire messages the library hides.
func raw(t *testing.T, srv *esdbtest.Server) streams.StreamsClient {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return streams.NewStreamsClient(conn)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func event(typ, data string) esdb.EventData {
	return esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson, Data: []byte(data)}
}

func appendTo(t *testing.T, c *esdb.Client, stream string, exp esdb.ExpectedRevision, evs ...esdb.EventData) *esdb.WriteResult {
	t.Helper()
	wr, err := c.AppendToStream(ctxT(t), stream, esdb.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return wr
}

func readAll(t *testing.T, rs *esdb.ReadStream, err error) ([]*esdb.ResolvedEvent, error) {
	t.Helper()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

func TestWrongExpectedVersionIsTyped(t *testing.T) {
	srv, c := start(t)
	appendTo(t, c, "s-1", esdb.NoStream{}, event("A", `{}`), event("A", `{}`))
	cases := []struct {
		exp  esdb.ExpectedRevision
		want string
	}{
		{esdb.NoStream{}, "expecting 'no_stream' but got '1'"},
		{esdb.Revision(0), "expecting '0' but got '1'"},
		{esdb.Revision(7), "expecting '7' but got '1'"},
	}
	for _, tc := range cases {
		_, err := c.AppendToStream(ctxT(t), "s-1", esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, event("A", `{}`))
		var e *esdb.Error
		if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
			t.Fatalf("expected %v: %v, want a WrongExpectedVersion error", tc.exp, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("expected %v: %q does not say %q", tc.exp, err, tc.want)
		}
	}
	_, err := c.AppendToStream(ctxT(t), "s-none", esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, event("A", `{}`))
	if err == nil || !strings.Contains(err.Error(), "expecting 'stream_exists' but got 'no_stream'") {
		t.Fatalf("stream exists on a missing stream: %v", err)
	}

	// On the wire: a result, not an error, with the current and the 20.6.0
	// fields both set.
	resp := rawAppend(t, raw(t, srv), "s-1", &streams.AppendReq_Options_NoStream{NoStream: &shared.Empty{}}, proposed("A"))
	w := resp.GetWrongExpectedVersion()
	if w == nil || w.GetCurrentRevision() != 1 || w.GetCurrentRevision_20_6_0() != 1 || w.GetExpectedNoStream() == nil || w.GetExpectedRevision_20_6_0() != ^uint64(0) {
		t.Fatalf("wrong expected version on the wire: %v", resp)
	}
	resp = rawAppend(t, raw(t, srv), "s-none", &streams.AppendReq_Options_Revision{Revision: 3}, proposed("A"))
	w = resp.GetWrongExpectedVersion()
	if w == nil || w.GetCurrentNoStream() == nil || w.GetNoStream_20_6_0() == nil || w.GetExpectedRevision() != 3 {
		t.Fatalf("wrong expected version on the wire: %v", resp)
	}
	if n := srv.EventCount(); n != 2 {
		t.Fatalf("refused appends wrote: %d events", n)
	}
}

func proposed(typ string) *streams.AppendReq_ProposedMessage {
	return &streams.AppendReq_ProposedMessage{
		Id:       &shared.UUID{Value: &shared.UUID_String_{String_: uuid.NewString()}},
		Metadata: map[string]string{"type": typ, "content-type": "application/octet-stream"},
		Data:     []byte("x"),
	}
}

func rawAppend(t *testing.T, sc streams.StreamsClient, stream string, exp any, msgs ...*streams.AppendReq_ProposedMessage) *streams.AppendResp {
	t.Helper()
	resp, err := tryRawAppend(t, sc, stream, exp, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func tryRawAppend(t *testing.T, sc streams.StreamsClient, stream string, exp any, msgs ...*streams.AppendReq_ProposedMessage) (*streams.AppendResp, error) {
	t.Helper()
	call, err := sc.Append(ctxT(t))
	if err != nil {
		return nil, err
	}
	opts := &streams.AppendReq_Options{StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)}}
	switch v := exp.(type) {
	case *streams.AppendReq_Options_NoStream:
		opts.ExpectedStreamRevision = v
	case *streams.AppendReq_Options_Revision:
		opts.ExpectedStreamRevision = v
	case *streams.AppendReq_Options_Any:
		opts.ExpectedStreamRevision = v
	case *streams.AppendReq_Options_StreamExists:
		opts.ExpectedStreamRevision = v
	}
	if err := call.Send(&streams.AppendReq{Content: &streams.AppendReq_Options_{Options: opts}}); err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := call.Send(&streams.AppendReq{Content: &streams.AppendReq_ProposedMessage_{ProposedMessage: m}}); err != nil {
			break // the server ended the call: CloseAndRecv has its status
		}
	}
	return call.CloseAndRecv()
}

func TestIdempotentAppends(t *testing.T) {
	srv, c := start(t)
	a, b := event("A", `{"a":1}`), event("B", `{"b":1}`)
	first := appendTo(t, c, "idem", esdb.NoStream{}, a, b)
	// The same events at the same expectation: success, nothing written.
	again := appendTo(t, c, "idem", esdb.NoStream{}, a, b)
	if again.NextExpectedVersion != 1 || again.CommitPosition != first.CommitPosition {
		t.Fatalf("retry answered %+v, first %+v", again, first)
	}
	// Any: recognised by the ids.
	cc := event("C", `{}`)
	third := appendTo(t, c, "idem", esdb.Any{}, cc)
	again = appendTo(t, c, "idem", esdb.Any{}, cc)
	if again.NextExpectedVersion != 2 || again.CommitPosition != third.CommitPosition {
		t.Fatalf("any retry answered %+v, first %+v", again, third)
	}
	// Exact, retried after the stream moved on.
	appendTo(t, c, "idem", esdb.Revision(2), event("D", `{}`))
	again = appendTo(t, c, "idem", esdb.Revision(0), b)
	if again.NextExpectedVersion != 1 {
		t.Fatalf("exact retry answered %+v", again)
	}
	if n := srv.EventCount(); n != 4 {
		t.Fatalf("%d events, want 4", n)
	}
	// Part of an earlier append plus a new event: corrupted idempotency,
	// answered as a wrong expected version.
	_, err := c.AppendToStream(ctxT(t), "idem", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, a, event("E", `{}`))
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("partial retry: %v", err)
	}
	// The same id in another stream is another event, as on the server.
	appendTo(t, c, "idem-other", esdb.NoStream{}, a)
	if n := srv.EventCount(); n != 5 {
		t.Fatalf("%d events, want 5", n)
	}
}

func TestReadStreamForwardsAndBackwards(t *testing.T) {
	_, c := start(t)
	before := time.Now().Add(-time.Second)
	for i := range 5 {
		appendTo(t, c, "rs", esdb.Any{}, event("E"+strconv.Itoa(i), `{}`))
	}
	revs := func(evs []*esdb.ResolvedEvent) []uint64 {
		var out []uint64
		for _, e := range evs {
			out = append(out, e.Event.EventNumber)
		}
		return out
	}
	check := func(name string, opts esdb.ReadStreamOptions, count uint64, want ...uint64) {
		t.Helper()
		rs, err := c.ReadStream(ctxT(t), "rs", opts, count)
		got, err := readAll(t, rs, err)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g := revs(got); len(g) != len(want) || (len(g) > 0 && (g[0] != want[0] || g[len(g)-1] != want[len(want)-1])) {
			t.Fatalf("%s: revisions %v, want %v", name, g, want)
		}
	}
	check("forwards", esdb.ReadStreamOptions{}, 100, 0, 1, 2, 3, 4)
	check("forwards from 3", esdb.ReadStreamOptions{From: esdb.Revision(3)}, 100, 3, 4)
	check("forwards count 2", esdb.ReadStreamOptions{From: esdb.Revision(1)}, 2, 1, 2)
	check("forwards past the end", esdb.ReadStreamOptions{From: esdb.Revision(9)}, 100)
	check("backwards from the end", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1, 4)
	check("backwards from 2", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(2)}, 100, 2, 1, 0)
	check("backwards from the start", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Start{}}, 100, 0)

	// Every event carries the metadata the client needs, created in ticks.
	rs, err := c.ReadStream(ctxT(t), "rs", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	got, err := readAll(t, rs, err)
	if err != nil || len(got) != 1 {
		t.Fatal(err)
	}
	rec := got[0].Event
	if rec.EventType != "E4" || rec.ContentType != "application/json" || rec.CreatedDate.Before(before) || rec.CreatedDate.After(time.Now()) {
		t.Fatalf("recorded %+v", rec)
	}
	if got[0].Commit != nil {
		t.Fatalf("a stream read carries a $all position: %d", *got[0].Commit)
	}

	// A missing stream: the not-found message, which the client types.
	rs, err = c.ReadStream(ctxT(t), "missing", esdb.ReadStreamOptions{}, 10)
	_, err = readAll(t, rs, err)
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("reading a missing stream: %v", err)
	}
}

func TestReadAllPositions(t *testing.T) {
	_, c := start(t)
	w1 := appendTo(t, c, "a", esdb.NoStream{}, event("A", `{"x":"0123456789"}`))
	w2 := appendTo(t, c, "b", esdb.NoStream{}, event("B", `{}`), event("B", `{}`), event("B", `{}`))
	appendTo(t, c, "$system", esdb.Any{}, event("$S", `{}`))
	rs, err := c.ReadAll(ctxT(t), esdb.ReadAllOptions{}, 100)
	all, err := readAll(t, rs, err)
	if err != nil || len(all) != 5 {
		t.Fatalf("read $all: %d events, %v", len(all), err)
	}
	for i, e := range all {
		p := e.Event.Position
		if p.Commit < p.Prepare || e.Commit == nil || *e.Commit != p.Commit {
			t.Fatalf("event %d position %+v commit %v", i, p, e.Commit)
		}
		if i > 0 {
			q := all[i-1].Event.Position
			if p.Commit < q.Commit || (p.Commit == q.Commit && p.Prepare <= q.Prepare) {
				t.Fatalf("$all out of order at %d: %+v after %+v", i, p, q)
			}
		}
	}
	// One append, one commit position; positions are not dense.
	if all[1].Event.Position.Commit != all[3].Event.Position.Commit || all[1].Event.Position.Commit != w2.CommitPosition {
		t.Fatalf("events of one append have commits %d and %d, append said %d", all[1].Event.Position.Commit, all[3].Event.Position.Commit, w2.CommitPosition)
	}
	if all[0].Event.Position.Commit != w1.CommitPosition || all[1].Event.Position.Prepare == all[0].Event.Position.Prepare+1 {
		t.Fatalf("positions %+v %+v", all[0].Event.Position, all[1].Event.Position)
	}
	// Forwards from a position includes it; backwards excludes it.
	rs, err = c.ReadAll(ctxT(t), esdb.ReadAllOptions{From: all[2].Event.Position}, 2)
	got, err := readAll(t, rs, err)
	if err != nil || len(got) != 2 || got[0].Event.Position != all[2].Event.Position {
		t.Fatalf("forwards from %+v: %v, %v", all[2].Event.Position, got, err)
	}
	rs, err = c.ReadAll(ctxT(t), esdb.ReadAllOptions{Direction: esdb.Backwards, From: all[2].Event.Position}, 10)
	got, err = readAll(t, rs, err)
	if err != nil || len(got) != 2 || got[0].Event.Position != all[1].Event.Position {
		t.Fatalf("backwards from %+v: %d events, %v", all[2].Event.Position, len(got), err)
	}
	rs, err = c.ReadAll(ctxT(t), esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	got, err = readAll(t, rs, err)
	if err != nil || len(got) != 1 || got[0].Event.StreamID != "$system" {
		t.Fatalf("backwards from the end: %v, %v", got, err)
	}
}

func TestSubscriptionCatchUpThenLive(t *testing.T) {
	srv, c := start(t)
	sc := raw(t, srv)
	for i := range 3 {
		appendTo(t, c, "sub", esdb.Any{}, event("Old", strconv.Itoa(i)))
		appendTo(t, c, "other", esdb.Any{}, event("Other", strconv.Itoa(i)))
	}
	// On the wire: confirmation, the recorded events, caught up, live.
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	call, err := sc.Read(ctx, &streams.ReadReq{Options: &streams.ReadReq_Options{
		StreamOption: &streams.ReadReq_Options_Stream{Stream: &streams.ReadReq_Options_StreamOptions{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("sub")},
			RevisionOption:   &streams.ReadReq_Options_StreamOptions_Revision{Revision: 0},
		}},
		CountOption:  &streams.ReadReq_Options_Subscription{Subscription: &streams.ReadReq_Options_SubscriptionOptions{}},
		FilterOption: &streams.ReadReq_Options_NoFilter{NoFilter: &shared.Empty{}},
		UuidOption:   &streams.ReadReq_Options_UUIDOption{Content: &streams.ReadReq_Options_UUIDOption_String_{String_: &shared.Empty{}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	recv := func() {
		t.Helper()
		m, err := call.Recv()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.GetConfirmation() != nil:
			kinds = append(kinds, "confirmation")
		case m.GetCaughtUp() != nil:
			kinds = append(kinds, "caught-up")
		case m.GetEvent() != nil:
			e := m.GetEvent().GetEvent()
			if e.GetId().GetString_() == "" || e.GetMetadata()["created"] == "" || m.GetEvent().GetNoPosition() == nil {
				t.Fatalf("event on the wire: %v", m)
			}
			kinds = append(kinds, "event "+strconv.FormatUint(e.GetStreamRevision(), 10))
		default:
			kinds = append(kinds, m.String())
		}
	}
	for range 4 {
		recv()
	}
	appendTo(t, c, "sub", esdb.Any{}, event("New", "3"))
	recv()
	if got := strings.Join(kinds, ", "); got != "confirmation, event 1, event 2, caught-up, event 3" {
		t.Fatalf("stream subscription after revision 0 sent: %s", got)
	}

	// Through the client: $all filtered by stream prefix, from the start.
	sub, err := c.SubscribeToAll(ctxT(t), esdb.SubscribeToAllOptions{
		From:   esdb.Start{},
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"su"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var seen []string
	caught := false
	for len(seen) < 6 {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		case ev.CaughtUp != nil:
			if len(seen) != 4 {
				t.Fatalf("caught up after %d events, want 4", len(seen))
			}
			caught = true
			appendTo(t, c, "other", esdb.Any{}, event("Other", "live"))
			appendTo(t, c, "sub", esdb.Any{}, event("Live", "4"), event("Live", "5"))
		case ev.EventAppeared != nil:
			e := ev.EventAppeared.Event
			if e.StreamID != "sub" || ev.EventAppeared.Commit == nil {
				t.Fatalf("filtered subscription delivered %s", e.StreamID)
			}
			seen = append(seen, e.EventType)
		}
	}
	if !caught || strings.Join(seen, ",") != "Old,Old,Old,New,Live,Live" {
		t.Fatalf("subscription delivered %v (caught up: %v)", seen, caught)
	}

	// From a position: after it.
	rs, err := c.ReadAll(ctxT(t), esdb.ReadAllOptions{}, 3)
	all, err := readAll(t, rs, err)
	if err != nil {
		t.Fatal(err)
	}
	sub2, err := c.SubscribeToAll(ctxT(t), esdb.SubscribeToAllOptions{From: all[1].Event.Position})
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	for {
		ev := sub2.Recv()
		if ev.EventAppeared != nil {
			if ev.EventAppeared.Event.Position != all[2].Event.Position {
				t.Fatalf("subscription from %+v started at %+v", all[1].Event.Position, ev.EventAppeared.Event.Position)
			}
			break
		}
		if ev.SubscriptionDropped != nil {
			t.Fatal(ev.SubscriptionDropped.Error)
		}
	}
}

func TestFilteredSubscriptionCheckpoints(t *testing.T) {
	_, c := start(t)
	for i := range 10 {
		appendTo(t, c, "noise-"+strconv.Itoa(i), esdb.Any{}, event("N", `{}`))
	}
	sub, err := c.SubscribeToAll(ctxT(t), esdb.SubscribeToAllOptions{
		From:            esdb.Start{},
		Filter:          &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Regex: "^Wanted$"},
		MaxSearchWindow: 2, CheckpointInterval: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	checkpoints := 0
	for {
		ev := sub.Recv()
		if ev.CheckPointReached != nil {
			checkpoints++
		}
		if ev.EventAppeared != nil {
			t.Fatalf("filter let %s through", ev.EventAppeared.Event.EventType)
		}
		if ev.SubscriptionDropped != nil {
			t.Fatal(ev.SubscriptionDropped.Error)
		}
		if ev.CaughtUp != nil {
			break
		}
	}
	if checkpoints != 2 {
		t.Fatalf("%d checkpoints over 10 filtered-out events with an interval of 4, want 2", checkpoints)
	}
}

func TestStrictness(t *testing.T) {
	srv, _ := start(t)
	sc := raw(t, srv)

	// Missing metadata: InvalidArgument with the exception trailer.
	bad := proposed("A")
	delete(bad.Metadata, "content-type")
	call, err := sc.Append(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = call.Send(&streams.AppendReq{Content: &streams.AppendReq_Options_{Options: &streams.AppendReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte("x")},
		ExpectedStreamRevision: &streams.AppendReq_Options_Any{Any: &shared.Empty{}},
	}}})
	_ = call.Send(&streams.AppendReq{Content: &streams.AppendReq_ProposedMessage_{ProposedMessage: bad}})
	_, err = call.CloseAndRecv()
	if status.Code(err) != codes.InvalidArgument || call.Trailer().Get("exception")[0] != "missing-required-metadata-property" {
		t.Fatalf("missing content-type: %v, trailer %v", err, call.Trailer())
	}

	// No expected revision, proposed message first, empty stream name: the
	// handler throws.
	if _, err := tryRawAppend(t, sc, "x", nil, proposed("A")); status.Code(err) != codes.Unknown {
		t.Fatalf("no expected revision: %v", err)
	}
	call, _ = sc.Append(ctxT(t))
	_ = call.Send(&streams.AppendReq{Content: &streams.AppendReq_ProposedMessage_{ProposedMessage: proposed("A")}})
	if _, err := call.CloseAndRecv(); status.Code(err) != codes.Unknown {
		t.Fatalf("proposed message first: %v", err)
	}
	if _, err := tryRawAppend(t, sc, "", &streams.AppendReq_Options_Any{Any: &shared.Empty{}}, proposed("A")); status.Code(err) != codes.Unknown {
		t.Fatalf("empty stream name: %v", err)
	}

	// Too large an append.
	big := proposed("A")
	big.Data = make([]byte, esdbtest.MaxAppendSize)
	var trailer metadata.MD
	call, _ = sc.Append(ctxT(t), grpc.Trailer(&trailer))
	_ = call.Send(&streams.AppendReq{Content: &streams.AppendReq_Options_{Options: &streams.AppendReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte("x")},
		ExpectedStreamRevision: &streams.AppendReq_Options_Any{Any: &shared.Empty{}},
	}}})
	_ = call.Send(&streams.AppendReq{Content: &streams.AppendReq_ProposedMessage_{ProposedMessage: big}})
	if _, err := call.CloseAndRecv(); status.Code(err) != codes.InvalidArgument || trailer.Get("exception")[0] != "maximum-append-size-exceeded" {
		t.Fatalf("append of 1 MiB: %v, %v", err, trailer)
	}

	// Reads: no options, no UUID option, a backwards subscription, a
	// position whose commit is below its prepare, a filter on a stream.
	readErr := func(name string, o *streams.ReadReq_Options) {
		t.Helper()
		call, err := sc.Read(ctxT(t), &streams.ReadReq{Options: o})
		if err == nil {
			_, err = call.Recv()
		}
		if status.Code(err) != codes.Unknown {
			t.Fatalf("%s: %v, want the handler's exception", name, err)
		}
	}
	uuidOpt := &streams.ReadReq_Options_UUIDOption{Content: &streams.ReadReq_Options_UUIDOption_Structured{Structured: &shared.Empty{}}}
	stream := &streams.ReadReq_Options_Stream{Stream: &streams.ReadReq_Options_StreamOptions{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("x")},
		RevisionOption:   &streams.ReadReq_Options_StreamOptions_Start{Start: &shared.Empty{}},
	}}
	count := &streams.ReadReq_Options_Count{Count: 10}
	noFilter := &streams.ReadReq_Options_NoFilter{NoFilter: &shared.Empty{}}
	readErr("no options", nil)
	readErr("no uuid option", &streams.ReadReq_Options{StreamOption: stream, CountOption: count, FilterOption: noFilter})
	readErr("no filter option", &streams.ReadReq_Options{StreamOption: stream, CountOption: count, UuidOption: uuidOpt})
	readErr("backwards subscription", &streams.ReadReq_Options{StreamOption: stream, ReadDirection: streams.ReadReq_Options_Backwards,
		CountOption: &streams.ReadReq_Options_Subscription{Subscription: &streams.ReadReq_Options_SubscriptionOptions{}}, FilterOption: noFilter, UuidOption: uuidOpt})
	readErr("commit below prepare", &streams.ReadReq_Options{
		StreamOption: &streams.ReadReq_Options_All{All: &streams.ReadReq_Options_AllOptions{AllOption: &streams.ReadReq_Options_AllOptions_Position{
			Position: &streams.ReadReq_Options_Position{CommitPosition: 1, PreparePosition: 2}}}},
		CountOption: count, FilterOption: noFilter, UuidOption: uuidOpt})
	readErr("filter on a stream", &streams.ReadReq_Options{StreamOption: stream, CountOption: count, UuidOption: uuidOpt,
		FilterOption: &streams.ReadReq_Options_Filter{Filter: &streams.ReadReq_Options_FilterOptions{
			Filter: &streams.ReadReq_Options_FilterOptions_StreamIdentifier{StreamIdentifier: &streams.ReadReq_Options_FilterOptions_Expression{Prefix: []string{"x"}}}}}})

	// Services the server does not offer.
	_, err = sc.Delete(ctxT(t), &streams.DeleteReq{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("delete: %v", err)
	}
	if n := srv.EventCount(); n != 0 {
		t.Fatalf("rejected requests wrote %d events", n)
	}
}

// The client in cluster mode asks the gossip service, which names this
// server as the leader.
func TestGossipDiscovery(t *testing.T) {
	srv, _ := start(t)
	conf, err := esdb.ParseConnectionString("esdb+discover://" + srv.Addr() + "?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	appendTo(t, c, "via-gossip", esdb.NoStream{}, event("A", `{}`))
}

func TestDropSubscriptions(t *testing.T) {
	srv, c := start(t)
	sub, err := c.SubscribeToStream(ctxT(t), "s", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if ev := sub.Recv(); ev.CaughtUp == nil {
		t.Fatalf("first message %+v, want caught up", ev)
	}
	srv.DropSubscriptions()
	ev := sub.Recv()
	if ev.SubscriptionDropped == nil || status.Code(ev.SubscriptionDropped.Error) != codes.Aborted {
		t.Fatalf("after the drop: %+v", ev)
	}
}
