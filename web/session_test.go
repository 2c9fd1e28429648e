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

	"github.com/tasharuk/tasharuk/internal/session"
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

// TestUserFromSessions: the user is the server-side session the cookie
// names, only while it is in force: not once deleted, not past a pasted
// token's expiry, and not from a cookie whose value names no session.
func TestUserFromSessions(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	h := &handler{now: clock, sessions: session.New(session.Options{Now: clock})}
	get := func(id string) *user {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: sessionName, Value: id})
		return h.userFrom(r)
	}
	s := h.sessions.Create(session.Session{Subject: "x", Role: "citizen", Token: "tok"})
	if u := get(s.ID); u == nil || u.Subject != "x" || u.token != "tok" || u.sid != s.ID {
		t.Fatalf("a session in force: %+v", u)
	}
	if get("forged-"+s.ID) != nil || get("") != nil {
		t.Fatal("a cookie naming no session signs in")
	}
	h.sessions.Delete(s.ID)
	if get(s.ID) != nil {
		t.Fatal("a deleted session signs in")
	}
	s = h.sessions.Create(session.Session{Subject: "y", Role: "citizen", NotAfter: now.Add(-time.Second)})
	if get(s.ID) != nil {
		t.Fatal("a session past its token's expiry signs in")
	}
	// Over TLS only the __Host- cookie counts.
	s = h.sessions.Create(session.Session{Subject: "z", Role: "citizen"})
	r := httptest.NewRequest("GET", "https://example.ma/", nil)
	r.AddCookie(&http.Cookie{Name: sessionName, Value: s.ID})
	if h.userFrom(r) != nil {
		t.Fatal("over TLS, a cookie without the __Host- prefix signs in")
	}
}

func TestCSRF(t *testing.T) {
	h := &handler{secret: []byte("0123456789abcdef0123456789abcdef"), sessions: session.New(session.Options{})}
	// A first visit sets the cookie and gives a token.
	w := httptest.NewRecorder()
	tok := h.csrfToken(w, httptest.NewRequest("GET", "/signin", nil), nil)
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
	if h.csrfToken(httptest.NewRecorder(), r, nil) != tok {
		t.Error("the token changed for the same cookie")
	}
	other := &handler{secret: []byte("another secret of thirty-two bytes"), sessions: h.sessions}
	if other.csrfToken(httptest.NewRecorder(), r, nil) == tok {
		t.Error("the token does not depend on the secret")
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	r := httptest.NewRequest("GET", "https://example.ma/", nil)
	w := httptest.NewRecorder()
	setCookie(w, r, csrfCookie, "v", 60)
	c := w.Result().Cookies()[0]
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("CSRF cookie over TLS: %+v", c)
	}
	w = httptest.NewRecorder()
	setSessionCookie(w, r, sessionName, "id", 0)
	c = w.Result().Cookies()[0]
	if c.Name != "__Host-tasharuk_session" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("session cookie over TLS: %+v", c)
	}
	w = httptest.NewRecorder()
	setSessionCookie(w, httptest.NewRequest("GET", "http://127.0.0.1/", nil), sessionName, "id", 0)
	c = w.Result().Cookies()[0]
	if c.Name != "tasharuk_session" || c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie over plain HTTP: %+v", c)
	}
}

// TestCSRFBoundToSession: a signed-in user's form token comes from their
// session; a visitor's token (cookie-bound) does not pass for them, and
// another session's does not either.
func TestCSRFBoundToSession(t *testing.T) {
	h := &handler{secret: []byte("0123456789abcdef0123456789abcdef"), now: time.Now, sessions: session.New(session.Options{})}
	a := h.sessions.Create(session.Session{Subject: "a", Role: "citizen"})
	b := h.sessions.Create(session.Session{Subject: "b", Role: "citizen"})
	tokA := h.csrfToken(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), &user{csrfSeed: a.CSRF})
	tokB := h.csrfToken(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), &user{csrfSeed: b.CSRF})
	w := httptest.NewRecorder()
	visitor := h.csrfToken(w, httptest.NewRequest("GET", "/", nil), nil)
	post := func(sid, token string) bool {
		r := httptest.NewRequest("POST", "http://example.ma/signout", strings.NewReader(url.Values{csrfField: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: sessionName, Value: sid})
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		return h.checkCSRF(r)
	}
	if !post(a.ID, tokA) {
		t.Fatal("the session's own token is refused")
	}
	if post(a.ID, tokB) || post(a.ID, visitor) || post(a.ID, "") {
		t.Fatal("another session's, a visitor's or no token passes for a session")
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

// The code limits count per browser address: a proxy on this host is
// looked through, a hop the browser forges further left is not believed.
func TestClientIP(t *testing.T) {
	for _, c := range []struct{ remote, xff, want string }{
		{"203.0.113.5:4000", "198.51.100.1", "203.0.113.5"},
		{"127.0.0.1:4000", "", "127.0.0.1"},
		{"127.0.0.1:4000", "198.51.100.1", "198.51.100.1"},
		{"127.0.0.1:4000", "192.0.2.66, 198.51.100.1", "198.51.100.1"},
		{"[::1]:4000", "198.51.100.1, 127.0.0.1", "198.51.100.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientIP(r); got != c.want {
			t.Errorf("clientIP(%s, XFF %q) = %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}
