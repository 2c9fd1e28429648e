package httpx

import (
	"net/http"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                      false,
		"gzip":                  true,
		"br, GZIP;q=0.5":        true,
		"deflate, gzip ; q=0":   false,
		"gzip;q=0.000":          false,
		"gzip;q=0.001":          true,
		"x-gzip":                false,
		"identity, zstd, gzip2": false,
		"br, gzip;q=0.8":        true,
		"gzip;q=0":              false,
		"deflate, zstd":         false,
		"GZIP":                  true,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if h != "" {
			r.Header.Set("Accept-Encoding", h)
		}
		if got := AcceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", h, got, want)
		}
	}
}
