package signin

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// SMTP sends mail through one server, from SMTPURL:
// smtp://user:pass@host:port (STARTTLS whenever the server offers it, and
// required before a password is sent) or smtps://… (TLS from the first
// byte, port 465 by default).
type SMTP struct {
	// URL is the server, as above.
	URL string
	// From is the sender address ("tasharuk <no-reply@commune.ma>").
	From string
	// TLS, if set, configures the TLS connection (tests give a CA).
	TLS *tls.Config
	// Timeout bounds a delivery (default 20 s).
	Timeout time.Duration
}

// NewSMTP checks u and returns its sender.
func NewSMTP(u, from string) (*SMTP, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "smtp" && p.Scheme != "smtps") || p.Hostname() == "" {
		return nil, errors.New("signin: --smtp-url: want smtp://user:pass@host:port or smtps://user:pass@host:port")
	}
	if from == "" {
		return nil, errors.New("signin: --smtp-from: the sender address of the codes is required with --smtp-url")
	}
	return &SMTP{URL: u, From: from}, nil
}

// Send delivers one text message.
func (s *SMTP) Send(ctx context.Context, to, subject, body string) error {
	return s.SendRaw(ctx, to, message(s.From, to, subject, body))
}

// SendRaw delivers one RFC 5322 message already built (the notifications
// outbox builds multipart ones) to one recipient.
func (s *SMTP) SendRaw(ctx context.Context, to string, msg []byte) error {
	return s.SendRawCommit(ctx, to, msg, nil)
}

// SendRawCommit is SendRaw with a hook: commit, if not nil, runs once the
// whole message is written and before the end of DATA ("<CRLF>.<CRLF>"),
// the one byte sequence that makes the server take the message (RFC 5321
// §4.1.1.4; a connection that closes before it aborts the transaction and
// nothing is delivered). An error from commit aborts the transaction. The
// notifications outbox records "sending" there, so the only moment its
// state can be uncertain is the server's answer to the end of DATA.
func (s *SMTP) SendRawCommit(ctx context.Context, to string, msg []byte, commit func() error) error {
	p, err := url.Parse(s.URL)
	if err != nil {
		return errors.New("smtp: bad server URL")
	}
	host, port := p.Hostname(), p.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[p.Scheme]
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tlsConf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		tlsConf = s.TLS.Clone()
		if tlsConf.ServerName == "" {
			tlsConf.ServerName = host
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if p.Scheme == "smtps" {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp: TLS: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if p.Scheme == "smtp" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("smtp: STARTTLS: %w", err)
			}
		}
	}
	if user := p.User.Username(); user != "" {
		pass, _ := p.User.Password()
		// PlainAuth refuses to send the password over a connection without
		// TLS (other than to localhost).
		if err := c.Auth(smtp.PlainAuth("", user, pass, host)); err != nil {
			return fmt.Errorf("smtp: authentication: %w", err)
		}
	}
	from := s.From
	if a, err := mailAddress(from); err == nil {
		from = a
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		// The server's answer may quote the recipient: not repeated.
		return errors.New("smtp: the server refused the recipient")
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if commit != nil {
		if err := commit(); err != nil {
			// Close the connection without the end of DATA: the server
			// drops the transaction.
			return err
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	// The server accepted the message with its answer to the end of DATA:
	// it is delivered. A failed QUIT after that must not count as a failed
	// delivery, or the message would be sent again.
	_ = c.Quit()
	return nil
}

// mailAddress is the bare address of "Name <addr>".
func mailAddress(s string) (string, error) {
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		return s[i+1 : j], nil
	}
	if strings.Contains(s, "@") {
		return s, nil
	}
	return "", errors.New("no address")
}

// message is an RFC 5322 text message in UTF-8 (the subject encoded per
// RFC 2047, the body quoted-printable).
func message(from, to, subject, body string) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", time.Now().UTC().Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

// SMSGateway sends text messages through an HTTP gateway: one POST of
// Content-Type application/json {"to": "+212612345678", "message": "…"}
// to URL per message; any 2xx answer is a delivery. Credentials in the URL
// (https://user:pass@gateway/…) are sent as HTTP basic authentication.
type SMSGateway struct {
	URL    string
	Client *http.Client
}

// NewSMSGateway checks u and returns its sender.
func NewSMSGateway(u string) (*SMSGateway, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return nil, errors.New("signin: --sms-gateway-url: want an https URL")
	}
	return &SMSGateway{URL: u, Client: &http.Client{Timeout: 15 * time.Second}}, nil
}

// SMSMessage is the JSON body posted to the gateway.
type SMSMessage struct {
	To      string `json:"to"`
	Message string `json:"message"`
}

// Send posts one message; subject is not sent (an SMS has none).
func (g *SMSGateway) Send(ctx context.Context, to, _, body string) error {
	b, _ := json.Marshal(SMSMessage{To: to, Message: body})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(b))
	if err != nil {
		return errors.New("sms: bad gateway URL")
	}
	req.Header.Set("Content-Type", "application/json")
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		// The URL may hold credentials: only the cause is kept.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("sms: gateway unreachable: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sms: gateway answered %s", resp.Status)
	}
	return nil
}
