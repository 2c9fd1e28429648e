package access

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	testKey = bytes.Repeat([]byte("k"), KeySize)
	t0      = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clerk   = Principal{Subject: "clerk-7", Role: RoleStaff, Council: "50910101"}
)

func TestTokenRoundTrip(t *testing.T) {
	iss := NewIssuer(testKey, "")
	for _, p := range []Principal{
		clerk,
		{Subject: "c-1", Role: RoleCitizen},
		{Subject: "a-1", Role: RoleAdvisory, Council: "50910107"},
		{Subject: "au-1", Role: RoleAuditor},
		{Subject: "root", Role: RoleAdmin},
	} {
		tok, err := iss.Issue(p, time.Hour, t0)
		if err != nil {
			t.Fatalf("Issue(%+v): %v", p, err)
		}
		got, err := iss.Verify(tok, t0.Add(59*time.Minute))
		if err != nil {
			t.Fatalf("Verify(%+v): %v", p, err)
		}
		if got != p {
			t.Errorf("Verify = %+v, want %+v", got, p)
		}
	}
}

func TestTokenClaims(t *testing.T) {
	tok, err := NewIssuer(testKey, "").Issue(clerk, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	var c claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		t.Fatal(err)
	}
	if c.Issuer != DefaultIssuer || len(c.Audience) != 1 || c.Audience[0] != Audience ||
		c.Subject != clerk.Subject || c.Role != "staff" || c.Council != "50910101" ||
		!c.IssuedAt.Equal(t0) || !c.NotBefore.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(time.Hour)) || c.ID == "" {
		t.Errorf("claims = %+v", c)
	}
	other, _ := NewIssuer(testKey, "").Issue(clerk, time.Hour, t0)
	var c2 claims
	_, _, _ = jwt.NewParser().ParseUnverified(other, &c2)
	if c2.ID == c.ID {
		t.Errorf("two tokens share jti %q", c.ID)
	}
}

func TestIssueRefuses(t *testing.T) {
	iss := NewIssuer(testKey, "")
	for name, tc := range map[string]struct {
		p   Principal
		ttl time.Duration
	}{
		"no subject":          {Principal{Role: RoleCitizen}, time.Hour},
		"unknown role":        {Principal{Subject: "x", Role: "mayor"}, time.Hour},
		"staff no council":    {Principal{Subject: "x", Role: RoleStaff}, time.Hour},
		"advisory no council": {Principal{Subject: "x", Role: RoleAdvisory}, time.Hour},
		"resource as council": {Principal{Subject: "x", Role: RoleStaff, Council: "communes/50910101"}, time.Hour},
		"zero ttl":            {clerk, 0},
	} {
		if _, err := iss.Issue(tc.p, tc.ttl, t0); err == nil {
			t.Errorf("%s: Issue succeeded", name)
		}
	}
	if _, err := NewIssuer([]byte("short"), "").Issue(clerk, time.Hour, t0); err == nil {
		t.Error("Issue with a short key succeeded")
	}
}

// hmacToken signs c with key and method, bypassing Issue's checks.
func hmacToken(t *testing.T, method jwt.SigningMethod, c jwt.Claims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() claims {
	return claims{
		Role: "staff", Council: "50910101",
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: DefaultIssuer, Subject: "clerk-7", Audience: jwt.ClaimStrings{Audience},
			IssuedAt: jwt.NewNumericDate(t0), NotBefore: jwt.NewNumericDate(t0),
			ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)), ID: "j1",
		},
	}
}

func TestVerifyRefuses(t *testing.T) {
	iss := NewIssuer(testKey, "")
	good, err := iss.Issue(clerk, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(*claims)) string {
		c := validClaims()
		edit(&c)
		return hmacToken(t, jwt.SigningMethodHS256, c, testKey)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(good, ".")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		token string
		at    time.Time
		why   error // the jwt error also wrapped, when there is one
	}{
		{"expired", good, t0.Add(time.Hour + time.Second), jwt.ErrTokenExpired},
		{"expired exactly", good, t0.Add(time.Hour), jwt.ErrTokenExpired},
		{"not yet valid", with(func(c *claims) {
			c.IssuedAt = jwt.NewNumericDate(t0.Add(-time.Minute))
			c.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute))
		}), t0, jwt.ErrTokenNotValidYet},
		{"issued in the future", with(func(c *claims) { c.IssuedAt = jwt.NewNumericDate(t0.Add(time.Minute)) }), t0, jwt.ErrTokenUsedBeforeIssued},
		{"before it was issued", good, t0.Add(-time.Second), nil},
		{"wrong issuer", with(func(c *claims) { c.Issuer = "someone-else" }), t0, jwt.ErrTokenInvalidIssuer},
		{"no issuer", with(func(c *claims) { c.Issuer = "" }), t0, jwt.ErrTokenRequiredClaimMissing},
		{"wrong audience", with(func(c *claims) { c.Audience = jwt.ClaimStrings{"other-api"} }), t0, jwt.ErrTokenInvalidAudience},
		{"no audience", with(func(c *claims) { c.Audience = nil }), t0, jwt.ErrTokenRequiredClaimMissing},
		{"no expiry", with(func(c *claims) { c.ExpiresAt = nil }), t0, jwt.ErrTokenRequiredClaimMissing},
		{"unknown role", with(func(c *claims) { c.Role = "mayor" }), t0, nil},
		{"no role", with(func(c *claims) { c.Role = "" }), t0, nil},
		{"no subject", with(func(c *claims) { c.Subject = "" }), t0, nil},
		{"staff without council", with(func(c *claims) { c.Council = "" }), t0, nil},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), t0, nil},
		{"tampered payload", parts[0] + "." + b64([]byte(`{"sub":"clerk-7","role":"admin","iss":"tasharuk","aud":"tasharuk-api","exp":9999999999}`)) + "." + parts[2], t0, jwt.ErrTokenSignatureInvalid},
		{"alg none", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", t0, jwt.ErrTokenSignatureInvalid},
		{"alg none, library-signed", hmacToken(t, jwt.SigningMethodNone, validClaims(), jwt.UnsafeAllowNoneSignatureType), t0, jwt.ErrTokenSignatureInvalid},
		{"HS384 with the right key", hmacToken(t, jwt.SigningMethodHS384, validClaims(), testKey), t0, jwt.ErrTokenSignatureInvalid},
		{"HS512 with the right key", hmacToken(t, jwt.SigningMethodHS512, validClaims(), testKey), t0, jwt.ErrTokenSignatureInvalid},
		{"RS256", hmacToken(t, jwt.SigningMethodRS256, validClaims(), rsaKey), t0, jwt.ErrTokenSignatureInvalid},
		{"ES256", hmacToken(t, jwt.SigningMethodES256, validClaims(), ecKey), t0, jwt.ErrTokenSignatureInvalid},
		{"RS256 label on an HMAC signature", b64([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], t0, jwt.ErrTokenSignatureInvalid},
		{"other key", hmacToken(t, jwt.SigningMethodHS256, validClaims(), bytes.Repeat([]byte("x"), KeySize)), t0, jwt.ErrTokenSignatureInvalid},
		{"other issuer's key and name", mustIssue(t, NewIssuer(bytes.Repeat([]byte("x"), KeySize), "elsewhere"), clerk), t0, nil},
		{"empty", "", t0, jwt.ErrTokenMalformed},
		{"garbage", "not-a-token", t0, jwt.ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], t0, jwt.ErrTokenMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := iss.Verify(tc.token, tc.at)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
			if tc.why != nil && !errors.Is(err, tc.why) {
				t.Errorf("Verify error %q does not wrap %q", err, tc.why)
			}
			if p != (Principal{}) {
				t.Errorf("Verify returned principal %+v with an error", p)
			}
		})
	}
}

func TestVerifyWithoutKey(t *testing.T) {
	tok := mustIssue(t, NewIssuer(testKey, ""), clerk)
	var nilIssuer *Issuer
	for name, iss := range map[string]*Issuer{"nil": nilIssuer, "short key": NewIssuer(nil, "")} {
		if _, err := iss.Verify(tok, t0); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s issuer: Verify error %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestVerifyCustomIssuer(t *testing.T) {
	a := NewIssuer(testKey, "rabat")
	tok := mustIssue(t, a, clerk)
	if _, err := a.Verify(tok, t0); err != nil {
		t.Fatalf("same issuer: %v", err)
	}
	if _, err := NewIssuer(testKey, "").Verify(tok, t0); !errors.Is(err, jwt.ErrTokenInvalidIssuer) {
		t.Errorf("default issuer accepted a token of %q: %v", "rabat", err)
	}
}

func mustIssue(t *testing.T, iss *Issuer, p Principal) string {
	t.Helper()
	tok, err := iss.Issue(p, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// flip changes the first character of s to another base64url character.
func flip(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles() {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Staff", "mayor", " staff"} {
		if _, err := ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) succeeded", s)
		}
	}
}

// A token verified once is remembered, but only for its time in force: the
// remembered token still expires, is not in force before it was issued,
// and another issuer's key never finds it.
func TestVerifyRemembersOnlyWhileInForce(t *testing.T) {
	iss := NewIssuer(testKey, "")
	tok, err := iss.Issue(clerk, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(30 * time.Minute)} {
		if p, err := iss.Verify(tok, at); err != nil || p != clerk {
			t.Fatalf("at %v: %+v %v", at, p, err)
		}
	}
	if _, err := iss.Verify(tok, t0.Add(time.Hour)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a remembered token outlived its expiry: %v", err)
	}
	if _, err := iss.Verify(tok, t0.Add(-time.Minute)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a remembered token was in force before its issue: %v", err)
	}
	other := NewIssuer(bytes.Repeat([]byte("o"), KeySize), "")
	if _, err := other.Verify(tok, t0.Add(time.Minute)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("another key accepted the token: %v", err)
	}
	// Many distinct tokens: the memory stays bounded and each still verifies.
	for i := range maxVerified + 10 {
		tk, err := iss.Issue(Principal{Subject: "c-" + strings.Repeat("x", i%7+1), Role: RoleCitizen}, time.Hour, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := iss.Verify(tk, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	iss.mu.Lock()
	n := len(iss.verified)
	iss.mu.Unlock()
	if n > maxVerified {
		t.Fatalf("%d remembered tokens, at most %d", n, maxVerified)
	}
}

// TestTokenCarriesHowThePersonSignedIn: the web pages' session tokens say
// how their person signed in, and the verified principal gives it back.
func TestTokenCarriesHowThePersonSignedIn(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	iss := NewIssuer(make([]byte, KeySize), "")
	for _, via := range []string{"", "oidc", "email_code", "sms_code"} {
		tok, err := iss.Issue(Principal{Subject: "email:0123", Role: RoleCitizen, Via: via}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		p, err := iss.Verify(tok, now)
		if err != nil || p.Via != via {
			t.Errorf("via %q: verified %+v %v", via, p, err)
		}
	}
}

// A web session opened through the provider carries the national ID the
// provider asserted: Verify gives it back, yet the token — which the pages
// and anyone holding it can decode — holds it only sealed; a sealed claim
// moved to another subject's token, or altered, or sealed under another
// key, is refused.
func TestTokenSealsTheAssertedNationalID(t *testing.T) {
	iss := NewIssuer(testKey, "")
	p := Principal{Subject: "sub-resident", Role: RoleCitizen, Via: "oidc", NationalID: "AB123456"}
	tok, err := iss.Issue(p, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := iss.Verify(tok, t0)
	if err != nil || got != p {
		t.Fatalf("Verify = %+v %v, want %+v", got, err, p)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if bytes.Contains(payload, []byte("AB123456")) || bytes.Contains(bytes.ToLower(payload), []byte("ab123456")) {
		t.Fatalf("the national ID in clear in the token: %s", payload)
	}
	var c claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil || c.NID == "" {
		t.Fatalf("no sealed claim: %+v %v", c, err)
	}
	// Re-signed with the issuer's key (as a forger holding it could not
	// avoid): another subject, a flipped byte, another key's seal.
	resign := func(c claims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(testKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	moved := c
	moved.Subject = "sub-other"
	moved.ID = "moved"
	flipped := c
	b, _ := base64.RawURLEncoding.DecodeString(c.NID)
	b[len(b)-1] ^= 1
	flipped.NID = base64.RawURLEncoding.EncodeToString(b)
	flipped.ID = "flipped"
	foreign := c
	foreign.NID = NewIssuer(bytes.Repeat([]byte("x"), KeySize), "").sealNID(c.Subject, "AB123456")
	foreign.ID = "foreign"
	for name, bad := range map[string]claims{"moved to another subject": moved, "altered": flipped, "sealed under another key": foreign} {
		if got, err := iss.Verify(resign(bad), t0); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: Verify = %+v %v, want ErrInvalidToken", name, got, err)
		}
	}
}
