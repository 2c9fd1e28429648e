package notifications

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// MessageID is the RFC 5322 Message-ID of the email with deduplication
// key key: the same on every attempt, on every replica, so it is the
// message's idempotency key at the receiver (RFC 5322 §3.6.4: a
// Message-ID names one message; a receiver that keeps the ids it has
// seen — Mailpit's --ignore-duplicate-ids, a mailbox's duplicate filter —
// drops a repeat).
func MessageID(key string) string { return "<" + key + "@notifications.tasharuk>" }

// Mail builds the RFC 5322 message of an email: multipart/alternative
// with the plain text part first and the HTML part, the Message-ID of
// its key, and for a message that can be unsubscribed from the RFC 2369
// List-Unsubscribe header with RFC 8058's one-click
// List-Unsubscribe-Post. The bytes depend only on their arguments (the
// MIME boundary is derived from the key, date is the first attempt's), so
// a repeat is the same message, byte for byte.
func Mail(from, to, key string, r Rendered, unsubscribe string, date time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	sum := sha256.Sum256([]byte("notifications/boundary/v1\x00" + key))
	boundary := "tasharuk-" + hex.EncodeToString(sum[:12])
	h("From", from)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", r.Subject))
	h("Date", date.UTC().Format(time.RFC1123Z))
	h("Message-ID", MessageID(key))
	h("MIME-Version", "1.0")
	h("Content-Language", r.Language)
	h("Auto-Submitted", "auto-generated")
	if unsubscribe != "" {
		h("List-Unsubscribe", "<"+unsubscribe+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	part := func(ctype, body string) {
		b.WriteString("--" + boundary + "\r\n")
		b.WriteString("Content-Type: " + ctype + "; charset=utf-8\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		qp := quotedprintable.NewWriter(&b)
		_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")))
		_ = qp.Close()
		b.WriteString("\r\n")
	}
	part("text/plain", r.Text)
	part("text/html", r.HTML)
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
