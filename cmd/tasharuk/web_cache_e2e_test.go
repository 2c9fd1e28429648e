package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestWebPublicReadCaching: the public's reads of a petition (its page and
// its REST answer) carry an ETag and answer a revalidation with 304 and no
// body; a new signature changes the ETag and the count; read-your-writes
// (?at= / ?min_position=) is answered afresh; languages never share an
// ETag; signed-in and token-bearing answers are never cacheable by others
// (issue 17, acceptance 4).
func TestWebPublicReadCaching(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "cache-agent")
	c, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910101",
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "Pétition en cache",
		Request: "Inscrire un point à l'ordre du jour.", Reasons: "Pour vérifier la mise en cache."})
	if err != nil {
		t.Fatal(err)
	}
	name := c.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.ModeratePetition(as(e.token(access.RoleStaff, "50910101", "cache-clerk")), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true}); err != nil {
		t.Fatal(err)
	}
	sign := func(id string) uint64 {
		t.Helper()
		r, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: "Cache Signer"})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetLogPosition()
	}
	pos := sign("CA100001")

	jar, _ := cookiejar.New(nil)
	visitor := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(cl *http.Client, path, lang, inm, tok string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	count := func(page string) string {
		t.Helper()
		_, rest, ok := strings.Cut(page, `id="signatures-valid"><bdi>`)
		n, _, ok2 := strings.Cut(rest, "</bdi>")
		if !ok || !ok2 {
			t.Fatalf("no signature count on the page:\n%.1500s", page)
		}
		return n
	}

	// The page, as a visitor who is not signed in sees it, once the read
	// model holds the signature.
	if resp, page := get(visitor, "/"+name+"?at="+strconv.FormatUint(pos, 10), "fr", "", ""); resp.StatusCode != 200 || count(page) != "1" {
		t.Fatalf("fresh page: %d, count %q", resp.StatusCode, count(page))
	}
	resp, page := get(visitor, "/"+name, "fr", "", "")
	tagFR := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || tagFR == "" || count(page) != "1" {
		t.Fatalf("public page: %d, ETag %q, count %q", resp.StatusCode, tagFR, count(page))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-cache" {
		// It carries the visitor's own form token: a browser may keep it,
		// a shared cache never.
		t.Fatalf("public page Cache-Control %q, want private, no-cache", cc)
	}
	m := csrfInput.FindStringSubmatch(page)
	if m == nil || strings.Contains(page, "Placeholder") {
		t.Fatalf("the cached page has no CSRF token of the visitor's own:\n%.3000s", page)
	}
	// The token works: the follow form is accepted, and the page of a
	// visitor who follows the petition is another page.
	fr, err := visitor.PostForm(e.base+"/"+name+"/follow", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	fr.Body.Close()
	if fr.StatusCode != 200 {
		t.Fatalf("follow with the cached page's token: %d", fr.StatusCode)
	}
	resp, page = get(visitor, "/"+name, "fr", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == tagFR || strings.Contains(page, `action="/`+name+`/follow"`) {
		t.Fatalf("page after following: %d, ETag %q (was %q), follow form still offered", resp.StatusCode, resp.Header.Get("ETag"), tagFR)
	}
	tagFR = resp.Header.Get("ETag")

	// Revalidation: 304, no body.
	if resp, body := get(visitor, "/"+name, "fr", tagFR, ""); resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("ETag") != tagFR {
		t.Fatalf("revalidation: %d, %d bytes, ETag %q (want 304, none, %q)", resp.StatusCode, len(body), resp.Header.Get("ETag"), tagFR)
	}
	// Another language never shares the ETag, and does not match it.
	resp, _ = get(visitor, "/"+name, "en", tagFR, "")
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || resp.Header.Get("ETag") == tagFR || resp.Header.Get("Content-Language") != "en" {
		t.Fatalf("English page revalidated with the French ETag: %d, ETag %q, Content-Language %q", resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Content-Language"))
	}
	// Another visitor (another form token) gets a page of its own.
	other := &http.Client{Timeout: 30 * time.Second}
	if resp, _ := get(other, "/"+name, "fr", tagFR, ""); resp.StatusCode != 200 || resp.Header.Get("ETag") == tagFR {
		t.Fatalf("another visitor revalidated with the first's ETag: %d", resp.StatusCode)
	}

	// A signature: the reader passing its position sees it at once (never
	// a cached page), and then every reader does, under a new ETag.
	pos = sign("CA100002")
	resp, page = get(visitor, "/"+name+"?at="+strconv.FormatUint(pos, 10), "fr", tagFR, "")
	if resp.StatusCode != 200 || count(page) != "2" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("read-your-writes page: %d, count %q, Cache-Control %q", resp.StatusCode, count(page), resp.Header.Get("Cache-Control"))
	}
	// A reader naming no position may get the page as it was, for at most
	// a second (web/pagecache.go) — then the new one.
	signed := time.Now()
	for {
		resp, page = get(visitor, "/"+name, "fr", tagFR, "")
		if resp.StatusCode == 200 && count(page) == "2" && resp.Header.Get("ETag") != tagFR {
			break
		}
		if resp.StatusCode != http.StatusNotModified && resp.StatusCode != 200 || time.Since(signed) > 3*time.Second {
			t.Fatalf("after a signature: %d, ETag %q (was %q), %v later", resp.StatusCode, resp.Header.Get("ETag"), tagFR, time.Since(signed))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Signed in: rendered afresh, never cacheable.
	web := newWebClient(t, e.base, "fr")
	if code, body, _ := web.post("/signin", "/signin", url.Values{"token": {agent}}); code != 200 {
		t.Fatalf("sign-in: %d\n%.500s", code, body)
	}
	resp, page = get(web.c, "/"+name, "fr", "", "")
	if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != 200 || cc != "no-store" || resp.Header.Get("ETag") != "" || strings.Contains(cc, "public") {
		t.Fatalf("signed-in page: %d, Cache-Control %q, ETag %q", resp.StatusCode, cc, resp.Header.Get("ETag"))
	}
	if !strings.Contains(page, `action="/signout"`) {
		t.Fatalf("the signed-in page is not the signed-in person's own (no sign-out form):\n%.2000s", page)
	}

	// REST: the public answer is cacheable for a second, revalidates to 304.
	api := "/v1/" + name
	resp, body := get(other, api, "fr", "", "")
	tagJSON := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || tagJSON == "" || resp.Header.Get("Cache-Control") != "public, max-age=1" || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Authorization") {
		t.Fatalf("public REST read: %d, ETag %q, Cache-Control %q, Vary %q", resp.StatusCode, tagJSON, resp.Header.Get("Cache-Control"), resp.Header.Values("Vary"))
	}
	if !validIs(body, 2) {
		t.Fatalf("public REST read does not count 2 valid signatures:\n%.1000s", body)
	}
	if resp, body := get(other, api, "fr", tagJSON, ""); resp.StatusCode != http.StatusNotModified || body != "" {
		t.Fatalf("REST revalidation: %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp, _ := get(other, api, "en", tagJSON, ""); resp.StatusCode != 200 || resp.Header.Get("ETag") == tagJSON {
		t.Fatalf("REST in English revalidated with the French ETag: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	// With a token: personal (allowed acts), never cached.
	if resp, _ := get(other, api, "fr", tagJSON, agent); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "private, no-store" || resp.Header.Get("ETag") != "" {
		t.Fatalf("REST read with a token: %d, Cache-Control %q, ETag %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
	}
	pos = sign("CA100003")
	if resp, body := get(other, api+"?min_position="+strconv.FormatUint(pos, 10), "fr", tagJSON, ""); resp.StatusCode != 200 || !validIs(body, 3) || resp.Header.Get("ETag") != "" {
		t.Fatalf("REST read-your-writes: %d, ETag %q\n%.1000s", resp.StatusCode, resp.Header.Get("ETag"), body)
	}
	signed = time.Now()
	for {
		resp, body = get(other, api, "fr", tagJSON, "")
		if resp.StatusCode == 200 && resp.Header.Get("ETag") != tagJSON && validIs(body, 3) {
			break
		}
		if resp.StatusCode != http.StatusNotModified && resp.StatusCode != 200 || time.Since(signed) > 3*time.Second {
			t.Fatalf("REST after a signature: %d, ETag %q (was %q), %v later\n%.1000s", resp.StatusCode, resp.Header.Get("ETag"), tagJSON, time.Since(signed), body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// validIs reports whether a petition's JSON counts n valid signatures.
func validIs(body string, n int) bool {
	return regexp.MustCompile(`"valid":\s*"?` + strconv.Itoa(n) + `"?[,}]`).MatchString(body)
}
