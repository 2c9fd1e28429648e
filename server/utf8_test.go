package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// Bytes that are not UTF-8 in a REST path or query never reach the
// gateway (which answered 500, unable to marshal them into a proto
// string): 400 INVALID_ARGUMENT naming the parameter.
func TestUTF8GuardRefusesInvalidText(t *testing.T) {
	gw := runtime.NewServeMux()
	reached := 0
	if err := gw.HandlePath(http.MethodGet, "/v1/{parent=communes/*}/petitions", func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
		reached++
		w.WriteHeader(http.StatusOK)
	}); err != nil {
		t.Fatal(err)
	}
	h := utf8Guard(gw)
	for _, c := range []struct {
		target string
		code   int
		names  string
	}{
		{"/v1/communes/50910101/petitions?pageToken=%ff", http.StatusBadRequest, "page_token"},
		{"/v1/communes/50910101/petitions?page_token=ok%c3", http.StatusBadRequest, "page_token"},
		{"/v1/communes/50910101/petitions?filter=%ff", http.StatusBadRequest, "filter"},
		{"/v1/communes/5091%ff/petitions", http.StatusBadRequest, "path"},
		{"/v1/communes/50910101/petitions?pageToken=%zz", http.StatusBadRequest, "query string"},
		{"/v1/communes/50910101/petitions?filter=state%3DDRAFT&pageToken=abc", http.StatusOK, ""},
		{"/v1/communes/50910101/petitions?filter=%D8%B9%D8%B1%D9%8A%D8%B6%D8%A9", http.StatusOK, ""},
	} {
		before := reached
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.target, nil))
		if rec.Code != c.code {
			t.Errorf("GET %s: %d %s, want %d", c.target, rec.Code, rec.Body, c.code)
			continue
		}
		if c.code == http.StatusOK {
			if reached != before+1 {
				t.Errorf("GET %s did not reach the gateway", c.target)
			}
			continue
		}
		if reached != before {
			t.Errorf("GET %s reached the gateway", c.target)
		}
		if b := rec.Body.String(); !strings.Contains(b, `"INVALID_ARGUMENT"`) || !strings.Contains(b, c.names) {
			t.Errorf("GET %s: body %s does not carry INVALID_ARGUMENT and %q", c.target, b, c.names)
		}
	}
}
