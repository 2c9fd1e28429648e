package signintest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// MailpitEnv names the Mailpit binary (scripts/test installs v1.27.11 and
// sets it); without it, $(go env GOPATH)/bin/mailpit and then the PATH are
// tried.
const MailpitEnv = "TASHARUK_MAILPIT"

// Mailpit is a running Mailpit: SMTP on SMTPAddr, its HTTP API on APIURL.
type Mailpit struct {
	SMTPAddr string
	APIURL   string
}

// StartMailpit starts Mailpit on loopback ports, stopped when the test
// ends, with any extra flags ("--ignore-duplicate-ids"). The test fails
// (never skips) when the binary is missing.
func StartMailpit(t testing.TB, extra ...string) *Mailpit {
	t.Helper()
	bin := os.Getenv(MailpitEnv)
	if bin == "" {
		if gp, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			if p := filepath.Join(strings.TrimSpace(string(gp)), "bin", "mailpit"); fileExists(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		p, err := exec.LookPath("mailpit")
		if err != nil {
			t.Fatalf("mailpit not found: set %s (scripts/test installs github.com/axllent/mailpit@v1.27.11)", MailpitEnv)
		}
		bin = p
	}
	// The ports are free when chosen but may be taken before Mailpit binds
	// them (parallel test binaries choose theirs at the same moment): a
	// Mailpit that exits, or whose API does not answer as Mailpit's, is
	// started again on new ports.
	var failures []string
	for range 3 {
		m, err := startMailpit(t, bin, extra)
		if err == nil {
			return m
		}
		failures = append(failures, err.Error())
	}
	t.Fatalf("mailpit did not start:\n%s", strings.Join(failures, "\n"))
	return nil
}

// startMailpit starts Mailpit once on new loopback ports and waits for its
// API.
func startMailpit(t testing.TB, bin string, extra []string) (*Mailpit, error) {
	smtpAddr, apiAddr := freePort(t), freePort(t)
	args := []string{"--smtp", smtpAddr, "--listen", apiAddr, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check", "--quiet"}
	cmd := exec.Command(bin, append(args, extra...)...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() { _ = cmd.Process.Kill(); <-exited }
	m := &Mailpit{SMTPAddr: smtpAddr, APIURL: "http://" + apiAddr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var info struct{ Version string }
		resp, err := http.Get(m.APIURL + "/api/v1/info")
		if err == nil {
			ok := resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&info) == nil && info.Version != ""
			resp.Body.Close()
			if ok {
				t.Cleanup(stop)
				return m, nil
			}
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("mailpit on %s / %s exited: %s", smtpAddr, apiAddr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("mailpit on %s / %s did not answer: %v\n%s", smtpAddr, apiAddr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Mail is a message Mailpit received.
type Mail struct {
	ID      string
	To      []string
	Subject string
	Text    string
}

// Messages returns every message received for to, newest first.
func (m *Mailpit) Messages(t testing.TB, to string) []Mail {
	t.Helper()
	var list struct {
		Messages []struct {
			ID      string
			To      []struct{ Address string }
			Subject string
		}
	}
	m.get(t, "/api/v1/messages?limit=500", &list)
	var out []Mail
	for _, x := range list.Messages {
		var tos []string
		match := false
		for _, a := range x.To {
			tos = append(tos, a.Address)
			match = match || strings.EqualFold(a.Address, to)
		}
		if !match {
			continue
		}
		var full struct{ Text string }
		m.get(t, "/api/v1/message/"+x.ID, &full)
		out = append(out, Mail{ID: x.ID, To: tos, Subject: x.Subject, Text: full.Text})
	}
	return out
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// Code waits (up to 10 s) for a message to `to` beyond the first `seen`
// and returns the six-digit code in its text.
func (m *Mailpit) Code(t testing.TB, to string, seen int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ms := m.Messages(t, to); len(ms) > seen {
			c := sixDigits.FindString(ms[0].Text)
			if c == "" {
				t.Fatalf("no code in the mail to %s: %q", to, ms[0].Text)
			}
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s within 10 s", to)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(m.APIURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// String describes the server.
func (m *Mailpit) String() string { return fmt.Sprintf("Mailpit smtp=%s api=%s", m.SMTPAddr, m.APIURL) }
