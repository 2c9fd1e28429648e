package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/internal/testcert"
)

// TestServeWarnsOfCheckpointKeyInDataFolder: with TLS (a production
// set-up), serve warns at start when the checkpoint key lies in the data
// folder — whoever holds the folder could rewrite the log and re-sign it —
// and says nothing once --keys-dir is elsewhere, or on a plain local start.
func TestServeWarnsOfCheckpointKeyInDataFolder(t *testing.T) {
	certFile, keyFile := testcert.Write(t, t.TempDir(), "tasharuk-test")
	for _, c := range []struct {
		name      string
		tls       bool
		keysApart bool
		warn      bool
	}{
		{"TLS, keys in the data folder", true, false, true},
		{"TLS, keys mounted apart", true, true, false},
		{"local, keys in the data folder", false, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg := config{Addr: ln.Addr().String(), Listener: ln}
			cfg.Store.DataDir = t.TempDir()
			cfg.Store.Stream = "TASHARUK_LOG"
			if c.keysApart {
				cfg.Store.KeysDir = t.TempDir()
			}
			if c.tls {
				cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, keyFile
			}
			logs := &syncBuffer{}
			cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
			a, err := newApp(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			a.Close()
			warned := strings.Contains(logs.String(), "level=WARN msg=\"the checkpoint key is in the data folder")
			if warned != c.warn {
				t.Fatalf("warned %v, want %v:\n%s", warned, c.warn, logs.String())
			}
		})
	}
}
