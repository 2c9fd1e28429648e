package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// t0 is the test clock's start.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const audience = "tasharuk-web"

// signer is one of the fake provider's signing keys.
type signer struct {
	kid    string
	method jwt.SigningMethod
	key    crypto.Signer
}

func newRSASigner(t testing.TB, kid string, method jwt.SigningMethod) signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, method: method, key: k}
}

func newECSigner(t testing.TB, kid string, curve elliptic.Curve, method jwt.SigningMethod) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, method: method, key: k}
}

// jwk returns the signer's public key as a JSON Web Key.
func (s signer) jwk() map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := s.key.Public().(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": s.kid, "use": "sig", "alg": s.method.Alg(),
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		point, err := k.Bytes()
		if err != nil {
			panic(err)
		}
		return map[string]any{"kty": "EC", "kid": s.kid, "use": "sig", "crv": k.Curve.Params().Name,
			"x": b64(point[1 : 1+size]), "y": b64(point[1+size:])}
	}
	panic("unknown key type")
}

// sign returns a token with claims, signed by s and naming its key.
func (s signer) sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, claims)
	tok.Header["kid"] = s.kid
	str, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return str
}

// provider is a fake OIDC provider: discovery and a key set that tests
// can change, on a TLS test server.
type provider struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []map[string]any
	down    bool
	fetches atomic.Int32 // of the key set
}

func newProvider(t testing.TB, signers ...signer) *provider {
	t.Helper()
	p := &provider{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+discoveryPath, func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer(), "jwks_uri": p.issuer() + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.down {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": p.keys})
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	p.publish(signers...)
	return p
}

func (p *provider) issuer() string { return p.srv.URL }

// publish replaces the key set with the signers' keys.
func (p *provider) publish(signers ...signer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = nil
	for _, s := range signers {
		p.keys = append(p.keys, s.jwk())
	}
}

func (p *provider) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// clock is a settable Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// config returns a Config for p with the clock at t0.
func (p *provider) config() (Config, *clock) {
	c := &clock{now: t0}
	return Config{Issuer: p.issuer(), Audience: audience, HTTPClient: p.srv.Client(), Now: c.Now}, c
}

// newVerifier returns a Verifier for p, with its clock.
func newVerifier(t testing.TB, p *provider, edit ...func(*Config)) (*Verifier, *clock) {
	t.Helper()
	cfg, c := p.config()
	for _, e := range edit {
		e(&cfg)
	}
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v, c
}

// claims returns valid claims of a staff member of 50910101 for p, issued
// at t0 and valid for an hour, with the changes given as key, value pairs
// (a nil value deletes the claim).
func (p *provider) claims(kv ...any) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":              p.issuer(),
		"aud":              audience,
		"sub":              "f3b1c2d4-user",
		"iat":              t0.Unix(),
		"nbf":              t0.Unix(),
		"exp":              t0.Add(time.Hour).Unix(),
		"tasharuk_role":    "staff",
		"tasharuk_council": "50910101",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}
