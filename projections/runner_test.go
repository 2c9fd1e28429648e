package projections_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
)

// The runner is tested with read models of its own making: it knows no
// context (internal/kernel/deps_test.go checks that its tests import none
// either). The contexts' models on the runner are tested in
// services/status.

var base = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

func testRegistry() *es.Registry {
	return es.NewRegistry([]es.Type{{Name: "test.Noted", Version: 1, Sample: &wrapperspb.StringValue{}}})
}

// seen is one event as a recording model saw it.
type seen struct {
	Position uint64
	Stream   string
	Value    string
}

// recorder keeps the events of the streams of its category, in the order
// it was offered them, and the payload pointers (to tell a decode shared
// by the models from one decode each).
type recorder struct {
	name, category string
	fail           uint64 // refuse the event at this position

	mu       sync.Mutex
	Seen     []seen
	payloads []proto.Message
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Apply(e *eventstore.Event, payload proto.Message) error {
	if e.Position == r.fail {
		return errors.New("refused")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, payload)
	if strings.HasPrefix(e.Stream, r.category+".") {
		r.Seen = append(r.Seen, seen{Position: e.Position, Stream: e.Stream, Value: payload.(*wrapperspb.StringValue).GetValue()})
	}
	return nil
}

func (r *recorder) Snapshot() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(r.Seen)
	return buf.Bytes(), err
}

func (r *recorder) Restore(data []byte) error {
	var s []seen
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Seen = s
	return nil
}

func (r *recorder) Digest(write func(any)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	write(r.Seen)
}

func (r *recorder) seen() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.Seen...)
}

// event makes the event at pos of stream, recorded at base+pos minutes.
func event(t *testing.T, reg *es.Registry, pos uint64, stream, value string) eventstore.Event {
	t.Helper()
	p, err := reg.Propose(wrapperspb.String(value), es.Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: base, Actor: eventstore.Actor{Subject: "clerk", Role: "staff"}})
	if err != nil {
		t.Fatal(err)
	}
	e := eventstore.Seal(stream, eventstore.Head{}, []eventstore.Proposed{p}, base.Add(time.Duration(pos)*time.Minute))[0]
	e.Position = pos
	return e
}

func TestRunnerFansOutInLogOrder(t *testing.T) {
	reg := testRegistry()
	a, b := &recorder{name: "a", category: "a"}, &recorder{name: "b", category: "b"}
	r := projections.New(reg, a, b)
	evs := []eventstore.Event{
		event(t, reg, 1, "a.1", "one"), event(t, reg, 2, "b.1", "two"), event(t, reg, 3, "a.1", "three"), event(t, reg, 4, "a.2", "four"),
	}
	for _, e := range evs {
		if err := r.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	// Delivered again (a restarted subscription): ignored.
	if err := r.Apply(evs[1]); err != nil {
		t.Fatal(err)
	}
	// A type the registry does not know: counted, offered to no model, the
	// position moves.
	unknown := event(t, reg, 5, "a.1", "five")
	unknown.Type = "test.Unheard"
	if err := r.Apply(unknown); err != nil {
		t.Fatal(err)
	}
	wantA := []seen{{1, "a.1", "one"}, {3, "a.1", "three"}, {4, "a.2", "four"}}
	if got := a.seen(); fmt.Sprint(got) != fmt.Sprint(wantA) {
		t.Errorf("model a saw %v, want %v", got, wantA)
	}
	if got := b.seen(); fmt.Sprint(got) != fmt.Sprint([]seen{{2, "b.1", "two"}}) {
		t.Errorf("model b saw %v", got)
	}
	if len(a.payloads) != 4 || len(b.payloads) != 4 {
		t.Fatalf("offered %d and %d events, want every known event (4) to both", len(a.payloads), len(b.payloads))
	}
	for i := range a.payloads {
		if a.payloads[i] != b.payloads[i] {
			t.Errorf("event %d was decoded once per model, not once for all", i)
		}
	}
	if r.Position() != 5 {
		t.Errorf("position %d, want 5", r.Position())
	}
	if got := r.PositionAt(base.Add(3*time.Minute + time.Second)); got != 3 {
		t.Errorf("PositionAt(+3m1s) = %d, want 3", got)
	}
	if got := r.RecordedAt(4); !got.Equal(base.Add(4 * time.Minute)) {
		t.Errorf("RecordedAt(4) = %v", got)
	}

	// A model that refuses an event: the runner stops there, names the
	// model, and its position does not move (WaitFor does not see it).
	c := &recorder{name: "c", category: "a", fail: 2}
	r2 := projections.New(reg, a, c)
	_ = r2.Apply(evs[0])
	err := r2.Apply(evs[1])
	if err == nil || !strings.Contains(err.Error(), "c:") || r2.Position() != 1 {
		t.Fatalf("Apply of a refused event: %v, position %d (want an error naming c, position 1)", err, r2.Position())
	}
}

func TestRunnerSnapshotHasASectionPerModel(t *testing.T) {
	reg := testRegistry()
	a, b := &recorder{name: "a", category: "a"}, &recorder{name: "b", category: "b"}
	r := projections.New(reg, a, b)
	for i, s := range []string{"a.1", "b.1", "a.2"} {
		if err := r.Apply(event(t, reg, uint64(i+1), s, s)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := r.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	snap := buf.Bytes()

	a2, b2 := &recorder{name: "a", category: "a"}, &recorder{name: "b", category: "b"}
	resumed := projections.New(reg, a2, b2)
	if err := resumed.ReadSnapshot(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if resumed.Position() != 3 || fmt.Sprint(a2.seen()) != fmt.Sprint(a.seen()) || fmt.Sprint(b2.seen()) != fmt.Sprint(b.seen()) {
		t.Fatalf("resumed at %d with %v %v", resumed.Position(), a2.seen(), b2.seen())
	}
	if resumed.Digest() != r.Digest() {
		t.Error("a resumed runner's digest differs")
	}
	if resumed.PositionAt(base.Add(2*time.Minute)) != 2 {
		t.Error("recorded times were not kept")
	}
	// The same events after the snapshot give the same digest as from zero.
	for _, x := range []*projections.Runner{r, resumed} {
		if err := x.Apply(event(t, reg, 4, "b.2", "b.2")); err != nil {
			t.Fatal(err)
		}
	}
	if resumed.Digest() != r.Digest() {
		t.Error("digests differ after the same event")
	}

	// A runner with a model the snapshot has no section for refuses it and
	// is left empty, ready to rebuild.
	a3, extra := &recorder{name: "a", category: "a"}, &recorder{name: "new", category: "n"}
	other := projections.New(reg, a3, extra)
	err := other.ReadSnapshot(bytes.NewReader(snap))
	if err == nil || !strings.Contains(err.Error(), "new") {
		t.Fatalf("a snapshot without the model's section: %v", err)
	}
	if other.Position() != 0 || len(a3.seen()) != 0 {
		t.Fatalf("after a refused snapshot: position %d, model a %v (want empty)", other.Position(), a3.seen())
	}
}

// oldSnapshot is the head of the version 5 snapshot (one gob of the
// single pre-split model): what a data folder of the old binary holds.
type oldSnapshot struct {
	Version  int
	Position uint64
	Children map[string][]string
	Unknown  int
}

// A snapshot file of the old format is ignored with a warning and the
// models rebuilt from the log; the file is then rewritten in the new
// format and resumed from.
func TestFollowerRebuildsOverAnOldSnapshot(t *testing.T) {
	ctx := context.Background()
	reg := testRegistry()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for i, stream := range []string{"a.1", "a.2", "a.1"} {
		p, err := reg.Propose(wrapperspb.String(fmt.Sprint(i)), es.Meta{ID: uuid.Must(uuid.NewV7()).String()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, stream, eventstore.Any, []eventstore.Proposed{p}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "projections", "nats-snapshot.gob")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	if err := gob.NewEncoder(&old).Encode(&oldSnapshot{Version: 5, Position: 2, Children: map[string][]string{"r1": {"p1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, old.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	a := &recorder{name: "a", category: "a"}
	f := &projections.Follower{Model: projections.New(reg, a), Store: s, SnapshotPath: path, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	from, err := f.Start(ctx)
	if err != nil || from != 0 {
		t.Fatalf("Start over an old snapshot: from %d, %v; want a rebuild from 0", from, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "snapshot version 5") {
		t.Fatalf("no warning naming the old version: %q", logs.String())
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	deadline := time.Now().Add(10 * time.Second)
	for f.Model.Position() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := a.seen(); len(got) != 3 || got[0].Value != "0" || got[2].Value != "2" {
		t.Fatalf("rebuilt model saw %v, want the three events", got)
	}

	// The snapshot written at stop is of the new format: a new follower
	// resumes from it without reading the log again.
	b := &recorder{name: "a", category: "a"}
	again := &projections.Follower{Model: projections.New(reg, b), Store: s, SnapshotPath: path, Logger: slog.New(slog.DiscardHandler)}
	if from, err := again.Start(ctx); err != nil || from != 3 || len(b.seen()) != 3 {
		t.Fatalf("resume from the new snapshot: from %d, %v, %d events", from, err, len(b.seen()))
	}
}

// A snapshot file of version 6 (one gob, before issue 17) is still read,
// to the same digest and recorded times; a version 7 file damaged on disk
// — any byte changed, or cut short anywhere — is refused and leaves the
// runner empty (the follower then rebuilds from the log), never half
// taken.
func TestRunnerSnapshotReadsVersion6AndRefusesDamage(t *testing.T) {
	reg := testRegistry()
	a, b := &recorder{name: "a", category: "a"}, &recorder{name: "b", category: "b"}
	r := projections.New(reg, a, b)
	for i, s := range []string{"a.1", "b.1", "a.2", "b.2", "a.1"} {
		if err := r.Apply(event(t, reg, uint64(i+1), s, s)); err != nil {
			t.Fatal(err)
		}
	}
	fresh := func() (*projections.Runner, *recorder, *recorder) {
		a2, b2 := &recorder{name: "a", category: "a"}, &recorder{name: "b", category: "b"}
		return projections.New(reg, a2, b2), a2, b2
	}

	var v6 bytes.Buffer
	if err := projections.WriteGobSnapshot(r, &v6); err != nil {
		t.Fatal(err)
	}
	old, _, _ := fresh()
	if err := old.ReadSnapshot(&v6); err != nil {
		t.Fatalf("a version 6 snapshot: %v", err)
	}
	if old.Digest() != r.Digest() || old.Position() != 5 || old.PositionAt(base.Add(3*time.Minute)) != 3 {
		t.Fatalf("from a version 6 snapshot: position %d, at 3 min %d, digest equal %v", old.Position(), old.PositionAt(base.Add(3*time.Minute)), old.Digest() == r.Digest())
	}

	var buf bytes.Buffer
	if err := r.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	whole, _, _ := fresh()
	if err := whole.ReadSnapshot(bytes.NewReader(file)); err != nil || whole.Digest() != r.Digest() {
		t.Fatalf("version 7 round trip: %v (digest equal %v)", err, whole.Digest() == r.Digest())
	}
	refused := func(what string, data []byte) {
		t.Helper()
		x, a2, b2 := fresh()
		if err := x.ReadSnapshot(bytes.NewReader(data)); err == nil {
			t.Fatalf("%s: taken", what)
		}
		if x.Position() != 0 || len(a2.seen()) != 0 || len(b2.seen()) != 0 {
			t.Fatalf("%s: runner left at %d with %v %v", what, x.Position(), a2.seen(), b2.seen())
		}
	}
	for i := range file {
		damaged := bytes.Clone(file)
		damaged[i] ^= 0x20
		refused(fmt.Sprintf("byte %d of %d changed", i, len(file)), damaged)
	}
	for cut := range len(file) {
		refused(fmt.Sprintf("cut at %d of %d", cut, len(file)), file[:cut])
	}
}
