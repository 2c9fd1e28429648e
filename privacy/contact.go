package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
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

// The patterns of a contact address (one-time-code sign-in,
// web/signin, normalizes with these too, so an account provisioned by
// `users add --email` is the one a code to that address signs in).
var (
	emailPattern = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
)

// NormalizeEmail trims and lower-cases one plain address ("a@b.ma"), so
// one person's address is one account.
func NormalizeEmail(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if len(s) > 254 || !emailPattern.MatchString(s) {
		return "", fmt.Errorf("%w: want one address such as name@example.ma", ErrInvalidEmail)
	}
	return s, nil
}

// NormalizePhone returns a phone number in E.164 ("+212 6 12-34-56-78" →
// "+212612345678"; a Moroccan 0XXXXXXXXX becomes +212XXXXXXXXX; 00
// becomes +).
func NormalizePhone(raw string) (string, error) {
	s := strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "").Replace(strings.TrimSpace(raw))
	switch {
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case len(s) == 10 && strings.HasPrefix(s, "0"):
		s = "+212" + s[1:]
	}
	if !phonePattern.MatchString(s) {
		return "", fmt.Errorf("%w: an international number such as +212612345678", ErrInvalidPhone)
	}
	return s, nil
}

// ContactSubject is the subject of the account that signs in with a
// one-time code sent to a normalized contact detail of kind (ContactEmail,
// ContactPhone): "email:" or "phone:" and the keyed hash of the address
// (AccountKey), exactly as web/signin names it, so the subject recorded on
// every event the account causes reveals no address, and `tasharuk users
// add --email` grants the account a code to that address opens.
func (k *Keys) ContactSubject(kind, normalized string) string {
	return kind + ":" + k.AccountKey(kind, normalized)
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
