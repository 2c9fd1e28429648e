package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// TestSignInOIDCProviderVerifiedID (issue 16, "PROVIDER_VERIFIED_ID when
// the provider asserts the national ID in a configured claim"): a citizen
// signing in to the pages through the council's OpenID provider (the real
// zitadel/oidc provider), which asserts her national ID number in the
// configured claim, signs a petition from that web session: a typed other
// number is refused beside the field (NATIONAL_ID_NOT_ASSERTED) and
// records nothing; her own number (typed in another case) is recorded as
// PROVIDER_VERIFIED_ID. An account the provider asserts no number for
// signs at CODE_VERIFIED. The number is in no log line and no event.
func TestSignInOIDCProviderVerifiedID(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	const asserted = "AB123456"
	s := startSigninEnv(t, clock, signintest.User{ID: "sub-cnie-fatima", Username: "fatima", Password: "fatima-pass", NationalID: asserted})
	agent := s.token(access.RoleCitizen, "", "agent-cnie")
	c, err := s.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage public", Request: "Éclairer la rue.", Reasons: "Elle est sombre."})
	if err != nil {
		t.Fatal(err)
	}
	name := c.GetPetition().GetName()
	if _, err := s.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, s.env, nil, name)
	counts := func() *petitionsv1.SignatureCounts {
		t.Helper()
		p, err := s.petitions.GetPetition(context.Background(), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: s.head()})
		if err != nil {
			t.Fatal(err)
		}
		return p.GetPetition().GetSignatures()
	}

	fatima := newBrowserless(t, s.base)
	if code, loc := s.oidcSignIn(fatima, "/"+name, "fatima", "fatima-pass"); code != http.StatusSeeOther || loc != "/"+name+"?ok=signed_in" {
		t.Fatalf("signing in through the provider: %d → %q", code, loc)
	}
	sign := func(b *browserless, id string) (int, string, string) {
		t.Helper()
		return b.do("POST", "/"+name+"/sign?lang=en", url.Values{"csrf": {b.csrf("/" + name)}, "national_id": {id}, "full_name": {"Fatima Zahra"}})
	}

	before := s.quietHead()
	code, _, body := sign(fatima, "AB654321")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="national_id-error"`) || !strings.Contains(body, "NATIONAL_ID_NOT_ASSERTED") {
		t.Fatalf("another number than the asserted one: %d (want 422, NATIONAL_ID_NOT_ASSERTED beside the field)\n%s", code, body)
	}
	if after := s.head(); after != before {
		t.Fatalf("the refused signature moved the log %d → %d", before, after)
	}

	if code, loc, body := sign(fatima, " ab123456"); code != http.StatusSeeOther || !strings.Contains(loc, "ok=signed") {
		t.Fatalf("signing with the asserted number: %d → %q\n%s", code, loc, body)
	}
	if got := counts(); got.GetProviderVerifiedId() != 1 || got.GetCodeVerified() != 0 || got.GetValid() != 1 {
		t.Fatalf("after the provider-verified signature: %v, want one PROVIDER_VERIFIED_ID", got)
	}

	resident := newBrowserless(t, s.base)
	if code, _ := s.oidcSignIn(resident, "/"+name, "resident", "resident-pass"); code != http.StatusSeeOther {
		t.Fatalf("the resident signing in: %d", code)
	}
	if code, loc, body := sign(resident, "AC200001"); code != http.StatusSeeOther || !strings.Contains(loc, "ok=signed") {
		t.Fatalf("an account without an asserted number signing: %d → %q\n%s", code, loc, body)
	}
	if got := counts(); got.GetProviderVerifiedId() != 1 || got.GetCodeVerified() != 1 || got.GetValid() != 2 {
		t.Fatalf("after the resident's signature: %v, want one of each level", got)
	}

	s.stop()
	if strings.Contains(strings.ToUpper(s.logs.String()), asserted) {
		t.Fatal("the asserted national ID number is in the service's log lines")
	}
	reg := newRegistry()
	levels := map[petitionseventsv1.SignatureAssurance]int{}
	for _, ev := range readEvents(t, s.env) {
		if strings.Contains(strings.ToUpper(string(ev.Payload)), asserted) {
			t.Fatalf("the national ID number in clear in event %s", ev.Type)
		}
		p, err := reg.DecodeEvent(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if sr, ok := p.(*petitionseventsv1.SignatureAdded); ok {
			levels[sr.GetAssurance()]++
		}
	}
	if levels[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID] != 1 || levels[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED] != 1 {
		t.Fatalf("signatures in the log by level: %v", levels)
	}
}
