package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// cosign returns the checkpoint note signed by the log for size events of
// f's log, with w's cosignature added.
func cosign(t *testing.T, f *logFixture, w note.Signer, size int64) (string, tlog.Hash) {
	t.Helper()
	root, err := f.ck.RootAt(size)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := audit.SignCheckpoint(f.signer, origin, size, root)
	if err != nil {
		t.Fatal(err)
	}
	return withCosignature(t, signed, w), root
}

func withCosignature(t *testing.T, signed string, w note.Signer) string {
	t.Helper()
	text, _, _ := strings.Cut(signed, "\n\n")
	b, err := note.Sign(&note.Note{Text: text + "\n"}, w)
	if err != nil {
		t.Fatal(err)
	}
	_, line, _ := strings.Cut(string(b), "\n\n")
	return audit.AddSignatures(signed, line)
}

func recordCosignature(t *testing.T, f *logFixture, witness string, cosigned string, size int64, root tlog.Hash) {
	t.Helper()
	p, err := es.NewRegistry(audit.EventTypes).Propose(&auditeventsv1.CheckpointCosigned{TreeSize: uint64(size), RootHash: root[:],
		Witness: witness, CosignedNote: cosigned}, es.Meta{ID: uuid.Must(uuid.NewV7()).String(), Actor: eventstore.Actor{Subject: "test", Role: "system"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Append(context.Background(), audit.CosignatureStream("main"), eventstore.Any, []eventstore.Proposed{p}); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyWithWitnesses: the quorum counts distinct trusted witnesses,
// each up to the largest tree it cosigned that the export reproduces; the
// witnessed size is the quorum-th largest; cosignatures by untrusted keys,
// and trusted cosignatures of another log's checkpoint, do not count.
func TestVerifyWithWitnesses(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	w1, k1 := newWitnessSigner(t, "witness.example/w1")
	w2, k2 := newWitnessSigner(t, "witness.example/w2")
	w3, k3 := newWitnessSigner(t, "witness.example/w3")
	_, stranger := newWitnessSigner(t, "witness.example/stranger")

	n, r := cosign(t, f, w1, 152)
	recordCosignature(t, f, "witness.example/w1", n, 152, r)
	n, r = cosign(t, f, w1, 203)
	recordCosignature(t, f, "witness.example/w1", n, 203, r)
	n, r = cosign(t, f, w2, 152)
	recordCosignature(t, f, "witness.example/w2", n, 152, r)
	// w3 cosigned a tree of the same size and root, but of another log
	// (another origin and key): it proves nothing about this one.
	otherLog, _ := newSigner(t, "tasharuk.test/other-log")
	root203, _ := f.ck.RootAt(203)
	otherSigned, _ := audit.SignCheckpoint(otherLog, "tasharuk.test/other-log", 203, root203)
	recordCosignature(t, f, "witness.example/w3", withCosignature(t, otherSigned, w3), 203, root203)

	head, _ := f.store.LastPosition(ctx)
	if err := f.ck.WaitFor(ctx, int64(head)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := audit.Export(ctx, f.store, f.vkey, &buf); err != nil {
		t.Fatal(err)
	}
	export := buf.Bytes()

	rep := verify(t, export, audit.VerifyOptions{PublicKey: f.vkey, Witnesses: []string{k1, k2}, Quorum: 2})
	wantProblems(t, rep)
	if rep.Witnessed != 152 || len(rep.Witnesses) != 2 || rep.Witnesses[0] != (audit.WitnessCoverage{Witness: "witness.example/w1", TreeSize: 203}) {
		t.Fatalf("quorum 2: witnessed %d by %+v", rep.Witnessed, rep.Witnesses)
	}
	rep = verify(t, export, audit.VerifyOptions{PublicKey: f.vkey, Witnesses: []string{k1, k2}, Quorum: 1})
	if !rep.OK() || rep.Witnessed != 203 {
		t.Fatalf("quorum 1: witnessed %d, %+v", rep.Witnessed, rep.Problems)
	}
	// w3's only cosignature is of another log: reported, not counted.
	rep = verify(t, export, audit.VerifyOptions{PublicKey: f.vkey, Witnesses: []string{k1, k3}, Quorum: 2})
	if rep.OK() || rep.Witnessed != 0 || len(rep.Witnesses) != 1 {
		t.Fatalf("another log's cosignature counted: %d %+v %+v", rep.Witnessed, rep.Witnesses, rep.Problems)
	}
	kinds := map[string]bool{}
	for _, p := range rep.Problems {
		kinds[p.Kind] = true
	}
	if !kinds[audit.ProblemWitnessRecord] || !kinds[audit.ProblemWitnessQuorum] {
		t.Fatalf("problems %+v", rep.Problems)
	}
	// A witness nobody cosigned with: no quorum.
	rep = verify(t, export, audit.VerifyOptions{PublicKey: f.vkey, Witnesses: []string{k1, stranger}, Quorum: 2})
	if rep.OK() || rep.Witnessed != 0 {
		t.Fatalf("an absent witness counted: %+v", rep)
	}
	// The auditor's own witnessed checkpoint (from a witness's monitoring
	// API) counts like the recorded ones.
	n, _ = cosign(t, f, w3, 101)
	rep = verify(t, export, audit.VerifyOptions{PublicKey: f.vkey, Witnesses: []string{k1, k3}, Quorum: 2, Checkpoint: n})
	if rep.Witnessed != 101 {
		t.Fatalf("with the auditor's cosigned checkpoint: witnessed %d, %+v", rep.Witnessed, rep.Problems)
	}
	// Misuse is an error, not a report.
	for _, opts := range []audit.VerifyOptions{
		{PublicKey: f.vkey, Witnesses: []string{k1}, Quorum: 2},
		{PublicKey: f.vkey, Witnesses: []string{k1}},
		{PublicKey: f.vkey, Witnesses: []string{f.vkey}, Quorum: 1},
	} {
		if _, err := audit.Verify(bytes.NewReader(export), opts); err == nil {
			t.Errorf("Verify(%+v) took it", opts)
		}
	}
}
