package eventstore

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The patterns the hand-written checks stand for (event.go).
var (
	streamIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`)
	typePattern     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
)

func canonicalByUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

func checkIDCheckers(t *testing.T, s string) {
	t.Helper()
	if got, want := validStreamID(s), streamIDPattern.MatchString(s); got != want {
		t.Errorf("validStreamID(%q) = %v, the pattern says %v", s, got, want)
	}
	if got, want := validType(s), typePattern.MatchString(s); got != want {
		t.Errorf("validType(%q) = %v, the pattern says %v", s, got, want)
	}
	if got, want := canonicalUUID(s), canonicalByUUID(s); got != want {
		t.Errorf("canonicalUUID(%q) = %v, uuid.Parse and String say %v", s, got, want)
	}
}

// The hand-written stream id, type and event id checks accept exactly
// what the regular expressions (and uuid.Parse with String) accepted: the
// product's own ids, edge cases, and 200,000 random strings over the
// alphabet that matters (letters of both cases, digits, '.', '_', '-',
// hex, braces, a colon, a space, non-ASCII).
func TestIDCheckersAreThePatterns(t *testing.T) {
	for _, s := range []string{"", "a", "A", "1", ".", "a.", ".a", "a..b", "a.b", "a.B", "aB", "a-b_c.D-E_9", "petition.50910101.019ad3c5-9c59-7b1e-a3b1-2f1c8e3e4d5f",
		"signature.019ad3c5.0123abcd", "tasharuk.petitions.v1.SignatureAdded", "Tasharuk.X", "a.b.", "a.b..c", "a b", "a\n", "é", "aé", "a.é",
		"019ad3c5-9c59-7b1e-a3b1-2f1c8e3e4d5f", "019AD3C5-9C59-7B1E-A3B1-2F1C8E3E4D5F", "{019ad3c5-9c59-7b1e-a3b1-2f1c8e3e4d5f}",
		"urn:uuid:019ad3c5-9c59-7b1e-a3b1-2f1c8e3e4d5f", "019ad3c59c597b1ea3b12f1c8e3e4d5f", "019ad3c5-9c59-7b1e-a3b1-2f1c8e3e4d5", "019ad3c5-9c59-7b1e-a3b1_2f1c8e3e4d5f",
		uuid.NewString(), strings.Repeat("a", 300)} {
		checkIDCheckers(t, s)
	}
	alphabet := []string{"a", "z", "A", "Z", "0", "9", ".", "_", "-", "f", "g", "F", "{", "}", ":", " ", "é", "\x00"}
	r := rand.New(rand.NewPCG(17, 17))
	for range 200000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		checkIDCheckers(t, b.String())
		// Near-UUIDs: a real one with one character changed.
		u := []byte(uuid.NewString())
		u[r.IntN(len(u))] = alphabet[r.IntN(len(alphabet))][0]
		checkIDCheckers(t, string(u))
	}
}
