package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// TLSOptions are the TLS serving options of `tasharuk serve`.
type TLSOptions struct {
	// CertFile and KeyFile hold the PEM certificate chain and key. They are
	// read again when either file changes (checked at most every few
	// seconds), so a renewed certificate is served without a restart.
	CertFile, KeyFile string
	// ClientCAFile, if set, holds the CAs whose client certificates are
	// verified when a client offers one (machine clients with mutual TLS);
	// clients without a certificate still connect and authenticate by
	// bearer token.
	ClientCAFile string
	// MinVersion is "1.2" (default) or "1.3".
	MinVersion string
}

// TLSConfig builds the server's TLS configuration from the options. It
// loads the certificate once now so that a bad path or key fails at start.
func TLSConfig(o TLSOptions) (*tls.Config, error) {
	cfg, _, err := tlsConfig(o)
	return cfg, err
}

func tlsConfig(o TLSOptions) (*tls.Config, *certReloader, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, nil, errors.New("tls: both a certificate and a key file are needed")
	}
	r := &certReloader{certFile: o.CertFile, keyFile: o.KeyFile}
	if err := r.load(); err != nil {
		return nil, nil, err
	}
	cfg := &tls.Config{
		GetCertificate: r.get,
		NextProtos:     []string{"h2", "http/1.1"},
	}
	switch o.MinVersion {
	case "", "1.2":
		cfg.MinVersion = tls.VersionTLS12
	case "1.3":
		cfg.MinVersion = tls.VersionTLS13
	default:
		return nil, nil, fmt.Errorf("tls: minimum version %q: want 1.2 or 1.3", o.MinVersion)
	}
	if o.ClientCAFile != "" {
		pem, err := os.ReadFile(o.ClientCAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("tls: client CAs: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("tls: client CAs: no PEM certificate in %s", o.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, r, nil
}

// certReloader serves the certificate on disk, reloading it when the files
// change. A reload that fails keeps the previous certificate (and is
// retried at the next check).
type certReloader struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string
	checked time.Time
}

const certCheckEvery = 5 * time.Second

func (r *certReloader) fileStamp() (string, error) {
	var stamp string
	for _, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("tls: %w", err)
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

func (r *certReloader) load() error {
	stamp, err := r.fileStamp()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load certificate: %w", err)
	}
	r.mu.Lock()
	r.cert, r.stamp, r.checked = &cert, stamp, time.Now()
	r.mu.Unlock()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	cert, stamp, due := r.cert, r.stamp, time.Since(r.checked) >= certCheckEvery
	if due {
		r.checked = time.Now()
	}
	r.mu.Unlock()
	if due {
		if now, err := r.fileStamp(); err == nil && now != stamp {
			if err := r.load(); err == nil {
				r.mu.Lock()
				cert = r.cert
				r.mu.Unlock()
			}
		}
	}
	return cert, nil
}
