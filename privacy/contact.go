package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Contact details (emails, phone numbers) are personal data like names
// (DESIGN.md "Identity: who someone is"): sealed with a person's data key
// in the log, erasable, and never a stream id or a subject in clear.

var (
	// ErrInvalidEmail: the text is not one plain email address.
	ErrInvalidEmail = errors.New("privacy: not an email address")
	// ErrInvalidPhone: the text is not an international phone number.
	ErrInvalidPhone = errors.New("privacy: not an international phone number")
)

// Contact kinds, as ContactSubject takes them.
const (
	ContactEmail = "email"
	ContactPhone = "phone"
)

// NormalizeEmail trims and lower-cases one plain address ("a@b.ma"; no
// display name), so one person's address is one account.
func NormalizeEmail(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", fmt.Errorf("%w: want one address such as name@example.ma", ErrInvalidEmail)
	}
	return s, nil
}

// NormalizePhone keeps the digits of an international number ("+212 6
// 12-34-56-78" → "+212612345678", E.164: a plus and 8 to 15 digits).
func NormalizePhone(raw string) (string, error) {
	var b strings.Builder
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("%w: start with + and the country code, e.g. +212612345678", ErrInvalidPhone)
	}
	b.WriteByte('+')
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("%w: only digits after the +", ErrInvalidPhone)
		}
	}
	if n := b.Len() - 1; n < 8 || n > 15 {
		return "", fmt.Errorf("%w: 8 to 15 digits after the +", ErrInvalidPhone)
	}
	return b.String(), nil
}

// ContactSubject is the subject of the account that signs in with a
// one-time code sent to a normalized contact detail of kind (ContactEmail,
// ContactPhone): a keyed hash, so the subject recorded on every event the
// account causes reveals no address. One-time-code sign-in and `tasharuk
// users add --email` both name the account this way.
func (k *Keys) ContactSubject(kind, normalized string) string {
	m := hmac.New(sha256.New, derive(k.master, "contact-subject/v1/"+kind))
	m.Write([]byte(normalized))
	return "code-" + kind + "-" + hex.EncodeToString(m.Sum(nil))[:40]
}

// UserKey returns the keyed hash (hex) of an account's subject that names
// its identity stream: a stream id is exported and published, and a
// provider's subject is not ours to publish.
func (k *Keys) UserKey(subject string) string {
	m := hmac.New(sha256.New, derive(k.master, "user-key/v1"))
	m.Write([]byte(subject))
	return hex.EncodeToString(m.Sum(nil))
}

// SealContact encrypts a contact detail with a person's data key.
func SealContact(dataKey []byte, contact string) ([]byte, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	return sealWith(aead, []byte(contact), []byte("contact"))
}

// OpenContact decrypts a contact detail.
func OpenContact(dataKey, sealed []byte) (string, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return "", err
	}
	b, err := openWith(aead, sealed, []byte("contact"))
	if err != nil {
		return "", fmt.Errorf("privacy: decrypt contact: %w", err)
	}
	return string(b), nil
}
