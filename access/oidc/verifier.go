// Package oidc verifies bearer tokens issued by an OpenID Connect provider
// (Keycloak, Microsoft Entra ID, Auth0...), so that staff can sign in with
// the identity provider their council already runs, beside the tokens
// tasharuk issues itself (see access.Issuer, and Chain for both at once).
//
// A token is accepted only when it is a JWT signed with RS256, RS384,
// RS512, ES256 or ES384 by a key of the provider's published key set
// (JWKS), from the configured issuer, for the configured audience, in force
// (exp required; nbf and iat honoured; one minute of clock skew allowed),
// with a subject and a role claim naming a tasharuk role. Keys are cached
// and fetched again when the cache expires or when a token names a key the
// cache does not hold, which follows key rotation at the provider.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/eventstore"
)

// Defaults of Config.
const (
	DefaultRoleClaim    = "tasharuk_role"
	DefaultCouncilClaim = "tasharuk_council"
	DefaultCacheTTL     = 10 * time.Minute
)

const (
	// leeway is the clock skew allowed between the provider and us on
	// exp, nbf and iat.
	leeway = time.Minute
	// maxTokenLen bounds the tokens parsed at all; provider tokens are a
	// few kilobytes.
	maxTokenLen = 16 << 10
	// httpTimeout bounds a discovery or key set request when Config gives
	// no client.
	httpTimeout = 10 * time.Second
)

// algorithms are the accepted signature algorithms: asymmetric only, so a
// provider's public key can never serve as an HMAC secret, and never "none".
var algorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384"}

// councilPattern is a council code as the resource names spell it
// ("50910101").
var councilPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ErrUnavailable is wrapped, beside access.ErrInvalidToken, when a token
// could not be checked because the provider's key set could not be fetched:
// the caller may retry later rather than sign in again.
var ErrUnavailable = errors.New("oidc: identity provider unavailable")

// Config says which provider to trust and how to read its tokens.
type Config struct {
	// Issuer is the provider's issuer URL, exactly as in its tokens' "iss"
	// claim (https, or http on a loopback address only).
	Issuer string
	// Audience must be one of a token's "aud" values: the client id the
	// provider issues tasharuk's tokens for.
	Audience string
	// JWKSURL is the provider's key set. If empty it is discovered from
	// Issuer + "/.well-known/openid-configuration".
	JWKSURL string
	// RoleClaim names the claim holding the caller's role: a string, or an
	// array of strings of which exactly one must map to a role.
	// Default "tasharuk_role".
	RoleClaim string
	// CouncilClaim names the claim holding the council code of a staff or
	// advisory member (required for them, ignored for other roles).
	// Default "tasharuk_council".
	CouncilClaim string
	// NationalIDClaim, when set, names the claim in which the provider
	// asserts the caller's national ID number (a string); a signature
	// whose typed number matches it is PROVIDER_VERIFIED_ID. Empty: the
	// provider asserts none and online signatures are CODE_VERIFIED.
	NationalIDClaim string
	// RoleMap maps the provider's role names to tasharuk roles. If nil, the
	// role claim must hold tasharuk role names ("staff", "citizen"...); if
	// set, only the names it lists are recognised.
	RoleMap map[string]access.Role
	// CacheTTL is how long a fetched key set is trusted. Default 10 minutes.
	CacheTTL time.Duration
	// HTTPClient fetches discovery and the key set; if nil, a client with
	// a 10 s timeout that follows redirects to https URLs only.
	HTTPClient *http.Client
	// Now gives the time tokens are checked at; time.Now if nil.
	Now func() time.Time
}

// Verifier checks tokens of one OIDC provider. It is safe for concurrent
// use.
type Verifier struct {
	issuer       string
	audience     string
	roleClaim    string
	councilClaim string
	idClaim      string
	roleMap      map[string]access.Role
	now          func() time.Time
	keys         *keyCache
}

// New returns a Verifier for cfg. It discovers the key set's URL when
// cfg.JWKSURL is empty and fetches the key set once, so a misconfigured or
// unreachable provider is reported at start.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidc: no issuer")
	}
	if err := checkURL(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("oidc: issuer: %w", err)
	}
	if cfg.Audience == "" {
		return nil, errors.New("oidc: no audience: without one, tokens the provider issues to any other client would be accepted")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	if cfg.CouncilClaim == "" {
		cfg.CouncilClaim = DefaultCouncilClaim
	}
	for name, role := range cfg.RoleMap {
		if _, err := access.ParseRole(string(role)); err != nil {
			return nil, fmt.Errorf("oidc: role map entry %q: %w", name, err)
		}
	}
	if cfg.CacheTTL < 0 {
		return nil, fmt.Errorf("oidc: cache TTL %v: want a positive duration", cfg.CacheTTL)
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: httpTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			// A redirect must not downgrade to plain http.
			return checkURL(req.URL.String())
		}}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.JWKSURL == "" {
		u, err := discover(ctx, cfg.HTTPClient, cfg.Issuer)
		if err != nil {
			return nil, err
		}
		cfg.JWKSURL = u
	}
	if err := checkURL(cfg.JWKSURL); err != nil {
		return nil, fmt.Errorf("oidc: key set URL: %w", err)
	}
	v := &Verifier{
		issuer:       cfg.Issuer,
		audience:     cfg.Audience,
		roleClaim:    cfg.RoleClaim,
		councilClaim: cfg.CouncilClaim,
		idClaim:      cfg.NationalIDClaim,
		roleMap:      maps.Clone(cfg.RoleMap),
		now:          cfg.Now,
		keys:         newKeyCache(cfg.JWKSURL, cfg.HTTPClient, cfg.CacheTTL),
	}
	if _, err := v.keys.refresh(ctx, v.now(), false); err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return v, nil
}

// Verify returns the principal of token as of Config.Now. Every refusal
// wraps access.ErrInvalidToken with the reason; one caused by an
// unreachable provider also wraps ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (access.Principal, error) {
	if v == nil {
		return access.Principal{}, fmt.Errorf("%w: no OIDC provider configured", access.ErrInvalidToken)
	}
	return v.verify(ctx, token, v.now())
}

// verify is Verify at now.
func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (access.Principal, error) {
	if v == nil {
		return access.Principal{}, fmt.Errorf("%w: no OIDC provider configured", access.ErrInvalidToken)
	}
	if len(token) > maxTokenLen {
		return access.Principal{}, fmt.Errorf("%w: token of %d bytes, at most %d", access.ErrInvalidToken, len(token), maxTokenLen)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(algorithms),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return v.key(ctx, t, now)
	})
	if err != nil {
		return access.Principal{}, fmt.Errorf("%w: %w", access.ErrInvalidToken, err)
	}
	p, err := v.principal(claims)
	if err != nil {
		return access.Principal{}, fmt.Errorf("%w: %w", access.ErrInvalidToken, err)
	}
	return p, nil
}

// key returns the provider's key that verifies t's signature.
func (v *Verifier) key(ctx context.Context, t *jwt.Token, now time.Time) (any, error) {
	alg, _ := t.Header["alg"].(string)
	if !slices.Contains(algorithms, alg) {
		// The parser refuses these first; checked again so that no key
		// ever meets another method.
		return nil, fmt.Errorf("signing method %q is not accepted", alg)
	}
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 §4.1.11: extensions we do not understand must not be
		// ignored.
		return nil, errors.New(`the token has critical header extensions ("crit")`)
	}
	kid, ok := t.Header["kid"].(string)
	if !ok || kid == "" {
		return nil, errors.New(`the token names no signing key ("kid")`)
	}
	candidates, err := v.keys.lookup(ctx, kid, now)
	if err != nil {
		return nil, err
	}
	for _, k := range candidates {
		if k.fits(alg) {
			return k.key, nil
		}
	}
	return nil, fmt.Errorf("the provider's key %q cannot verify %s signatures", kid, alg)
}

// principal reads the caller from verified claims.
func (v *Verifier) principal(claims jwt.MapClaims) (access.Principal, error) {
	sub, _ := claims["sub"].(string)
	if strings.TrimSpace(sub) == "" {
		return access.Principal{}, errors.New("no subject")
	}
	if len(sub) > eventstore.MaxMetaLen {
		// The subject is recorded on the events the caller causes.
		return access.Principal{}, fmt.Errorf("subject of %d bytes, at most %d", len(sub), eventstore.MaxMetaLen)
	}
	role, err := v.role(claims[v.roleClaim])
	if err != nil {
		return access.Principal{}, err
	}
	p := access.Principal{Subject: sub, Role: role}
	if v.idClaim != "" {
		// Compared with the typed number only; never recorded.
		p.NationalID, _ = claims[v.idClaim].(string)
	}
	if !role.CouncilBound() {
		return p, nil
	}
	council, _ := claims[v.councilClaim].(string)
	if council == "" {
		return access.Principal{}, fmt.Errorf("role %s needs a council code in claim %q", role, v.councilClaim)
	}
	if !councilPattern.MatchString(council) {
		return access.Principal{}, fmt.Errorf("claim %q: %q is not a council code such as 50910101", v.councilClaim, council)
	}
	p.Council = council
	return p, nil
}

// role maps the role claim's value, a string or an array of strings, to
// exactly one tasharuk role.
func (v *Verifier) role(value any) (access.Role, error) {
	var names []string
	switch val := value.(type) {
	case nil:
		return "", fmt.Errorf("no role claim %q", v.roleClaim)
	case string:
		names = []string{val}
	case []any:
		for _, n := range val {
			if s, ok := n.(string); ok {
				names = append(names, s)
			}
		}
	default:
		return "", fmt.Errorf("role claim %q: want a string or an array of strings", v.roleClaim)
	}
	var found []access.Role
	for _, n := range names {
		r, ok := v.mapRole(n)
		if ok && !slices.Contains(found, r) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("role claim %q names no tasharuk role", v.roleClaim)
	default:
		return "", fmt.Errorf("role claim %q names several tasharuk roles (%v): a token acts in one", v.roleClaim, found)
	}
}

// mapRole returns the tasharuk role a provider role name stands for.
func (v *Verifier) mapRole(name string) (access.Role, bool) {
	if v.roleMap != nil {
		r, ok := v.roleMap[name]
		return r, ok
	}
	r, err := access.ParseRole(name)
	return r, err == nil
}
