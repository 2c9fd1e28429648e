package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestErasure: staff read the signers (and the read is recorded); after
// `tasharuk privacy erase` the person's name reads "[erased]" in every
// response, appears in no export or log, their signature still counts, and
// the log still verifies.
func TestErasure(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-erase")
	staff := e.token(access.RoleStaff, "50910113", "clerk-erase")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)
	for i := range 3 {
		id, full := signer("ER", i)
		if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
			t.Fatal(err)
		}
	}
	list := func() []string {
		t.Helper()
		r, err := e.petitions.ListSignatures(as(staff), &petitionsv1.ListSignaturesRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range r.GetSignatures() {
			names = append(names, s.GetFullName())
		}
		return names
	}
	_, erasedName := signer("ER", 1)
	if got := strings.Join(list(), "|"); !strings.Contains(got, erasedName) {
		t.Fatalf("staff do not see the names: %s", got)
	}
	// Nobody else sees them.
	_, err = e.petitions.ListSignatures(as(agent), &petitionsv1.ListSignaturesRequest{Name: name})
	if c, _ := reason(err); c.String() != "PermissionDenied" {
		t.Fatalf("a citizen listed the signers: %v", err)
	}
	// Person 1 also has an account reached by email (a clerk of the
	// council, say): one erasure removes the name and the contact details.
	const email1 = "er1.secret@example.ma"
	if _, err := identityv1.NewIdentityServiceClient(e.conn).GrantRole(as(e.token(access.RoleAdmin, "", "admin-erase")),
		&identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: email1}, Role: "staff", Council: "50910113"}); err != nil {
		t.Fatal(err)
	}
	e.stop()

	// Erase person 1 (service stopped: the embedded data folder is locked
	// while it runs).
	id1, _ := signer("ER", 1)
	var out, errOut strings.Builder
	if err := runPrivacy(context.Background(), []string{"erase", "--council", "50910113", "--national-id", strings.ToLower(id1), "--email", email1, "--data-dir", dir}, &out, &errOut); err != nil {
		t.Fatalf("privacy erase: %v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "the contact details of account users/") || !strings.Contains(out.String(), "(1 data keys deleted)") || !strings.Contains(out.String(), "data key in council 50910113") {
		t.Fatalf("privacy erase of a name and an email: %s", out.String())
	}
	e.start()
	names := list()
	if len(names) != 3 || names[1] != "[erased]" || names[0] == "[erased]" || names[2] == "[erased]" {
		t.Fatalf("after erasure: %v", names)
	}
	p, err := e.petitions.GetPetition(e.ctxBG(), &petitionsv1.GetPetitionRequest{Name: name})
	if err != nil || p.GetPetition().GetSignatures().GetValid() != 3 {
		t.Fatalf("the erased person's signature must still count: %v %v", p.GetPetition().GetSignatures(), err)
	}
	// A new signature by the erased person is refused (their key is gone).
	_, err = e.petitions.SignPetition(as(e.signerToken(id1)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id1, FullName: erasedName})
	if c, r := reason(err); c.String() != "FailedPrecondition" || r != "PERSON_ERASED" {
		t.Fatalf("re-signing after erasure: %v", err)
	}
	// On a paper sheet, the erased person's row is refused with the reason;
	// the rest of the sheet imports.
	id4, name4 := signer("ER", 4)
	rep, err := e.petitions.ImportSignatures(as(staff), &petitionsv1.ImportSignaturesRequest{Name: name, Csv: []byte("national_id,full_name\n" + id1 + "," + erasedName + "\n" + id4 + "," + name4 + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetAccepted() != 1 || rep.GetInvalid() != 1 || !strings.Contains(rep.GetRows()[0].GetReason(), "erased") {
		t.Fatalf("import with an erased person: %v", rep)
	}
	e.stop()

	// Every staff read is in the log; the export has no trace of the name;
	// the log verifies.
	export := filepath.Join(t.TempDir(), "log.jsonl")
	out.Reset()
	if err := runAudit(context.Background(), []string{"export", "--out", export, "--data-dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(export)
	if bytes.Contains(b, []byte(erasedName)) {
		t.Fatal("the export contains the erased name")
	}
	if n := bytes.Count(b, []byte(`"petitions.SignerListViewed"`)); n != 2 { // the citizen's refused read records nothing
		t.Fatalf("%d recorded reads of the signer list, want 2", n)
	}
	if !bytes.Contains(b, []byte(`"petitions.PersonDataErased"`)) {
		t.Fatal("the erasure is not recorded")
	}
	// The data key that sealed the erased person's one signature was found
	// in the log and destroyed (not only hidden behind the tombstone).
	destroyed := int32(-1)
	for _, line := range bytes.Split(b, []byte("\n")) {
		var rec struct {
			Envelope struct {
				Type    string `json:"type"`
				Payload []byte `json:"payload"`
			} `json:"envelope"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Envelope.Type != "petitions.PersonDataErased" {
			continue
		}
		var erased petitionseventsv1.PersonDataErased
		if err := proto.Unmarshal(rec.Envelope.Payload, &erased); err != nil {
			t.Fatal(err)
		}
		destroyed = erased.GetKeysDestroyed()
	}
	if destroyed != 1 {
		t.Fatalf("the erasure destroyed %d data keys, want the one of the person's signature", destroyed)
	}
	out.Reset()
	if err := runAudit(context.Background(), []string{"verify", export, "--public-key", "@" + filepath.Join(dir, "keys", "checkpoint.pub")}, &out, &errOut); err != nil {
		t.Fatalf("the log does not verify after the erasure: %v\n%s", err, out.String())
	}
	if strings.Contains(e.logs.String(), erasedName) || strings.Contains(e.public.String(), erasedName) {
		t.Fatal("logs or public responses contain the erased name")
	}
}
