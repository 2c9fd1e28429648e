package privacy_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/privacy"
)

var normalizedID = regexp.MustCompile(`^[A-Z]{1,2}[0-9]{1,7}$`)

// FuzzNormalizeNationalID: NormalizeNationalID never panics, returns either
// ErrInvalidNationalID or a number of the national ID card's shape, and
// normalising that number again changes nothing.
func FuzzNormalizeNationalID(f *testing.F) {
	for _, s := range []string{"AB123456", "ab 123-456", " a.12345 ", "ab/123456", "A\u00a01", "", "ABC123", "AB12345678", "ab\t12.34/56-7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := privacy.NormalizeNationalID(raw)
		// Oracle: upper-cased, without separators, the number must match
		// the card's pattern exactly when it is accepted.
		cleaned := strings.Map(func(r rune) rune {
			if strings.ContainsRune(" \t-./\u00a0", r) {
				return -1
			}
			return r
		}, strings.ToUpper(raw))
		if want := normalizedID.MatchString(cleaned); want != (err == nil) {
			t.Fatalf("%q: accepted=%v, the pattern says %v", raw, err == nil, want)
		}
		if err != nil {
			if !errors.Is(err, privacy.ErrInvalidNationalID) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidNationalID", raw, err)
			}
			if id != "" {
				t.Fatalf("%q: error with a result %q", raw, id)
			}
			return
		}
		if !normalizedID.MatchString(id) {
			t.Fatalf("%q normalised to %q", raw, id)
		}
		again, err := privacy.NormalizeNationalID(id)
		if err != nil || again != id {
			t.Fatalf("%q → %q → %q, %v: not idempotent", raw, id, again, err)
		}
	})
}
