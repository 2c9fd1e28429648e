package signin_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/internal/session"
	"github.com/tasharuk/tasharuk/web/signin"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newCodes(t *testing.T, c *clock, email, sms signin.Sender) *signin.Codes {
	t.Helper()
	codes, err := signin.NewCodes(signin.CodesConfig{
		Email: email, SMS: sms, Now: c.now,
		Hash: func(kind, addr string) string { return "h" + strings.Repeat("x", len(addr)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// TestCodeByEmailThroughMailpit: the code travels over real SMTP to
// Mailpit, is read back through its API, signs in once, and the account's
// subject does not contain the address.
func TestCodeByEmailThroughMailpit(t *testing.T) {
	mp := signintest.StartMailpit(t)
	smtp, err := signin.NewSMTP("smtp://"+mp.SMTPAddr, "tasharuk <no-reply@zaouiat-cheikh.ma>")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	codes := newCodes(t, c, smtp, nil)
	ctx := context.Background()
	ticket, err := codes.Send(ctx, signin.Email, "  Zineb.Amrani@Example.MA ", "192.0.2.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	code := mp.Code(t, "zineb.amrani@example.ma", 0)
	id, err := codes.Verify(ctx, ticket, code, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if id.Method != session.MethodEmailCode || id.Role != access.RoleCitizen || strings.Contains(id.Subject, "zineb") || !strings.HasPrefix(id.Subject, "email:") {
		t.Fatalf("identity %+v: want a citizen email-code account named by a hash", id)
	}
	// Replayed: the code was spent.
	if _, err := codes.Verify(ctx, ticket, code, "192.0.2.1"); !errors.Is(err, signin.ErrNoTicket) && !errors.Is(err, signin.ErrWrongCode) {
		t.Fatalf("replayed code: %v", err)
	}
}

// TestCodeBySMSGateway: the gateway gets one JSON POST {to, message} with
// the number in E.164.
func TestCodeBySMSGateway(t *testing.T) {
	rx := signintest.StartSMSReceiver(t)
	gw, err := signin.NewSMSGateway(rx.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	codes := newCodes(t, c, nil, gw)
	ticket, err := codes.Send(context.Background(), signin.SMS, "06 12-34 56 78", "192.0.2.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs := rx.Messages()
	if len(msgs) != 1 || msgs[0].To != "+212612345678" || msgs[0].ContentType != "application/json" {
		t.Fatalf("gateway calls %+v", msgs)
	}
	id, err := codes.Verify(context.Background(), ticket, rx.Code(t, "+212612345678", 0), "192.0.2.1")
	if err != nil || id.Method != session.MethodSMSCode || id.Subject != "phone:h"+strings.Repeat("x", len("+212612345678")) {
		t.Fatalf("sms sign-in: %+v %v", id, err)
	}
	if codes.Offers(signin.Email) {
		t.Error("email offered without an SMTP server")
	}
}

// memSender keeps the last message per address (for the limit tests, which
// need no network).
type memSender struct{ last map[string]string }

func (m *memSender) Send(_ context.Context, to, _, body string) error {
	if m.last == nil {
		m.last = map[string]string{}
	}
	m.last[to] = body
	return nil
}

func codeIn(t *testing.T, s string) string {
	t.Helper()
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(f) == 6 {
			return f
		}
	}
	t.Fatalf("no code in %q", s)
	return ""
}

func TestCodeExpiresAfterTenMinutes(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	ms := &memSender{}
	codes := newCodes(t, c, ms, nil)
	ticket, err := codes.Send(context.Background(), signin.Email, "a@example.ma", "192.0.2.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(10 * time.Minute)
	if _, err := codes.Verify(context.Background(), ticket, codeIn(t, ms.last["a@example.ma"]), "192.0.2.1"); err == nil {
		t.Fatal("a code signed in after 10 minutes")
	}
}

// TestCodeBruteForceLocks: five wrong codes lock the address for 15
// minutes — even the right code is refused then, and a new code cannot be
// asked — and it opens again after.
func TestCodeBruteForceLocks(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	ms := &memSender{}
	codes := newCodes(t, c, ms, nil)
	ctx := context.Background()
	ticket, err := codes.Send(ctx, signin.Email, "victim@example.ma", "198.51.100.7", nil)
	if err != nil {
		t.Fatal(err)
	}
	right := codeIn(t, ms.last["victim@example.ma"])
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	for i := 1; i <= 4; i++ {
		if _, err := codes.Verify(ctx, ticket, wrong, "198.51.100.7"); !errors.Is(err, signin.ErrWrongCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, err := codes.Verify(ctx, ticket, wrong, "198.51.100.7"); !errors.Is(err, signin.ErrLocked) {
		t.Fatalf("fifth wrong code: %v, want ErrLocked", err)
	}
	if _, err := codes.Verify(ctx, ticket, right, "203.0.113.9"); !errors.Is(err, signin.ErrLocked) {
		t.Fatalf("the right code while locked (from another address): %v, want ErrLocked", err)
	}
	if _, err := codes.Send(ctx, signin.Email, "victim@example.ma", "203.0.113.9", nil); !errors.Is(err, signin.ErrLocked) {
		t.Fatalf("a new code while locked: %v, want ErrLocked", err)
	}
	c.t = c.t.Add(15 * time.Minute)
	ticket, err = codes.Send(ctx, signin.Email, "victim@example.ma", "203.0.113.9", nil)
	if err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, err := codes.Verify(ctx, ticket, codeIn(t, ms.last["victim@example.ma"]), "203.0.113.9"); err != nil {
		t.Fatalf("the right code after the lockout: %v", err)
	}
}

// TestCodeRateLimits: three codes per address and ten per client address
// in 15 minutes.
func TestCodeRateLimits(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	codes := newCodes(t, c, &memSender{}, nil)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := codes.Send(ctx, signin.Email, "flood@example.ma", net.IPv4(192, 0, 2, byte(i)).String(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := codes.Send(ctx, signin.Email, "flood@example.ma", "192.0.2.200", nil); !errors.Is(err, signin.ErrTooMany) {
		t.Fatalf("fourth code to one address: %v, want ErrTooMany", err)
	}
	for i := 0; i < 10; i++ {
		if _, err := codes.Send(ctx, signin.Email, "a"+string(rune('a'+i))+"@example.ma", "198.51.100.1", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := codes.Send(ctx, signin.Email, "zz@example.ma", "198.51.100.1", nil); !errors.Is(err, signin.ErrTooMany) {
		t.Fatalf("eleventh code from one client: %v, want ErrTooMany", err)
	}
	c.t = c.t.Add(15 * time.Minute)
	if _, err := codes.Send(ctx, signin.Email, "flood@example.ma", "198.51.100.1", nil); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		ch       signin.Channel
		in, want string
	}{
		{signin.Email, " A.B@Example.MA", "a.b@example.ma"},
		{signin.SMS, "0612345678", "+212612345678"},
		{signin.SMS, "00212 6 12 34 56 78", "+212612345678"},
		{signin.SMS, "+33 6 12 34 56 78", "+33612345678"},
	} {
		if got, err := signin.Normalize(c.ch, c.in); err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.ch, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		ch signin.Channel
		in string
	}{
		{signin.Email, "no-at-sign"}, {signin.Email, "a@b"}, {signin.Email, "a@example.ma\r\nBcc: x@evil.example"},
		{signin.Email, "<a@example.ma>"}, {signin.SMS, "12345"}, {signin.SMS, "+212 6 12 34 56 78 90 12 34"}, {signin.SMS, "phone"},
	} {
		if got, err := signin.Normalize(c.ch, c.in); !errors.Is(err, signin.ErrAddress) {
			t.Errorf("Normalize(%s, %q) = %q, %v; want ErrAddress", c.ch, c.in, got, err)
		}
	}
}
