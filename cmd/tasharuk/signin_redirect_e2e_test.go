package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
)

// TestSignInRedirectStaysOnSite (issue 13, 6): after signing in, a next=
// crafted to leave the site sends the reader to their home page; a path of
// the site is kept.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, "")
	tok := e.token(access.RoleCitizen, "", "web-redirect")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	signIn := func(next string) string {
		t.Helper()
		// The sign-in page as the link would open it (the query is decoded
		// once, as a browser's request is).
		resp, err := c.Get(e.base + "/signin?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfInput.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("no CSRF token on /signin")
		}
		// Sent by hand, so that the Location header is read as sent (Go's
		// client refuses to follow one with a tab; a browser drops the tab
		// and follows it).
		form := url.Values{"csrf": {m[1]}, "token": {tok}, "next": {next}}
		req, _ := http.NewRequest(http.MethodPost, e.base+"/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
		resp, err = http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in with next=%q: %d, want 303", next, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	for _, next := range []string{
		"/\t/evil.example/phish", // what next=/%09/evil.example/phish arrives as
		"/%09/evil.example/phish",
		"/\\evil.example",
		"//evil.example",
		"/%2F/evil.example",
		"\t//evil.example",
		"https://evil.example/",
		"javascript:alert(1)",
	} {
		if loc := signIn(next); loc != "/my?ok=signed_in" {
			t.Errorf("next=%q redirected to %q, want the home page /my?ok=signed_in", next, loc)
		}
	}
	if loc := signIn("/communes/50910113/petitions?state=open"); loc != "/communes/50910113/petitions?state=open&ok=signed_in" {
		t.Errorf("a path of the site: redirected to %q", loc)
	}
}
