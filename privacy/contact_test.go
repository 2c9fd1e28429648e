package privacy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/privacy"
)

func TestNormalizeContacts(t *testing.T) {
	for raw, want := range map[string]string{" Amina.B@Example.MA ": "amina.b@example.ma", "x@y.ma": "x@y.ma"} {
		if got, err := privacy.NormalizeEmail(raw); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "amina", "Amina <a@b.ma>", "a@b.ma, c@d.ma", strings.Repeat("a", 250) + "@b.ma", "a@b"} {
		if _, err := privacy.NormalizeEmail(raw); !errors.Is(err, privacy.ErrInvalidEmail) {
			t.Errorf("NormalizeEmail(%q) accepted: %v", raw, err)
		}
	}
	for raw, want := range map[string]string{"+212 6 12-34-56-78": "+212612345678", "+33 (1) 23 45 67 89": "+33123456789", "0612345678": "+212612345678", "00212612345678": "+212612345678"} {
		if got, err := privacy.NormalizePhone(raw); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "612345678", "+212", "+1234567890123456", "+2126x12345678", "+012345678"} {
		if _, err := privacy.NormalizePhone(raw); !errors.Is(err, privacy.ErrInvalidPhone) {
			t.Errorf("NormalizePhone(%q) accepted: %v", raw, err)
		}
	}
}

// Subjects and user keys derived from contact details hide them, are
// stable, differ by kind and by master key; a sealed contact opens with
// its key only.
func TestContactSubjectAndSealing(t *testing.T) {
	k1, _ := privacy.NewKeys(bytes.Repeat([]byte{1}, 32))
	k2, _ := privacy.NewKeys(bytes.Repeat([]byte{2}, 32))
	s := k1.ContactSubject(privacy.ContactEmail, "amina@example.ma")
	if strings.Contains(s, "amina") || s != k1.ContactSubject(privacy.ContactEmail, "amina@example.ma") || s != "email:"+k1.AccountKey("email", "amina@example.ma") {
		t.Fatalf("subject %q", s)
	}
	if s == k1.ContactSubject(privacy.ContactPhone, "amina@example.ma") || s == k2.ContactSubject(privacy.ContactEmail, "amina@example.ma") {
		t.Fatal("subjects collide across kinds or master keys")
	}
	if u := k1.UserKey(s); len(u) != 64 || u == k1.UserKey(s+"x") {
		t.Fatalf("user key %q", u)
	}
	key := bytes.Repeat([]byte{7}, 32)
	sealed, err := privacy.SealContact(key, "amina@example.ma")
	if err != nil || bytes.Contains(sealed, []byte("amina")) {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	if got, err := privacy.OpenContact(key, sealed); err != nil || got != "amina@example.ma" {
		t.Fatalf("opened %q %v", got, err)
	}
	if _, err := privacy.OpenContact(bytes.Repeat([]byte{8}, 32), sealed); err == nil {
		t.Fatal("opened with another key")
	}
	// A sealed name does not open as a contact (distinct associated data).
	name, _ := privacy.SealName(key, "amina@example.ma")
	if _, err := privacy.OpenContact(key, name); err == nil {
		t.Fatal("a sealed name opened as a contact")
	}
}
