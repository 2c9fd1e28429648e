package server

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/internal/testcert"
)

func servedCN(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	c, err := cfg.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := testcert.Write(t, dir, "first")

	if _, err := TLSConfig(TLSOptions{CertFile: certFile}); err == nil {
		t.Fatal("a certificate without a key was accepted")
	}
	if _, err := TLSConfig(TLSOptions{CertFile: certFile, KeyFile: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Fatal("a missing key file was accepted")
	}
	if _, err := TLSConfig(TLSOptions{CertFile: certFile, KeyFile: keyFile, MinVersion: "1.0"}); err == nil {
		t.Fatal("TLS 1.0 was accepted as a minimum")
	}
	if _, err := TLSConfig(TLSOptions{CertFile: certFile, KeyFile: keyFile, ClientCAFile: keyFile}); err == nil {
		t.Fatal("a client CA file without certificates was accepted")
	}

	cfg, r, err := tlsConfig(TLSOptions{CertFile: certFile, KeyFile: keyFile, MinVersion: "1.3", ClientCAFile: certFile})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS13 || cfg.ClientAuth != tls.VerifyClientCertIfGiven {
		t.Fatalf("min version %x, client auth %v", cfg.MinVersion, cfg.ClientAuth)
	}
	if got := servedCN(t, cfg); got != "first" {
		t.Fatalf("served %q, want first", got)
	}

	// A renewed certificate is served once the files change and the check
	// is due; a broken file keeps the last good certificate.
	testcert.Write(t, dir, "renewed")
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(certFile, later, later)
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	if got := servedCN(t, cfg); got != "renewed" {
		t.Fatalf("after renewal served %q, want renewed", got)
	}
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	if got := servedCN(t, cfg); got != "renewed" {
		t.Fatalf("after a broken write served %q, want the last good one", got)
	}
}
