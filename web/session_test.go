package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
)

// fakeToken builds a token with claims (the pages never check signatures).
func fakeToken(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

func TestReadToken(t *testing.T) {
	u, ok := readToken(fakeToken(map[string]any{"sub": "clerk-zc", "role": "staff", "council": "50910113", "exp": 1900000000}))
	if !ok || u.Subject != "clerk-zc" || !u.IsStaff() || u.Council != "50910113" || !u.Expires.Equal(time.Unix(1900000000, 0)) {
		t.Fatalf("tasharuk token: %+v %v", u, ok)
	}
	if !u.StaffOf("communes/50910113") || u.StaffOf("communes/50910101") || !u.StaffOf("communes/50910113/petitions/x") {
		t.Error("StaffOf")
	}
	u, ok = readToken(fakeToken(map[string]any{"sub": "a", "tasharuk_role": []any{"advisory"}, "tasharuk_council": "50910113"}))
	if !ok || !u.IsAdvisory() || !u.SecretaryOf("communes/50910113") {
		t.Fatalf("OIDC token: %+v %v", u, ok)
	}
	for _, bad := range []string{"", "abc", "a.b.c", "a.!!!.c", fakeToken(map[string]any{"role": "citizen"})} {
		if _, ok := readToken(bad); ok {
			t.Errorf("%q read as a token", bad)
		}
	}
	var nobody *user
	if nobody.IsCitizen() || nobody.StaffOf("communes/1") {
		t.Error("a nil user has a role")
	}
}

func TestUserFromIgnoresExpiredTokens(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	h := &handler{now: func() time.Time { return now }}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: tokenCookie, Value: fakeToken(map[string]any{"sub": "x", "role": "citizen", "exp": now.Add(-time.Second).Unix()})})
	if h.userFrom(r) != nil {
		t.Error("an expired token signs in")
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: tokenCookie, Value: fakeToken(map[string]any{"sub": "x", "role": "citizen", "exp": now.Add(time.Hour).Unix()})})
	if u := h.userFrom(r); u == nil || u.Subject != "x" {
		t.Errorf("a valid token: %+v", u)
	}
}

func TestCSRF(t *testing.T) {
	h := &handler{secret: []byte("0123456789abcdef0123456789abcdef")}
	// A first visit sets the cookie and gives a token.
	w := httptest.NewRecorder()
	tok := h.csrfToken(w, httptest.NewRequest("GET", "/signin", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != csrfCookie || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("CSRF cookie: %+v", cookies)
	}
	post := func(token, origin string, withCookie bool) bool {
		r := httptest.NewRequest("POST", "http://example.ma/signin", strings.NewReader(url.Values{csrfField: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if withCookie {
			r.AddCookie(cookies[0])
		}
		return h.checkCSRF(r)
	}
	if !post(tok, "", true) || !post(tok, "http://example.ma", true) {
		t.Error("a good token is refused")
	}
	if post(tok, "https://evil.example", true) {
		t.Error("another site's Origin is accepted")
	}
	if post("forged", "", true) || post(tok, "", false) || post("", "", true) {
		t.Error("a bad token or a missing cookie is accepted")
	}
	// The same cookie gives the same token; another key does not.
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(cookies[0])
	if h.csrfToken(httptest.NewRecorder(), r) != tok {
		t.Error("the token changed for the same cookie")
	}
	other := &handler{secret: []byte("another secret of thirty-two bytes")}
	if other.csrfToken(httptest.NewRecorder(), r) == tok {
		t.Error("the token does not depend on the secret")
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	r := httptest.NewRequest("GET", "https://example.ma/", nil)
	w := httptest.NewRecorder()
	setCookie(w, r, tokenCookie, "v", 60)
	c := w.Result().Cookies()[0]
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("token cookie over TLS: %+v", c)
	}
}

func TestFollowKeepsValidNamesOnly(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: followCookie, Value: "communes/1/petitions/a~javascript:x~communes/2/petitions/b"})
	got := followed(r)
	if len(got) != 2 || got[0] != "communes/1/petitions/a" || got[1] != "communes/2/petitions/b" {
		t.Fatalf("followed: %v", got)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/desk": "/desk", "//evil": "", "https://evil": "", "/a\\b": "", "": ""} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q", in, got)
		}
	}
}

// The pages reach the API in memory, so they must tell it the reader's
// address (for the per-address limits) as a forwarded hop, after any hop a
// proxy added, and the signed-in user's token.
func TestOutgoingCarriesAddressAndToken(t *testing.T) {
	r := httptest.NewRequest("POST", "http://example.ma/communes/50910113/petitions", nil)
	r.RemoteAddr = "203.0.113.5:41000"
	ctx := outgoing(r, nil)
	md, _ := metadata.FromOutgoingContext(ctx)
	if got := md.Get("x-forwarded-for"); len(got) != 1 || got[0] != "203.0.113.5" {
		t.Fatalf("x-forwarded-for = %q", got)
	}
	if got := md.Get("authorization"); len(got) != 0 {
		t.Fatalf("an anonymous reader sent authorization %q", got)
	}

	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	md, _ = metadata.FromOutgoingContext(outgoing(r, &user{token: "tok"}))
	if got := md.Get("x-forwarded-for"); len(got) != 1 || got[0] != "198.51.100.7, 203.0.113.5" {
		t.Fatalf("behind a proxy x-forwarded-for = %q", got)
	}
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer tok" {
		t.Fatalf("authorization = %q", got)
	}
}
