package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/audit"
)

// TestAuditEndToEnd: a petition's history and an as-of status over REST,
// checkpoints and proofs, export and offline verification with tampering
// (of the export and of the data folder), and replay --verify.
func TestAuditEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-audit")
	staff := e.token(access.RoleStaff, "50910113", "clerk-zc")
	secretary := e.token(access.RoleAdvisory, "50910113", "secretary-zc")
	ctx := context.Background()

	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Centre de santé", Request: "Ouvrir un centre de santé au douar.", Reasons: "Le plus proche est à 30 km."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)
	for i := range 5 {
		id, full := signer("AU", i)
		if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
			t.Fatal(err)
		}
	}
	// A paper deposit received on 1 June, keyed in the same day.
	received := clock.Now()
	if _, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(received)}); err != nil {
		t.Fatal(err)
	}
	// The president refers it to the bureau on 20 June (law 113-14 art.
	// 125); the bureau decides four months after the deposit, past the
	// 3-month deadline.
	clock.Advance(19 * 24 * time.Hour)
	if _, err := e.petitions.ReferPetitionToBureau(as(staff), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	clock.Advance((122 - 19) * 24 * time.Hour)
	decidedAt := clock.Now()
	if _, err := e.petitions.DecideAdmissibility(as(staff), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE,
		Reasons: "Cinq signatures valables pour cent requises par l'article 123."}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	if _, err := e.petitions.NotifyAgent(as(staff), &petitionsv1.NotifyAgentRequest{Name: name, Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter"}); err != nil {
		t.Fatal(err)
	}
	adv := advisoryv1.NewAdvisoryServiceClient(e.conn)
	if _, err := adv.CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: "communes/50910113", Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, DisplayName: "IEECAG", DecisionDate: "2026-02-01", DecisionReference: "d-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := adv.AddMember(as(secretary), &advisoryv1.AddMemberRequest{Name: "communes/50910113/advisoryBodies/equity-gender", Member: &advisoryeventsv1.Member{MemberId: "m1", Sex: advisoryeventsv1.Sex_SEX_FEMALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_YOUTH}}); err != nil {
		t.Fatal(err)
	}
	head := e.head()

	t.Run("HistoryOverREST", func(t *testing.T) {
		var h struct {
			Entries []struct {
				Type, Actor, ActorRole, OccurTime, RecordTime, Hash, PrevHash, StateAfter string
			}
		}
		if code, b := e.rest(http.MethodGet, "/v1/audit/history/"+name, "", nil, &h); code != 200 {
			t.Fatalf("history: %d %s", code, b)
		}
		var acts []string
		for i, en := range h.Entries {
			if en.Actor == "" || en.ActorRole == "" || en.OccurTime == "" || en.RecordTime == "" || len(en.Hash) != 64 || (i > 0 && en.PrevHash != h.Entries[i-1].Hash) {
				t.Fatalf("entry %d lacks actor, times or chained hash: %+v", i, en)
			}
			acts = append(acts, strings.TrimPrefix(en.Type, "petitions.")+"→"+en.StateAfter)
		}
		want := "PetitionDrafted→DRAFT PetitionSubmittedForModeration→AWAITING_MODERATION PetitionModerationCleared→COLLECTING PetitionDeposited→DEPOSITED PetitionReferredToBureau→UNDER_REVIEW AdmissibilityDecided→INADMISSIBLE AgentNotified→INADMISSIBLE"
		if strings.Join(acts, " ") != want {
			t.Fatalf("history:\n got %s\nwant %s", strings.Join(acts, " "), want)
		}
		// The deposit happened on 1 June (occurred) whatever the recording time.
		if h.Entries[2].OccurTime != received.Format(time.RFC3339) {
			t.Fatalf("deposit occur time %s, want %s", h.Entries[2].OccurTime, received.Format(time.RFC3339))
		}
		var bh struct {
			Entries []struct{ Type, StateAfter string }
		}
		if code, b := e.rest(http.MethodGet, "/v1/audit/history/communes/50910113/advisoryBodies/equity-gender", "", nil, &bh); code != 200 || len(bh.Entries) != 2 {
			t.Fatalf("body history: %d %s", code, b)
		}
	})

	t.Run("StatusAsOfBeforeTheDecision", func(t *testing.T) {
		type status struct {
			Status struct {
				Petitions struct {
					ByState map[string]int
					Overdue int
					Decided int
				}
			}
		}
		var now, before, validBefore status
		if code, b := e.rest(http.MethodGet, "/v1/communes/50910113/status", "", nil, &now); code != 200 {
			t.Fatalf("%d %s", code, b)
		}
		// As the log stood just before the decision, judged on the day
		// before the decision: undecided, and overdue (deadline 1 Sept).
		var hist struct {
			Entries []struct{ Type, Position string }
		}
		e.rest(http.MethodGet, "/v1/audit/history/"+name, "", nil, &hist)
		var decisionPos int
		for _, en := range hist.Entries {
			if en.Type == "petitions.AdmissibilityDecided" {
				fmt.Sscan(en.Position, &decisionPos)
			}
		}
		q := fmt.Sprintf("/v1/communes/50910113/status?asOfPosition=%d&validTime=%s", decisionPos-1, decidedAt.Add(-24*time.Hour).Format(time.RFC3339))
		if code, b := e.rest(http.MethodGet, q, "", nil, &before); code != 200 {
			t.Fatalf("%s: %d %s", q, code, b)
		}
		if now.Status.Petitions.Decided != 1 || now.Status.Petitions.Overdue != 0 {
			t.Fatalf("today: %+v", now.Status.Petitions)
		}
		if before.Status.Petitions.Decided != 0 || before.Status.Petitions.ByState["UNDER_REVIEW"] != 1 || before.Status.Petitions.Overdue != 1 {
			t.Fatalf("before the decision: %+v", before.Status.Petitions)
		}
		// Valid time alone: on 15 June the petition was deposited, not yet overdue.
		q = "/v1/communes/50910113/status?validTime=" + received.AddDate(0, 0, 14).Format(time.RFC3339)
		if code, b := e.rest(http.MethodGet, q, "", nil, &validBefore); code != 200 || validBefore.Status.Petitions.ByState["DEPOSITED"] != 1 || validBefore.Status.Petitions.Overdue != 0 {
			t.Fatalf("valid time 15 June: %d %s", code, b)
		}
		var p struct{ Petition struct{ State string } }
		if code, b := e.rest(http.MethodGet, fmt.Sprintf("/v1/%s?asOfPosition=%d", name, decisionPos-1), "", nil, &p); code != 200 || p.Petition.State != "PETITION_STATE_UNDER_REVIEW" {
			t.Fatalf("petition as of: %d %s", code, b)
		}
	})

	var trusted string
	t.Run("CheckpointsAndProofs", func(t *testing.T) {
		ac := auditv1.NewAuditServiceClient(e.conn)
		key, err := ac.GetPublicKey(ctx, &auditv1.GetPublicKeyRequest{})
		if err != nil || !strings.HasPrefix(key.GetVerifierKey(), "tasharuk.ma/TASHARUK_LOG+") {
			t.Fatalf("public key: %v %v", key, err)
		}
		// Wait for the tree to cover the log, then ask for proofs.
		deadline := time.Now().Add(10 * time.Second)
		var proof *auditv1.GetInclusionProofResponse
		for {
			proof, err = ac.GetInclusionProof(ctx, &auditv1.GetInclusionProofRequest{Position: head})
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		root, _ := base64.StdEncoding.DecodeString(proof.GetRootHash())
		var proofHashes [][32]byte
		for _, p := range proof.GetProof() {
			b, _ := base64.StdEncoding.DecodeString(p)
			var h [32]byte
			copy(h[:], b)
			proofHashes = append(proofHashes, h)
		}
		if err := verifyInclusion(proofHashes, int64(proof.GetTreeSize()), root, int64(head), proof.GetEventHash()); err != nil {
			t.Fatalf("inclusion proof does not verify: %v", err)
		}
		// Consistency between an older and the current tree.
		cons, err := ac.GetConsistencyProof(ctx, &auditv1.GetConsistencyProofRequest{OldSize: 5})
		if err != nil || cons.GetNewSize() < head || len(cons.GetProof()) == 0 {
			t.Fatalf("consistency: %v %v", cons, err)
		}
		// The auditor keeps a checkpoint of today's log, signed by the server.
		cps, err := ac.ListCheckpoints(ctx, &auditv1.ListCheckpointsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cps.GetCheckpoints()) == 0 {
			t.Fatal("no checkpoint recorded")
		}
		trusted = cps.GetCheckpoints()[len(cps.GetCheckpoints())-1].GetSignedNote()
	})
	e.stop()

	pubFile := filepath.Join(dir, "keys", "checkpoint.pub")
	pub, _ := os.ReadFile(pubFile)
	cpFile := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(cpFile, []byte(trusted), 0o600); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "export.jsonl")

	t.Run("ExportAndVerifyOffline", func(t *testing.T) {
		var out, errOut strings.Builder
		if err := runAudit(ctx, []string{"export", "--out", export, "--data-dir", dir}, &out, &errOut); err != nil {
			t.Fatalf("export: %v %s", err, errOut.String())
		}
		out.Reset()
		if err := runAudit(ctx, []string{"verify", export, "--public-key", "@" + pubFile, "--checkpoint", "@" + cpFile}, &out, &errOut); err != nil {
			t.Fatalf("verify untouched: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "OK") {
			t.Fatalf("verify output: %s", out.String())
		}
		// No personal data in the export either.
		b, _ := os.ReadFile(export)
		id, full := signer("AU", 3)
		if bytes.Contains(b, []byte(id)) || bytes.Contains(b, []byte(full)) {
			t.Fatal("the export contains personal data in clear")
		}
		// One flipped byte in a payload is named.
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		var ev map[string]any
		target := 12
		_ = json.Unmarshal([]byte(lines[target]), &ev)
		env := ev["envelope"].(map[string]any)
		payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		payload[len(payload)/2] ^= 0x01
		env["payload"] = base64.StdEncoding.EncodeToString(payload)
		nb, _ := json.Marshal(ev)
		lines[target] = string(nb)
		tampered := filepath.Join(t.TempDir(), "tampered.jsonl")
		os.WriteFile(tampered, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		out.Reset()
		err := runAudit(ctx, []string{"verify", tampered, "--public-key", string(pub)}, &out, &errOut)
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out.String(), fmt.Sprintf("FAIL position %d", target)) || !strings.Contains(out.String(), "hash-mismatch") {
			t.Fatalf("flipped byte not named: %v\n%s", err, out.String())
		}
		// A checkpoint signed by another key is named.
		_, otherV, _ := audit.GenerateKey("tasharuk.ma/TASHARUK_LOG")
		out.Reset()
		err = runAudit(ctx, []string{"verify", export, "--public-key", otherV}, &out, &errOut)
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out.String(), "checkpoint-signature") {
			t.Fatalf("foreign key not detected: %v\n%s", err, out.String())
		}
	})

	t.Run("ReplayVerify", func(t *testing.T) {
		var out, errOut strings.Builder
		if err := runReplay(ctx, []string{"--verify", "--data-dir", dir}, &out, &errOut); err != nil {
			t.Fatalf("replay --verify: %v\n%s%s", err, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), "OK: the live read models equal a rebuild from zero") {
			t.Fatalf("replay output: %s", out.String())
		}
	})

	t.Run("TamperedDataFolder", func(t *testing.T) {
		// Flip a byte of a stored event in JetStream's block files: the
		// verification of the live log against the auditor's checkpoint
		// must fail, whether the store reports the damage, drops the damaged
		// tail, or serves the altered bytes.
		blocks, _ := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", "TASHARUK_LOG", "msgs", "*.blk"))
		if len(blocks) == 0 {
			t.Fatal("no block file found")
		}
		b, err := os.ReadFile(blocks[0])
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("Centre de santé"))
		if i < 0 {
			t.Fatal("petition title not found in the block file")
		}
		b[i] ^= 0x20 // 'C' → 'c'
		if err := os.WriteFile(blocks[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		err = runAudit(ctx, []string{"verify", "--live", "--data-dir", dir, "--public-key", "@" + pubFile, "--checkpoint", "@" + cpFile}, &out, &errOut)
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out.String(), "FAIL position") {
			t.Fatalf("a tampered data folder was not caught and named: %v\n%s", err, out.String())
		}
		t.Logf("tampered data folder: %v\n%s", err, out.String())
	})
}

// verifyInclusion checks an inclusion proof with the audit package.
func verifyInclusion(proof [][32]byte, size int64, root []byte, position int64, eventHashHex string) error {
	return audit.VerifyInclusionHex(proof, size, root, position, eventHashHex)
}
