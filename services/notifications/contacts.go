package notifications

import (
	"context"

	"github.com/tasharuk/tasharuk/privacy"
)

// IdentityContacts answers Contacts from the identity context's recorded
// contact details (services/identity: ContactRecorded, sealed with a data
// key; ContactErased), which the planner keeps as it reads the log. It
// holds no account of its own: the subject is turned into the account's
// user key as identity names it, and the sealed detail is opened with the
// key store only when a message is sent. Identity records no language
// preference yet: messages go in Language.
type IdentityContacts struct {
	Planner *Planner
	Keys    KeyStore
	// UserKey is privacy.Keys.UserKey: subject → the key naming the
	// account's stream.
	UserKey func(subject string) string
	// Language of the messages (default "ar").
	Language string
}

// Contact opens the account's contact detail; none once erased.
func (c *IdentityContacts) Contact(subject string) (Contact, bool) {
	uk := c.UserKey(subject)
	sc, ok := c.Planner.contact(uk)
	if !ok {
		return Contact{}, false
	}
	key, err := c.Keys.NameKey(context.Background(), "user-"+uk, sc.KeyID)
	if err != nil {
		return Contact{}, false
	}
	addr, err := privacy.OpenContact(key, sc.Sealed)
	if err != nil {
		return Contact{}, false
	}
	lang := c.Language
	if lang == "" {
		lang = Languages[0]
	}
	return Contact{Address: addr, Channel: sc.Channel, Language: lang}, true
}

// Erased reports whether the subject's contact details were erased.
func (c *IdentityContacts) Erased(subject string) bool {
	return c.Planner.wasErased(c.UserKey(subject))
}
