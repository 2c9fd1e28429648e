package oidc

import (
	"crypto/elliptic"
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tasharuk/tasharuk/access"
)

// FuzzParseToken feeds arbitrary strings to Verify: it must never panic,
// and must refuse everything but the one token the fake provider signed.
func FuzzParseToken(f *testing.F) {
	rs := newRSASigner(f, "k1", jwt.SigningMethodRS256)
	ec := newECSigner(f, "k2", elliptic.P256(), jwt.SigningMethodES256)
	p := newProvider(f, rs, ec)
	v, _ := newVerifier(f, p) // the clock stays at t0: no cache expiry
	valid := map[string]bool{
		rs.sign(f, p.claims()): true,
		ec.sign(f, p.claims("tasharuk_role", []any{"x", "citizen"})):           true,
		ec.sign(f, p.claims("tasharuk_role", "admin", "aud", []any{audience})): true,
	}
	for tok := range valid {
		if _, err := v.Verify(ctx, tok); err != nil {
			f.Fatalf("a valid token is refused: %v", err)
		}
		f.Add(tok)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, p.claims())
	hs.Header["kid"] = "k1"
	hsToken, err := hs.SignedString([]byte("public key bytes as a secret"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hsToken)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("")
	f.Add("...")

	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(ctx, token)
		if valid[token] {
			if err != nil {
				t.Fatalf("valid token refused: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("token %q accepted as %+v without the provider's signature", token, p)
		}
		if !errors.Is(err, access.ErrInvalidToken) {
			t.Fatalf("refusal does not wrap access.ErrInvalidToken: %v", err)
		}
	})
}
