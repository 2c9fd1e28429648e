package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tasharuk/tasharuk/access"
)

var ctx = context.Background()

func TestVerifyAcceptsEachAlgorithm(t *testing.T) {
	signers := []signer{
		newRSASigner(t, "rs256", jwt.SigningMethodRS256),
		newRSASigner(t, "rs384", jwt.SigningMethodRS384),
		newRSASigner(t, "rs512", jwt.SigningMethodRS512),
		newECSigner(t, "es256", elliptic.P256(), jwt.SigningMethodES256),
		newECSigner(t, "es384", elliptic.P384(), jwt.SigningMethodES384),
	}
	p := newProvider(t, signers...)
	v, _ := newVerifier(t, p)
	want := access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleStaff, Council: "50910101"}
	for _, s := range signers {
		got, err := v.Verify(ctx, s.sign(t, p.claims()))
		if err != nil {
			t.Errorf("%s: %v", s.kid, err)
			continue
		}
		if got != want {
			t.Errorf("%s: principal %+v, want %+v", s.kid, got, want)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("key set fetched %d times, want once", n)
	}
}

func TestVerifyMapsRoles(t *testing.T) {
	s := newRSASigner(t, "k1", jwt.SigningMethodRS256)
	p := newProvider(t, s)
	plain, _ := newVerifier(t, p)
	mapped, _ := newVerifier(t, p, func(c *Config) {
		c.RoleClaim, c.CouncilClaim = "groups", "council"
		c.RoleMap = map[string]access.Role{"clerks": access.RoleStaff, "residents": access.RoleCitizen, "it": access.RoleAdmin}
	})
	for _, tc := range []struct {
		name   string
		v      *Verifier
		claims jwt.MapClaims
		want   access.Principal // zero: refused
	}{
		{"citizen", plain, p.claims("tasharuk_role", "citizen"),
			access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleCitizen}},
		{"advisory", plain, p.claims("tasharuk_role", "advisory", "tasharuk_council", "50910107"),
			access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleAdvisory, Council: "50910107"}},
		{"council ignored for admin", plain, p.claims("tasharuk_role", "admin"),
			access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleAdmin}},
		{"array with one role", plain, p.claims("tasharuk_role", []any{"offline_access", "auditor"}),
			access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleAuditor}},
		{"mapped", mapped, p.claims("groups", []any{"default", "clerks"}, "council", "50910101"),
			access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleStaff, Council: "50910101"}},
		{"mapped string", mapped, p.claims("groups", "it"),
			access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleAdmin}},

		{"unknown role", plain, p.claims("tasharuk_role", "superuser"), access.Principal{}},
		{"role not a string", plain, p.claims("tasharuk_role", 3), access.Principal{}},
		{"no role", plain, p.claims("tasharuk_role", nil), access.Principal{}},
		{"two roles", plain, p.claims("tasharuk_role", []any{"citizen", "admin"}), access.Principal{}},
		{"staff without council", plain, p.claims("tasharuk_council", nil), access.Principal{}},
		{"council as resource name", plain, p.claims("tasharuk_council", "communes/50910101"), access.Principal{}},
		{"council as number", plain, p.claims("tasharuk_council", 50910101), access.Principal{}},
		{"tasharuk name not in role map", mapped, p.claims("groups", "admin"), access.Principal{}},
		{"mapped roles clash", mapped, p.claims("groups", []any{"clerks", "it"}, "council", "50910101"), access.Principal{}},
		{"empty subject", plain, p.claims("sub", " "), access.Principal{}},
		{"no subject", plain, p.claims("sub", nil), access.Principal{}},
		{"subject too long", plain, p.claims("sub", strings.Repeat("x", 257)), access.Principal{}},
	} {
		got, err := tc.v.Verify(ctx, s.sign(t, tc.claims))
		switch {
		case tc.want == access.Principal{}:
			if !errors.Is(err, access.ErrInvalidToken) {
				t.Errorf("%s: got %+v, %v; want ErrInvalidToken", tc.name, got, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case got != tc.want:
			t.Errorf("%s: principal %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	rs := newRSASigner(t, "rsa-1", jwt.SigningMethodRS256)
	ec := newECSigner(t, "ec-1", elliptic.P256(), jwt.SigningMethodES256)
	p := newProvider(t, rs, ec)
	v, _ := newVerifier(t, p)
	stranger := newRSASigner(t, "rsa-1", jwt.SigningMethodRS256) // same kid, other key
	unknown := newRSASigner(t, "rsa-9", jwt.SigningMethodRS256)
	ecAsRSA := signer{kid: "ec-1", method: jwt.SigningMethodRS256, key: rs.key}
	p384 := newECSigner(t, "ec-1", elliptic.P384(), jwt.SigningMethodES384)

	valid := rs.sign(t, p.claims())
	parts := strings.Split(valid, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}
	otherPayload := strings.Split(rs.sign(t, p.claims("tasharuk_role", "admin")), ".")[1]

	pub := rs.key.Public().(*rsa.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hmacWith := func(secret []byte, alg *jwt.SigningMethodHMAC) string {
		tok := jwt.NewWithClaims(alg, p.claims())
		tok.Header["kid"] = rs.kid
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, p.claims())
		tok.Header["kid"] = rs.kid
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	withHeader := func(key string, value any) string {
		tok := jwt.NewWithClaims(rs.method, p.claims())
		tok.Header["kid"] = rs.kid
		if value == nil {
			delete(tok.Header, key)
		} else {
			tok.Header[key] = value
		}
		s, err := tok.SignedString(rs.key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ps256 := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodPS256, p.claims())
		tok.Header["kid"] = rs.kid
		s, err := tok.SignedString(rs.key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()

	for _, tc := range []struct{ name, token string }{
		{"expired", rs.sign(t, p.claims("exp", t0.Add(-2*time.Minute).Unix()))},
		{"no expiry", rs.sign(t, p.claims("exp", nil))},
		{"not yet valid", rs.sign(t, p.claims("nbf", t0.Add(2*time.Minute).Unix()))},
		{"issued in the future", rs.sign(t, p.claims("iat", t0.Add(2*time.Minute).Unix()))},
		{"wrong issuer", rs.sign(t, p.claims("iss", "https://evil.example"))},
		{"issuer with a trailing slash", rs.sign(t, p.claims("iss", p.issuer()+"/"))},
		{"no issuer", rs.sign(t, p.claims("iss", nil))},
		{"wrong audience", rs.sign(t, p.claims("aud", "another-client"))},
		{"no audience", rs.sign(t, p.claims("aud", nil))},
		{"unknown key", unknown.sign(t, p.claims())},
		{"key id of another key", stranger.sign(t, p.claims())},
		{"no key id", withHeader("kid", nil)},
		{"key id not a string", withHeader("kid", 7)},
		{"critical extension", withHeader("crit", []any{"exp"})},
		{"alg none", none},
		{"alg none, signature kept", strings.Join([]string{strings.Split(none, ".")[0], parts[1], parts[2]}, ".")},
		{"HS256 with the PEM public key", hmacWith(pemKey, jwt.SigningMethodHS256)},
		{"HS256 with the DER public key", hmacWith(der, jwt.SigningMethodHS256)},
		{"HS384 with the modulus", hmacWith(pub.N.Bytes(), jwt.SigningMethodHS384)},
		{"PS256 (RSA key, algorithm not accepted)", ps256},
		{"RS256 by the key of an EC key id", ecAsRSA.sign(t, p.claims())},
		{"ES384 with a P-384 key under a P-256 key id", p384.sign(t, p.claims())},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{"tampered payload", parts[0] + "." + otherPayload + "." + parts[2]},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"padded signature", valid + "=="},
		{"too long", rs.sign(t, p.claims("pad", strings.Repeat("x", maxTokenLen)))},
		{"empty", ""},
		{"garbage", "not.a.token"},
	} {
		got, err := v.Verify(ctx, tc.token)
		t.Logf("%s: %v", tc.name, err)
		if !errors.Is(err, access.ErrInvalidToken) {
			t.Errorf("%s: got %+v, %v; want ErrInvalidToken", tc.name, got, err)
		}
	}
	if _, err := v.Verify(ctx, valid); err != nil {
		t.Fatalf("the untampered token: %v", err)
	}
}

func TestVerifyAllowsAMinuteOfSkew(t *testing.T) {
	s := newECSigner(t, "k", elliptic.P256(), jwt.SigningMethodES256)
	p := newProvider(t, s)
	v, _ := newVerifier(t, p)
	for name, c := range map[string]jwt.MapClaims{
		"expired 30 s ago":   p.claims("exp", t0.Add(-30*time.Second).Unix()),
		"valid in 30 s":      p.claims("nbf", t0.Add(30*time.Second).Unix()),
		"issued 30 s ahead":  p.claims("iat", t0.Add(30*time.Second).Unix()),
		"audience in a list": p.claims("aud", []any{"other", audience}),
	} {
		if _, err := v.Verify(ctx, s.sign(t, c)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	old := newRSASigner(t, "2026-01", jwt.SigningMethodRS256)
	next := newECSigner(t, "2026-03", elliptic.P256(), jwt.SigningMethodES256)
	p := newProvider(t, old)
	v, clk := newVerifier(t, p) // fetch 1 at t0
	oldToken := old.sign(t, p.claims("exp", t0.Add(time.Hour).Unix()))
	nextToken := next.sign(t, p.claims("exp", t0.Add(time.Hour).Unix()))
	mustVerify := func(what, tok string) {
		t.Helper()
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("%s at %v: %v", what, clk.Now().Sub(t0), err)
		}
	}
	mustRefuse := func(what, tok string) {
		t.Helper()
		if _, err := v.Verify(ctx, tok); !errors.Is(err, access.ErrInvalidToken) {
			t.Fatalf("%s at %v: %v, want ErrInvalidToken", what, clk.Now().Sub(t0), err)
		}
	}
	wantFetches := func(n int32) {
		t.Helper()
		if got := p.fetches.Load(); got != n {
			t.Fatalf("key set fetched %d times at %v, want %d", got, clk.Now().Sub(t0), n)
		}
	}

	mustVerify("old key", oldToken)
	// The provider rotates: the new key appears beside the old one.
	p.publish(old, next)
	clk.Set(t0.Add(5 * time.Second))
	// The new key id is unknown, but the set was fetched 5 s ago.
	mustRefuse("new key within the refetch interval", nextToken)
	wantFetches(1)
	clk.Set(t0.Add(time.Minute))
	mustVerify("new key after the refetch", nextToken) // fetch 2
	mustVerify("old key, still published", oldToken)
	wantFetches(2)
	// The provider retires the old key; the cache still holds it.
	p.publish(next)
	clk.Set(t0.Add(5 * time.Minute))
	mustVerify("old key, cached", oldToken)
	wantFetches(2)
	// The cache (fetched at t0+1m, 10 min TTL) expires.
	clk.Set(t0.Add(11*time.Minute + time.Second))
	mustRefuse("old key after the cache expired", oldToken) // fetch 3
	mustVerify("new key", nextToken)
	wantFetches(3)
	mustRefuse("old key again", oldToken) // unknown, rate-limited
	wantFetches(3)
}

func TestKeySwapFollowedAtOnce(t *testing.T) {
	old := newRSASigner(t, "a", jwt.SigningMethodRS256)
	next := newRSASigner(t, "b", jwt.SigningMethodRS256)
	p := newProvider(t, old)
	v, clk := newVerifier(t, p)
	p.publish(next)
	clk.Set(t0.Add(30 * time.Second))
	if _, err := v.Verify(ctx, next.sign(t, p.claims())); err != nil {
		t.Fatalf("new key: %v", err)
	}
	// The refetch replaced the set: the withdrawn key is gone at once.
	if _, err := v.Verify(ctx, old.sign(t, p.claims())); !errors.Is(err, access.ErrInvalidToken) {
		t.Fatalf("withdrawn key: %v", err)
	}
}

func TestUnknownKeysAreRateLimited(t *testing.T) {
	s := newRSASigner(t, "k", jwt.SigningMethodRS256)
	p := newProvider(t, s)
	v, clk := newVerifier(t, p)
	clk.Set(t0.Add(time.Minute))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := signer{kid: "random-" + string(rune('a'+i)), method: s.method, key: s.key}.sign(t, p.claims())
			if _, err := v.Verify(ctx, tok); !errors.Is(err, access.ErrInvalidToken) {
				t.Errorf("unknown key %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("key set fetched %d times, want 2 (at start, then once for the unknown keys)", n)
	}
	// The known key still verifies, from the cache.
	if _, err := v.Verify(ctx, s.sign(t, p.claims())); err != nil {
		t.Fatal(err)
	}
}

func TestProviderDown(t *testing.T) {
	s := newRSASigner(t, "k", jwt.SigningMethodRS256)
	p := newProvider(t, s)
	v, clk := newVerifier(t, p)
	tok := s.sign(t, p.claims("exp", t0.Add(time.Hour).Unix()))
	p.setDown(true)
	// Within the TTL the cached keys serve, and a failed refetch for an
	// unknown key keeps them.
	clk.Set(t0.Add(time.Minute))
	unknown := signer{kid: "other", method: s.method, key: s.key}.sign(t, p.claims())
	if _, err := v.Verify(ctx, unknown); !errors.Is(err, ErrUnavailable) || !errors.Is(err, access.ErrInvalidToken) {
		t.Fatalf("unknown key, provider down: %v", err)
	}
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("cached key, provider down: %v", err)
	}
	// Past the TTL the verifier fails closed, and retries at most every
	// refetchInterval.
	clk.Set(t0.Add(20 * time.Minute))
	before := p.fetches.Load()
	for range 5 {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnavailable) || !errors.Is(err, access.ErrInvalidToken) {
			t.Fatalf("expired cache, provider down: %v", err)
		}
	}
	if n := p.fetches.Load() - before; n != 1 {
		t.Fatalf("%d fetches while down, want 1", n)
	}
	p.setDown(false)
	clk.Set(t0.Add(20*time.Minute + 5*time.Second))
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("retry within the interval: %v", err)
	}
	clk.Set(t0.Add(20*time.Minute + 11*time.Second))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("provider back: %v", err)
	}
}

func TestNew(t *testing.T) {
	s := newRSASigner(t, "k", jwt.SigningMethodRS256)
	p := newProvider(t, s)
	base, _ := p.config()
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }},
		{"no audience", func(c *Config) { c.Audience = "" }},
		{"plain http issuer", func(c *Config) { c.Issuer = "http://idp.example" }},
		{"relative issuer", func(c *Config) { c.Issuer = "idp.example" }},
		{"plain http key set", func(c *Config) { c.JWKSURL = "http://idp.example/keys" }},
		{"discovery for another issuer", func(c *Config) { c.Issuer = p.issuer() + "/realms/other" }},
		{"unknown role in map", func(c *Config) { c.RoleMap = map[string]access.Role{"boss": "root"} }},
		{"negative TTL", func(c *Config) { c.CacheTTL = -time.Second }},
		{"key set missing", func(c *Config) { c.JWKSURL = p.issuer() + "/nothing" }},
		{"key set not JSON", func(c *Config) { c.JWKSURL = p.issuer() + discoveryPath + "x" }},
	} {
		cfg := base
		tc.edit(&cfg)
		if v, err := New(ctx, cfg); err == nil {
			t.Errorf("%s: New succeeded (%+v)", tc.name, v)
		}
	}
	p.publish()
	if _, err := New(ctx, base); err == nil {
		t.Error("an empty key set was accepted")
	}
	// A key set URL given explicitly skips discovery.
	p.publish(s)
	cfg := base
	cfg.JWKSURL = p.issuer() + "/keys"
	cfg.Issuer = "https://idp.example/realms/tasharuk"
	if _, err := New(ctx, cfg); err != nil {
		t.Errorf("explicit key set: %v", err)
	}
}

func TestNilVerifier(t *testing.T) {
	var v *Verifier
	if _, err := v.Verify(ctx, "x"); !errors.Is(err, access.ErrInvalidToken) {
		t.Fatal(err)
	}
}

func TestParseKeySet(t *testing.T) {
	rs := newRSASigner(t, "rsa", jwt.SigningMethodRS256)
	ec := newECSigner(t, "ec", elliptic.P256(), jwt.SigningMethodES256)
	b64 := base64.RawURLEncoding.EncodeToString
	small := rs.jwk()
	small["kid"], small["n"] = "small", b64(rs.key.Public().(*rsa.PublicKey).N.Bytes()[:128])
	offCurve := ec.jwk()
	offCurve["kid"], offCurve["y"] = "off", b64(make([]byte, 32))
	short := ec.jwk()
	short["kid"], short["x"] = "short", b64(make([]byte, 31))
	enc := rs.jwk()
	enc["kid"], enc["use"] = "enc", "enc"
	noKid := rs.jwk()
	delete(noKid, "kid")
	oct := map[string]any{"kty": "oct", "kid": "hmac", "k": b64([]byte("secret"))}
	p521 := map[string]any{"kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA"}
	evenE := rs.jwk()
	evenE["kid"], evenE["e"] = "even", b64([]byte{1, 0, 0})

	var set jwks
	for _, k := range []map[string]any{rs.jwk(), ec.jwk(), small, offCurve, short, enc, noKid, oct, p521, evenE} {
		set.Keys = append(set.Keys, jwk{
			Kty: str(k["kty"]), Kid: str(k["kid"]), Use: str(k["use"]), Alg: str(k["alg"]),
			N: str(k["n"]), E: str(k["e"]), Crv: str(k["crv"]), X: str(k["x"]), Y: str(k["y"]),
		})
	}
	ks, err := parseKeySet(set)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || len(ks["rsa"]) != 1 || len(ks["ec"]) != 1 {
		t.Fatalf("usable keys %v, want rsa and ec only", ks)
	}
	if _, ok := ks["rsa"][0].key.(*rsa.PublicKey); !ok || !ks["rsa"][0].fits("RS256") || ks["rsa"][0].fits("RS512") {
		t.Errorf("rsa key: %+v", ks["rsa"][0])
	}
	if k, ok := ks["ec"][0].key.(*ecdsa.PublicKey); !ok || !k.Equal(ec.key.Public()) || !ks["ec"][0].fits("ES256") || ks["ec"][0].fits("ES384") || ks["ec"][0].fits("RS256") {
		t.Errorf("ec key: %+v", ks["ec"][0])
	}
	if _, err := parseKeySet(jwks{Keys: set.Keys[2:]}); err == nil {
		t.Error("a set of unusable keys was accepted")
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func TestDefaultClientRefusesDowngrade(t *testing.T) {
	s := newRSASigner(t, "k", jwt.SigningMethodRS256)
	var keys []byte
	mux := http.NewServeMux()
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(keys) })
	mux.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.example/keys", http.StatusFound)
	})
	srv := httptest.NewServer(mux) // plain http, on a loopback address
	defer srv.Close()
	keys, _ = json.Marshal(map[string]any{"keys": []any{s.jwk()}})
	cfg := Config{Issuer: srv.URL, Audience: audience, JWKSURL: srv.URL + "/keys"}
	if _, err := New(ctx, cfg); err != nil {
		t.Fatalf("loopback provider with the default client: %v", err)
	}
	cfg.JWKSURL = srv.URL + "/moved"
	if _, err := New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("redirect to plain http: %v", err)
	}
}
