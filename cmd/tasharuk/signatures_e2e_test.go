package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestSignaturesAndRegionEndToEnd: withdrawal before deposit, striking by
// staff, and a region's petition held to 5 % of the required signatures
// from each province.
func TestSignaturesAndRegionEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-region")
	citizen := e.token(access.RoleCitizen, "", "citizen")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	staffRegion := e.token(access.RoleStaff, "beni-mellal-khenifra", "clerk-region")
	ctx := context.Background()

	t.Run("WithdrawAndStrike", func(t *testing.T) {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		var refs []string
		for i := range 3 {
			id, full := signer("WS", i)
			r, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, r.GetSignatureRef())
		}
		id0, _ := signer("WS", 0)
		// Each signer withdraws their own signature, from their account.
		if _, err := e.petitions.WithdrawSignature(as(e.signerToken(id0)), &petitionsv1.WithdrawSignatureRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		_, err = e.petitions.WithdrawSignature(as(e.signerToken(id0)), &petitionsv1.WithdrawSignatureRequest{Name: name})
		wantCode(t, err, codes.FailedPrecondition, "SIGNATURE_NOT_VALID")
		// An account that did not sign has nothing to withdraw.
		_, err = e.petitions.WithdrawSignature(as(citizen), &petitionsv1.WithdrawSignatureRequest{Name: name})
		wantCode(t, err, codes.NotFound, "SIGNATURE_NOT_FOUND")
		chk, err := e.petitions.CheckSignature(as(e.signerToken(id0)), &petitionsv1.CheckSignatureRequest{Name: name, MinPosition: e.head()})
		if err != nil || chk.GetStatus() != petitionsv1.SignatureStatus_SIGNATURE_STATUS_WITHDRAWN {
			t.Fatalf("after withdrawal: %v %v", chk, err)
		}
		// Staff strike one out, with a reason.
		_, err = e.petitions.StrikeSignature(as(staffZC), &petitionsv1.StrikeSignatureRequest{Name: name, SignatureRef: refs[1]})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		if _, err := e.petitions.StrikeSignature(as(staffZC), &petitionsv1.StrikeSignatureRequest{Name: name, SignatureRef: refs[1], Reason: "signataire hors du territoire de la commune"}); err != nil {
			t.Fatal(err)
		}
		got, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		if c := got.GetPetition().GetSignatures(); c.GetValid() != 1 || c.GetWithdrawn() != 1 || c.GetStruck() != 1 {
			t.Fatalf("counts after withdrawal and strike: %v", c)
		}
		// After deposit a signature can no longer be withdrawn.
		if _, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}); err != nil {
			t.Fatal(err)
		}
		id2, _ := signer("WS", 2)
		_, err = e.petitions.WithdrawSignature(as(e.signerToken(id2)), &petitionsv1.WithdrawSignatureRequest{Name: name})
		wantCode(t, err, codes.FailedPrecondition, "ALREADY_DEPOSITED")
		_, err = e.petitions.SignPetition(as(citizen), &petitionsv1.SignPetitionRequest{Name: name, NationalId: "Q123", FullName: "Late Signer"})
		wantCode(t, err, codes.FailedPrecondition, "NOT_COLLECTING")
	})

	t.Run("RegionProvinceShare", func(t *testing.T) {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "regions/beni-mellal-khenifra", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Hôpital régional", Request: "Inscrire la création d'un service d'oncologie.", Reasons: "Les patients vont à Casablanca."})
		if err != nil {
			t.Fatal(err)
		}
		p := created.GetPetition()
		if p.GetSignatureThreshold() != 400 {
			t.Fatalf("region threshold %d, want 400 (population 1-3 M)", p.GetSignatureThreshold())
		}
		name := p.GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		provinces := []string{"azilal", "beni-mellal", "fquih-ben-salah", "khenifra", "khouribga"}
		// A province is required and must be one of the region's.
		_, err = e.petitions.SignPetition(as(citizen), &petitionsv1.SignPetitionRequest{Name: name, NationalId: "RG1", FullName: "x"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		// 400 signatures, but Khouribga has only 19 (5 % of 400 is 20).
		counts := map[string]int{"azilal": 100, "beni-mellal": 150, "fquih-ben-salah": 81, "khenifra": 50, "khouribga": 19}
		i := 0
		for _, prov := range provinces {
			for range counts[prov] {
				id, full := signer("RG", i)
				if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full, Province: prov}); err != nil {
					t.Fatal(err)
				}
				i++
			}
		}
		if _, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}); err != nil {
			t.Fatal(err)
		}
		dep, _ := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if d := dep.GetPetition().GetDecisionDeadline().AsTime(); !d.Equal(clock.Now().AddDate(0, 2, 0)) {
			t.Fatalf("region deadline %v, want 2 months", d)
		}
		if bp := dep.GetPetition().GetSignatures().GetByProvince(); bp["khouribga"] != 19 || bp["beni-mellal"] != 150 {
			t.Fatalf("per-province counts: %v", bp)
		}
		if _, err := e.petitions.ReferPetitionToBureau(as(staffRegion), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		_, err = e.petitions.DecideAdmissibility(as(staffRegion), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()})
		wantCode(t, err, codes.FailedPrecondition, "REGION_PROVINCE_SHARE_NOT_MET")
		if !strings.Contains(err.Error(), "khouribga") {
			t.Fatalf("the refusal does not name the province: %v", err)
		}
		// The paper sheets bring Khouribga's 20th signature.
		id, full := signer("RG", 1000)
		rep, err := e.petitions.ImportSignatures(as(staffRegion), &petitionsv1.ImportSignaturesRequest{Name: name, Csv: []byte(fmt.Sprintf("national_id,full_name,province\n%s,%s,khouribga\n", id, full))})
		if err != nil || rep.GetAccepted() != 1 {
			t.Fatalf("import: %v %v", rep, err)
		}
		if _, err := e.petitions.DecideAdmissibility(as(staffRegion), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()}); err != nil {
			t.Fatal(err)
		}
	})
}
