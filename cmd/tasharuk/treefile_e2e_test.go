package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
)

// A restarted service takes the audit tree from its file beside the saved
// checkpoint (checked against the signed root) instead of rebuilding it
// from the whole log, and its proofs for events from before the restart
// still verify.
func TestRestartTakesTheTreeFromItsFile(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	// Acts after the start: a checkpoint is due every 25 events (the test
	// service's setting), and saved with its tree file.
	staff := e.token(access.RoleStaff, "50910107", "clerk-kt")
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	for i := range 30 {
		if _, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: "communes/50910107", Requester: consultationseventsv1.Requester_REQUESTER_BUREAU,
			SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: fmt.Sprint("Diagnostic ", i), Deadline: "2026-12-31"}); err != nil {
			t.Fatal(err)
		}
	}
	head := e.head()
	// Wait until a checkpoint is saved with its tree file.
	treePath := filepath.Join(dir, "audit", "nats-tree.leaves")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if fi, err := os.Stat(treePath); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			ents, _ := os.ReadDir(filepath.Dir(treePath))
			t.Fatalf("no tree file at %s after %d events (folder: %v); logs:\n%s", treePath, head, ents, e.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	const loaded = "audit: tree loaded from its file"
	e.restart()
	if strings.Count(e.logs.String(), loaded) != 1 {
		t.Fatalf("the restart did not load the tree from its file; logs:\n%s", e.logs.String())
	}
	// Without the file the tree is rebuilt from the log and the file
	// written again, which the next restart loads.
	e.stop()
	if err := os.Remove(treePath); err != nil {
		t.Fatal(err)
	}
	e.start()
	if strings.Count(e.logs.String(), loaded) != 1 {
		t.Fatal("a tree was loaded from a file that was removed")
	}
	if fi, err := os.Stat(treePath); err != nil || fi.Size() == 0 {
		t.Fatalf("no tree file written after a start without one: %v %v", fi, err)
	}
	e.restart()
	if strings.Count(e.logs.String(), loaded) != 2 {
		t.Fatal("the restart after the rebuild did not load the tree from its file")
	}
	ac := auditv1.NewAuditServiceClient(e.conn)
	for _, pos := range []uint64{1, head / 2, head} {
		proof, err := ac.GetInclusionProof(e.ctxBG(), &auditv1.GetInclusionProofRequest{Position: pos})
		if err != nil {
			t.Fatalf("proof of position %d after the restart: %v", pos, err)
		}
		root, _ := base64.StdEncoding.DecodeString(proof.GetRootHash())
		var hashes [][32]byte
		for _, p := range proof.GetProof() {
			b, _ := base64.StdEncoding.DecodeString(p)
			var h [32]byte
			copy(h[:], b)
			hashes = append(hashes, h)
		}
		if err := verifyInclusion(hashes, int64(proof.GetTreeSize()), root, int64(pos), proof.GetEventHash()); err != nil {
			t.Fatalf("proof of position %d after the restart does not verify: %v", pos, err)
		}
	}
}
