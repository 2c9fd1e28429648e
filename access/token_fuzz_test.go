package access

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerifyToken feeds arbitrary strings to Issuer.Verify: it must never
// panic, must refuse anything the issuer did not sign, and tokens it does
// issue must still verify.
func FuzzVerifyToken(f *testing.F) {
	iss := NewIssuer(testKey, "")
	now := t0.Add(time.Minute)
	for _, p := range []Principal{clerk, {Subject: "c-1", Role: RoleCitizen}, {Subject: "root", Role: RoleAdmin}} {
		tok, err := iss.Issue(p, time.Hour, t0)
		if err != nil {
			f.Fatal(err)
		}
		if got, err := iss.Verify(tok, now); err != nil || got != p {
			f.Fatalf("issued token for %+v: %+v, %v", p, got, err)
		}
		f.Add(tok)
	}
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoiYWRtaW4iLCJpc3MiOiJ0YXNoYXJ1ayIsInN1YiI6InJvb3QiLCJhdWQiOlsidGFzaGFydWstYXBpIl0sImV4cCI6NDEwMjQ0NDgwMH0.")
	f.Add("")
	f.Add("..")
	f.Add("Bearer x.y.z")

	f.Fuzz(func(t *testing.T, token string) {
		p, err := iss.Verify(token, now)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("refusal does not wrap ErrInvalidToken: %v", err)
			}
			if p != (Principal{}) {
				t.Fatalf("refused token yields principal %+v", p)
			}
		} else {
			// Accepted: it must carry the issuer's MAC over its header and
			// payload, in canonical encoding, and name a valid principal.
			signed, sig, _ := cutLast(token, ".")
			mac := hmac.New(sha256.New, testKey)
			mac.Write([]byte(signed))
			if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != sig {
				t.Fatalf("token %q accepted as %+v without the issuer's signature", token, p)
			}
			if err := p.validate(); err != nil {
				t.Fatalf("token %q accepted with an invalid principal %+v: %v", token, p, err)
			}
		}
		// A token the issuer issues still verifies, whatever the subject.
		// Invalid UTF-8 is left out: JSON encoding turns it into U+FFFD, so
		// such a subject comes back changed (Principal.validate lets it
		// through).
		want := Principal{Subject: token, Role: RoleCitizen}
		if want.validate() != nil || !utf8.ValidString(token) || len(token) > 1024 {
			return
		}
		tok, err := iss.Issue(want, time.Hour, t0)
		if err != nil {
			t.Fatalf("issue for subject %q: %v", token, err)
		}
		if got, err := iss.Verify(tok, now); err != nil || got != want {
			t.Fatalf("issued token for subject %q: %+v, %v", token, got, err)
		}
	})
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
