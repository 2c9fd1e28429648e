package main

import (
	"bytes"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// attach sends the document upload form: the CSRF token of the page at
// from (none if from is ""), the kind and the file; it returns the final
// status and page.
func (w *webClient) attach(from, action, kind, fileName string, content []byte) (int, string) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if from != "" {
		m := csrfInput.FindStringSubmatch(w.page(from))
		if m == nil {
			w.t.Fatalf("no CSRF token on %s", from)
		}
		_ = mw.WriteField("csrf", m[1])
	}
	_ = mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", fileName)
	_, _ = fw.Write(content)
	mw.Close()
	resp, err := w.c.Post(w.base+action, mw.FormDataContentType(), &buf)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fetch GETs a path and returns the whole response, body read.
func (w *webClient) fetch(path string) (*http.Response, []byte) {
	w.t.Helper()
	resp, err := w.c.Get(w.base + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var documentLink = regexp.MustCompile(`<a href="([^"]+/documents/[^"]+)" class="document-link"`)

// fieldErrorText is the text of the error shown beside a field.
func fieldErrorText(page, field string) string {
	m := regexp.MustCompile(`(?s)<p class="field-error" id="` + field + `-error"><strong>(.*?)</strong></p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestWebDocuments: a petition's documents through the pages, without
// JavaScript, through the real server and gateway. The agent attaches one
// from the petition's page, the council's staff one from the management
// page; refused files (too large, an executable's bytes, no kind, a
// withdrawn petition) come back with the message beside the field in the
// reader's language and the kind still chosen, and record nothing;
// another citizen, another council's staff and a forged POST without the
// CSRF token attach nothing; only the council's staff get download links,
// and the download gives the exact bytes with safe headers, while the
// agent, another citizen, another council's staff and a visitor get 403
// or 404; a public page shows nothing of the documents.
func TestWebDocuments(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agentTok := e.token(access.RoleCitizen, "", "docs-agent")
	otherTok := e.token(access.RoleCitizen, "", "docs-other")
	staffTok := e.token(access.RoleStaff, "50910113", "docs-clerk")
	staffKTTok := e.token(access.RoleStaff, "50910107", "docs-clerk-kt")
	cr, err := e.petitions.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage de la rue des Orangers", Request: "Installer l'éclairage public rue des Orangers.", Reasons: "La rue est dans le noir la nuit."})
	if err != nil {
		t.Fatal(err)
	}
	name := cr.GetPetition().GetName()
	path := "/" + name
	signIn := func(tok, lang string) *webClient {
		w := newWebClient(t, e.base, lang)
		if code, body, _ := w.post("/signin", "/signin", url.Values{"token": {tok}}); code != 200 {
			t.Fatalf("sign in: %d\n%s", code, body)
		}
		return w
	}
	agent := signIn(agentTok, "fr")
	staff := signIn(staffTok, "en")
	fr, en := catalogue(t, "fr"), catalogue(t, "en")
	statutes := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Statuts de l'association, article 1\n%%EOF\n")
	sheet := []byte("national_id,full_name\nAB100001,Fatima Secretname\n")
	unchanged := func(what string, head uint64) {
		t.Helper()
		if h := e.quietHead(); h != head {
			t.Errorf("%s moved the log from %d to %d", what, head, h)
		}
	}
	documents := func() []*petitionseventsv1.PetitionDocumentAttached {
		t.Helper()
		r, err := e.petitions.GetPetition(as(staffTok), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetPetition().GetDocuments()
	}

	// The agent's page offers the form with no kind chosen, and no link.
	page := agent.page(path)
	if !strings.Contains(page, `action="`+path+`/documents" enctype="multipart/form-data"`) || !strings.Contains(page, `<option value="" disabled selected>`) {
		t.Fatalf("the agent's draft page lacks the upload form with no kind chosen:\n%s", page)
	}
	if !strings.Contains(page, `id="no-documents"`) {
		t.Error("the list does not say that no document is attached yet")
	}

	t.Run("refused files", func(t *testing.T) {
		head := e.quietHead()
		big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), domain.MaxDocumentBytes)...)
		for _, c := range []struct {
			what, kind, file string
			content          []byte
			status           int
			field, want      string
		}{
			{"too large", "DOCUMENT_KIND_STATUTES", "statuts.pdf", big, http.StatusRequestEntityTooLarge, "document_file", strings.ReplaceAll(fr["doc.toolarge"], "{0}", "3,0 Mo")},
			{"an executable", "DOCUMENT_KIND_STATUTES", "statuts.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode."), http.StatusUnprocessableEntity, "document_file", fr["reason.DOCUMENT_TYPE_REFUSED"]},
			{"no kind", "", "statuts.pdf", statutes, http.StatusBadRequest, "document_kind", fr["doc.kind.required"]},
			{"no file", "DOCUMENT_KIND_STATUTES", "vide.pdf", nil, http.StatusBadRequest, "document_file", fr["doc.nofile"]},
		} {
			code, body := agent.attach(path, path+"/documents", c.kind, c.file, c.content)
			if code != c.status {
				t.Errorf("%s: HTTP %d, want %d", c.what, code, c.status)
			}
			if got := fieldErrorText(body, c.field); got != c.want {
				t.Errorf("%s: beside %s: %q, want %q", c.what, c.field, got, c.want)
			}
			if c.kind != "" && !strings.Contains(body, `<option value="`+c.kind+`" selected>`) {
				t.Errorf("%s: the kind chosen is not kept", c.what)
			}
			if !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("%s: the field is not marked invalid", c.what)
			}
		}
		// A body over the limit is not parsed at all: refused all the
		// same, beside the field.
		code, body := agent.attach(path, path+"/documents", "DOCUMENT_KIND_STATUTES", "scan.pdf", append(big, make([]byte, 128<<10)...))
		if code != http.StatusRequestEntityTooLarge || fieldErrorText(body, "document_file") != strings.ReplaceAll(fr["doc.toolarge"], "{0}", "3,0 Mo") {
			t.Errorf("a body over the limit: HTTP %d, beside the file %q", code, fieldErrorText(body, "document_file"))
		}
		unchanged("refused uploads", head)
		if d := documents(); len(d) != 0 {
			t.Fatalf("refused uploads attached %v", d)
		}
	})

	t.Run("others cannot attach", func(t *testing.T) {
		head := e.quietHead()
		other := signIn(otherTok, "en")
		if code, _ := other.attach("/communes/50910113/petitions/new", path+"/documents", "DOCUMENT_KIND_STATUTES", "statuts.pdf", statutes); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("another citizen's upload: HTTP %d", code)
		}
		staffKT := signIn(staffKTTok, "en")
		if code, _ := staffKT.attach("/communes/50910113/petitions/new", path+"/manage/documents", "DOCUMENT_KIND_STATUTES", "statuts.pdf", statutes); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("another council's staff's upload: HTTP %d", code)
		}
		if code, body := agent.attach("", path+"/documents", "DOCUMENT_KIND_STATUTES", "statuts.pdf", statutes); code != http.StatusForbidden || !strings.Contains(body, html.EscapeString(fr["error.csrf"])) {
			t.Errorf("a forged upload without the CSRF token: HTTP %d", code)
		}
		visitor := newWebClient(t, e.base, "en")
		if code, _ := visitor.attach("/communes/50910113/petitions/new", path+"/documents", "DOCUMENT_KIND_STATUTES", "statuts.pdf", statutes); code < 400 {
			t.Errorf("a visitor's upload: HTTP %d", code)
		}
		unchanged("uploads by others", head)
	})

	// The agent attaches the statutes; the page lists them, without link.
	code, body := agent.attach(path, path+"/documents", "DOCUMENT_KIND_STATUTES", `C:\Users\agent\statuts.pdf`, statutes)
	if code != 200 || !strings.Contains(body, html.EscapeString(fr["flash.attached"])) {
		t.Fatalf("the agent's upload: %d\n%s", code, body)
	}
	first := documents()
	if len(first) != 1 {
		t.Fatalf("after the agent's upload: %v", first)
	}
	row := regexp.MustCompile(`(?s)<tr id="document-` + first[0].GetDocumentId() + `">(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil || !strings.Contains(row[1], `<bdi dir="auto">statuts.pdf</bdi>`) || !strings.Contains(row[1], html.EscapeString(fr["enum.DOCUMENT_KIND_STATUTES"])) ||
		!strings.Contains(row[1], "<bdi>2 novembre 2026</bdi>") || !strings.Contains(row[1], "<bdi>"+strings.ReplaceAll(fr["doc.size.b"], "{0}", strconv.Itoa(len(statutes)))+"</bdi>") {
		t.Errorf("the agent's list lacks the statutes' name, kind, date (the clock's day) or size:\n%v", row)
	}
	if documentLink.MatchString(body) {
		t.Error("the agent is given a download link")
	}

	// Staff attach a scanned sheet from the management page: sealed.
	manage := staff.page(path + "/manage")
	if !strings.Contains(manage, `action="`+path+`/manage/documents"`) {
		t.Fatalf("the management page lacks the upload form:\n%s", manage)
	}
	code, body = staff.attach(path+"/manage", path+"/manage/documents", "DOCUMENT_KIND_SIGNATURE_SHEET", "feuille-1.csv", sheet)
	if code != 200 || !strings.Contains(body, html.EscapeString(en["flash.attached"])) {
		t.Fatalf("the staff's upload: %d\n%s", code, body)
	}
	docs := documents()
	if len(docs) != 2 || docs[0].GetFileName() != "statuts.pdf" || docs[0].GetSealed() || !docs[1].GetSealed() || docs[1].GetFileName() != "feuille-1.csv" {
		t.Fatalf("attached: %v", docs)
	}
	links := documentLink.FindAllStringSubmatch(body, -1)
	if len(links) != 2 {
		t.Fatalf("the staff's list has %d download links, want 2", len(links))
	}
	if !strings.Contains(body, "<td>"+en["common.yes"]+"</td>") || !strings.Contains(body, "<td>"+en["common.no"]+"</td>") {
		t.Error("the list does not say which document is sealed")
	}

	t.Run("staff download the exact bytes", func(t *testing.T) {
		for i, want := range [][]byte{statutes, sheet} {
			resp, got := staff.fetch(html.UnescapeString(links[i][1]))
			if resp.StatusCode != 200 || !bytes.Equal(got, want) {
				t.Fatalf("download %d: %d, %d bytes, want %d", i, resp.StatusCode, len(got), len(want))
			}
			h := resp.Header
			if h.Get("Content-Type") != docs[i].GetMediaType() || h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Cache-Control"), "no-store") {
				t.Errorf("download %d headers: %v", i, h)
			}
			disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
			wantName := map[int]string{0: "statuts.pdf", 1: "feuille-1.txt"}[i]
			if err != nil || disp != "attachment" || params["filename"] != wantName {
				t.Errorf("download %d: Content-Disposition %q (%v), want attachment %s", i, h.Get("Content-Disposition"), err, wantName)
			}
		}
	})

	t.Run("nobody else downloads", func(t *testing.T) {
		link := html.UnescapeString(links[1][1])
		head := e.quietHead()
		for who, w := range map[string]*webClient{"the agent": agent, "another citizen": signIn(otherTok, "en"),
			"another council's staff": signIn(staffKTTok, "en"), "a visitor": newWebClient(t, e.base, "en")} {
			resp, got := w.fetch(link)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s downloads: HTTP %d", who, resp.StatusCode)
			}
			if bytes.Contains(got, []byte("Secretname")) || strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s is served the document", who)
			}
		}
		if resp, _ := staff.fetch(path + "/documents/0190a4c2-0000-7000-8000-000000000000"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a crafted document id: HTTP %d, want 404", resp.StatusCode)
		}
		unchanged("downloads", head)
	})

	t.Run("nothing public", func(t *testing.T) {
		if _, err := e.petitions.OpenPetitionForSignatures(as(agentTok), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		e.quietHead()
		visitor := newWebClient(t, e.base, "en")
		pub := visitor.page(path)
		if strings.Contains(pub, `id="documents"`) || strings.Contains(pub, "statuts.pdf") || strings.Contains(pub, "feuille-1") || strings.Contains(pub, "Secretname") {
			t.Error("the public page shows the documents")
		}
		citizen := signIn(otherTok, "en")
		if pub := citizen.page(path); strings.Contains(pub, `id="documents"`) || strings.Contains(pub, "statuts.pdf") {
			t.Error("another citizen's page shows the documents")
		}
	})

	t.Run("wrong state", func(t *testing.T) {
		if _, err := e.petitions.WithdrawPetition(as(agentTok), &petitionsv1.WithdrawPetitionRequest{Name: name, Reason: "la commune a éclairé la rue"}); err != nil {
			t.Fatal(err)
		}
		head := e.quietHead()
		if strings.Contains(agent.page(path), `id="document-form"`) {
			t.Error("a withdrawn petition still offers the upload form")
		}
		code, body := agent.attach(path, path+"/documents", "DOCUMENT_KIND_OTHER", "plan.pdf", statutes)
		if code != http.StatusUnprocessableEntity || fieldErrorText(body, "document_file") != fr["reason.WRONG_STATE"] {
			t.Errorf("an upload to a withdrawn petition: HTTP %d, beside the file %q", code, fieldErrorText(body, "document_file"))
		}
		unchanged("an upload to a withdrawn petition", head)
	})
}
