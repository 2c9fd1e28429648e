package notifications

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Mail builds the RFC 5322 message of an email: multipart/alternative
// with the plain text part first and the HTML part, a Message-ID derived
// from the deduplication key (a receiver that keeps ids can see a
// repeat), and for a message that can be unsubscribed from the RFC 2369
// List-Unsubscribe header with RFC 8058's one-click
// List-Unsubscribe-Post.
func Mail(from, to, key string, r Rendered, unsubscribe string, now time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	boundary := "tasharuk-" + randomHex(12)
	h("From", from)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", r.Subject))
	h("Date", now.UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+key+"@notifications.tasharuk>")
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
