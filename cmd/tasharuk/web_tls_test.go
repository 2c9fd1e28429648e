package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// TestWebOverTLS serves with --tls-cert: the pages work on the TLS-only
// port (they reach the API in memory), and the sign-in cookie is Secure.
func TestWebOverTLS(t *testing.T) {
	addr, pool := startTLSServe(t, "1.2")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + addr
	var body string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := client.Get(base + "/regions/beni-mellal-khenifra?lang=fr")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			body = string(b)
			break
		}
	}
	if strings.Count(body, `href="/communes/`) < 135 {
		t.Fatalf("the region page over TLS lacks its communes:\n%.500s", body)
	}
	// A first visit gets its CSRF cookie: Secure, HttpOnly, SameSite=Strict.
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: client.Transport}
	resp, err := fresh.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if len(cookies) == 0 {
		t.Fatal("no cookie set on the sign-in page")
	}
	for _, c := range cookies {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s over TLS: %+v", c.Name, c)
		}
	}
}
