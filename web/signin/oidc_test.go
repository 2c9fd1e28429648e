package signin_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/internal/session"
	"github.com/tasharuk/tasharuk/web/signin"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

const (
	redirect      = "http://127.0.0.1:1/signin/oidc/callback"
	otherRedirect = "http://127.0.0.1:2/callback"
)

// startOP starts the real OpenID provider with tasharuk's client, another
// client, a clerk of Zaouiat Cheikh and a plain account.
func startOP(t *testing.T) (*signintest.Provider, *signin.OIDC) {
	t.Helper()
	op := signintest.StartProvider(t,
		[]signintest.Client{
			{ID: "tasharuk-web", Secret: "web-secret", RedirectURIs: []string{redirect}},
			{ID: "other-app", Secret: "other-secret", RedirectURIs: []string{otherRedirect}},
		},
		[]signintest.User{
			{ID: "u-clerk", Username: "clerk", Password: "clerk-pass", Role: "staff", Council: "50910113"},
			{ID: "u-resident", Username: "resident", Password: "resident-pass"},
			{ID: "u-broken", Username: "broken", Password: "broken-pass", Role: "staff"},
		})
	rp, err := signin.NewOIDC(context.Background(), signin.OIDCConfig{
		Issuer: op.Issuer, ClientID: "tasharuk-web", ClientSecret: "web-secret", RedirectURL: redirect,
	})
	if err != nil {
		t.Fatal(err)
	}
	return op, rp
}

// code returns the authorization code the provider sends back for authURL
// after signing in as user, checking the state it echoes.
func code(t *testing.T, op *signintest.Provider, authURL, user, pass, state string) string {
	t.Helper()
	back := op.Authorize(t, authURL, user, pass)
	if e := back.Query().Get("error"); e != "" {
		t.Fatalf("the provider refused: %s %s", e, back.Query().Get("error_description"))
	}
	if got := back.Query().Get("state"); got != state {
		t.Fatalf("state echoed %q, want %q", got, state)
	}
	return back.Query().Get("code")
}

func TestOIDCSignsInWithRoleFromClaims(t *testing.T) {
	op, rp := startOP(t)
	a, u := rp.Start("/desk", time.Now())
	q := mustQuery(t, u)
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != a.Nonce || q.Get("state") != a.State {
		t.Fatalf("authorization URL %s: want S256 PKCE, our nonce and state", u)
	}
	id, err := rp.Finish(context.Background(), a, code(t, op, u, "clerk", "clerk-pass", a.State))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "u-clerk" || id.Role != access.RoleStaff || id.Council != "50910113" || id.Method != session.MethodOIDC {
		t.Fatalf("clerk: %+v", id)
	}
	// An account the provider gives no role is a citizen account.
	a, u = rp.Start("", time.Now())
	id, err = rp.Finish(context.Background(), a, code(t, op, u, "resident", "resident-pass", a.State))
	if err != nil || id.Subject != "u-resident" || id.Role != access.RoleCitizen || id.Council != "" {
		t.Fatalf("resident: %+v %v", id, err)
	}
	// A role the claim mapping refuses (staff without a council) is not
	// turned into something else: the sign-in fails.
	a, u = rp.Start("", time.Now())
	if _, err := rp.Finish(context.Background(), a, code(t, op, u, "broken", "broken-pass", a.State)); !errors.Is(err, signin.ErrClaims) {
		t.Fatalf("staff without council: %v, want ErrClaims", err)
	}
}

// TestOIDCAttacks: a code redeemed twice, without or with another PKCE
// verifier, answering another sign-in's nonce, or issued to another
// client, never signs anyone in.
func TestOIDCAttacks(t *testing.T) {
	op, rp := startOP(t)
	ctx := context.Background()

	t.Run("replayed code", func(t *testing.T) {
		a, u := rp.Start("", time.Now())
		c := code(t, op, u, "clerk", "clerk-pass", a.State)
		if _, err := rp.Finish(ctx, a, c); err != nil {
			t.Fatal(err)
		}
		_, err := rp.Finish(ctx, a, c)
		if !errors.Is(err, signin.ErrExchange) {
			t.Fatalf("second redemption: %v, want ErrExchange", err)
		}
	})
	t.Run("missing PKCE verifier", func(t *testing.T) {
		a, u := rp.Start("", time.Now())
		c := code(t, op, u, "clerk", "clerk-pass", a.State)
		stolen := a
		stolen.Verifier = ""
		// Refused by the provider for the verifier, not anything else.
		_, err := rp.Finish(ctx, stolen, c)
		if !errors.Is(err, signin.ErrExchange) || !strings.Contains(err.Error(), "code_verifier") {
			t.Fatalf("no verifier: %v, want ErrExchange", err)
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		a, u := rp.Start("", time.Now())
		other, _ := rp.Start("", time.Now())
		c := code(t, op, u, "clerk", "clerk-pass", a.State)
		stolen := a
		stolen.Verifier = other.Verifier
		// Refused by the provider for the verifier, not anything else.
		_, err := rp.Finish(ctx, stolen, c)
		if !errors.Is(err, signin.ErrExchange) || !strings.Contains(err.Error(), "code_verifier") {
			t.Fatalf("another verifier: %v, want ErrExchange", err)
		}
	})
	t.Run("nonce mismatch", func(t *testing.T) {
		// The attacker's own sign-in gives a code whose ID token carries
		// the attacker's nonce; pushed into the victim's sign-in (same
		// verifier, so the exchange itself succeeds), the nonce gives it
		// away.
		victim, _ := rp.Start("", time.Now())
		attacker, u := rp.Start("", time.Now())
		c := code(t, op, u, "clerk", "clerk-pass", attacker.State)
		mixed := attacker
		mixed.Nonce = victim.Nonce
		if _, err := rp.Finish(ctx, mixed, c); !errors.Is(err, signin.ErrNonce) {
			t.Fatalf("nonce of another sign-in: %v, want ErrNonce", err)
		}
	})
	t.Run("code for another client", func(t *testing.T) {
		other, err := signin.NewOIDC(ctx, signin.OIDCConfig{Issuer: op.Issuer, ClientID: "other-app", ClientSecret: "other-secret", RedirectURL: otherRedirect})
		if err != nil {
			t.Fatal(err)
		}
		a, u := other.Start("", time.Now())
		c := code(t, op, u, "clerk", "clerk-pass", a.State)
		// tasharuk redeems it with its own credentials: refused.
		_, err = rp.Finish(ctx, a, c)
		if !errors.Is(err, signin.ErrExchange) {
			t.Fatalf("another client's code: %v, want ErrExchange", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		bad, err := signin.NewOIDC(ctx, signin.OIDCConfig{Issuer: op.Issuer, ClientID: "tasharuk-web", ClientSecret: "guessed", RedirectURL: redirect})
		if err != nil {
			t.Fatal(err)
		}
		a, u := bad.Start("", time.Now())
		if _, err := bad.Finish(ctx, a, code(t, op, u, "clerk", "clerk-pass", a.State)); !errors.Is(err, signin.ErrExchange) {
			t.Fatalf("wrong secret: %v, want ErrExchange", err)
		}
	})
}

func TestPendingTakesOnceAndExpires(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	p := &signin.Pending{TTL: 10 * time.Minute, Max: 2}
	a := signin.Authorization{State: "s1", Created: t0}
	if !p.Put(a, t0) || !p.Put(signin.Authorization{State: "s2", Created: t0}, t0) {
		t.Fatal("put")
	}
	if p.Put(signin.Authorization{State: "s3", Created: t0}, t0) {
		t.Fatal("a third sign-in under way pushed out one in time (cap 2)")
	}
	if _, ok := p.Take("s1", t0.Add(time.Minute)); !ok {
		t.Fatal("take")
	}
	if _, ok := p.Take("s1", t0.Add(time.Minute)); ok {
		t.Fatal("a state was taken twice")
	}
	if _, ok := p.Take("s2", t0.Add(10*time.Minute)); ok {
		t.Fatal("a sign-in was finished after 10 minutes")
	}
}

func mustQuery(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || !strings.Contains(u, "/auth") {
		t.Fatalf("authorization URL %q: %v", u, err)
	}
	return p.Query()
}

// TestOIDCNationalIDClaim: with a national-ID claim configured, the
// identity carries the number the provider asserts there, and its
// principal (what the session's API token stands for) too; an account the
// provider asserts none for carries none, and without the configuration
// the claim is not read at all.
func TestOIDCNationalIDClaim(t *testing.T) {
	op := signintest.StartProvider(t,
		[]signintest.Client{{ID: "tasharuk-web", Secret: "web-secret", RedirectURIs: []string{redirect}}},
		[]signintest.User{
			{ID: "u-fatima", Username: "fatima", Password: "fatima-pass", NationalID: "AB123456"},
			{ID: "u-resident", Username: "resident", Password: "resident-pass"},
		})
	rp := func(claim string) *signin.OIDC {
		t.Helper()
		o, err := signin.NewOIDC(context.Background(), signin.OIDCConfig{
			Issuer: op.Issuer, ClientID: "tasharuk-web", ClientSecret: "web-secret", RedirectURL: redirect, NationalIDClaim: claim,
		})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	finish := func(o *signin.OIDC, user, pass string) signin.Identity {
		t.Helper()
		a, u := o.Start("", time.Now())
		id, err := o.Finish(context.Background(), a, code(t, op, u, user, pass, a.State))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	with := rp(signintest.NationalIDClaim)
	if id := finish(with, "fatima", "fatima-pass"); id.NationalID != "AB123456" || id.Principal().NationalID != "AB123456" || id.Role != access.RoleCitizen {
		t.Fatalf("asserted number: %+v", id)
	}
	if id := finish(with, "resident", "resident-pass"); id.NationalID != "" {
		t.Fatalf("no number asserted, yet %q", id.NationalID)
	}
	if id := finish(rp(""), "fatima", "fatima-pass"); id.NationalID != "" {
		t.Fatalf("no claim configured, yet %q", id.NationalID)
	}
}
