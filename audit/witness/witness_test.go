package witness_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/audit/witness"
)

const origin = "tasharuk.ma/TEST_LOG"

// syncBuffer collects a logger's output.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeLog is a log: a tree over made-up event hashes and its key.
type fakeLog struct {
	t      *testing.T
	tree   audit.Tree
	signer note.Signer
	vkey   string
	tag    string // makes another history's events differ
}

func newLog(t *testing.T) *fakeLog {
	t.Helper()
	skey, vkey, err := audit.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeLog{t: t, signer: s, vkey: vkey}
}

// fork returns a log with the same key and the same first n events.
func (l *fakeLog) fork(n int64, tag string) *fakeLog {
	f := &fakeLog{t: l.t, signer: l.signer, vkey: l.vkey, tag: tag}
	for i := range n {
		h, _ := l.tree.Leaf(i)
		if err := f.tree.Append(h[:]); err != nil {
			l.t.Fatal(err)
		}
	}
	return f
}

func (l *fakeLog) grow(n int) {
	for range n {
		h := tlog.RecordHash(fmt.Appendf(nil, "event %d %s", l.tree.Size(), l.tag))
		if err := l.tree.Append(h[:]); err != nil {
			l.t.Fatal(err)
		}
	}
}

func (l *fakeLog) checkpoint() string {
	size := l.tree.Size()
	root, _ := l.tree.Root(size)
	s, err := audit.SignCheckpoint(l.signer, origin, size, root)
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}

func (l *fakeLog) proof(old int64) tlog.TreeProof {
	if old == 0 || old == l.tree.Size() {
		return nil
	}
	p, err := l.tree.ConsistencyProof(old, l.tree.Size())
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

// runningWitness is a witness served on loopback.
type runningWitness struct {
	w      *witness.Witness
	state  *witness.State
	client *witness.Client
	logs   *syncBuffer
	url    string
	close  func()
}

func startWitness(t *testing.T, dir string, logs ...witness.Log) *runningWitness {
	t.Helper()
	st, err := witness.OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	signer, vkey, err := st.LoadOrCreateKey("", "witness.example/"+strings.ReplaceAll(t.Name(), "/", "-"))
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuffer{}
	w, err := witness.New(signer, st, logs, slog.New(slog.NewTextHandler(buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler(""))
	rw := &runningWitness{w: w, state: st, logs: buf, url: srv.URL,
		client: &witness.Client{Target: witness.Target{URL: srv.URL, VerifierKey: vkey}}}
	var once sync.Once
	rw.close = func() { once.Do(func() { srv.Close(); st.Close() }) }
	t.Cleanup(rw.close)
	return rw
}

func post(t *testing.T, url string, body []byte) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestWitnessAddCheckpoint follows tlog-witness's add-checkpoint: a log
// grows, the witness cosigns each consistent checkpoint, answers 409 with
// its size to a stale client, refuses a rewritten history with 422 and
// keeps the evidence, and answers 400, 403 and 404 as the spec says —
// its state unchanged by any refusal.
func TestWitnessAddCheckpoint(t *testing.T) {
	ctx := context.Background()
	lg := newLog(t)
	logEntry, err := witness.ParseLog(lg.vkey)
	if err != nil || logEntry.Origin != origin {
		t.Fatalf("ParseLog = %+v, %v", logEntry, err)
	}
	dir := t.TempDir()
	w := startWitness(t, dir, logEntry)

	// The first checkpoint, from size 0.
	lg.grow(10)
	c1, err := w.client.AddCheckpoint(ctx, 0, nil, lg.checkpoint())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c1.Witness, "witness.example/") || !strings.HasPrefix(c1.Line, "— "+c1.Witness+" ") {
		t.Fatalf("cosignature %+v", c1)
	}
	// A client that does not know the witness's size learns it from 409.
	lg.grow(7)
	_, err = w.client.AddCheckpoint(ctx, 0, nil, lg.checkpoint())
	var conflict *witness.ConflictError
	if !errors.As(err, &conflict) || conflict.Size != 10 {
		t.Fatalf("stale old size: %v", err)
	}
	status, ctype, body := post(t, w.url, witness.FormatRequest(3, lg.proof(3), lg.checkpoint()))
	if status != http.StatusConflict || ctype != "text/x.tlog.size" || body != "10\n" {
		t.Fatalf("409 answer: %d %q %q", status, ctype, body)
	}
	// With the proof from 10, it cosigns 17.
	c2, err := w.client.AddCheckpoint(ctx, 10, lg.proof(10), lg.checkpoint())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := w.state.Latest(origin)
	if err != nil || cur.TreeSize != 17 || cur.Cosignature != c2.Line {
		t.Fatalf("state after 17: %+v, %v", cur, err)
	}
	// The same checkpoint again (a retry) is cosigned again.
	if _, err := w.client.AddCheckpoint(ctx, 17, nil, lg.checkpoint()); err != nil {
		t.Fatalf("same checkpoint again: %v", err)
	}

	// A rewritten history signed with the log's (stolen) key: event 4
	// changed, every later hash recomputed. No proof from the cosigned
	// tree of 17 verifies, whatever the proof; at size 17 the root differs.
	r := lg.fork(4, "")
	tampered := tlog.RecordHash([]byte("event 4, changed"))
	if err := r.tree.Append(tampered[:]); err != nil {
		t.Fatal(err)
	}
	r.grow(12) // events 5..16 as the log had them
	if status, _, body := post(t, w.url, witness.FormatRequest(17, nil, r.checkpoint())); status != http.StatusUnprocessableEntity {
		t.Fatalf("rewritten, same size: %d %s", status, body)
	}
	r.grow(3)
	// The forger's own proof from 17, over its own tree.
	if status, _, body := post(t, w.url, witness.FormatRequest(17, r.proof(17), r.checkpoint())); status != http.StatusUnprocessableEntity {
		t.Fatalf("rewritten, larger: %d %s", status, body)
	}
	if cur, _ := w.state.Latest(origin); cur.TreeSize != 17 || cur.Cosignature == "" {
		t.Fatalf("state after refusals: %+v", cur)
	}
	files, err := w.state.EvidenceFiles()
	if err != nil || len(files) != 2 {
		t.Fatalf("evidence files %v, %v", files, err)
	}
	ev, err := witness.ReadEvidence(files[1])
	if err != nil {
		t.Fatal(err)
	}
	// The evidence holds both checkpoints, each verifying with the log's key.
	_, cs, _, err1 := audit.OpenCheckpoint(ev.Cosigned.CosignedNote(), lg.vkey)
	_, rs, _, err2 := audit.OpenCheckpoint(ev.RefusedCheckpoint, lg.vkey)
	if err1 != nil || err2 != nil || cs != 17 || rs != 20 || ev.RefusedOldSize != 17 || len(ev.RefusedProof) == 0 || ev.Origin != origin {
		t.Fatalf("evidence %+v (%v, %v)", ev, err1, err2)
	}
	if !strings.Contains(w.logs.String(), "witness: ALARM") {
		t.Fatalf("no alarm logged:\n%s", w.logs.String())
	}

	// The other refusals of the spec, each leaving the state as it was.
	other := newLog(t)
	other.grow(20)
	foreign := fakeLog{t: t, signer: mustSigner(t, "example.org/other-log")}
	foreign.grow(20)
	for _, c := range []struct {
		name string
		body []byte
		want int
	}{
		{"no old line", []byte("\n" + lg.checkpoint()), http.StatusBadRequest},
		{"no old size", witness.FormatRequest(17, nil, lg.checkpoint())[1:], http.StatusBadRequest},
		{"old size with a leading zero", []byte("old 017\n\n" + lg.checkpoint()), http.StatusBadRequest},
		{"a proof from size 0", witness.FormatRequest(0, lg.proof(3), lg.checkpoint()), http.StatusConflict},
		{"old size above the checkpoint's", witness.FormatRequest(30, nil, lg.checkpoint()), http.StatusBadRequest},
		{"bad proof line", []byte("old 17\nnot base64!\n\n" + lg.checkpoint()), http.StatusBadRequest},
		{"signed by another key of the same name", witness.FormatRequest(17, nil, other.checkpoint()), http.StatusForbidden},
		{"unsigned", witness.FormatRequest(17, nil, audit.CheckpointText(origin, 17, mustRoot(lg, 17))+"\n"), http.StatusForbidden},
		{"a log the witness does not follow", witness.FormatRequest(0, nil, foreign.checkpoint2("example.org/other-log")), http.StatusNotFound},
	} {
		status, _, body := post(t, w.url, c.body)
		if status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.want)
		}
	}
	if cur, _ := w.state.Latest(origin); cur.TreeSize != 17 {
		t.Fatalf("a refusal changed the state: %+v", cur)
	}

	// The monitoring API serves the cosigned checkpoint, both signatures
	// verifying.
	served, err := w.client.Checkpoint(ctx, origin)
	if err != nil {
		t.Fatal(err)
	}
	view, err := witness.OpenView(served, lg.vkey, w.client.Target.VerifierKey)
	if err != nil || view.Size != 17 {
		t.Fatalf("served checkpoint %q: %+v %v", served, view, err)
	}

	// Closed, the folder is free for the next witness process.
	w.close()
	st, err := witness.OpenState(dir)
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	st.Close()
}

func mustSigner(t *testing.T, name string) note.Signer {
	t.Helper()
	skey, _, err := audit.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustRoot(l *fakeLog, size int64) tlog.Hash {
	r, err := l.tree.Root(size)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

// checkpoint2 signs a checkpoint of another origin.
func (l *fakeLog) checkpoint2(o string) string {
	size := l.tree.Size()
	root, _ := l.tree.Root(size)
	s, err := audit.SignCheckpoint(l.signer, o, size, root)
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}

// TestWitnessStateSurvivesRestartAndIsLocked: the state is on disk before
// the cosignature is returned, a second witness cannot open the same
// folder, and a restarted one answers 409 with the size it cosigned.
func TestWitnessStateSurvivesRestartAndIsLocked(t *testing.T) {
	ctx := context.Background()
	lg := newLog(t)
	entry, _ := witness.ParseLog(lg.vkey)
	dir := t.TempDir()
	w := startWitness(t, dir, entry)
	lg.grow(5)
	// From size 0 the proof must be empty (422), and nothing is recorded.
	if status, _, body := post(t, w.url, witness.FormatRequest(0, lg.proof(2), lg.checkpoint())); status != http.StatusUnprocessableEntity {
		t.Fatalf("proof from 0: %d %s", status, body)
	}
	if cur, err := w.state.Latest(origin); cur != nil || err != nil {
		t.Fatalf("state after a refusal: %+v %v", cur, err)
	}
	if _, err := w.client.AddCheckpoint(ctx, 0, nil, lg.checkpoint()); err != nil {
		t.Fatal(err)
	}
	if _, err := witness.OpenState(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second witness on the same folder: %v", err)
	}
	if b, err := os.ReadFile(dir + "/witness.pub"); err != nil || strings.TrimSpace(string(b)) != w.client.Target.VerifierKey {
		t.Fatalf("witness.pub: %q %v", b, err)
	}
	w.close()
	w2 := startWitness(t, dir, entry)
	if w2.client.Target.VerifierKey != w.client.Target.VerifierKey {
		t.Fatal("the restarted witness has another key")
	}
	lg.grow(3)
	_, err := w2.client.AddCheckpoint(ctx, 0, nil, lg.checkpoint())
	var conflict *witness.ConflictError
	if !errors.As(err, &conflict) || conflict.Size != 5 {
		t.Fatalf("restarted witness: %v", err)
	}
	if _, err := w2.client.AddCheckpoint(ctx, 5, lg.proof(5), lg.checkpoint()); err != nil {
		t.Fatal(err)
	}
}

// TestForkShownToTwoWitnesses: the log shows one history to one witness
// and another to the second, both signed with its key and each
// consistent on its own; each witness cosigns, and comparing their states
// finds the fork — at the same size by the roots, at different sizes by
// the lack of any consistency proof.
func TestForkShownToTwoWitnesses(t *testing.T) {
	ctx := context.Background()
	lg := newLog(t)
	entry, _ := witness.ParseLog(lg.vkey)
	a := startWitness(t, t.TempDir(), entry)
	b := startWitness(t, t.TempDir(), entry)
	lg.grow(8)
	for _, w := range []*runningWitness{a, b} {
		if _, err := w.client.AddCheckpoint(ctx, 0, nil, lg.checkpoint()); err != nil {
			t.Fatal(err)
		}
	}
	// Honest growth: both views agree.
	lg.grow(4)
	for _, w := range []*runningWitness{a, b} {
		if _, err := w.client.AddCheckpoint(ctx, 8, lg.proof(8), lg.checkpoint()); err != nil {
			t.Fatal(err)
		}
	}
	views := func() (witness.View, witness.View) {
		t.Helper()
		var out []witness.View
		for _, w := range []*runningWitness{a, b} {
			n, err := w.client.Checkpoint(ctx, origin)
			if err != nil {
				t.Fatal(err)
			}
			v, err := witness.OpenView(n, lg.vkey, w.client.Target.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out[0], out[1]
	}
	va, vb := views()
	if err := witness.Compare(va, vb, nil); err != nil {
		t.Fatalf("honest views: %v", err)
	}

	// The fork: from 12, A sees history X, B history Y.
	x, y := lg.fork(12, "X"), lg.fork(12, "Y")
	x.grow(5)
	y.grow(5)
	if _, err := a.client.AddCheckpoint(ctx, 12, x.proof(12), x.checkpoint()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.AddCheckpoint(ctx, 12, y.proof(12), y.checkpoint()); err != nil {
		t.Fatal(err)
	}
	va, vb = views()
	if err := witness.Compare(va, vb, nil); !errors.Is(err, witness.ErrFork) {
		t.Fatalf("same size, two roots: %v", err)
	}
	// B grows further on Y: sizes differ; the log can prove Y's growth but
	// not that X is a prefix of Y.
	y.grow(3)
	if _, err := b.client.AddCheckpoint(ctx, 17, y.proof(17), y.checkpoint()); err != nil {
		t.Fatal(err)
	}
	va, vb = views()
	if err := witness.Compare(va, vb, nil); err == nil || errors.Is(err, witness.ErrFork) {
		t.Fatalf("different sizes with no proof at hand: %v", err)
	}
	fromY := func(o, n int64) (tlog.TreeProof, error) { return y.tree.ConsistencyProof(o, n) }
	if err := witness.Compare(va, vb, fromY); !errors.Is(err, witness.ErrFork) {
		t.Fatalf("different sizes, the log's best proof: %v", err)
	}
	// And the honest comparison at different sizes passes with a proof.
	honestA := witness.View{Witness: "a", Size: 12, Root: mustRoot(y, 12)}
	if err := witness.Compare(honestA, vb, fromY); err != nil {
		t.Fatalf("a prefix with a proof: %v", err)
	}
}

// TestClientTrustsOnlyItsWitnessKey: an endpoint that answers with a
// cosignature by another key (or none, or garbage) gets no cosignature
// recorded: the client checks the line against the key it was given.
func TestClientTrustsOnlyItsWitnessKey(t *testing.T) {
	lg := newLog(t)
	entry, _ := witness.ParseLog(lg.vkey)
	real := startWitness(t, t.TempDir(), entry)
	impostor := startWitness(t, t.TempDir(), entry)
	lg.grow(3)
	// The impostor's server, the real witness's key.
	c := &witness.Client{Target: witness.Target{URL: impostor.url, VerifierKey: real.client.Target.VerifierKey}}
	if _, err := c.AddCheckpoint(context.Background(), 0, nil, lg.checkpoint()); !errors.Is(err, audit.ErrBadSignature) {
		t.Fatalf("cosignature by another key accepted: %v", err)
	}
	for _, body := range []string{"", "not a signature line\n", "— witness.example/x AAAA\n"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) }))
		c := &witness.Client{Target: witness.Target{URL: srv.URL, VerifierKey: real.client.Target.VerifierKey}}
		if _, err := c.AddCheckpoint(context.Background(), 0, nil, lg.checkpoint()); err == nil {
			t.Errorf("answer %q taken for a cosignature", body)
		}
		srv.Close()
	}
}
