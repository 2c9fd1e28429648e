// Package signin establishes who a person signing in to the web pages is:
// through the council's OpenID Connect provider (authorization code flow
// with PKCE, state and nonce checked), or — the embedded default — with a
// one-time code sent to a verified email address or phone number (see
// Codes). What it yields is an Identity: the account's subject, how it was
// established, and the role and council it acts as.
package signin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/access/oidc"
	"github.com/tasharuk/tasharuk/internal/session"
)

// Identity is a signed-in account.
type Identity struct {
	// Subject is the account (recorded on the events it causes).
	Subject string
	Method  session.Method
	Role    access.Role
	Council string
	// NationalID is the national ID number the provider asserts in the
	// configured claim (OIDCConfig.NationalIDClaim), "" if none. Personal
	// data: held only in memory and in the session's API token, sealed
	// there (access.Issuer), so a signature made from the session is
	// PROVIDER_VERIFIED_ID when its typed number is this one.
	NationalID string
}

// Principal is the identity as the API's access rules see it.
func (id Identity) Principal() access.Principal {
	return access.Principal{Subject: id.Subject, Role: id.Role, Council: id.Council, Via: string(id.Method), NationalID: id.NationalID}
}

// Grants looks up the roles granted to a subject by the installation (an
// admin's `users add` grant), beside what a provider asserts. Granted
// returns ok false when subject was granted nothing: it is then a citizen
// account. (Implemented later from grant events in the log; until then
// roles come from the provider's claims only.)
type Grants interface {
	Granted(ctx context.Context, subject string) (p access.Principal, ok bool, err error)
}

// resolve gives an identity its role: the provider's claim first, then an
// installation grant, else citizen (any account may sign petitions).
func resolve(ctx context.Context, g Grants, id Identity) (Identity, error) {
	if id.Role != "" || g == nil {
		if id.Role == "" {
			id.Role = access.RoleCitizen
		}
		return id, nil
	}
	p, ok, err := g.Granted(ctx, id.Subject)
	if err != nil {
		return Identity{}, fmt.Errorf("signin: grants of the account: %w", err)
	}
	if !ok {
		id.Role = access.RoleCitizen
		return id, nil
	}
	id.Role, id.Council = p.Role, p.Council
	return id, nil
}

// OIDCConfig is the council's provider and tasharuk's registration there.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document is read
	// from Issuer + "/.well-known/openid-configuration").
	Issuer string
	// ClientID and ClientSecret are tasharuk's client at the provider
	// (confidential client, client_secret_basic or _post as discovered).
	ClientID, ClientSecret string
	// RedirectURL is this site's callback, as registered at the provider
	// (https://…/signin/oidc/callback).
	RedirectURL string
	// Claims reads role and council from the ID token, as the bearer
	// tokens' verifier does.
	Claims oidc.ClaimMap
	// NationalIDClaim, when set, names the ID token's claim in which the
	// provider asserts the person's national ID number (the bearer
	// tokens' --oidc-national-id-claim); empty: none.
	NationalIDClaim string
	// Grants, if set, gives roles to accounts the provider asserts none
	// for.
	Grants Grants
	// HTTPClient talks to the provider (default: 10 s timeout).
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked at (default time.Now).
	Now func() time.Time
}

// OIDC is a relying party of one provider.
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

// NewOIDC reads the provider's discovery document (so a misconfigured or
// unreachable provider is reported at start).
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("signin: the OpenID provider needs an issuer, a client id and a redirect URL")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("signin: no client secret for the OpenID provider (--oidc-client-secret or --oidc-client-secret-file)")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	provider, err := gooidc.NewProvider(gooidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("signin: OpenID provider %s: %w", cfg.Issuer, err)
	}
	o := &OIDC{cfg: cfg}
	o.oauth = oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Endpoint: provider.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "profile"},
	}
	o.verifier = provider.Verifier(&gooidc.Config{ClientID: cfg.ClientID, Now: cfg.Now})
	return o, nil
}

// Authorization is one sign-in under way: what the callback must find
// again. It is kept on the server, keyed by State, and never shown.
type Authorization struct {
	State, Nonce, Verifier string
	// Next is where to go after signing in (a path of this site).
	Next    string
	Created time.Time
}

// Start begins a sign-in: fresh state, nonce and PKCE verifier (each 256
// random bits), and the provider's URL to send the browser to.
func (o *OIDC) Start(next string, now time.Time) (Authorization, string) {
	a := Authorization{State: session.NewID(), Nonce: session.NewID(), Verifier: oauth2.GenerateVerifier(), Next: next, Created: now}
	u := o.oauth.AuthCodeURL(a.State, gooidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier))
	return a, u
}

// Refusals of Finish.
var (
	ErrExchange = errors.New("signin: the provider refused the authorization code")
	ErrIDToken  = errors.New("signin: the provider's ID token is not valid")
	ErrNonce    = errors.New("signin: the ID token answers another sign-in (nonce mismatch)")
	ErrClaims   = errors.New("signin: the provider's claims name no usable role")
)

// Finish redeems the authorization code of a, sending its PKCE verifier,
// verifies the ID token (signature from the provider's keys, issuer,
// audience = our client id, expiry) and its nonce, and returns the account.
func (o *OIDC) Finish(ctx context.Context, a Authorization, code string) (Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTPClient)
	opts := []oauth2.AuthCodeOption{}
	if a.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(a.Verifier))
	}
	tok, err := o.oauth.Exchange(ctx, code, opts...)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrExchange, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token response", ErrIDToken)
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if a.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(a.Nonce)) != 1 {
		return Identity{}, ErrNonce
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	id := Identity{Subject: idt.Subject, Method: session.MethodOIDC}
	if o.cfg.Claims.HasRole(claims) {
		p, err := o.cfg.Claims.Principal(claims)
		if err != nil {
			return Identity{}, fmt.Errorf("%w: %w", ErrClaims, err)
		}
		id.Subject, id.Role, id.Council = p.Subject, p.Role, p.Council
	}
	if id.Subject == "" {
		return Identity{}, fmt.Errorf("%w: no subject", ErrIDToken)
	}
	if id, err = resolve(ctx, o.cfg.Grants, id); err != nil {
		return Identity{}, err
	}
	if o.cfg.NationalIDClaim != "" {
		// Compared with the number a signer types; never recorded.
		id.NationalID, _ = claims[o.cfg.NationalIDClaim].(string)
	}
	return id, nil
}
