package main

import (
	"context"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// TestWebFinder: a visitor finds open petitions by words typed with or
// without Arabic diacritics or French accents, in the whole country, a
// region or a commune; drafts never show; each result and each open
// petition page offers a Sign button that leads to sign-in and back, share
// links and a link preview; the home page leads with the finder; and an
// agent depositing below the threshold is asked first, with nothing
// recorded until they confirm.
func TestWebFinder(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agentTok := e.token(access.RoleCitizen, "", "finder-agent")
	file := func(council, title string, open bool) string {
		t.Helper()
		c, err := e.petitions.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{Parent: council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: title, Request: "Inscrire ce point à l'ordre du jour du conseil.", Reasons: "Les habitants le demandent depuis longtemps."})
		if err != nil {
			t.Fatal(err)
		}
		if open {
			if _, err := e.petitions.OpenPetitionForSignatures(as(agentTok), &petitionsv1.OpenPetitionForSignaturesRequest{Name: c.GetPetition().GetName()}); err != nil {
				t.Fatal(err)
			}
			cleared(t, e, nil, c.GetPetition().GetName())
		}
		return c.GetPetition().GetName()
	}
	arabic := file("communes/50910113", "إِنَارَةُ الشَّوَارِعِ بِحَيِّ الأَمَل", true)
	french := file("communes/50910107", "Éclairage de la place du marché", true)
	draft := file("communes/50910113", "Brouillon confidentiel", false)
	at := "&at=" + strconv.FormatUint(e.head(), 10)

	visitor := newWebClient(t, e.base, "fr")
	found := func(path string, want []string, not ...string) string {
		t.Helper()
		body := visitor.page(path + at)
		for _, n := range want {
			if !strings.Contains(body, `href="/`+n+`"`) {
				t.Errorf("%s: %s not found", path, n)
			}
		}
		for _, n := range not {
			if strings.Contains(body, `href="/`+n+`"`) {
				t.Errorf("%s: %s found", path, n)
			}
		}
		return body
	}
	q := func(s string) string { return url.QueryEscape(s) }
	found("/petitions?q="+q("انارة الشوارع"), []string{arabic}, french, draft)    // no hamza, no vowels
	found("/petitions?q="+q("إِنَارَة"), []string{arabic}, french, draft)         // with them
	found("/petitions?q="+q("الامل"), []string{arabic}, french)                   // أ written ا
	found("/petitions?q="+q("eclairage MARCHE"), []string{french}, arabic, draft) // no accents, any case
	found("/petitions?q="+q("Zaouiat"), []string{arabic}, french)                 // the council's name
	found("/petitions?q="+q("bibliothèque"), nil, arabic, french)
	// A petition opened since is found at once by whoever asks for the
	// position its act returned (the redirect after an act carries it),
	// although the listings were just read.
	library := file("communes/50910107", "Bibliothèque de quartier", true)
	at = "&at=" + strconv.FormatUint(e.head(), 10)
	found("/petitions?q="+q("bibliotheque"), []string{library}, arabic, french)
	found("/petitions?q="+q("Brouillon"), nil, draft) // drafts are not public
	found("/petitions?state=all", []string{arabic, french}, draft)
	found("/regions/beni-mellal-khenifra/petitions?q=", []string{arabic, french})
	found("/provinces/beni-mellal/petitions?council=communes/50910107", []string{french}, arabic)
	body := found("/communes/50910113/petitions?sort=recent", []string{arabic}, french)

	// The Sign button leads a visitor to sign-in, then back to the petition.
	signIn := `href="/signin?next=` + html.EscapeString(url.QueryEscape("/"+arabic)) + `"`
	if !strings.Contains(body, signIn) {
		t.Errorf("no sign-in-and-back link %s in the results", signIn)
	}
	page := visitor.page("/" + arabic)
	for _, want := range []string{`id="sign-signin"`, `id="sign-top"`, signIn, `property="og:title" content="` + html.EscapeString("إِنَارَةُ الشَّوَارِعِ بِحَيِّ الأَمَل") + `"`,
		`property="og:url"`, `https://wa.me/?text=`, `https://www.facebook.com/sharer/sharer.php?u=`} {
		if !strings.Contains(page, want) {
			t.Errorf("petition page lacks %s", want)
		}
	}
	if strings.Contains(page, "finder-agent") {
		t.Error("the public petition page names the agent's account")
	}
	// Signed in as a citizen, the same button goes to the form.
	agent := newWebClient(t, e.base, "fr")
	agent.post("/signin", "/signin", url.Values{"token": {agentTok}})
	if page := agent.page("/" + arabic); !strings.Contains(page, `id="sign-form"`) {
		t.Error("a citizen has no sign form")
	}

	// The home page leads with the finder and the open petitions.
	home := visitor.page("/?lang=fr")
	iFinder, iTop, iRegions := strings.Index(home, `id="finder"`), strings.Index(home, `href="/`+arabic+`"`), strings.Index(home, `id="regions-h"`)
	if iFinder < 0 || iTop < 0 || iRegions < 0 || iFinder > iRegions || iTop > iRegions {
		t.Errorf("home: finder at %d, open petition at %d, regions at %d", iFinder, iTop, iRegions)
	}

	// Deposit below the threshold: a confirmation first, nothing recorded.
	head := e.head()
	code, confirm, _ := agent.post("/"+french, "/"+french+"/deposit", url.Values{})
	if code != 200 || !strings.Contains(confirm, `id="confirm-deposit"`) || !strings.Contains(confirm, `name="confirm" value="yes"`) {
		t.Fatalf("deposit below the threshold: %d, no confirmation", code)
	}
	if e.head() != head {
		t.Fatalf("the unconfirmed deposit recorded something: log at %d, was %d", e.head(), head)
	}
	if _, done, _ := agent.post("/"+french, "/"+french+"/deposit", url.Values{"confirm": {"yes"}}); !strings.Contains(done, `id="flash"`) {
		t.Fatal("the confirmed deposit was not made")
	}
	got, err := e.petitions.GetPetition(e.ctxBG(), &petitionsv1.GetPetitionRequest{Name: french, MinPosition: e.head()})
	if err != nil || got.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED {
		t.Fatalf("after confirming: %v %v", got.GetPetition().GetState(), err)
	}
}

// TestWebRefusalBesideTheField: a paper deposit dated in the future comes
// back (over plain HTTP, no script) with the message in the reader's
// language right before the date field and the date kept, nothing
// recorded; a malformed date the same, found by the pages themselves.
func TestWebRefusalBesideTheField(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agentTok := e.token(access.RoleCitizen, "", "field-agent")
	c, err := e.petitions.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Piste rurale", Request: "Aménager la piste du douar.", Reasons: "Elle est impraticable l'hiver."})
	if err != nil {
		t.Fatal(err)
	}
	manage := "/" + c.GetPetition().GetName() + "/manage"
	for _, lang := range []string{"ar", "fr"} {
		msg := catalogue(t, lang)
		staff := newWebClient(t, e.base, lang)
		staff.post("/signin", "/signin", url.Values{"token": {e.token(access.RoleStaff, "50910113", "field-clerk")}})
		head := e.head()
		code, body, _ := staff.post(manage, manage+"/deposit", url.Values{"received": {"2026-12-24"}})
		beside := `<p class="field-error" id="received-error"><strong>` + html.EscapeString(msg["reason.DEPOSIT_DATE_IN_FUTURE"]) + `</strong></p>`
		if code != 422 || !strings.Contains(body, beside+"\n"+`<input type="date" id="received" name="received" value="2026-12-24"`) {
			t.Fatalf("%s: a deposit dated in the future: %d, no message before the date field, or the date not kept", lang, code)
		}
		if e.head() != head {
			t.Fatalf("%s: the refused deposit recorded something", lang)
		}
		if code, body, _ := staff.post(manage, manage+"/deposit", url.Values{"received": {"24/12/2026"}}); code != 400 || !strings.Contains(body, `id="received-error"`) {
			t.Fatalf("%s: a malformed date: %d, no message beside the field", lang, code)
		}
		// The petitioner's kind is public: the form chooses none, and a
		// draft sent without one is refused beside the choice, its text
		// kept, nothing recorded.
		citizen := newWebClient(t, e.base, lang)
		citizen.post("/signin", "/signin", url.Values{"token": {agentTok}})
		if page := citizen.page("/communes/50910113/petitions/new"); strings.Contains(page, ` checked>`) || strings.Contains(page, `checked><label for="kind-`) {
			t.Errorf("%s: the draft form chooses a kind", lang)
		}
		head = e.head()
		code, body, _ = citizen.post("/communes/50910113/petitions/new", "/communes/50910113/petitions", url.Values{"title": {"Sans genre choisi"},
			"request": {"Une demande."}, "reasons": {"Des motifs."}})
		if code != 400 || !strings.Contains(body, `id="kind-error"`) || !strings.Contains(body, `value="Sans genre choisi"`) || e.head() != head {
			t.Fatalf("%s: a draft without a kind: %d (kind-error %v, title kept %v, log moved %v)", lang, code,
				strings.Contains(body, `id="kind-error"`), strings.Contains(body, `value="Sans genre choisi"`), e.head() != head)
		}
	}
}

// TestImportArabicNamesLater: councils imported from a file without Arabic
// names get them when the file with a name_ar column is imported over
// them; the API and the Arabic pages then name them in Arabic, the French
// pages in French.
func TestImportArabicNamesLater(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(sharedData(t, "bmk_communes_2024.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var latin strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if f := strings.SplitN(line, ",", 6); len(f) == 6 {
			latin.WriteString(strings.Join(f[:5], ",") + "\n")
		}
	}
	old := filepath.Join(t.TempDir(), "old.csv")
	if err := os.WriteFile(old, []byte(latin.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, old)
	got, err := e.territory.GetCouncil(e.ctxBG(), &territoryv1.GetCouncilRequest{Name: "communes/50910113"})
	if err != nil || got.GetCouncil().GetNameAr() != "" {
		t.Fatalf("after the Latin file: %q %v", got.GetCouncil().GetNameAr(), err)
	}
	e.stop()
	var out, errOut strings.Builder
	if err := runTerritory(context.Background(), append([]string{"import", sharedData(t, "bmk_communes_2024.csv")}, e.storeArgs()...), &out, &errOut); err != nil {
		t.Fatalf("second import: %v\n%s", err, errOut.String())
	}
	t.Logf("second import: %s", strings.TrimSpace(out.String()))
	e.start()
	t.Cleanup(func() { e.stop() }) // the first Cleanup stops the first server only
	got, err = e.territory.GetCouncil(e.ctxBG(), &territoryv1.GetCouncilRequest{Name: "communes/50910113", MinPosition: e.head()})
	if err != nil || got.GetCouncil().GetNameAr() != "زاوية الشيخ" || got.GetCouncil().GetNameFr() != "Zaouiat Cheikh" {
		t.Fatalf("after the file with Arabic names: %v %v", got.GetCouncil(), err)
	}
	list, err := e.territory.ListCouncils(e.ctxBG(), &territoryv1.ListCouncilsRequest{Filter: "level=REGION"})
	if err != nil || len(list.GetCouncils()) != 1 || list.GetCouncils()[0].GetNameAr() != "جهة بني ملال خنيفرة" {
		t.Fatalf("regions listed: %v %v", list.GetCouncils(), err)
	}
	for lang, want := range map[string]string{"ar": "<h1><bdi>زاوية الشيخ</bdi></h1>", "fr": "<h1><bdi>Zaouiat Cheikh</bdi></h1>"} {
		if page := newWebClient(t, e.base, lang).page("/communes/50910113"); !strings.Contains(page, want) {
			t.Errorf("%s: commune page lacks %s", lang, want)
		}
	}
}
