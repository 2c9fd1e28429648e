package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestScopePetitionsEndToEnd reproduces, against the real server and
// gateway, the petition holes of issue 13 and checks they are closed:
// (a) cross-council reads and acts, (b) the id hijack across councils,
// (c) pageToken=%ff answering 500, (d) never-opened drafts listed publicly
// and in open data, (e) a decision straight from the deposit.
func TestScopePetitionsEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	ctx := context.Background()

	agentBM := e.token(access.RoleCitizen, "", "agent-bm")
	agentZC := e.token(access.RoleCitizen, "", "agent-zc")
	attacker := e.token(access.RoleCitizen, "", "citizen-attacker")
	signerTok := e.token(access.RoleCitizen, "", "citizen-signer")
	staffBM := e.token(access.RoleStaff, "50910101", "clerk-bm")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")

	create := func(tok, parent, title, requestID string) (*petitionsv1.Petition, error) {
		t.Helper()
		r, err := e.petitions.CreatePetition(as(tok), &petitionsv1.CreatePetitionRequest{
			Parent: parent, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, RequestId: requestID,
			Title: title, Request: "Inscrire la demande à l'ordre du jour du conseil.", Reasons: "Le quartier en a besoin depuis des années.",
		})
		return r.GetPetition(), err
	}
	open := func(tok, name string) {
		t.Helper()
		if _, err := e.petitions.OpenPetitionForSignatures(as(tok), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
	}
	get := func(name string) *petitionsv1.Petition {
		t.Helper()
		r, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		return r.GetPetition()
	}
	listNames := func(tok, parent string) []string {
		t.Helper()
		r, err := e.petitions.ListPetitions(as(tok), &petitionsv1.ListPetitionsRequest{Parent: parent, PageSize: 500, MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range r.GetPetitions() {
			out = append(out, p.GetName()+" "+p.GetTitle())
		}
		return out
	}

	// A petition of Béni Mellal (50910101) with 5 signatures, and one of
	// Zaouiat Cheikh (50910113) with 12.
	bm, err := create(agentBM, "communes/50910101", "Bibliothèque de quartier", "")
	if err != nil {
		t.Fatal(err)
	}
	open(agentBM, bm.GetName())
	var bmRefs []string
	for i := range 5 {
		id, full := signer("SA", i)
		r, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: bm.GetName(), NationalId: id, FullName: full})
		if err != nil {
			t.Fatal(err)
		}
		bmRefs = append(bmRefs, r.GetSignatureRef())
	}
	zc, err := create(agentZC, "communes/50910113", "Éclairage public du quartier Al Massira", "")
	if err != nil {
		t.Fatal(err)
	}
	open(agentZC, zc.GetName())
	signMany(t, e, zc.GetName(), "SV", 0, 12)
	bmID := bm.GetName()[strings.LastIndex(bm.GetName(), "/")+1:]
	zcID := zc.GetName()[strings.LastIndex(zc.GetName(), "/")+1:]

	t.Run("CrossCouncilReadsAndActsAreNotFound", func(t *testing.T) {
		// Béni Mellal's petition addressed under Zaouiat Cheikh's name,
		// with Zaouiat Cheikh's staff token.
		crafted := "communes/50910113/petitions/" + bmID
		before := settledHead(e)
		code, body := e.rest(http.MethodGet, "/v1/"+crafted+"/signatures", staffZC, nil, nil)
		if code != http.StatusNotFound || !strings.Contains(body, "PETITION_NOT_FOUND") {
			t.Fatalf("signatures of another commune's petition: %d %s", code, body)
		}
		if strings.Contains(body, "Secretname") || strings.Contains(body, "SA00000") {
			t.Fatalf("the answer carries signers' data: %s", body)
		}
		code, body = e.rest(http.MethodPost, "/v1/"+crafted+":strikeSignature", staffZC, map[string]any{"signatureRef": bmRefs[0], "reason": "pas sur les listes électorales"}, nil)
		if code != http.StatusNotFound || !strings.Contains(body, "PETITION_NOT_FOUND") {
			t.Fatalf("strike on another commune's petition: %d %s", code, body)
		}
		// Every other read and act on the crafted name, over gRPC.
		id, full := signer("SA", 0)
		sheet := []byte("national_id,full_name\nXY123456,Quelqu'un\n")
		calls := map[string]func() error{
			"GetPetition": func() error {
				_, err := e.petitions.GetPetition(as(staffZC), &petitionsv1.GetPetitionRequest{Name: crafted})
				return err
			},
			"GetPetitionTimeline": func() error {
				_, err := e.petitions.GetPetitionTimeline(as(staffZC), &petitionsv1.GetPetitionTimelineRequest{Name: crafted})
				return err
			},
			"ListSignatures": func() error {
				_, err := e.petitions.ListSignatures(as(staffZC), &petitionsv1.ListSignaturesRequest{Name: crafted})
				return err
			},
			"StrikeSignature": func() error {
				_, err := e.petitions.StrikeSignature(as(staffZC), &petitionsv1.StrikeSignatureRequest{Name: crafted, SignatureRef: bmRefs[1], Reason: "doublon"})
				return err
			},
			"ImportSignatures": func() error {
				_, err := e.petitions.ImportSignatures(as(staffZC), &petitionsv1.ImportSignaturesRequest{Name: crafted, Csv: sheet})
				return err
			},
			"CheckSignature": func() error {
				_, err := e.petitions.CheckSignature(as(e.signerToken(id)), &petitionsv1.CheckSignatureRequest{Name: crafted})
				return err
			},
			"WithdrawSignature": func() error {
				_, err := e.petitions.WithdrawSignature(as(e.signerToken(id)), &petitionsv1.WithdrawSignatureRequest{Name: crafted})
				return err
			},
			"SignPetition": func() error {
				_, err := e.petitions.SignPetition(as(signerTok), &petitionsv1.SignPetitionRequest{Name: crafted, NationalId: "ZZ998877", FullName: full})
				return err
			},
			"DepositPetition": func() error {
				_, err := e.petitions.DepositPetition(as(staffZC), &petitionsv1.DepositPetitionRequest{Name: crafted, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER})
				return err
			},
		}
		for rpc, call := range calls {
			err := call()
			if c, r := reason(err); c != codes.NotFound || r != "PETITION_NOT_FOUND" {
				t.Errorf("%s on %s: %v %s (%v), want NotFound PETITION_NOT_FOUND", rpc, crafted, c, r, err)
			}
			if err != nil && strings.Contains(err.Error(), "Secretname") {
				t.Errorf("%s: the error carries a signer's name: %v", rpc, err)
			}
		}
		if after := settledHead(e); after != before {
			t.Fatalf("the log moved from %d to %d", before, after)
		}
		p := get(bm.GetName())
		if s := p.GetSignatures(); s.GetValid() != 5 || s.GetStruck() != 0 || s.GetWithdrawn() != 0 {
			t.Fatalf("Béni Mellal's counts changed: %v", s)
		}
		// Béni Mellal's own staff still read and strike under the right name.
		var list struct {
			Signatures []struct{ FullName string }
			TotalSize  int
		}
		if code, body := e.rest(http.MethodGet, "/v1/"+bm.GetName()+"/signatures", staffBM, nil, &list); code != 200 || list.TotalSize != 5 || !strings.Contains(list.Signatures[0].FullName, "Secretname-SA") {
			t.Fatalf("own staff's signer list: %d %s", code, body)
		}
	})

	t.Run("RequestIDOfAnotherCouncilsPetitionIsAlreadyExists", func(t *testing.T) {
		zcListBefore := listNames(staffZC, "communes/50910113")
		bmListBefore := listNames(staffBM, "communes/50910101")
		before := settledHead(e)
		// Over REST: 409 with the catalogue's reason.
		code, body := e.rest(http.MethodPost, "/v1/communes/50910101/petitions", attacker, map[string]any{
			"kind": "PETITIONER_KIND_CITIZENS", "requestId": zcID, "title": "Titre de l'attaquant", "request": "Une demande.", "reasons": "Des motifs.",
		}, nil)
		if code != http.StatusConflict || !strings.Contains(body, "PETITION_ALREADY_EXISTS") {
			t.Fatalf("hijack over REST: %d %s", code, body)
		}
		// Over gRPC, by the attacker, by the victim's own agent from another
		// council, and by another citizen in the victim's council.
		for _, c := range []struct{ who, tok, parent string }{
			{"attacker in 50910101", attacker, "communes/50910101"},
			{"victim's agent in 50910101", agentZC, "communes/50910101"},
			{"another citizen in 50910113", attacker, "communes/50910113"},
		} {
			_, err := create(c.tok, c.parent, "Titre de l'attaquant", zcID)
			if code, r := reason(err); code != codes.AlreadyExists || r != "PETITION_ALREADY_EXISTS" {
				t.Errorf("%s: %v %s (%v), want AlreadyExists PETITION_ALREADY_EXISTS", c.who, code, r, err)
			}
		}
		if after := settledHead(e); after != before {
			t.Fatalf("the log moved from %d to %d", before, after)
		}
		if _, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: "communes/50910101/petitions/" + zcID}); err == nil {
			t.Fatal("a petition with the victim's id exists in the attacker's council")
		}
		// The victim is still readable, with its title and its signatures,
		// and can still be signed.
		v := get(zc.GetName())
		if v.GetTitle() != zc.GetTitle() || v.GetSignatures().GetValid() != 12 || v.GetState() != petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING {
			t.Fatalf("victim after the attempt: %q %v %v", v.GetTitle(), v.GetSignatures(), v.GetState())
		}
		id, full := signer("SV", 100)
		if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: zc.GetName(), NationalId: id, FullName: full}); err != nil {
			t.Fatalf("the victim can no longer be signed: %v", err)
		}
		if v := get(zc.GetName()); v.GetSignatures().GetValid() != 13 {
			t.Fatalf("victim after one more signature: %v", v.GetSignatures())
		}
		sigs, err := e.petitions.ListSignatures(as(staffZC), &petitionsv1.ListSignaturesRequest{Name: zc.GetName(), PageSize: 100})
		if err != nil || sigs.GetTotalSize() != 13 {
			t.Fatalf("victim's signer list: %d %v", sigs.GetTotalSize(), err)
		}
		if got := listNames(staffZC, "communes/50910113"); strings.Join(got, "\n") != strings.Join(zcListBefore, "\n") {
			t.Fatalf("Zaouiat Cheikh's list changed:\n%v\nwas\n%v", got, zcListBefore)
		}
		if got := listNames(staffBM, "communes/50910101"); strings.Join(got, "\n") != strings.Join(bmListBefore, "\n") {
			t.Fatalf("Béni Mellal's list changed:\n%v\nwas\n%v", got, bmListBefore)
		}
		// The victim's own agent retrying in its council gets its petition.
		before = settledHead(e)
		again, err := create(agentZC, "communes/50910113", zc.GetTitle(), zcID)
		if after := settledHead(e); err != nil || again.GetName() != zc.GetName() || after != before {
			t.Fatalf("the drafter's retry: %v %v (log %d → %d)", again.GetName(), err, before, after)
		}
		// A fresh request id is an idempotent create.
		fresh := "0193c4b2-0000-7000-8000-00000000abcd"
		first, err := create(attacker, "communes/50910101", "Piste cyclable", fresh)
		if err != nil {
			t.Fatal(err)
		}
		before = settledHead(e)
		retry, err := create(attacker, "communes/50910101", "Piste cyclable", fresh)
		if after := settledHead(e); err != nil || retry.GetName() != first.GetName() || after != before {
			t.Fatalf("retry with the same request id: %v %v (log %d → %d)", retry.GetName(), err, before, after)
		}
	})

	t.Run("MalformedPageTokenIsInvalidArgument", func(t *testing.T) {
		before := settledHead(e)
		for _, c := range []struct{ path, tok string }{
			{"/v1/communes/50910101/petitions?pageToken=%ff", ""},
			{"/v1/communes/50910101/petitions?pageToken=%ff%fe", staffBM},
			{"/v1/communes/50910101/petitions?pageToken=bm90LWEtdG9rZW4", ""},
			{"/v1/" + bm.GetName() + "/signatures?pageToken=%ff", staffBM},
			{"/v1/" + bm.GetName() + "/signatures?pageToken=!!", staffBM},
		} {
			code, body := e.rest(http.MethodGet, c.path, c.tok, nil, nil)
			if code != http.StatusBadRequest || !strings.Contains(body, "INVALID_ARGUMENT") || !strings.Contains(body, "page_token") {
				t.Errorf("GET %s: %d %s, want 400 INVALID_ARGUMENT naming page_token", c.path, code, body)
			}
		}
		if after := settledHead(e); after != before {
			t.Fatalf("the log moved from %d to %d", before, after)
		}
	})

	t.Run("NeverOpenedDraftIsNotPublic", func(t *testing.T) {
		draft, err := create(agentBM, "communes/50910101", "Brouillon jamais ouvert", "")
		if err != nil {
			t.Fatal(err)
		}
		hasDraft := func(names []string) bool {
			for _, n := range names {
				if strings.HasPrefix(n, draft.GetName()+" ") {
					return true
				}
			}
			return false
		}
		if hasDraft(listNames("", "communes/50910101")) {
			t.Fatal("the draft is in the public list")
		}
		if hasDraft(listNames(staffZC, "communes/50910101")) {
			t.Fatal("the draft is listed to another commune's staff")
		}
		if !hasDraft(listNames(agentBM, "communes/50910101")) || !hasDraft(listNames(staffBM, "communes/50910101")) {
			t.Fatal("the draft is hidden from its agent or its council's staff")
		}
		// Public in Béni Mellal: only the petition opened for signatures
		// (the draft above and the one of the request-id retries are not).
		var public struct{ TotalSize int }
		if code, body := e.rest(http.MethodGet, "/v1/communes/50910101/petitions", "", nil, &public); code != 200 || strings.Contains(body, draft.GetName()) || public.TotalSize != 1 {
			t.Fatalf("public REST list: %d total %d %s", code, public.TotalSize, body)
		}
		if code, body := e.rest(http.MethodGet, "/v1/"+draft.GetName(), "", nil, nil); code != http.StatusNotFound {
			t.Fatalf("anonymous GET of the draft: %d %s", code, body)
		}
		if _, err := e.petitions.GetPetition(as(agentBM), &petitionsv1.GetPetitionRequest{Name: draft.GetName()}); err != nil {
			t.Fatalf("the agent cannot read their draft: %v", err)
		}
		// Open data, downloaded anonymously and by the council's clerk
		// signed in on the pages (whose session sees the draft elsewhere).
		clerk := newWebClient(t, e.base, "fr")
		if code, body, _ := clerk.post("/signin", "/signin", url.Values{"token": {staffBM}}); code != 200 {
			t.Fatalf("clerk sign-in: %d %s", code, body)
		}
		for _, file := range []string{"petitions.csv", "petitions.json"} {
			path := "/open-data/communes/50910101/" + file
			code, signedIn := clerk.get(path)
			if code != 200 {
				t.Fatalf("clerk GET %s: %d %s", path, code, signedIn)
			}
			for who, body := range map[string]string{"anonymous": e.restBody(path), "clerk": signedIn} {
				if strings.Contains(body, draft.GetName()) || strings.Contains(body, "Brouillon jamais ouvert") || strings.Contains(body, "Piste cyclable") {
					t.Fatalf("open data %s (%s) lists a draft: %s", file, who, body)
				}
				if !strings.Contains(body, bm.GetName()) {
					t.Fatalf("open data %s (%s) misses the open petition: %s", file, who, body)
				}
			}
		}
		var st struct {
			Status struct {
				Petitions struct{ ByState map[string]int }
			}
		}
		if code, body := e.rest(http.MethodGet, "/v1/communes/50910101/status", "", nil, &st); code != 200 || st.Status.Petitions.ByState["DRAFT"] != 0 || st.Status.Petitions.ByState["COLLECTING"] != 1 {
			t.Fatalf("status figures: %d %s", code, body)
		}
		// Nor its timeline or its audit history, to anyone but those who may
		// see the draft.
		for _, path := range []string{"/v1/" + draft.GetName() + "/timeline", "/v1/audit/history/" + draft.GetName()} {
			if code, body := e.rest(http.MethodGet, path, "", nil, nil); code != http.StatusNotFound || strings.Contains(body, "Brouillon jamais ouvert") {
				t.Fatalf("anonymous GET %s of a never-opened draft: %d %s", path, code, body)
			}
			if code, body := e.rest(http.MethodGet, path, staffZC, nil, nil); code != http.StatusNotFound || strings.Contains(body, "Brouillon jamais ouvert") {
				t.Fatalf("another council's staff GET %s of a never-opened draft: %d %s", path, code, body)
			}
			if code, body := e.rest(http.MethodGet, path, staffBM, nil, nil); code != 200 {
				t.Fatalf("the council's staff GET %s of its draft: %d %s", path, code, body)
			}
		}
		// Opened, it is public.
		open(agentBM, draft.GetName())
		if code, body := e.rest(http.MethodGet, "/v1/audit/history/"+draft.GetName(), "", nil, nil); code != 200 {
			t.Fatalf("anonymous history of an opened petition: %d %s", code, body)
		}
		if !hasDraft(listNames("", "communes/50910101")) {
			t.Fatal("an opened petition is not in the public list")
		}
	})

	t.Run("DecisionStraightFromDepositIsRefused", func(t *testing.T) {
		// A paper petition of Zaouiat Cheikh, deposited by its staff.
		paper, err := create(agentZC, "communes/50910113", "Aménagement du souk hebdomadaire", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.petitions.DepositPetition(as(staffZC), &petitionsv1.DepositPetitionRequest{Name: paper.GetName(), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER}); err != nil {
			t.Fatal(err)
		}
		zc := paper
		before := settledHead(e)
		_, err = e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: zc.GetName(), Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE,
			Reasons: "Aucune signature valable pour cent requises."})
		wantCode(t, err, codes.FailedPrecondition, "BUREAU_REFERRAL_REQUIRED")
		code, body := e.rest(http.MethodPost, "/v1/"+zc.GetName()+":decideAdmissibility", staffZC, map[string]any{"admissibility": "ADMISSIBILITY_INADMISSIBLE", "reasons": "Aucune signature valable pour cent requises."}, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "BUREAU_REFERRAL_REQUIRED") || !strings.Contains(body, "referToBureau") {
			t.Fatalf("REST decision from the deposit: %d %s", code, body)
		}
		if after := settledHead(e); after != before {
			t.Fatalf("the log moved from %d to %d", before, after)
		}
		if st := get(zc.GetName()).GetState(); st != petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED {
			t.Fatalf("state after the refusal: %v", st)
		}
		if _, err := e.petitions.ReferPetitionToBureau(as(staffZC), &petitionsv1.ReferPetitionToBureauRequest{Name: zc.GetName()}); err != nil {
			t.Fatal(err)
		}
		dec, err := e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: zc.GetName(), Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE,
			Reasons: "Aucune signature valable pour cent requises."})
		if err != nil || dec.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE {
			t.Fatalf("decision after the referral: %v %v", dec.GetPetition().GetState(), err)
		}
	})

	// No signer's name or national ID reached the logs.
	logs := e.logs.String()
	for i := range 5 {
		id, full := signer("SA", i)
		if strings.Contains(logs, id) || strings.Contains(logs, full) {
			t.Fatalf("the service logged signer %d", i)
		}
	}
}

// settledHead returns the log's head once it has stopped moving: the
// signed checkpoints (every 25 events in tests) are appended in the
// background, so "nothing was written" compares settled heads.
func settledHead(e *env) uint64 {
	e.t.Helper()
	last, same := e.head(), 0
	for deadline := time.Now().Add(10 * time.Second); same < 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if h := e.head(); h == last {
			same++
		} else {
			last, same = h, 0
		}
	}
	return last
}
