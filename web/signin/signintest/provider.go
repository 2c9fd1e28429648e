// Package signintest starts real services the sign-in tests need: an
// OpenID provider (zitadel/oidc v3's example OP, with its discovery, JWKS,
// authorization, login and token endpoints), a Mailpit SMTP server whose
// HTTP API gives back the mail sent, and a loopback SMS gateway that
// records the messages posted to it. Tests only: nothing here is wired into
// the binary.
package signintest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the provider. Role and Council, when set, are
// asserted in the ID token's "tasharuk_role" and "tasharuk_council" claims;
// NationalID in its NationalIDClaim claim.
type User struct {
	ID, Username, Password string
	Role, Council          string
	NationalID             string
}

// NationalIDClaim is the claim the provider asserts a user's national ID
// number in (the installation's --oidc-national-id-claim).
const NationalIDClaim = "ma_cnie"

// Client is a relying party registered at the provider (a confidential
// web client: client_secret_basic, code flow).
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is its issuer URL (http://127.0.0.1:port, no trailing slash).
	Issuer string
	users  map[string]*storage.User
	extra  map[string]User
}

// StartProvider starts an OpenID provider on a loopback port, stopped when
// the test ends.
func StartProvider(t testing.TB, clients []Client, users []User) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), users: map[string]*storage.User{}, extra: map[string]User{}}
	for _, u := range users {
		p.users[u.ID] = &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.Username,
			LastName: "Test", Email: u.Username + "@idp.example", EmailVerified: true, PreferredLanguage: language.French}
		p.extra[u.ID] = u
	}
	cs := map[string]*storage.Client{}
	for _, c := range clients {
		cs[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
	}
	st := &claimStorage{Storage: storage.NewStorageWithClients(userStore{p}, cs), p: p}
	router := exampleop.SetupServer(p.Issuer, st, nil, false)
	srv := httptest.NewUnstartedServer(router)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// userStore gives the example storage the test's users.
type userStore struct{ p *Provider }

func (u userStore) ExampleClientID() string { return "service" }
func (u userStore) GetUserByID(id string) *storage.User {
	return u.p.users[id]
}
func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, x := range u.p.users {
		if x.Username == name {
			return x
		}
	}
	return nil
}

// claimStorage adds the tasharuk claims to the ID tokens.
type claimStorage struct {
	*storage.Storage
	p *Provider
}

// SetUserinfoFromRequest is called for every ID token.
func (s *claimStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	u := s.p.extra[req.GetSubject()]
	if u.Role != "" {
		info.AppendClaims("tasharuk_role", u.Role)
	}
	if u.Council != "" {
		info.AppendClaims("tasharuk_council", u.Council)
	}
	if u.NationalID != "" {
		info.AppendClaims(NationalIDClaim, u.NationalID)
	}
	return nil
}

// Authorize follows an authorization URL through the provider's login page
// as a browser would, signing in as username, and returns the redirect the
// provider sends back to the client (its redirect URI with code and state,
// or an error). The client's own site is never called.
func (p *Provider) Authorize(t testing.TB, authURL, username, password string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), p.Issuer) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" {
		// Refused before the login page (e.g. a bad redirect URI).
		u, _ := url.Parse(loc)
		return u
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("the provider showed no login page for %s: %d %s", authURL, resp.StatusCode, body)
	}
	resp, err = c.PostForm(p.Issuer+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		t.Fatalf("login as %s: %d, no redirect to the client: %s", username, resp.StatusCode, body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// String describes the provider.
func (p *Provider) String() string { return fmt.Sprintf("OpenID provider %s", p.Issuer) }
