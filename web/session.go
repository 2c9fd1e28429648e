package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"
)

// Cookie names. The session cookie is "__Host-tasharuk_session" over TLS
// (see sessionCookie).
const (
	sessionName    = "tasharuk_session"
	oidcName       = "tasharuk_oidc"
	codeTicketName = "tasharuk_code"
	csrfCookie     = "tasharuk_csrf"
	langCookie     = "tasharuk_lang"
	followCookie   = "tasharuk_follow"
	csrfField      = "csrf"
)

// user is the signed-in caller as the session says. The pages read its role
// only to choose what to show; the API verifies the session's token on
// every call and decides what the caller may do.
type user struct {
	Subject string
	Role    string
	Council string
	// Method is how the session was established (oidc, email_code…).
	Method  string
	Expires time.Time
	token   string
	// sid and csrfSeed are the session's id and form-token seed.
	sid, csrfSeed string
}

// readToken decodes a token's claims without verifying its signature
// (the pages hold no key; the API checks it). Tokens of tasharuk's issuer
// carry "role" and "council"; an OIDC provider's carry them in
// "tasharuk_role" and "tasharuk_council" (the API's default claim names).
func readToken(tok string) (*user, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, false
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			switch v := c[k].(type) {
			case string:
				return v
			case []any:
				if len(v) > 0 {
					if s, ok := v[0].(string); ok {
						return s
					}
				}
			}
		}
		return ""
	}
	u := &user{Subject: str("sub"), Role: str("role", "tasharuk_role"), Council: str("council", "tasharuk_council"), token: tok}
	if u.Subject == "" {
		return nil, false
	}
	if exp, ok := c["exp"].(float64); ok {
		u.Expires = time.Unix(int64(exp), 0)
	}
	return u, true
}

// sessionCookie names the session cookie: with the __Host- prefix over
// TLS, so that no other host (a sibling subdomain) can set or shadow it.
func sessionCookie(r *http.Request, base string) string {
	if r.TLS != nil {
		return "__Host-" + base
	}
	return base
}

// userFrom returns the request's signed-in user (its session, kept on the
// server), or nil.
func (h *handler) userFrom(r *http.Request) *user {
	c, err := r.Cookie(sessionCookie(r, sessionName))
	if err != nil || c.Value == "" {
		return nil
	}
	s, err := h.sessions.Get(c.Value)
	if err != nil {
		return nil
	}
	return &user{Subject: s.Subject, Role: s.Role, Council: s.Council, Method: string(s.Method),
		Expires: s.NotAfter, token: s.Token, sid: s.ID, csrfSeed: s.CSRF}
}

// setSessionCookie sets (or, with an empty id, clears) the session
// cookie: HttpOnly, SameSite=Lax (the provider's redirect back is a
// cross-site navigation), Secure and __Host- over TLS, ending with the
// browser unless cleared.
func setSessionCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie(r, name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

// IsCitizen and the like let templates choose what to offer.
func (u *user) IsCitizen() bool  { return u != nil && u.Role == "citizen" }
func (u *user) IsStaff() bool    { return u != nil && u.Role == "staff" }
func (u *user) IsAdvisory() bool { return u != nil && u.Role == "advisory" }
func (u *user) IsAuditor() bool  { return u != nil && u.Role == "auditor" }

// StaffOf reports whether the user is staff of the council resource name.
func (u *user) StaffOf(council string) bool {
	return u.IsStaff() && councilCode(council) == u.Council
}

// SecretaryOf reports whether the user is an advisory-body secretary of
// the council resource name.
func (u *user) SecretaryOf(council string) bool {
	return u.IsAdvisory() && councilCode(council) == u.Council
}

// outgoing returns the request's context carrying, for the API, the
// user's token and the reader's address: the API limits signing and filing
// per address, and reads it, as for the REST gateway, from the
// X-Forwarded-For hop added here (the pages reach the API in memory).
func outgoing(r *http.Request, u *user) context.Context {
	ctx := r.Context()
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		xff := host
		if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
			xff = prior + ", " + host
		}
		ctx = metadata.AppendToOutgoingContext(ctx, "x-forwarded-for", xff)
	}
	if u == nil {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+u.token)
}

// setCookie sets a cookie with the pages' defaults: path /, HttpOnly,
// SameSite=Strict, Secure when the request came over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// csrfToken returns the form token of the request: for a signed-in user,
// an HMAC of their session's seed (so it dies with the session); for a
// visitor, of the request's CSRF cookie, set first when there is none (a
// signed double-submit cookie). A page from another site can neither read
// the cookie nor forge the token.
func (h *handler) csrfToken(w http.ResponseWriter, r *http.Request, u *user) string {
	if u != nil {
		return h.sign("session|" + u.csrfSeed)
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
		return h.sign(c.Value)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	v := hex.EncodeToString(b)
	setCookie(w, r, csrfCookie, v, 0)
	return h.sign(v)
}

func (h *handler) sign(v string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("csrf|" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF verifies a POST: the form's token must match the session (or,
// for a visitor, the cookie), and a browser-sent Origin must be this site.
func (h *handler) checkCSRF(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	if u := h.userFrom(r); u != nil {
		return hmac.Equal([]byte(r.FormValue(csrfField)), []byte(h.sign("session|"+u.csrfSeed)))
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 32 {
		return false
	}
	got := r.FormValue(csrfField)
	return hmac.Equal([]byte(got), []byte(h.sign(c.Value)))
}

// followed returns the petitions the browser follows (a cookie of names).
func followed(r *http.Request) []string {
	c, err := r.Cookie(followCookie)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range strings.Split(c.Value, "~") {
		if petitionName.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

// follow adds a petition to the followed list (the newest 20 are kept).
func follow(w http.ResponseWriter, r *http.Request, name string) {
	list := []string{name}
	for _, n := range followed(r) {
		if n != name && len(list) < 20 {
			list = append(list, n)
		}
	}
	setCookie(w, r, followCookie, strings.Join(list, "~"), 365*24*3600)
}
