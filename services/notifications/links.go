package notifications

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// Links signs the per-recipient links of messages: the one-click
// unsubscribe of a follow and the double opt-in confirmation. A link
// carries the follow id and an HMAC of (purpose, follow id) under a key
// only the service holds, so a follow id guessed or seen elsewhere is not
// enough to end someone else's follow, and a confirmation link cannot be
// made from an unsubscribe link.
type Links struct {
	// Base is the public URL of the service ("https://tasharuk.commune.ma").
	Base string
	// Key signs the links.
	Key []byte
}

// ErrBadLink is Verify's answer for a link not signed by this service.
var ErrBadLink = errors.New("notifications: the link is not valid")

const (
	purposeUnsubscribe = "unsubscribe"
	purposeConfirm     = "confirm"
)

// For returns the links a message carries.
func (l *Links) For(m Message) MessageLinks {
	var out MessageLinks
	if m.Unsubscribe != "" {
		out.Unsubscribe = l.url("/notifications/unsubscribe", purposeUnsubscribe, m.Unsubscribe)
	}
	if id, ok := cutFollow(m.Recipient); ok && m.Kind == KindFollowVerify {
		out.Confirm = l.url("/notifications/confirm", purposeConfirm, id)
		out.Unsubscribe = l.url("/notifications/unsubscribe", purposeUnsubscribe, id)
	}
	return out
}

// Token is the signature of (purpose, follow id).
func (l *Links) Token(purpose, id string) string {
	m := hmac.New(sha256.New, l.Key)
	m.Write([]byte("notifications/link/v1\x00" + purpose + "\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a link's follow id and token for purpose.
func (l *Links) Verify(purpose, id, token string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrBadLink
	}
	if !hmac.Equal([]byte(l.Token(purpose, id)), []byte(token)) {
		return ErrBadLink
	}
	return nil
}

func (l *Links) url(path, purpose, id string) string {
	q := url.Values{"f": {id}, "t": {l.Token(purpose, id)}}
	return strings.TrimSuffix(l.Base, "/") + path + "?" + q.Encode()
}

func newEventID() string { return uuid.Must(uuid.NewV7()).String() }
