package witness_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	envelopev1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/envelope/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/audit/audittest"
	"github.com/tasharuk/tasharuk/audit/witness"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// loopWitness is a witness served on a fixed loopback address, so it can
// go offline and come back where the log expects it.
type loopWitness struct {
	t     *testing.T
	dir   string
	name  string
	addr  string
	entry witness.Log
	vkey  string
	state *witness.State
	srv   *http.Server
}

func (w *loopWitness) start() {
	t := w.t
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", w.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.addr = ln.Addr().String()
	if w.state, err = witness.OpenState(w.dir); err != nil {
		t.Fatal(err)
	}
	if w.name == "" {
		w.name = "witness.example/" + uuid.NewString()[:8]
	}
	signer, vkey, err := w.state.LoadOrCreateKey("", w.name)
	if err != nil {
		t.Fatal(err)
	}
	w.vkey = vkey
	wt, err := witness.New(signer, w.state, []witness.Log{w.entry}, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	w.srv = &http.Server{Handler: wt.Handler("")}
	go func() { _ = w.srv.Serve(ln) }()
}

func (w *loopWitness) stop() {
	if w.srv != nil {
		_ = w.srv.Close()
		_ = w.state.Close()
		w.srv = nil
	}
}

func (w *loopWitness) target() witness.Target {
	return witness.Target{URL: "http://" + w.addr, VerifierKey: w.vkey}
}

// size reads the witness's state from its folder (beside the running
// witness, without taking its lock).
func (w *loopWitness) size() int64 {
	c, err := (&witness.State{Dir: w.dir}).Latest(origin)
	if err != nil {
		w.t.Fatal(err)
	}
	if c == nil {
		return 0
	}
	return c.TreeSize
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustNoteSigner(t *testing.T, skey string) note.Signer {
	t.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCollectorWitnessesAndRewrite: a growing log gets every checkpoint
// cosigned by two witnesses in the background; one goes offline and
// catches up with one consistency proof when back; the export verifies
// with a quorum of 2; the consistent rewrite (event changed, chains and
// hashes recomputed, checkpoints re-signed with the stolen key) passes
// with the log key alone but is caught with the witnesses' keys, whether
// the forger keeps or drops their cosignatures; and each witness refuses
// the rewritten checkpoint and keeps the evidence.
func TestCollectorWitnessesAndRewrite(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir(), Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	skey, vkey, err := audit.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	signer := mustNoteSigner(t, skey)
	reg := es.NewRegistry(audit.EventTypes)
	ck := &audit.Checkpointer{Store: store, Registry: reg, Signer: signer, Origin: origin, LogName: "main",
		Every: 1 << 30, Interval: time.Hour, Logger: quietLogger}
	entry, err := witness.ParseLog(vkey)
	if err != nil {
		t.Fatal(err)
	}
	wa := &loopWitness{t: t, dir: t.TempDir(), addr: "127.0.0.1:0", entry: entry}
	wb := &loopWitness{t: t, dir: t.TempDir(), addr: "127.0.0.1:0", entry: entry}
	wa.start()
	wb.start()
	t.Cleanup(wa.stop)
	t.Cleanup(wb.stop)
	type cosigned struct {
		witness string
		size    int64
	}
	got := make(chan cosigned, 100)
	col := &witness.Collector{Checkpointer: ck, Store: store, Registry: reg, LogName: "main",
		Witnesses: []witness.Target{wa.target(), wb.target()}, Logger: quietLogger, MaxBackoff: 200 * time.Millisecond,
		Cosigned: func(w string, size int64, _ time.Time) { got <- cosigned{w, size} }}
	done := make(chan error, 2)
	go func() { done <- ck.Run(ctx) }()
	go func() { done <- col.Run(ctx) }()

	// waitCosigned waits until both named witnesses cosigned size.
	waitCosigned := func(size int64, names ...string) {
		t.Helper()
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		deadline := time.After(20 * time.Second)
		for len(want) > 0 {
			select {
			case c := <-got:
				if c.size == size {
					delete(want, c.witness)
				}
			case <-deadline:
				t.Fatalf("not cosigned at %d by %v", size, want)
			}
		}
	}
	nameA, nameB := wa.target().Name(), wb.target().Name()
	grow := func(n int) int64 {
		t.Helper()
		var last uint64
		for i := range n {
			res, err := store.Append(ctx, fmt.Sprintf("test.s%d", i%5), eventstore.Any, []eventstore.Proposed{{
				ID: uuid.Must(uuid.NewV7()).String(), Type: "test.Happened", SchemaVersion: 1,
				Payload: fmt.Appendf(nil, "event %d", i), Actor: eventstore.Actor{Subject: "tester", Role: "staff"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			last = res.Position
		}
		if err := ck.WaitFor(ctx, int64(last)); err != nil {
			t.Fatal(err)
		}
		size, err := ck.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return size
	}

	s1 := grow(20)
	waitCosigned(s1, nameA, nameB)
	s2 := grow(15)
	waitCosigned(s2, nameA, nameB)
	if wa.size() != s2 || wb.size() != s2 {
		t.Fatalf("witness states %d and %d, want %d", wa.size(), wb.size(), s2)
	}

	// B goes offline for two checkpoints; A goes on cosigning.
	wb.stop()
	s3 := grow(10)
	waitCosigned(s3, nameA)
	s4 := grow(10)
	waitCosigned(s4, nameA)
	if wb.size() != s2 {
		t.Fatalf("offline witness at %d", wb.size())
	}
	// Back, B catches up from s2 to s4 in one consistency proof (it never
	// sees s3).
	wb.start()
	waitCosigned(s4, nameB)
	if wb.size() != s4 {
		t.Fatalf("witness B at %d after catching up, want %d", wb.size(), s4)
	}

	// The export: its cosignature events verify with the witnesses' keys.
	head, err := store.LastPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ck.WaitFor(ctx, int64(head)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := audit.Export(ctx, store, vkey, &buf); err != nil {
		t.Fatal(err)
	}
	export := buf.Bytes()
	keys := []string{wa.vkey, wb.vkey}
	rep, err := audit.Verify(bytes.NewReader(export), audit.VerifyOptions{PublicKey: vkey, Witnesses: keys, Quorum: 2})
	if err != nil || !rep.OK() {
		t.Fatalf("honest export: %+v %v", rep.Problems, err)
	}
	if rep.Witnessed != s4 || len(rep.Witnesses) != 2 {
		t.Fatalf("witnessed %d by %+v, want %d by both", rep.Witnessed, rep.Witnesses, s4)
	}

	// The consistent rewrite of event 7, with the stolen key.
	change := func(env *envelopev1.Envelope) { env.Payload = []byte("event 7, rewritten") }
	for _, mode := range []audittest.Cosignatures{audittest.KeepCosignatures, audittest.DropCosignatures} {
		forged, err := audittest.Rewrite(export, signer, 7, change, mode)
		if err != nil {
			t.Fatal(err)
		}
		// With the log's key alone, the forgery passes: the gap of issue 23.
		alone, err := audit.Verify(bytes.NewReader(forged), audit.VerifyOptions{PublicKey: vkey})
		if err != nil || !alone.OK() {
			t.Fatalf("mode %d: the rewrite does not even pass without witnesses: %+v %v", mode, alone.Problems, err)
		}
		rep, err := audit.Verify(bytes.NewReader(forged), audit.VerifyOptions{PublicKey: vkey, Witnesses: keys, Quorum: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := audit.ProblemWitnessMismatch
		if mode == audittest.DropCosignatures {
			want = audit.ProblemWitnessQuorum
		}
		found := false
		for _, p := range rep.Problems {
			found = found || p.Kind == want
			if p.Kind != audit.ProblemWitnessMismatch && p.Kind != audit.ProblemWitnessQuorum {
				t.Errorf("mode %d: unexpected problem %s", mode, p)
			}
		}
		if rep.OK() || !found || rep.Witnessed != 0 {
			t.Fatalf("mode %d: rewrite not caught with the witnesses: witnessed %d, %+v", mode, rep.Witnessed, rep.Problems)
		}
	}

	// The forger shows its re-signed checkpoint of s4 events to the
	// witnesses: both refuse it (422) and keep the evidence.
	forged, _ := audittest.Rewrite(export, signer, 7, change, audittest.KeepCosignatures)
	forgedNote, _, err := audittest.Checkpoint(forged)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*loopWitness{wa, wb} {
		c := &witness.Client{Target: w.target()}
		_, err := c.AddCheckpoint(ctx, s4, nil, forgedNote)
		var refusal *witness.StatusError
		if !errors.As(err, &refusal) || refusal.Status != http.StatusUnprocessableEntity {
			t.Fatalf("witness %s took the forged checkpoint: %v", w.target().Name(), err)
		}
		files, _ := (&witness.State{Dir: w.dir}).EvidenceFiles()
		if len(files) != 1 {
			t.Fatalf("witness %s kept %d evidence files", w.target().Name(), len(files))
		}
		ev, err := witness.ReadEvidence(files[0])
		if err != nil || ev.Cosigned.TreeSize != s4 || ev.RefusedCheckpoint != forgedNote {
			t.Fatalf("evidence %+v %v", ev, err)
		}
	}
	if w := wa.size(); w != s4 {
		t.Fatalf("a refusal moved witness A to %d", w)
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}
