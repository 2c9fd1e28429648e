package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/internal/testcert"
)

// TestServeTLS runs the service with --tls-cert/--tls-key: the one port
// then speaks TLS only, gRPC and REST (through the gateway) alike, with
// HTTP/2 by ALPN and a strict-transport header; plaintext is refused.
func TestServeTLS(t *testing.T) {
	addr, pool := startTLSServe(t, "1.3")

	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}, Timeout: 10 * time.Second}
	base := "https://" + addr
	var ready *http.Response
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = resp
				break
			}
		}
	}
	if ready == nil {
		t.Fatal("/readyz over TLS did not answer 200 within 60s")
	}
	if ready.Proto != "HTTP/2.0" {
		t.Errorf("HTTPS served %s, want HTTP/2.0 by ALPN", ready.Proto)
	}
	if got := ready.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q", got)
	}
	if ready.TLS == nil || ready.TLS.Version != tls.VersionTLS13 {
		t.Errorf("TLS state %+v, want TLS 1.3", ready.TLS)
	}

	// REST through the gateway (which reaches gRPC in memory).
	resp, err := client.Get(base + "/v1/councils?filter=level%3DCOMMUNE&page_size=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rest struct {
		TotalSize int `json:"totalSize"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &rest) != nil {
		t.Fatalf("GET /v1/councils over TLS: %d %s", resp.StatusCode, body)
	}
	if rest.TotalSize != 135 {
		t.Errorf("REST over TLS counted %d communes, want 135", rest.TotalSize)
	}

	// gRPC over TLS.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	list, err := territoryv1.NewTerritoryServiceClient(conn).ListCouncils(cctx, &territoryv1.ListCouncilsRequest{Filter: "level=COMMUNE", PageSize: 1})
	if err != nil {
		t.Fatalf("gRPC over TLS: %v", err)
	}
	if list.GetTotalSize() != 135 {
		t.Errorf("gRPC over TLS counted %d communes, want 135", list.GetTotalSize())
	}

	// Plaintext is not served: neither HTTP/1.1 nor gRPC in the clear.
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was answered 200 on the TLS port")
		}
	}
	plain, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	pctx, pcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer pcancel()
	if _, err := territoryv1.NewTerritoryServiceClient(plain).ListCouncils(pctx, &territoryv1.ListCouncilsRequest{PageSize: 1}); err == nil {
		t.Error("plaintext gRPC was served on the TLS port")
	}
	// A client that does not trust the certificate cannot connect.
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/readyz"); err == nil {
		t.Error("a client without the CA connected")
	}
}

// startTLSServe runs the service over the Béni Mellal-Khénifra census on a
// TLS-only port with a fresh self-signed certificate; it returns the
// address and a pool trusting that certificate.
func startTLSServe(t *testing.T, minVersion string) (string, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	var out, errOut strings.Builder
	if err := runTerritory(context.Background(), []string{"import", sharedData(t, "bmk_communes_2024.csv"), "--data-dir", dir, "--create"}, &out, &errOut); err != nil {
		t.Fatalf("territory import: %v\n%s", err, errOut.String())
	}
	certFile, keyFile := testcert.Write(t, t.TempDir(), "tasharuk-test")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := config{Addr: addr}
	cfg.Store.DataDir = dir
	cfg.Store.Stream = "TASHARUK_LOG"
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.MinVersion = certFile, keyFile, minVersion
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop within 20s")
		}
	})

	return addr, testcert.Pool(t, certFile)
}
