package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// TestWebDocumentsBrowser: in a real Chromium, in Arabic and French, the
// agent attaches a document from the petition's page through the file
// input and sees it listed; a file over the limit comes back with the
// message beside the field in the reader's language and the kind still
// chosen, and records nothing; the council's staff see the list with
// download links on the management page. axe-core finds no violation on
// these pages, and none is wider than a 390 px phone.
func TestWebDocumentsBrowser(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	files := t.TempDir()
	statutes := filepath.Join(files, "statuts.pdf")
	big := filepath.Join(files, "scan.pdf")
	if err := os.WriteFile(statutes, []byte("%PDF-1.4\n% Statuts\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), domain.MaxDocumentBytes)...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"ar", "fr"} {
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			agentTok := e.token(access.RoleCitizen, "", "docs-agent-"+lang)
			cr, err := e.petitions.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
				Title: "Bibliothèque " + lang, Request: "Ouvrir une bibliothèque dans l'ancien foyer.", Reasons: "Aucune bibliothèque à moins de 10 km."})
			if err != nil {
				t.Fatal(err)
			}
			path := "/" + cr.GetPetition().GetName()
			signIn := func(b *browser, tok string) {
				b.open("/signin?lang=" + lang)
				b.do("paste the token", chromedp.SetValue(chromedp.ID("token"), tok))
				b.submit("sign in", "#signin-submit")
			}

			b := newBrowser(t, e.base, shots, axe, lang)
			signIn(b, agentTok)
			b.open(path)
			b.accessible("petition with the upload form")
			if got := b.eval("kind", `document.getElementById("document_kind").value`); got != "" {
				t.Errorf("the kind is chosen before the agent chooses: %q", got)
			}

			// Too large: refused beside the field, the kind kept.
			head := e.quietHead()
			b.do("choose a file too large",
				chromedp.SetValue(chromedp.ID("document_kind"), "DOCUMENT_KIND_STATUTES"),
				chromedp.SetUploadFiles(chromedp.ID("document_file"), []string{big}))
			if code := b.submitStatus("send the file too large", "#document-submit"); code != 413 {
				t.Errorf("a file too large: HTTP %d, want 413", code)
			}
			want := strings.ReplaceAll(msg["doc.toolarge"], "{0}", map[string]string{"ar": "3,0 م.ب", "fr": "3,0 Mo"}[lang])
			if got := b.text("#document_file-error"); got != want {
				t.Errorf("beside the file: %q, want %q", got, want)
			}
			if got := b.eval("kind", `document.getElementById("document_kind").value`); got != "DOCUMENT_KIND_STATUTES" {
				t.Errorf("the kind after the refusal: %q", got)
			}
			b.shot("document-refused")
			b.accessible("petition with a refused upload")
			if h := e.quietHead(); h != head {
				t.Errorf("the refused upload moved the log from %d to %d", head, h)
			}

			// The statutes: attached and listed.
			b.do("choose the statutes",
				chromedp.SetValue(chromedp.ID("document_kind"), "DOCUMENT_KIND_STATUTES"),
				chromedp.SetUploadFiles(chromedp.ID("document_file"), []string{statutes}))
			b.submit("attach the statutes", "#document-submit")
			if got := b.text("#flash"); got != msg["flash.attached"] {
				t.Fatalf("after attaching: %q", got)
			}
			if got := b.text("#documents-table tbody"); !strings.Contains(got, "statuts.pdf") || !strings.Contains(got, msg["enum.DOCUMENT_KIND_STATUTES"]) {
				t.Errorf("the list: %q", got)
			}
			if n := b.eval("links", `String(document.querySelectorAll("a.document-link").length)`); n != "0" {
				t.Errorf("the agent sees %s download links", n)
			}
			b.shot("documents-agent")
			b.accessible("petition with its documents")
			b.fitsPhone(func(page string) { b.accessible(page) })

			s := newBrowser(t, e.base, shots, axe, lang)
			signIn(s, e.token(access.RoleStaff, "50910113", "docs-clerk-"+lang))
			s.open(path + "/manage")
			if n := s.eval("links", `String(document.querySelectorAll("a.document-link").length)`); n != "1" {
				t.Errorf("staff see %s download links, want 1", n)
			}
			s.shot("documents-staff")
			s.accessible("manage with documents")
			s.fitsPhone(func(page string) { s.accessible(page) })
		})
	}
}
