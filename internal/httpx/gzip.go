// Package httpx holds small HTTP helpers shared by the REST gateway's and
// the web pages' response caches.
package httpx

import (
	"net/http"
	"strings"
)

// AcceptsGzip reports whether the request accepts gzip (and does not
// refuse it with q=0).
func AcceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
