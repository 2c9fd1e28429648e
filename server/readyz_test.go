package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/access"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// /readyz names the position and reason of a *NotReady, as text and as
// JSON; read-only it stays 200 for the reads and still names the damage.
func TestReadyzNamesPositionAndReason(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var ready error
	newServer := func(readOnly bool) *Server {
		s, err := New(Config{Store: store, Logger: quiet, Issuer: access.NewIssuer([]byte("0123456789abcdef0123456789abcdef"), "test"),
			Ready: func(context.Context) error { return ready }, ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	get := func(s *Server, accept string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		s.readyz(w, req)
		return w.Code, w.Body.String()
	}
	s := newServer(false)
	if code, body := get(s, ""); code != http.StatusOK || !strings.Contains(body, "ready, log head at position 0") {
		t.Fatalf("healthy: %d %s", code, body)
	}
	ready = &NotReady{Reason: "LOG_SHORTER_THAN_CHECKPOINT", Position: 147, Detail: "its tail is lost"}
	code, body := get(s, "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "LOG_SHORTER_THAN_CHECKPOINT at position 147: its tail is lost") {
		t.Fatalf("damaged, text: %d %s", code, body)
	}
	code, body = get(s, "application/json")
	var rd readiness
	if err := json.Unmarshal([]byte(body), &rd); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if code != http.StatusServiceUnavailable || rd.Ready || rd.Reason != "LOG_SHORTER_THAN_CHECKPOINT" || rd.Position != 147 || rd.Detail != "its tail is lost" {
		t.Fatalf("damaged, JSON: %d %s", code, body)
	}

	ro := newServer(true)
	// Read-only, while the read models still apply what is before the
	// damage: not ready.
	if code, body = get(ro, ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "position 147") {
		t.Fatalf("read-only over damage, read models behind: %d %s", code, body)
	}
	ready.(*NotReady).ReadsReady = true
	code, body = get(ro, "application/json")
	rd = readiness{}
	_ = json.Unmarshal([]byte(body), &rd)
	if code != http.StatusOK || !rd.Ready || !rd.ReadOnly || rd.Position != 147 || rd.Reason == "" {
		t.Fatalf("read-only over damage, JSON: %d %s", code, body)
	}
	if code, body = get(ro, ""); code != http.StatusOK || !strings.Contains(body, "read-only") || !strings.Contains(body, "position 147") {
		t.Fatalf("read-only over damage, text: %d %s", code, body)
	}
	// Any other failure (read models behind) is not ready even read-only.
	ready = errors.New("read models at 3 of 5")
	if code, body = get(ro, ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "read models at 3 of 5") {
		t.Fatalf("read-only, behind: %d %s", code, body)
	}
}
