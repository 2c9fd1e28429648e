package main

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
)

// webClient is a browser without JavaScript: cookies, forms, redirects.
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWebClient(t *testing.T, base, lang string) *webClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	w := &webClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	if lang != "" {
		w.get("/?lang=" + lang)
	}
	return w
}

// get fetches a page and returns its status and body.
func (w *webClient) get(path string) (int, string) {
	w.t.Helper()
	resp, err := w.c.Get(w.base + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// page fetches a page that must answer 200.
func (w *webClient) page(path string) string {
	w.t.Helper()
	code, body := w.get(path)
	if code != http.StatusOK {
		w.t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	return body
}

// upload sends a file in a multipart form, as the import form does.
func (w *webClient) upload(from, action, field, content string) string {
	w.t.Helper()
	m := csrfInput.FindStringSubmatch(w.page(from))
	if m == nil {
		w.t.Fatalf("no CSRF token on %s", from)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", m[1])
	fw, _ := mw.CreateFormFile(field, "sheet.csv")
	_, _ = io.WriteString(fw, content)
	mw.Close()
	resp, err := w.c.Post(w.base+action, mw.FormDataContentType(), &buf)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("upload to %s: %d\n%s", action, resp.StatusCode, b)
	}
	return string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post sends a form with the CSRF token of the page at from, and returns
// the final page (after redirects), its status and URL.
func (w *webClient) post(from, action string, form url.Values) (int, string, string) {
	w.t.Helper()
	m := csrfInput.FindStringSubmatch(w.page(from))
	if m == nil {
		w.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf", m[1])
	resp, err := w.c.PostForm(w.base+action, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

// TestWebPagesWithoutJavaScript walks the pages as a browser without
// JavaScript would: every public page in three languages, sign-in, a
// petition filed, signed and decided through plain forms, the CSRF check,
// and the open data.
func TestWebPagesWithoutJavaScript(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))

	t.Run("PublicPagesInThreeLanguages", func(t *testing.T) {
		for _, lang := range []string{"ar", "fr", "en"} {
			w := newWebClient(t, e.base, lang)
			home := w.page("/")
			dir := map[string]string{"ar": "rtl", "fr": "ltr", "en": "ltr"}[lang]
			if !strings.Contains(home, `<html lang="`+lang+`" dir="`+dir+`">`) {
				t.Fatalf("%s: home page is not in %s/%s:\n%.400s", lang, lang, dir, home)
			}
			region := w.page("/regions/beni-mellal-khenifra")
			// Names in the reader's language (Arabic where the census
			// gave one).
			zc, bmk := "Zaouiat Cheikh", "<h1><bdi>Béni Mellal-Khénifra</bdi></h1>"
			if lang == "ar" {
				zc, bmk = "زاوية الشيخ", "<h1><bdi>جهة بني ملال خنيفرة</bdi></h1>"
			}
			if strings.Count(region, `href="/communes/`) < 135 || !strings.Contains(region, "<svg") || !strings.Contains(region, zc) || !strings.Contains(region, bmk) {
				t.Fatalf("%s: region page lacks its 135 communes, its charts, %s or its heading %s", lang, zc, bmk)
			}
			commune := w.page("/communes/50910113")
			if !strings.Contains(commune, `role="img"`) || !strings.Contains(commune, "<title id=\"chart-states-t\">") {
				t.Fatalf("%s: commune page lacks its charts", lang)
			}
			for _, p := range []string{"/provinces/beni-mellal", "/communes/50910113/advisoryBodies", "/open-data", "/audit", "/audit/checkpoints", "/signin", "/communes/50910113/petitions/new"} {
				w.page(p)
			}
			if code, body := w.get("/no/such/page"); code != http.StatusNotFound || !strings.Contains(body, `lang="`+lang+`"`) {
				t.Fatalf("%s: unknown page: %d", lang, code)
			}
		}
	})

	t.Run("AcceptLanguageAndSwitch", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/", nil)
		req.Header.Set("Accept-Language", "fr-MA,fr;q=0.9,ar;q=0.8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `<html lang="fr" dir="ltr">`) {
			t.Fatal("Accept-Language fr did not give French")
		}
		w := newWebClient(t, e.base, "")
		if !strings.Contains(w.page("/"), `<html lang="ar" dir="rtl">`) {
			t.Fatal("the default is not Arabic")
		}
		w.page("/?lang=en")
		if !strings.Contains(w.page("/audit"), `<html lang="en" dir="ltr">`) {
			t.Fatal("the ?lang= choice was not kept")
		}
	})

	var name string
	t.Run("CitizenFilesAndSignsStaffDecides", func(t *testing.T) {
		citizen := newWebClient(t, e.base, "fr")
		if code, body, _ := citizen.post("/signin", "/signin", url.Values{"token": {e.token(access.RoleCitizen, "", "web-agent")}}); code != 200 || !strings.Contains(body, "Vous êtes connecté") {
			t.Fatalf("sign-in: %d\n%s", code, body)
		}
		code, body, path := citizen.post("/communes/50910113/petitions/new", "/communes/50910113/petitions", url.Values{
			"kind": {"citizens"}, "title": {"Aire de jeux au quartier Al Amal"},
			"request": {"Aménager une aire de jeux pour enfants."}, "reasons": {"Les enfants du quartier jouent dans la rue."},
		})
		if code != 200 || !strings.HasPrefix(path, "/communes/50910113/petitions/") {
			t.Fatalf("create: %d %s\n%s", code, path, body)
		}
		name = strings.TrimPrefix(path, "/")
		// Opening sends it to the council's moderation; cleared, it collects.
		if _, _, _ = citizen.post(path, path+"/open", url.Values{}); !strings.Contains(citizen.page(path), "En attente de la modération du conseil") {
			t.Fatal("not awaiting moderation")
		}
		cleared(t, e, nil, name)
		if !strings.Contains(citizen.page(path), "Collecte des signatures") {
			t.Fatal("not open to signatures")
		}
		code, body, _ = citizen.post(path, path+"/sign", url.Values{"national_id": {"WB123456"}, "full_name": {"Zineb Secretname-WEB"}})
		if code != 200 || !strings.Contains(body, `id="signatures-valid"><bdi>1</bdi>`) {
			t.Fatalf("sign: %d\n%s", code, body)
		}
		code, body, _ = citizen.post(path, path+"/check-signature", url.Values{"national_id": {"wb123456"}})
		if code != 200 || !strings.Contains(body, "Votre signature compte.") {
			t.Fatalf("check: %d\n%s", code, body)
		}
		// A second signature by the same person is refused, with the
		// API's message under a French heading.
		code, body, _ = citizen.post(path, path+"/sign", url.Values{"national_id": {"WB123456"}, "full_name": {"Zineb Secretname-WEB"}})
		if code != http.StatusConflict || !strings.Contains(body, "Déjà enregistré") || !strings.Contains(body, "ALREADY_SIGNED") {
			t.Fatalf("second signature: %d\n%s", code, body)
		}
		if !strings.Contains(citizen.page("/my"), path) {
			t.Fatal("the petition is not in My petitions")
		}

		staff := newWebClient(t, e.base, "en")
		staff.post("/signin", "/signin", url.Values{"token": {e.token(access.RoleStaff, "50910113", "web-clerk")}})
		if desk := staff.page("/desk"); !strings.Contains(desk, path+"/manage") {
			t.Fatalf("the staff desk does not list the petition:\n%s", desk)
		}
		manage := path + "/manage"
		// A paper sheet: one new signer, one bad row; the report names
		// lines and reasons, never the people.
		report := staff.upload(manage, manage+"/import", "csv", "national_id,full_name\nWP777001,Secretname Paper\nnot-an-id,Someone\n")
		if !strings.Contains(report, "1 accepted, 0 duplicates, 1 invalid.") || strings.Contains(report, "WP777001") || strings.Contains(report, "Secretname") {
			t.Fatalf("import report:\n%s", report)
		}
		if code, body, _ := staff.post(manage, manage+"/deposit", url.Values{"received": {"2026-11-02"}}); code != 200 || !strings.Contains(body, `id="receipt"`) {
			t.Fatalf("deposit: %d\n%s", code, body)
		}
		staff.post(manage, manage+"/refer-bureau", url.Values{})
		// Reasons are required for an inadmissible decision.
		if code, body, _ := staff.post(manage, manage+"/decide", url.Values{"admissibility": {"inadmissible"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "REASONS_REQUIRED") {
			t.Fatalf("decision without reasons: %d\n%s", code, body)
		}
		reasons := "Le nombre minimal de signatures n'est pas atteint."
		if code, body, _ := staff.post(manage, manage+"/decide", url.Values{"admissibility": {"inadmissible"}, "agent_designated": {"1"}, "within_council_powers": {"1"}, "reasons": {reasons}}); code != 200 {
			t.Fatalf("decision: %d\n%s", code, body)
		}
		public := newWebClient(t, e.base, "fr").page(path)
		if !strings.Contains(public, "Irrecevable") || !strings.Contains(public, html.EscapeString(reasons)) {
			t.Fatalf("the public page does not show the decision:\n%s", public)
		}
		if strings.Contains(public, "Secretname") || strings.Contains(public, "WB123456") {
			t.Fatal("the public page shows a signer's personal data")
		}
	})

	t.Run("AdvisoryBody", func(t *testing.T) {
		staff := newWebClient(t, e.base, "fr")
		staff.post("/signin", "/signin", url.Values{"token": {e.token(access.RoleStaff, "50910113", "web-clerk")}})
		bodies := "/communes/50910113/advisoryBodies"
		code, body, path := staff.post(bodies, bodies, url.Values{"kind": {"BODY_KIND_EQUITY_GENDER"},
			"display_name": {"Instance de l'équité et de l'égalité des chances"}, "decision_date": {"2026-10-01"}, "decision_reference": {"délibération 12/2026"}})
		if code != 200 || !strings.HasPrefix(path, bodies+"/") {
			t.Fatalf("create body: %d %s\n%s", code, path, body)
		}
		secretary := newWebClient(t, e.base, "fr")
		secretary.post("/signin", "/signin", url.Values{"token": {e.token(access.RoleAdvisory, "50910113", "web-secretary")}})
		act := func(w *webClient, name string, form url.Values) string {
			t.Helper()
			code, body, _ := w.post(path, path+"/"+name, form)
			if code != 200 || strings.Contains(body, `id="error"`) {
				t.Fatalf("%s: %d\n%s", name, code, body)
			}
			return body
		}
		act(secretary, "add-member", url.Values{"member_id": {"m1"}, "sex": {"SEX_FEMALE"}, "age_band": {"AGE_BAND_YOUTH"}, "affiliation": {"Association Al Amal"}})
		act(secretary, "add-member", url.Values{"member_id": {"m2"}, "sex": {"SEX_MALE"}, "age_band": {"AGE_BAND_ADULT"}})
		act(secretary, "add-member", url.Values{"member_id": {"m3"}, "sex": {"SEX_FEMALE"}, "age_band": {"AGE_BAND_SENIOR"}, "disability": {"1"}})
		act(secretary, "assign-role", url.Values{"member_id": {"m1"}, "role": {"BUREAU_ROLE_PRESIDENT"}})
		act(secretary, "record-meeting", url.Values{"meeting_id": {"r1"}, "attendees": {"m1", "m2", "m3"}})
		page := act(secretary, "create-opinion", url.Values{"title": {"Avis sur l'éclairage public"}, "text": {"L'instance recommande d'éclairer les rues du quartier."}})
		// The opinion to adopt is chosen, never preselected.
		m := regexp.MustCompile(`id="adopt_opinion" name="opinion" required><option value="" disabled selected>[^<]+</option><option value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no opinion to adopt:\n%s", page)
		}
		act(secretary, "adopt-opinion", url.Values{"opinion": {m[1]}, "meeting_id": {"r1"}, "votes_for": {"3"}, "votes_against": {"0"}, "abstentions": {"0"}})
		act(secretary, "transmit-opinion", url.Values{"opinion": {m[1]}})
		page = act(staff, "respond-opinion", url.Values{"opinion": {m[1]}, "response": {"COUNCIL_RESPONSE_PARTLY"}, "reasons": {"Le budget 2027 couvrira la moitié des rues."}})
		if !strings.Contains(page, "Votes : 3 pour, 0 contre, 0 abstentions") || !strings.Contains(page, "pris en compte en partie") {
			t.Fatalf("the body page lacks the vote or the response:\n%s", page)
		}
		if commune := newWebClient(t, e.base, "en").page("/communes/50910113"); !strings.Contains(commune, "Working advisory body</dt><dd>yes") {
			t.Fatalf("the commune page does not show a working body")
		}
	})

	t.Run("CSRFRefused", func(t *testing.T) {
		w := newWebClient(t, e.base, "en")
		w.page("/signin")
		resp, err := w.c.PostForm(e.base+"/signin", url.Values{"token": {e.token(access.RoleCitizen, "", "x")}, "csrf": {"forged"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("forged CSRF token: %d", resp.StatusCode)
		}
	})

	t.Run("SignInRefusesForgedToken", func(t *testing.T) {
		w := newWebClient(t, e.base, "en")
		tok := e.token(access.RoleCitizen, "", "x")
		forged := tok[:len(tok)-4] + "AAAA"
		if _, body, _ := w.post("/signin", "/signin", url.Values{"token": {forged}}); !strings.Contains(body, "UNAUTHENTICATED") {
			t.Fatalf("forged token accepted:\n%s", body)
		}
	})

	t.Run("OpenData", func(t *testing.T) {
		w := newWebClient(t, e.base, "")
		csv := w.page("/open-data/regions/beni-mellal-khenifra/statuses.csv")
		if n := strings.Count(csv, "\ncommunes/"); n != 135 {
			t.Fatalf("region CSV lists %d communes", n)
		}
		if js := w.page("/open-data/communes/50910113/petitions.json"); !strings.Contains(js, name) {
			t.Fatal("the petitions JSON lacks the petition")
		}
		for _, p := range []string{"/open-data/communes/50910113/status.csv", "/open-data/communes/50910113/status.json",
			"/open-data/communes/50910113/petitions.csv", "/open-data/" + name + "/timeline.csv", "/open-data/" + name + "/timeline.json"} {
			if body := w.page(p); strings.Contains(body, "Secretname") || strings.Contains(body, "WB123456") {
				t.Fatalf("%s shows a signer's personal data", p)
			}
		}
	})

	t.Run("AuditorPages", func(t *testing.T) {
		w := newWebClient(t, e.base, "en")
		if body := w.page("/audit/history?name=" + name); !strings.Contains(body, "AdmissibilityDecided") && !strings.Contains(body, "Admissibility decided") {
			t.Fatalf("case history:\n%s", body)
		}
		if body := w.page("/communes/50910113?as_of=2026-01-01"); !strings.Contains(body, `id="asof-note"`) || !strings.Contains(body, `id="fig-deposited">0<`) {
			t.Fatalf("as-of page:\n%s", body)
		}
		if body := w.page("/audit/checkpoints"); !strings.Contains(body, "tasharuk audit verify") {
			t.Fatal("checkpoint page lacks the verification command")
		}
	})
}
