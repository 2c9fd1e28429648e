package signintest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"
)

// SMSReceiver is a loopback HTTP server standing for an SMS gateway: it
// records every JSON message posted to it.
type SMSReceiver struct {
	URL string

	mu   sync.Mutex
	msgs []SMS
}

// SMS is one recorded gateway call.
type SMS struct {
	To, Message, ContentType string
}

// StartSMSReceiver starts the receiver, stopped when the test ends.
func StartSMSReceiver(t testing.TB) *SMSReceiver {
	t.Helper()
	r := &SMSReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct {
			To      string `json:"to"`
			Message string `json:"message"`
		}
		if req.Method != http.MethodPost || json.NewDecoder(req.Body).Decode(&m) != nil || m.To == "" {
			http.Error(w, "want a JSON POST {to, message}", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, SMS{To: m.To, Message: m.Message, ContentType: req.Header.Get("Content-Type")})
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/send"
	return r
}

// Messages returns the calls made so far.
func (r *SMSReceiver) Messages() []SMS {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SMS(nil), r.msgs...)
}

// Code waits (up to 10 s) for a message to `to` beyond the first `seen`
// and returns its six-digit code.
func (r *SMSReceiver) Code(t testing.TB, to string, seen int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var mine []SMS
		for _, m := range r.Messages() {
			if m.To == to {
				mine = append(mine, m)
			}
		}
		if len(mine) > seen {
			if c := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(mine[len(mine)-1].Message); c != "" {
				return c
			}
			t.Fatalf("no code in the SMS to %s: %q", to, mine[len(mine)-1].Message)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SMS to %s within 10 s", to)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
