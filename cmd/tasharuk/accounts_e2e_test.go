package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestSignaturesBoundToAccounts replays issue 16's reproductions as
// attacks on the real server: an account signs a petition once whatever
// ID number it types; a number bound to one account cannot be used by
// another; check and withdraw answer for the caller's own signature only;
// a number already on a paper sheet is refused online; every refusal
// leaves the log where it was.
func TestSignaturesBoundToAccounts(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-accounts")
	alice := e.token(access.RoleCitizen, "", "sub-alice-7f3a")
	mallory := e.token(access.RoleCitizen, "", "sub-mallory-91c2")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	ctx := context.Background()

	open := func(parent string) string {
		t.Helper()
		c, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: parent, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Éclairage public", Request: "Éclairer la rue.", Reasons: "Elle est sombre."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: c.GetPetition().GetName()}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, c.GetPetition().GetName()) // moderation before collection (issue 18)
		return c.GetPetition().GetName()
	}
	name := open("communes/50910113")
	valid := func(name string) int32 {
		t.Helper()
		p, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		return p.GetPetition().GetSignatures().GetValid()
	}
	// unchanged runs a refused act and checks that it wrote nothing.
	unchanged := func(what string, act func() error, code codes.Code, why string) {
		t.Helper()
		before := e.head()
		err := act()
		wantCode(t, err, code, why)
		if after := e.head(); after != before {
			t.Fatalf("%s: refused (%v) but the log moved from %d to %d", what, err, before, after)
		}
	}
	sign := func(tok, name, id string) error {
		_, err := e.petitions.SignPetition(as(tok), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: "Nom " + id})
		return err
	}
	aliceID, aliceOther := "AC100001", "AC100002"

	r, err := e.petitions.SignPetition(as(alice), &petitionsv1.SignPetitionRequest{Name: name, NationalId: aliceID, FullName: "Alice Secretname"})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetAssurance() != petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED {
		t.Fatalf("a self-declared number signed with assurance %v, want CODE_VERIFIED", r.GetAssurance())
	}

	t.Run("OneAccountSignsOnceWhateverIDItTypes", func(t *testing.T) {
		unchanged("a second number", func() error { return sign(alice, name, aliceOther) }, codes.FailedPrecondition, "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID")
		unchanged("a third number", func() error { return sign(alice, name, "AC100003") }, codes.FailedPrecondition, "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID")
		if v := valid(name); v != 1 {
			t.Fatalf("valid = %d after one account tried three numbers, want 1", v)
		}
	})

	t.Run("ReplayedSignatureIsRefused", func(t *testing.T) {
		// The same request again (a retry, or a replay): ALREADY_SIGNED,
		// nothing written, the signature counted once.
		unchanged("replay", func() error { return sign(alice, name, aliceID) }, codes.AlreadyExists, "ALREADY_SIGNED")
		unchanged("replay, other spelling", func() error { return sign(alice, name, " ac-"+aliceID[2:]) }, codes.AlreadyExists, "ALREADY_SIGNED")
	})

	t.Run("AnotherAccountCannotUseABoundID", func(t *testing.T) {
		before := e.head()
		err := sign(mallory, name, strings.ToLower(aliceID))
		wantCode(t, err, codes.FailedPrecondition, "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT")
		if !strings.Contains(err.Error(), "contact the council") {
			t.Errorf("the refusal does not tell the person what to do: %v", err)
		}
		if e.head() != before {
			t.Fatal("the refused signature wrote to the log")
		}
		// Over REST, with its HTTP status.
		code, body := e.rest(http.MethodPost, "/v1/"+name+":sign", mallory, map[string]any{"nationalId": aliceID, "fullName": "x"}, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT") {
			t.Fatalf("REST: %d %s", code, body)
		}
	})

	t.Run("CheckAndWithdrawAreTheCallersOwn", func(t *testing.T) {
		// Mallory, who knows Alice's number, learns nothing and changes
		// nothing.
		chk, err := e.petitions.CheckSignature(as(mallory), &petitionsv1.CheckSignatureRequest{Name: name})
		if err != nil || chk.GetStatus() != petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED || chk.GetSignatureRef() != "" {
			t.Fatalf("another account's check: %v %v", chk, err)
		}
		unchanged("withdraw by another account", func() error {
			_, err := e.petitions.WithdrawSignature(as(mallory), &petitionsv1.WithdrawSignatureRequest{Name: name})
			return err
		}, codes.NotFound, "SIGNATURE_NOT_FOUND")
		// The number is no longer taken at all (the old way to aim at
		// someone else's signature).
		unchanged("check naming a number", func() error {
			//lint:ignore SA1019 the deprecated field is sent to see it refused
			_, err := e.petitions.CheckSignature(as(mallory), &petitionsv1.CheckSignatureRequest{Name: name, NationalId: aliceID})
			return err
		}, codes.InvalidArgument, "NATIONAL_ID_NOT_TAKEN")
		unchanged("withdraw naming a number", func() error {
			//lint:ignore SA1019 the deprecated field is sent to see it refused
			_, err := e.petitions.WithdrawSignature(as(mallory), &petitionsv1.WithdrawSignatureRequest{Name: name, NationalId: aliceID})
			return err
		}, codes.InvalidArgument, "NATIONAL_ID_NOT_TAKEN")
		if code, body := e.rest(http.MethodPost, "/v1/"+name+":withdrawSignature", mallory, map[string]any{"nationalId": aliceID}, nil); code != http.StatusBadRequest {
			t.Fatalf("REST withdraw naming a number: %d %s", code, body)
		}
		// Alice's signature still counts, and she sees it.
		chk, err = e.petitions.CheckSignature(as(alice), &petitionsv1.CheckSignatureRequest{Name: name})
		if err != nil || chk.GetStatus() != petitionsv1.SignatureStatus_SIGNATURE_STATUS_VALID || chk.GetSignatureRef() != r.GetSignatureRef() ||
			chk.GetAssurance() != petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED {
			t.Fatalf("the owner's check: %v %v", chk, err)
		}
		if v := valid(name); v != 1 {
			t.Fatalf("valid = %d, want 1", v)
		}
	})

	t.Run("AnotherCouncilsPetitionAndCraftedIDs", func(t *testing.T) {
		id := name[strings.LastIndex(name, "/")+1:]
		for _, crafted := range []string{"communes/50910101/petitions/" + id, "provinces/50910113/petitions/" + id, "communes/50910113/petitions/" + uuid.NewString()} {
			unchanged("check "+crafted, func() error {
				_, err := e.petitions.CheckSignature(as(alice), &petitionsv1.CheckSignatureRequest{Name: crafted})
				return err
			}, codes.NotFound, "")
			unchanged("withdraw "+crafted, func() error {
				_, err := e.petitions.WithdrawSignature(as(alice), &petitionsv1.WithdrawSignatureRequest{Name: crafted})
				return err
			}, codes.NotFound, "")
			unchanged("sign "+crafted, func() error { return sign(alice, crafted, aliceID) }, codes.NotFound, "")
		}
		unchanged("malformed id", func() error {
			_, err := e.petitions.WithdrawSignature(as(alice), &petitionsv1.WithdrawSignatureRequest{Name: "communes/50910113/petitions/../x"})
			return err
		}, codes.InvalidArgument, "")
		// In another council the same account is bound afresh: the binding
		// is per council.
		other := open("communes/50910101")
		if err := sign(alice, other, aliceOther); err != nil {
			t.Fatalf("the account in another council: %v", err)
		}
	})

	t.Run("PaperSignatureIsAlreadyCounted", func(t *testing.T) {
		sheet := []byte("national_id,full_name\nPP200001,Paper Secretname\n")
		rep, err := e.petitions.ImportSignatures(as(staffZC), &petitionsv1.ImportSignaturesRequest{Name: name, Csv: sheet})
		if err != nil || rep.GetAccepted() != 1 {
			t.Fatalf("import: %v %v", rep, err)
		}
		bob := e.token(access.RoleCitizen, "", "bob")
		before := valid(name)
		wantCode(t, sign(bob, name, "pp200001"), codes.AlreadyExists, "SIGNED_ON_PAPER")
		if v := valid(name); v != before {
			t.Fatalf("valid %d → %d after a refused online signature", before, v)
		}
		// The paper signature is nobody's account's: Bob can neither see
		// nor withdraw it, though he typed its number.
		chk, err := e.petitions.CheckSignature(as(bob), &petitionsv1.CheckSignatureRequest{Name: name})
		if err != nil || chk.GetStatus() != petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED {
			t.Fatalf("check of a paper signature by the account that typed its number: %v %v", chk, err)
		}
		unchanged("withdraw a paper signature", func() error {
			_, err := e.petitions.WithdrawSignature(as(bob), &petitionsv1.WithdrawSignatureRequest{Name: name})
			return err
		}, codes.NotFound, "SIGNATURE_NOT_FOUND")
		// Typing the number bound Bob to it (so one account probes one
		// number per council, no more): another number is refused.
		unchanged("bob's second number", func() error { return sign(bob, name, "BB200002") }, codes.FailedPrecondition, "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID")
	})

	t.Run("TwoAccountsRacingForOneIDExactlyOneWins", func(t *testing.T) {
		before := valid(name)
		const racers = 8
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = sign(e.token(access.RoleCitizen, "", fmt.Sprintf("racer-%d", i)), name, "RC300001")
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch c, why := reason(err); {
			case err == nil:
				won++
			case c == codes.FailedPrecondition && why == "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT":
			default:
				t.Errorf("racer: %v", err)
			}
		}
		if won != 1 || valid(name) != before+1 {
			t.Fatalf("%d accounts won the number, valid %d → %d; want exactly one", won, before, valid(name))
		}
		// The binding's halves and the signature are one commit: a racer
		// that lost wrote nothing, so its account is bound to no number and
		// signs with its own.
		for i, err := range errs {
			if err == nil {
				continue
			}
			if err := sign(e.token(access.RoleCitizen, "", fmt.Sprintf("racer-%d", i)), name, fmt.Sprintf("RC30010%d", i)); err != nil {
				t.Fatalf("racer %d, having lost the number, signs with its own: %v", i, err)
			}
		}
		if v := valid(name); v != before+racers {
			t.Fatalf("valid %d after the losers signed with their own numbers, want %d", v, before+racers)
		}
	})

	t.Run("OneAccountRacingItselfWithTwoIDsCountsOnce", func(t *testing.T) {
		before := valid(name)
		tok := e.token(access.RoleCitizen, "", "twofaced")
		const tries = 8
		errs := make([]error, tries)
		var wg sync.WaitGroup
		for i := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = sign(tok, name, fmt.Sprintf("TF40000%d", i))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch c, why := reason(err); {
			case err == nil:
				won++
			case c == codes.FailedPrecondition && why == "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID":
			default:
				t.Errorf("try: %v", err)
			}
		}
		if won != 1 || valid(name) != before+1 {
			t.Fatalf("one account signed %d times concurrently with different numbers, valid %d → %d; want once", won, before, valid(name))
		}
	})

	t.Run("CountsPerLevelOfAssurance", func(t *testing.T) {
		// One paper signature, the rest online by self-declared numbers;
		// the default rulebook counts every level.
		p, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		c := p.GetPetition().GetSignatures()
		if c.GetPaperCheckedByStaff() != 1 || c.GetCodeVerified() != c.GetValid()-1 || c.GetProviderVerifiedId() != 0 || c.GetCounted() != c.GetValid() || c.GetValid() < 4 {
			t.Fatalf("counts per level: %v", c)
		}
		var st struct {
			Status struct {
				Petitions struct {
					ValidSignatures                    string
					ValidSignaturesPaperCheckedByStaff string
					ValidSignaturesCodeVerified        string
				}
			}
		}
		if code, b := e.rest(http.MethodGet, "/v1/communes/50910113/status", "", nil, &st); code != http.StatusOK ||
			st.Status.Petitions.ValidSignaturesPaperCheckedByStaff != "1" || st.Status.Petitions.ValidSignaturesCodeVerified != fmt.Sprint(c.GetValid()-1) {
			t.Fatalf("status per level: %d %s", code, b)
		}
		page := e.restBody("/" + name + "?lang=en")
		if !strings.Contains(page, `id="signatures-by-level"`) || !strings.Contains(page, fmt.Sprintf("1 paper (checked by staff), %d online by code", c.GetValid()-1)) {
			t.Fatalf("the petition page shows no counts per level:\n%.3000s", page)
		}
		csv := e.restBody("/open-data/communes/50910113/petitions.csv")
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if !strings.HasSuffix(lines[0], "signatures_paper_checked_by_staff,signatures_code_verified,signatures_provider_verified_id,signatures_counted") {
			t.Fatalf("open data header: %s", lines[0])
		}
		want := fmt.Sprintf(",1,%d,0,%d", c.GetValid()-1, c.GetValid())
		found := false
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, name+",") && strings.HasSuffix(strings.TrimRight(l, "\r"), want) {
				found = true
			}
		}
		if !found {
			t.Fatalf("open data has no row for %s ending %s:\n%s", name, want, csv)
		}
	})

	t.Run("BindingsHoldAfterARestart", func(t *testing.T) {
		// A first signature is committed without reading the binding, and a
		// server remembers the bindings it has seen whole. Restarted, it
		// remembers none (nor any stream's head), so each refusal below is
		// found by a commit the log refuses, then a read of the binding.
		e.restart()
		second := open("communes/50910113")
		unchanged("another number after a restart", func() error { return sign(alice, second, aliceOther) }, codes.FailedPrecondition, "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID")
		unchanged("a bound number by another account after a restart", func() error { return sign(mallory, second, aliceID) }, codes.FailedPrecondition, "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT")
		if err := sign(alice, second, aliceID); err != nil {
			t.Fatalf("the account with its own number on another petition, after a restart: %v", err)
		}
		unchanged("the same signature again", func() error { return sign(alice, second, aliceID) }, codes.AlreadyExists, "ALREADY_SIGNED")
		// Mallory's refused attempt bound it to nothing: it signs with its
		// own number, and is bound to that one from then on.
		if err := sign(mallory, second, "ML600001"); err != nil {
			t.Fatalf("the refused account with its own number: %v", err)
		}
		unchanged("mallory's second number", func() error { return sign(mallory, second, "ML600002") }, codes.FailedPrecondition, "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID")
		if v := valid(second); v != 2 {
			t.Fatalf("valid = %d on the second petition, want 2", v)
		}
	})

	t.Run("OwnerWithdraws", func(t *testing.T) {
		if _, err := e.petitions.WithdrawSignature(as(alice), &petitionsv1.WithdrawSignatureRequest{Name: name, Reason: "changé d'avis"}); err != nil {
			t.Fatal(err)
		}
		chk, err := e.petitions.CheckSignature(as(alice), &petitionsv1.CheckSignatureRequest{Name: name})
		if err != nil || chk.GetStatus() != petitionsv1.SignatureStatus_SIGNATURE_STATUS_WITHDRAWN {
			t.Fatalf("after the owner's withdrawal: %v %v", chk, err)
		}
		unchanged("withdraw twice", func() error {
			_, err := e.petitions.WithdrawSignature(as(alice), &petitionsv1.WithdrawSignatureRequest{Name: name})
			return err
		}, codes.FailedPrecondition, "SIGNATURE_NOT_VALID")
	})
}
