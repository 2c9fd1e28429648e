// Package notifications is the outbox fed by the log (DESIGN.md
// "Notifications: an outbox fed by the log"): a planner turns each recorded
// event into the messages it implies (Plan), an outbox delivers them at
// least once from a durable position and deduplicates them by (event id,
// recipient, channel) in a JetStream key-value bucket (Outbox), through
// SMTP or an SMS gateway (Sender), in the recipient's language (Render).
//
// Delivery: at least once, and at most once except for a replica that
// dies between the end of SMTP DATA and its "sent" record; such a
// message goes again with the same bytes and the same Message-ID
// (MessageID), so a receiver that deduplicates by Message-ID holds it
// once (Outbox says why no sender alone can do better).
//
// It reads who a recipient is through Contacts, a small interface the
// identity context implements; it keeps no account store of its own.
package notifications

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Contact is how one person is reached: the opened address (an email
// address or an E.164 phone number), its channel and the person's language
// ("ar", "fr", "en").
type Contact struct {
	Address  string
	Channel  Channel
	Language string
}

// Contacts answers how to reach a subject (an account's subject as events
// record it). ok is false for a subject with no contact detail, or whose
// details were erased: its messages are dropped.
type Contacts interface {
	Contact(subject string) (Contact, bool)
}

// ContactsFunc adapts a function to Contacts.
type ContactsFunc func(subject string) (Contact, bool)

// Contact calls f.
func (f ContactsFunc) Contact(subject string) (Contact, bool) { return f(subject) }

// Message is one message the log implies: what happened (Kind, Params), to
// whom (Recipient, a subject or a follower's "follow:<id>"), because of
// which event. Its channel is chosen when it is delivered, from the
// recipient's preference.
type Message struct {
	// EventID is the id of the event that implies the message.
	EventID string `json:"event_id"`
	// Position is the event's position in the log.
	Position uint64 `json:"position"`
	// Recipient is the subject told.
	Recipient string `json:"recipient"`
	// Kind names the template ("petition-deposited").
	Kind string `json:"kind"`
	// Council is the council's resource name ("communes/50910113").
	Council string `json:"council"`
	// Petition is the petition's resource name, when about one.
	Petition string `json:"petition,omitempty"`
	// Params fill the template (receipt number, dates, reasons…): facts of
	// the log, never personal data.
	Params map[string]string `json:"params,omitempty"`
	// RecordedAt is when the event was recorded.
	RecordedAt time.Time `json:"recorded_at"`
	// Unsubscribe is the follow a follower's message ends ("" for others).
	Unsubscribe string `json:"unsubscribe,omitempty"`
	// Language is the recipient's language as the log records it (the
	// agent's, chosen when filing); it wins over the contact's default.
	// Empty: the contact's language.
	Language string `json:"language,omitempty"`
}

// Key is the message's deduplication key for a channel: a hash of (event
// id, recipient, kind, channel), so two replicas planning the same message
// agree on it, and a key names no one.
func (m Message) Key(ch Channel) string {
	h := sha256.New()
	for _, s := range []string{m.EventID, m.Recipient, m.Kind, string(ch)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:40]
}

// RecipientKey is the keyed hash of a recipient that the outbox's events
// record: an auditor can check that the agent was told (given the subject
// and the key) without the log naming anyone.
func RecipientKey(key []byte, recipient string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("notifications/recipient/v1\x00" + recipient))
	return hex.EncodeToString(m.Sum(nil))[:40]
}
