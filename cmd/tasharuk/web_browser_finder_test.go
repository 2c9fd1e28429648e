package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// submitStatus clicks a form's button and returns the HTTP status of the
// page it leads to (a refused form answers 4xx with the form again).
func (b *browser) submitStatus(what, button string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// eval runs a script and returns its string result.
func (b *browser) eval(what, js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return s
}

// screen saves the visible part of the page (small PNGs for the docs).
func (b *browser) screen(dir, name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// TestWebBrowserFinder runs issue 22's acceptance in Chromium, in Arabic
// and French, on a desktop (1366×900) and a phone (390×844):
//   - a visitor finds a petition by an Arabic word typed with and without
//     diacritics, and by a French word without accents;
//   - filters the region's table of communes by a name typed with vowels
//     (ar) or without accents (fr);
//   - signs it from its page: the Sign button leads through sign-in and
//     back to the petition, and the signature counts;
//   - a decision refused for too short reasons comes back with the choice,
//     the checks and the text kept, the message beside the field, in the
//     reader's language;
//   - no page is wider than the phone; axe-core finds no violation on any
//     page, signed in and out.
//
// Screenshots of the finder go to $TASHARUK_SCREENSHOTS (docs/screenshots
// when set so) or the artifacts folder.
func TestWebBrowserFinder(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	docs := os.Getenv("TASHARUK_SCREENSHOTS")
	if docs == "" {
		docs = shots
	}
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agentTok := e.token(access.RoleCitizen, "", "finder-agent")
	file := func(council, title, request string) string {
		t.Helper()
		c, err := e.petitions.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{Parent: council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: title, Request: request, Reasons: "يطالب السكان بذلك منذ سنوات. Les habitants le demandent depuis des années."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.petitions.OpenPetitionForSignatures(as(agentTok), &petitionsv1.OpenPetitionForSignaturesRequest{Name: c.GetPetition().GetName()}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, c.GetPetition().GetName())
		return c.GetPetition().GetName()
	}
	arabic := file("communes/50910113", "إِنَارَةُ الشَّوَارِعِ بِحَيِّ الأَمَل", "إدراج إنارة شوارع حي الأمل في جدول أعمال المجلس.")
	french := file("communes/50910107", "Éclairage de la place du marché", "Inscrire l'éclairage de la place du marché à l'ordre du jour.")
	file("communes/50910101", "Bibliothèque de quartier", "Ouvrir une bibliothèque dans l'ancien foyer.")
	file("communes/50910103", "مكتبة عمومية بالقصيبة", "إحداث مكتبة عمومية.")

	for _, lang := range []string{"ar", "fr"} {
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			b := newBrowser(t, e.base, shots, axe, lang)
			b.do("a desktop screen", chromedp.EmulateViewport(1366, 900))
			checked := 0
			a11y := func(page string) { b.accessible(page); checked++ }
			search := func(from, words string) []string {
				t.Helper()
				b.open(from)
				b.do("type "+words, chromedp.SendKeys(chromedp.ID("q"), words))
				b.submit("search "+words, "#finder-submit")
				got := b.eval("results", `JSON.stringify([...document.querySelectorAll("#results h3 a")].map(a => a.getAttribute("href")))`)
				return strings.Split(strings.Trim(got, `[]"`), `","`)
			}
			want := func(got []string, name string) {
				t.Helper()
				if len(got) != 1 || got[0] != "/"+name {
					t.Errorf("found %v, want only /%s", got, name)
				}
			}

			// The home page leads with the finder.
			b.open("/?lang=" + lang)
			if b.eval("first section", `document.querySelector("main section").id`) != "find" {
				t.Error("the home page does not lead with the finder")
			}
			a11y("home")
			want(search("/?lang="+lang, "انارة الشوارع"), arabic)  // no hamza, no vowels
			want(search("/petitions", "إِنَارَة"), arabic)         // with them
			want(search("/petitions", "eclairage marche"), french) // no accents
			if got := b.text("#found"); !strings.Contains(got, "1") {
				t.Errorf("found line %q", got)
			}
			a11y("finder")
			b.open("/petitions?q=")
			b.screen(docs, "finder-"+lang+"-desktop")
			b.open("/regions/beni-mellal-khenifra/petitions")
			a11y("region finder")

			// The region's 135 communes, filtered by a name typed with its
			// vowels, through the plain GET form.
			b.open("/regions/beni-mellal-khenifra")
			b.do("type a commune's name", chromedp.SendKeys(chromedp.ID("commune-filter"), map[string]string{"ar": "زَاوِيَةُ الشَّيْخ", "fr": "zaouiat cheikh"}[lang]))
			b.submit("filter the communes", "#commune-filter-submit")
			if got := b.eval("communes", `document.querySelectorAll("#compare-communes tbody tr").length + " " + document.querySelector("#compare-communes tbody th a").getAttribute("href") + " " + location.hash`); got != "1 /communes/50910113 #commune-filter-form" {
				t.Errorf("the filtered communes: %q, want Zaouiat Cheikh alone, the form in view", got)
			}
			b.open("/regions/beni-mellal-khenifra?commune=" + url.QueryEscape("الشيخ") + "#commune-filter-form")
			b.screen(docs, "finder-"+lang+"-region-filter")
			a11y("region, communes filtered")

			// A visitor signs from the petition's page: sign-in and back.
			b.open("/" + arabic)
			a11y("petition (visitor)")
			for _, id := range []string{"#sign-top", "#sign-signin"} {
				href := b.eval("sign button", `document.querySelector("`+id+`").getAttribute("href")`)
				if next, err := url.QueryUnescape(strings.TrimPrefix(href, "/signin?next=")); !strings.HasPrefix(href, "/signin?next=") || err != nil || next != "/"+arabic {
					t.Fatalf("%s leads to %q", id, href)
				}
			}
			b.submit("press Sign", "#sign-top")
			if b.location() != "/signin" {
				t.Fatalf("Sign led to %s", b.location())
			}
			b.do("paste a citizen's token", chromedp.SetValue(chromedp.ID("token"), e.token(access.RoleCitizen, "", "signer-"+lang)))
			b.submit("sign in", "#signin-submit")
			if b.location() != "/"+arabic {
				t.Fatalf("after sign-in: at %s, want back at /%s", b.location(), arabic)
			}
			before := b.text("#signatures-valid")
			b.do("fill the signature", chromedp.SendKeys(chromedp.ID("national_id"), map[string]string{"ar": "WA220001", "fr": "WF220001"}[lang]),
				chromedp.SendKeys(chromedp.ID("full_name"), "Signataire Test"))
			a11y("petition (citizen)")
			b.submit("sign", "#sign-form button[type=submit]")
			if after := b.text("#signatures-valid"); after == before {
				t.Fatalf("signatures %s before and after signing", before)
			}
			if got := b.text("#flash"); got != msg["flash.signed"] && !strings.HasPrefix(got, strings.SplitN(msg["flash.signed"], "{", 2)[0]) {
				t.Errorf("after signing: %q", got)
			}

			// A refused decision comes back refilled, the message beside
			// the field.
			name := file("communes/50910113", "Transport scolaire "+lang, "Un bus scolaire pour les douars.")
			staff := e.token(access.RoleStaff, "50910113", "clerk-"+lang)
			if _, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.petitions.ReferPetitionToBureau(as(staff), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
			b.open("/signin")
			b.do("paste the staff token", chromedp.SetValue(chromedp.ID("token"), staff))
			b.submit("sign in as staff", "#signin-submit")
			b.open("/" + name + "/manage?at=" + uitoa(e.head()))
			short := map[string]string{"ar": "قصير جدا", "fr": "Trop court"}[lang]
			b.do("fill the decision", chromedp.Click(chromedp.ID("chk-agent_designated")), chromedp.Click(chromedp.ID("adm-inadmissible")),
				chromedp.SendKeys(chromedp.ID("reasons"), short))
			if code := b.submitStatus("decide", "#decide-submit"); code != 422 {
				t.Fatalf("a decision with short reasons answered %d, want 422", code)
			}
			if got := b.eval("reasons", `document.getElementById("reasons").value`); got != short {
				t.Errorf("reasons came back as %q, want %q", got, short)
			}
			if got := b.eval("choice", `String(document.getElementById("adm-inadmissible").checked) + " " + document.getElementById("chk-agent_designated").checked + " " + document.getElementById("chk-within_council_powers").checked`); got != "true true false" {
				t.Errorf("choice and checks came back as %q, want inadmissible, agent designated only", got)
			}
			if got := b.text("#reasons-error"); got != msg["reason.REASONS_REQUIRED"] {
				t.Errorf("message beside the reasons %q, want %q", got, msg["reason.REASONS_REQUIRED"])
			}
			// Beside the field: right before it, and the field points to it.
			if got := b.eval("placement", `(() => { const e = document.getElementById("reasons-error"), f = document.getElementById("reasons");
				return String(e.nextElementSibling === f) + " " + f.getAttribute("aria-describedby").split(" ").includes("reasons-error") + " " + f.getAttribute("aria-invalid"); })()`); got != "true true true" {
				t.Errorf("the message is not beside the field: %q", got)
			}
			if got := b.text("#error p"); got != msg["reason.REASONS_REQUIRED"] {
				t.Errorf("the page's error in %s: %q", lang, got)
			}
			a11y("refused decision")

			// On a phone: the finder, the pages above, none wider than the
			// screen.
			b.submit("sign out", `form[action="/signout"] button`)
			b.fitsPhone(a11y)
			b.do("a 390×844 phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(1)))
			b.open("/petitions?q=")
			b.screen(docs, "finder-"+lang+"-phone")
			if checked < 8 {
				t.Errorf("axe-core checked %d pages", checked)
			}
		})
	}
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }
