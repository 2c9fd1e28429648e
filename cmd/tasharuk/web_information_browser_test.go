package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
)

// TestWebInformationBrowser is issue 19's acceptance 5 in a real headless
// Chromium, in Arabic, French and English: a citizen signs in, files a
// request for information and sees its receipt and due date; the commune's
// designated official signs in, finds it on the desk and answers it; the
// citizen sees the answer, on time; the public page shows the figures and
// the register. axe-core finds no violation at all on these pages.
func TestWebInformationBrowser(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	// Tuesday 26 May 2026, the eve of Eid al-Adha: due 26 June.
	clock := &testClock{t: time.Date(2026, 5, 26, 8, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	subjects := map[string]string{
		"ar": "ميزانية الجماعة لسنة 2026 ومحاضر دوراتها",
		"fr": "Le budget 2026 de la commune et les procès-verbaux de ses sessions",
		"en": "The commune's 2026 budget and the minutes of its sessions",
	}
	for _, lang := range []string{"ar", "fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			b := newBrowser(t, e.base, shots, axe, lang)
			clean := func(page string) {
				t.Helper()
				if vs := b.accessible("information-" + page); len(vs) != 0 {
					t.Errorf("%s (%s): %d axe violations, want 0: %+v", page, lang, len(vs), vs)
				}
			}
			signIn := func(tok string) {
				t.Helper()
				b.open("/signin?lang=" + lang)
				b.do("paste the token", chromedp.SetValue(chromedp.ID("token"), tok))
				b.submit("sign in", "#signin-submit")
			}

			// The public page of the commune's duty under law 31-13.
			b.open("/communes/50910101/information?lang=" + lang)
			if got := b.text("h1"); !strings.Contains(got, msg["info.title"]) {
				t.Fatalf("public page heading %q", got)
			}
			clean("public")

			// A citizen files a request and sees its receipt and due date.
			signIn(e.token(access.RoleCitizen, "", "citizen-info-"+lang))
			b.open("/communes/50910101/informationRequests/new")
			b.do("fill the request",
				chromedp.SendKeys(chromedp.ID("requester_name"), "Nadia Secretname-"+lang),
				chromedp.SendKeys(chromedp.ID("requester_contact"), "nadia-"+lang+"@example.ma"),
				chromedp.SendKeys(chromedp.ID("subject"), subjects[lang]))
			clean("form")
			b.shot("information-form")
			b.submit("file the request", "#info-submit")
			path := b.location()
			if !strings.HasPrefix(path, "/communes/50910101/informationRequests/") {
				t.Fatalf("after filing: at %s", path)
			}
			if got := b.text("#info-due"); got != "2026-06-26" {
				t.Fatalf("due date shown %q, want 2026-06-26", got)
			}
			if got := b.text("#info-subject"); got != subjects[lang] {
				t.Fatalf("subject shown %q", got)
			}
			if got := b.text("#flash"); !strings.HasPrefix(got, strings.Split(msg["flash.info_filed"], "{0}")[0]) {
				t.Fatalf("flash %q", got)
			}
			clean("request")
			b.shot("information-request")
			b.open("/communes/50910101/informationRequests")
			if got := b.text("#info-requests tbody"); !strings.Contains(got, "2026-06-26") || !strings.Contains(got, subjects[lang]) {
				t.Fatalf("my requests: %q", got)
			}
			clean("mine")

			// The commune's official answers it from the desk.
			signIn(e.token(access.RoleInformation, "50910101", "official-info-"+lang))
			b.open("/communes/50910101/informationRequests")
			if got := b.text("#info-requests tbody"); !strings.Contains(got, subjects[lang]) {
				t.Fatalf("desk: %q", got)
			}
			clean("desk")
			b.open(path)
			clean("answer-form")
			b.do("write the answer", chromedp.SendKeys(chromedp.ID("link"), "https://commune.example.ma/budget-2026.pdf"))
			b.submit("answer", "#answer-submit")
			if got := b.text("#info-status"); got != msg["enum.ANSWER_KIND_FULL"] {
				t.Fatalf("status after the answer: %q", got)
			}
			if got := b.text("#info-answer"); !strings.Contains(got, msg["info.answer.ontime"]) {
				t.Fatalf("answer section: %q", got)
			}
			clean("answered")
			b.shot("information-answered")

			// The public figures count it.
			b.open("/communes/50910101/information")
			if got := b.text("#f-ontime"); got == "0" || got == "" {
				t.Fatalf("answered on time: %q", got)
			}
			// The commune's status page shows the same, in its own section.
			onTime := b.text("#f-ontime")
			b.open("/communes/50910101")
			if got := b.text("#info-ontime"); got != onTime {
				t.Fatalf("status page: answered on time %q, the information page says %q", got, onTime)
			}
			if got := b.text("#info-status-h"); got != msg["council.infofigures"] {
				t.Fatalf("status page: information heading %q", got)
			}
			clean("council-status")
			if strings.Contains(b.text("main"), "Nadia Secretname") {
				t.Fatal("the public page shows the requester's name")
			}
		})
	}
}
