package notifications

import (
	"context"
	"strings"

	"github.com/tasharuk/tasharuk/privacy"
)

// IdentityContacts answers Contacts from the identity context's recorded
// contact details (services/identity: ContactRecorded, sealed with a data
// key; ContactErased), which the planner keeps as it reads the log. It
// holds no account of its own: the subject is turned into the account's
// user key as identity names it, and the sealed detail is opened with the
// key store only when a message is sent. Identity records no language
// preference: a message goes in the language its event records (an
// agent's or an information requester's, chosen when filing:
// Message.Language), else in Language.
type IdentityContacts struct {
	Planner *Planner
	Keys    KeyStore
	// UserKey is privacy.Keys.UserKey: subject → the key naming the
	// account's stream.
	UserKey func(subject string) string
	// Language of the messages (default "ar").
	Language string
}

// UserRecipient prefixes a recipient named by its account's user key
// ("user:<key>") rather than its subject: the identity read model knows a
// council's staff by user key only (readmodel.Roles.Holders).
const UserRecipient = "user:"

// userKey is the user key of a recipient: given, or derived from the
// subject.
func (c *IdentityContacts) userKey(recipient string) string {
	if uk, ok := strings.CutPrefix(recipient, UserRecipient); ok {
		return uk
	}
	return c.UserKey(recipient)
}

// Contact opens the account's contact detail; none once erased.
func (c *IdentityContacts) Contact(subject string) (Contact, bool) {
	uk := c.userKey(subject)
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
	return c.Planner.wasErased(c.userKey(subject))
}
