package integrity_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/integrity"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// sealedLog returns n events over three streams as a store records them:
// sealed (hash-chained) per stream, positions 1..n.
func sealedLog(n int) []eventstore.Event {
	heads := map[string]eventstore.Head{}
	var out []eventstore.Event
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		stream := fmt.Sprintf("test.s%d", i%3)
		p := eventstore.Proposed{ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", i), Type: "test.Happened", SchemaVersion: 1,
			Payload: []byte(fmt.Sprintf("payload %d", i)), Actor: eventstore.Actor{Subject: "tester", Role: "staff", Council: "50910113"}}
		e := eventstore.Seal(stream, heads[stream], []eventstore.Proposed{p}, at.Add(time.Duration(i)*time.Second))[0]
		e.Position = uint64(i + 1)
		heads[stream] = eventstore.Head{Exists: true, Revision: e.Revision, Hash: e.Hash, LastID: e.ID}
		out = append(out, e)
	}
	return out
}

// checkAll runs a fresh checker over evs and returns the first damage.
func checkAll(t *testing.T, c *integrity.Checker, evs []eventstore.Event) *integrity.Damage {
	t.Helper()
	for i := range evs {
		if err := c.Check(context.Background(), &evs[i]); err != nil {
			d := integrity.AsDamage(err)
			if d == nil {
				t.Fatalf("a non-damage error: %v", err)
			}
			return d
		}
	}
	return nil
}

func wantDamage(t *testing.T, d *integrity.Damage, kind string, pos uint64) {
	t.Helper()
	if d == nil {
		t.Fatalf("no damage found, want %s at position %d", kind, pos)
	}
	if d.Kind != kind || d.Position != pos {
		t.Fatalf("damage %s at %d (%s), want %s at %d", d.Kind, d.Position, d.Detail, kind, pos)
	}
}

func TestCheckerAcceptsAnIntactLog(t *testing.T) {
	var c integrity.Checker
	if d := checkAll(t, &c, sealedLog(30)); d != nil {
		t.Fatalf("an intact log: %v", d)
	}
	if c.Last() != 30 {
		t.Fatalf("last %d", c.Last())
	}
}

func TestCheckerTamperedPayload(t *testing.T) {
	evs := sealedLog(10)
	evs[6].Payload = []byte("payload 6 altered")
	var c integrity.Checker
	wantDamage(t, checkAll(t, &c, evs), integrity.HashMismatch, 7)
}

func TestCheckerBrokenChain(t *testing.T) {
	t.Run("prev_hash", func(t *testing.T) {
		// An event rewritten with a consistent hash of its own, but not
		// chained to its stream's previous event.
		evs := sealedLog(10)
		evs[7].PrevHash = append([]byte(nil), evs[0].Hash...) // stream s1's event claims s0's as predecessor
		evs[7].Hash = eventstore.ComputeHash(&evs[7])
		var c integrity.Checker
		wantDamage(t, checkAll(t, &c, evs), integrity.ChainBroken, 8)
	})
	t.Run("revision skipped", func(t *testing.T) {
		evs := sealedLog(10)
		evs[5].Revision++ // stream s2, revision 1 → 2
		evs[5].Hash = eventstore.ComputeHash(&evs[5])
		var c integrity.Checker
		wantDamage(t, checkAll(t, &c, evs), integrity.ChainBroken, 6)
	})
	t.Run("a stream's first event missing", func(t *testing.T) {
		evs := sealedLog(10)
		// Drop stream s0's first event and renumber: positions are
		// contiguous, but s0 now starts at revision 1.
		evs = evs[1:]
		for i := range evs {
			evs[i].Position = uint64(i + 1)
		}
		var c integrity.Checker
		wantDamage(t, checkAll(t, &c, evs), integrity.ChainBroken, 3)
	})
}

func TestCheckerGap(t *testing.T) {
	evs := sealedLog(10)
	gapped := append(append([]eventstore.Event{}, evs[:4]...), evs[5:]...) // position 5 lost
	var c integrity.Checker
	wantDamage(t, checkAll(t, &c, gapped), integrity.PositionGap, 5)

	// Twice the same position, or going back, is not +1 either.
	again := append(append([]eventstore.Event{}, evs[:4]...), evs[3])
	c = integrity.Checker{}
	wantDamage(t, checkAll(t, &c, again), integrity.PositionGap, 4)
}

// A checker resumed after a snapshot checks the first event it meets of a
// stream against the stream's previous event in the store.
func TestCheckerResumedReadsThePredecessor(t *testing.T) {
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 9 {
		p := eventstore.Proposed{ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", i), Type: "test.Happened", SchemaVersion: 1, Payload: []byte{byte(i)}}
		if _, err := s.Append(ctx, fmt.Sprintf("test.s%d", i%3), eventstore.Any, []eventstore.Proposed{p}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.ReadAll(ctx, 1, 0)
	if err != nil || len(evs) != 9 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	reads := 0
	prev := integrity.PreviousFrom(s)
	c := integrity.Checker{Previous: func(ctx context.Context, stream string, rev uint64) (eventstore.Event, error) {
		reads++
		return prev(ctx, stream, rev)
	}}
	c.Start(4)
	if d := checkAll(t, &c, evs[4:]); d != nil {
		t.Fatalf("resumed over an intact log: %v", d)
	}
	// Positions 5, 6 are streams s1, s2 at revision 1; position 7 is s0 at
	// revision 2: one read a stream, then the checker knows it.
	if reads != 3 {
		t.Fatalf("%d reads of predecessors, want 3", reads)
	}
	// An event claiming a predecessor the store does not hold.
	forged := evs[5]
	forged.PrevHash = make([]byte, 32)
	forged.Hash = eventstore.ComputeHash(&forged)
	c = integrity.Checker{Previous: prev}
	c.Start(5)
	wantDamage(t, checkAll(t, &c, []eventstore.Event{forged}), integrity.ChainBroken, 6)
}

func TestMonitorAndGuard(t *testing.T) {
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logs strings.Builder
	m := integrity.NewMonitor(slog.New(slog.NewTextHandler(&logs, nil)))
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collectors()...)
	g := &integrity.Guard{Store: s, Monitor: m}
	p := func(i int) []eventstore.Proposed {
		return []eventstore.Proposed{{ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", i), Type: "test.Happened", SchemaVersion: 1}}
	}
	if _, err := g.Append(ctx, "test.a", eventstore.Any, p(1)); err != nil {
		t.Fatalf("a healthy guard refused: %v", err)
	}
	if v := gauge(t, reg, "tasharuk_integrity_ok"); v != 1 {
		t.Fatalf("tasharuk_integrity_ok %v on a healthy log", v)
	}

	m.Report(&integrity.Damage{Position: 9, Kind: integrity.HashMismatch, Source: "read model", Detail: "x"})
	m.Report(&integrity.Damage{Position: 4, Kind: integrity.PositionGap, Source: "checkpointer", Detail: "y"})
	m.Report(&integrity.Damage{Position: 12, Kind: integrity.ChainBroken, Source: "read model", Detail: "z"})
	if d := m.Damage(); d.Position != 4 || d.Kind != integrity.PositionGap {
		t.Fatalf("the monitor keeps %+v, want the earliest damage (position 4)", d)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "position=9") {
		t.Fatalf("damage not logged at ERROR with its position:\n%s", logs.String())
	}
	if n := series(t, reg, "tasharuk_integrity_failures_total"); n != 3 {
		t.Fatalf("%d failure series, want 3", n)
	}
	if v := gauge(t, reg, "tasharuk_integrity_ok"); v != 0 {
		t.Fatalf("tasharuk_integrity_ok %v after damage", v)
	}
	head, _ := s.LastPosition(ctx)
	_, err = g.Append(ctx, "test.a", eventstore.Any, p(2))
	if kind, reason, ok := fault.Classify(err); !ok || kind != fault.Unavailable || reason != integrity.ReasonLogDamaged || !strings.Contains(err.Error(), "position 4") {
		t.Fatalf("append over damage: %v (%v %s)", err, kind, reason)
	}
	if now, _ := s.LastPosition(ctx); now != head {
		t.Fatalf("the guard let an append through: head %d → %d", head, now)
	}
	_, err = g.AppendMulti(ctx, []eventstore.StreamAppend{{Stream: "test.m1", Expected: eventstore.NoStream, Events: p(5)}, {Stream: "test.m2", Expected: eventstore.NoStream, Events: p(6)}})
	if _, reason, ok := fault.Classify(err); !ok || reason != integrity.ReasonLogDamaged {
		t.Fatalf("multi-stream append over damage: %v", err)
	}
	if now, _ := s.LastPosition(ctx); now != head {
		t.Fatalf("the guard let a multi-stream append through: head %d → %d", head, now)
	}
	// Reads pass through.
	if evs, err := g.ReadAll(ctx, 1, 0); err != nil || len(evs) != 1 {
		t.Fatalf("read through the guard: %d %v", len(evs), err)
	}

	ro := &integrity.Guard{Store: s, Monitor: integrity.NewMonitor(quiet), ReadOnly: true}
	_, err = ro.Append(ctx, "test.b", eventstore.Any, p(3))
	if kind, reason, ok := fault.Classify(err); !ok || kind != fault.FailedPrecondition || reason != integrity.ReasonReadOnly {
		t.Fatalf("append read-only: %v", err)
	}
	_, err = ro.AppendMulti(ctx, []eventstore.StreamAppend{{Stream: "test.m3", Expected: eventstore.NoStream, Events: p(7)}, {Stream: "test.m4", Expected: eventstore.NoStream, Events: p(8)}})
	if _, reason, ok := fault.Classify(err); !ok || reason != integrity.ReasonReadOnly {
		t.Fatalf("multi-stream append read-only: %v", err)
	}
	// A nil monitor knows of no damage.
	var none *integrity.Monitor
	none.Report(&integrity.Damage{})
	if none.Damage() != nil || !errors.Is(none.ReportErr(io.EOF), io.EOF) {
		t.Fatal("nil monitor")
	}
}

// gauge returns the value of a gauge without labels.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// series returns the number of series of a metric.
func series(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// BenchmarkChecker is the cost a read model pays for each event before it
// applies it (a hash over ~300 bytes, a map lookup a stream).
func BenchmarkChecker(b *testing.B) {
	evs := sealedLog(1 << 14)
	b.ReportAllocs()
	b.ResetTimer()
	var c integrity.Checker
	for i := 0; i < b.N; i++ {
		j := i % len(evs)
		if j == 0 {
			c = integrity.Checker{}
		}
		if err := c.Check(context.Background(), &evs[j]); err != nil {
			b.Fatal(err)
		}
	}
}
