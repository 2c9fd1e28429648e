package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"github.com/tasharuk/tasharuk/access"
	envelopev1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/envelope/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/audit/audittest"
	"github.com/tasharuk/tasharuk/audit/witness"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
)

// e2eWitness is `tasharuk witness` (serveWitness, what the command runs)
// on a loopback port.
type e2eWitness struct {
	dir, name, url, vkey string
	logs                 *syncBuffer
	stop                 func()
}

func startE2EWitness(t *testing.T, name, logKey string, poll ...string) *e2eWitness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &e2eWitness{dir: t.TempDir(), name: name, url: "http://" + ln.Addr().String(), logs: &syncBuffer{}}
	l, err := witness.ParseLog(logKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveWitness(ctx, witnessConfig{StateDir: w.dir, Name: name, Logs: []witness.Log{l}, Poll: poll, PollInterval: 50 * time.Millisecond}, ln,
			slog.New(slog.NewTextHandler(w.logs, nil)))
	}()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("witness %s: %v", name, err)
			}
		})
	}
	t.Cleanup(w.stop)
	// The key is written before the witness serves.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(w.dir, audit.WitnessPublicKeyFile)); err == nil {
			w.vkey = strings.TrimSpace(string(b))
			return w
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("witness %s wrote no public key", name)
	return nil
}

func (w *e2eWitness) target() witness.Target { return witness.Target{URL: w.url, VerifierKey: w.vkey} }

// TestWitnessEndToEnd is issue 23's acceptance, through the binary's own
// code: two witnesses (tasharuk witness) cosign a growing log served with
// --witness, the audit API and page show how far each cosigned; the
// consistent rewrite of an export with the stolen checkpoint key passes
// audit verify with the public key alone but fails with --witness A
// --witness B --quorum 2, the auditor having saved nothing; both witnesses
// refuse the rewritten checkpoint and keep the evidence; and a third
// witness shown only the rewritten history is found forked from the
// others by audit witnesses.
func TestWitnessEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	logKeyB, err := os.ReadFile(filepath.Join(keysOf(dir), audit.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	logKey := strings.TrimSpace(string(logKeyB))
	wa := startE2EWitness(t, "witness.cour-des-comptes.example/rabat", logKey)
	wb := startE2EWitness(t, "witness.universite.example/observatoire", logKey)
	e.opts.Witnesses = []witness.Target{wa.target(), wb.target()}
	e.restart()

	// The log grows: petitions and signatures, a checkpoint every 25 events.
	agent := e.token(access.RoleCitizen, "", "agent-witness")
	var lastPos uint64
	for p := range 3 {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113",
			Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: fmt.Sprintf("Pétition %d", p),
			Request: "Éclairer la place du souk.", Reasons: "La nuit, elle est dangereuse."})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name) // moderation before collection (issue 18)
		for i := range 12 {
			id, full := signer(fmt.Sprintf("W%d", p), i)
			res, err := e.petitions.SignPetition(as(e.token(access.RoleCitizen, "", signerSubject(id))), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
			if err != nil {
				t.Fatal(err)
			}
			lastPos = max(lastPos, res.GetLogPosition())
		}
		// Each round's checkpoint is cosigned by both before the next.
		waitWitnessed(t, e, 2, int64(lastPos)-25)
	}
	status := waitWitnessed(t, e, 2, int64(lastPos)-25)
	var cps struct {
		Checkpoints []struct {
			TreeSize     string   `json:"treeSize"`
			CosignedNote string   `json:"cosignedNote"`
			Witnesses    []string `json:"witnesses"`
		} `json:"checkpoints"`
	}
	if code, body := e.rest("GET", "/v1/audit/checkpoints", "", nil, &cps); code != http.StatusOK {
		t.Fatalf("checkpoints: %d %s", code, body)
	}
	// The checkpoint both witnesses reached carries both cosignatures.
	var cosignedNote string
	for _, c := range cps.Checkpoints {
		if c.TreeSize == fmt.Sprint(status.minSize) {
			cosignedNote = c.CosignedNote
			if len(c.Witnesses) != 2 {
				t.Fatalf("checkpoint %s cosigned by %v", c.TreeSize, c.Witnesses)
			}
		}
	}
	sigs, err := audit.Cosignatures(cosignedNote, []string{wa.vkey, wb.vkey})
	if err != nil || len(sigs) != 2 {
		t.Fatalf("cosigned note %q: %+v %v", cosignedNote, sigs, err)
	}
	page := e.restBody("/audit/checkpoints")
	for _, w := range []*e2eWitness{wa, wb} {
		if !strings.Contains(page, w.name) {
			t.Fatalf("the audit page does not name witness %s", w.name)
		}
	}
	// The metrics say how far each witness cosigned (alert on refusals).
	metrics := e.restBody("/metrics")
	for _, w := range []*e2eWitness{wa, wb} {
		if line := fmt.Sprintf("tasharuk_witness_cosigned_tree_size{witness=%q} %d", w.name, status.minSize); !strings.Contains(metrics, line) {
			t.Fatalf("metrics lack %q", line)
		}
	}
	if !strings.Contains(metrics, fmt.Sprintf("tasharuk_witness_refusals_total{witness=%q} 0", wa.name)) {
		t.Fatal("no refusal counter in the metrics")
	}
	// The service itself warns of nothing here (no cluster, no TLS).
	if strings.Contains(e.logs.String(), "the checkpoint key is in the data folder") {
		t.Fatal("the key warning on a plain embedded service")
	}

	// The auditor, with nothing saved: an export and the witnesses' keys.
	e.stop()
	out := filepath.Join(t.TempDir(), "log.jsonl")
	if code, _, stderr := runCLI("audit", "export", "--data-dir", dir, "--out", out); code != 0 {
		t.Fatalf("audit export: %s", stderr)
	}
	pubA := writeTemp(t, "a.pub", wa.vkey)
	pubB := writeTemp(t, "b.pub", wb.vkey)
	logPub := filepath.Join(keysOf(dir), audit.PublicKeyFile)
	code, stdout, stderr := runCLI("audit", "verify", out, "--public-key", "@"+logPub, "--witness", "@"+pubA, "--witness", "@"+pubB, "--quorum", "2")
	if code != 0 || !strings.Contains(stdout, "OK: 2 of the trusted witnesses cosigned the first") {
		t.Fatalf("honest export with witnesses: %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("audit verify --witness A --witness B --quorum 2, honest export:\n%s", stdout)

	// The consistent rewrite with the key stolen from the data folder:
	// one signature's payload changed, everything after recomputed.
	export, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	skey, err := os.ReadFile(filepath.Join(keysOf(dir), audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	stolen, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	target := int64(lastPos) - 30
	change := func(env *envelopev1.Envelope) { env.OccurredAt.Seconds -= 86400 } // backdated by a day
	for _, c := range []struct {
		mode audittest.Cosignatures
		want string
	}{{audittest.KeepCosignatures, audit.ProblemWitnessMismatch}, {audittest.DropCosignatures, audit.ProblemWitnessQuorum}} {
		forged, err := audittest.Rewrite(export, stolen, target, change, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		path := writeTemp(t, "forged.jsonl", string(forged))
		if code, stdout, _ := runCLI("audit", "verify", path, "--public-key", "@"+logPub); code != 0 {
			t.Fatalf("the rewrite should pass with the log's key alone (the gap of issue 23):\n%s", stdout)
		}
		code, stdout, _ := runCLI("audit", "verify", path, "--public-key", "@"+logPub, "--witness", "@"+pubA, "--witness", "@"+pubB, "--quorum", "2")
		if code != 1 || !strings.Contains(stdout, c.want) || strings.Contains(stdout, "OK:") {
			t.Fatalf("rewrite (mode %d) not caught with --quorum 2: %d\n%s", c.mode, code, stdout)
		}
		t.Logf("audit verify --witness A --witness B --quorum 2, rewritten export (mode %d):\n%s", c.mode, stdout)
	}

	// The forger shows each witness its re-signed checkpoint of the size
	// the witness cosigned last: refused (422), kept as evidence beside the
	// one it contradicts, and an alarm logged.
	forged, _ := audittest.Rewrite(export, stolen, target, change, audittest.KeepCosignatures)
	origin, _, _ := strings.Cut(logKey, "+")
	ctx := context.Background()
	var forgedNote string
	for _, w := range []*e2eWitness{wa, wb} {
		cur, err := (&witness.State{Dir: w.dir}).Latest(origin)
		if err != nil || cur == nil {
			t.Fatalf("witness %s state: %+v %v", w.name, cur, err)
		}
		forgedNote, _, err = audittest.CheckpointAt(forged, cur.TreeSize)
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&witness.Client{Target: w.target()}).AddCheckpoint(ctx, cur.TreeSize, nil, forgedNote)
		var refused *witness.StatusError
		if !errors.As(err, &refused) || refused.Status != http.StatusUnprocessableEntity {
			t.Fatalf("witness %s on the rewritten checkpoint: %v", w.name, err)
		}
		files, _ := (&witness.State{Dir: w.dir}).EvidenceFiles()
		if len(files) != 1 {
			t.Fatalf("witness %s kept %d evidence files", w.name, len(files))
		}
		ev, err := witness.ReadEvidence(files[0])
		if err != nil || ev.RefusedCheckpoint != forgedNote || ev.Cosigned.TreeSize != cur.TreeSize {
			t.Fatalf("witness %s evidence %+v %v", w.name, ev, err)
		}
		if !strings.Contains(w.logs.String(), "witness: ALARM") {
			t.Fatalf("witness %s raised no alarm:\n%s", w.name, w.logs.String())
		}
		if after, _ := (&witness.State{Dir: w.dir}).Latest(origin); after.TreeSize != cur.TreeSize || after.Root != cur.Root {
			t.Fatalf("witness %s state moved: %+v", w.name, after)
		}
	}

	// A third witness is shown only the rewritten history: it cosigns it,
	// and comparing its checkpoint with A's shows the fork.
	wc := startE2EWitness(t, "witness.observateurs.example/c", logKey)
	if _, err := (&witness.Client{Target: wc.target()}).AddCheckpoint(ctx, 0, nil, forgedNote); err != nil {
		t.Fatal(err)
	}
	e.start()
	code, stdout, _ = runCLI("audit", "witnesses", "--public-key", logKey, "--url", e.base,
		"--witness", wa.url+"="+wa.vkey, "--witness", wb.url+"="+wb.vkey)
	if code != 0 || !strings.Contains(stdout, "OK:") {
		t.Fatalf("honest witnesses compared: %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI("audit", "witnesses", "--public-key", logKey, "--url", e.base,
		"--witness", wa.url+"="+wa.vkey, "--witness", wc.url+"="+wc.vkey)
	if code != 1 || !strings.Contains(stdout, "FORK") {
		t.Fatalf("fork not found: %d\n%s", code, stdout)
	}
	t.Logf("audit witnesses A C:\n%s", stdout)

	// A witness the council never configured follows the service by
	// polling it, and agrees with A.
	wd := startE2EWitness(t, "witness.province.example/d", logKey, e.base)
	want, err := (&witness.State{Dir: wa.dir}).Latest(origin)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cur, err := (&witness.State{Dir: wd.dir}).Latest(origin)
		if err != nil {
			t.Fatal(err)
		}
		if cur != nil && cur.TreeSize >= want.TreeSize {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the polling witness cosigned %+v, not %d:\n%s", cur, want.TreeSize, wd.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The log grows after the restart: the restarted service's collector
	// gets the new checkpoint cosigned by A and B (from the sizes it had
	// recorded), and D cosigns it from its own size, with the proof it
	// reads from the service.
	agent = e.token(access.RoleCitizen, "", "agent-witness-2")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113",
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "Pétition après", Request: "r", Reasons: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: created.GetPetition().GetName()}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, created.GetPetition().GetName()) // moderation before collection (issue 18)
	for i := range 30 {
		id, full := signer("WZ", i)
		_, err := e.petitions.SignPetition(as(e.token(access.RoleCitizen, "", signerSubject(id))), &petitionsv1.SignPetitionRequest{Name: created.GetPetition().GetName(), NationalId: id, FullName: full})
		if err != nil {
			t.Fatal(err)
		}
	}
	grown := waitWitnessed(t, e, 2, want.TreeSize+1)
	if grown.minSize <= want.TreeSize {
		t.Fatalf("no new checkpoint cosigned after the restart: %d", grown.minSize)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		cur, _ := (&witness.State{Dir: wd.dir}).Latest(origin)
		if cur.TreeSize >= grown.minSize {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the polling witness stayed at %d, the log is at %d:\n%s", cur.TreeSize, grown.minSize, wd.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, stdout, _ = runCLI("audit", "witnesses", "--public-key", logKey, "--url", e.base,
		"--witness", wa.url+"="+wa.vkey, "--witness", wb.url+"="+wb.vkey, "--witness", wd.url+"="+wd.vkey)
	if code != 0 || !strings.Contains(stdout, "OK:") {
		t.Fatalf("polling witness compared with A and B: %d\n%s", code, stdout)
	}
}

// witnessStatus is what waitWitnessed saw.
type witnessStatus struct{ minSize int64 }

// waitWitnessed waits until n witnesses have cosigned a tree of at least
// size events, as the audit API reports it.
func waitWitnessed(t *testing.T, e *env, n int, size int64) witnessStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct {
			Witnesses []struct {
				Name     string `json:"name"`
				TreeSize string `json:"treeSize"`
			} `json:"witnesses"`
		}
		e.rest("GET", "/v1/audit/checkpoints", "", nil, &list)
		var sizes []int64
		for _, w := range list.Witnesses {
			var s int64
			fmt.Sscan(w.TreeSize, &s)
			if s >= size {
				sizes = append(sizes, s)
			}
		}
		if len(sizes) >= n {
			return witnessStatus{minSize: min(sizes[0], sizes[1])}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d witnesses did not cosign %d events within 60 s: %+v\n%s", n, size, list, e.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWitnessCommand: `tasharuk witness` from its flags — its key made on
// first start under --name, its public key printed, the add-checkpoint
// interface on --listen — and its usage errors.
func TestWitnessCommand(t *testing.T) {
	_, logKey, err := audit.GenerateKey("tasharuk.ma/TASHARUK_LOG")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"witness", "--log-key", logKey},
		{"witness", "--state-dir", t.TempDir()},
		{"witness", "--state-dir", t.TempDir(), "--log-key", "not-a-key"},
	} {
		if code, _, stderr := runCLI(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, code, stderr)
		}
	}
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePorts(t, 1)[0])
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runWitness(ctx, []string{"--state-dir", dir, "--name", "witness.example/cli", "--listen", addr, "--log-key", logKey}, io.Discard, stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("witness: %v", err)
		}
	}()
	var resp *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err = http.Post("http://"+addr+"/add-checkpoint", "text/plain", strings.NewReader("old 0\n\nexample.org/unknown\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown log: %d", resp.StatusCode)
	}
	pub, err := os.ReadFile(filepath.Join(dir, audit.WitnessPublicKeyFile))
	if err != nil || !strings.HasPrefix(string(pub), "witness.example/cli+") || !strings.Contains(stderr.String(), strings.TrimSpace(string(pub))) {
		t.Fatalf("public key %q %v, not printed at start:\n%s", pub, err, stderr.String())
	}
}

// TestWitnessPageInBrowser: the audit page lists the witnesses and how far
// each cosigned, in Arabic and French, with no serious or critical
// accessibility violation (axe-core in headless Chromium).
func TestWitnessPageInBrowser(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	dir := t.TempDir()
	e := startEnv(t, dir, &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}, sharedData(t, "bmk_communes_2024.csv"))
	logKey, err := os.ReadFile(filepath.Join(keysOf(dir), audit.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	wa := startE2EWitness(t, "witness.cour-des-comptes.example/rabat", strings.TrimSpace(string(logKey)))
	wb := startE2EWitness(t, "witness.universite.example/observatoire", strings.TrimSpace(string(logKey)))
	e.opts.Witnesses = []witness.Target{wa.target(), wb.target()}
	e.restart()
	// Enough events for a checkpoint (every 25 in tests).
	agent := e.token(access.RoleCitizen, "", "agent-witness-page")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113",
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "Pétition témoin", Request: "r", Reasons: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: created.GetPetition().GetName()}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, created.GetPetition().GetName()) // moderation before collection (issue 18)
	for i := range 25 {
		id, full := signer("WP", i)
		if _, err := e.petitions.SignPetition(as(e.token(access.RoleCitizen, "", signerSubject(id))), &petitionsv1.SignPetitionRequest{Name: created.GetPetition().GetName(), NationalId: id, FullName: full}); err != nil {
			t.Fatal(err)
		}
	}
	waitWitnessed(t, e, 2, 1)
	for _, lang := range []string{"ar", "fr"} {
		b := newBrowser(t, e.base, shots, axe, lang)
		b.open("/audit/checkpoints?lang=" + lang)
		msg := catalogue(t, lang)
		if got := b.text("#witnesses caption"); got != msg["checkpoints.witnesses"] {
			t.Fatalf("%s: witness table caption %q, want %q", lang, got, msg["checkpoints.witnesses"])
		}
		rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#witnesses tbody tr").length`))
		if err != nil || rows != 2 {
			t.Fatalf("%s: %d witness rows (%v)", lang, rows, err)
		}
		if txt := b.text("#witnesses"); !strings.Contains(txt, wa.name) || !strings.Contains(txt, wb.name) {
			t.Fatalf("%s: witness table %q", lang, txt)
		}
		b.shot("checkpoints-witnesses")
		b.accessible("/audit/checkpoints")
	}
}
