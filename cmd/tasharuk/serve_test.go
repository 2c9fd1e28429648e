package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// startServe runs the service in-process on a random port over dataDir and
// returns its address; it stops at the end of the test.
func startServe(t *testing.T, dataDir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := config{Addr: ln.Addr().String()}
	cfg.Store.DataDir = dataDir
	cfg.Store.Stream = "TASHARUK_LOG"
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
	waitHealthy(t, "http://"+ln.Addr().String())
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz did not answer within 30s", base)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// seed appends n events directly to the data folder's log.
func seed(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		if _, err := s.Append(context.Background(), fmt.Sprintf("case.s%d", i%3), eventstore.Any,
			[]eventstore.Proposed{storetest.Event("test.Seeded", fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 7)
	addr := startServe(t, dir)
	base := "http://" + addr

	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, "position 7") {
		t.Fatalf("/readyz = %d %q", code, body)
	}

	// REST through the gateway.
	code, body := get(t, base+"/v1/log")
	if code != 200 {
		t.Fatalf("GET /v1/log = %d %s", code, body)
	}
	var info struct {
		HeadPosition   string `json:"headPosition"`
		Backend        string `json:"backend"`
		LogName        string `json:"logName"`
		Replicas       int    `json:"replicas"`
		LastRecordedAt string `json:"lastRecordedAt"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if info.HeadPosition != "7" || info.Backend != "nats" || info.LogName != "TASHARUK_LOG" || info.Replicas != 1 || info.LastRecordedAt == "" {
		t.Fatalf("GET /v1/log = %+v", info)
	}

	// gRPC on the same port.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gRPC health = %v, %v", hc, err)
	}
	li, err := eventlogv1.NewEventLogServiceClient(conn).GetLogInfo(ctx, &eventlogv1.GetLogInfoRequest{})
	if err != nil || li.GetHeadPosition() != 7 {
		t.Fatalf("GetLogInfo = %v, %v", li, err)
	}

	// Metrics count the RPCs, REST ones included (they pass through gRPC).
	code, body = get(t, base+"/metrics")
	if code != 200 || !strings.Contains(body, "tasharuk_store_appends_total") ||
		!strings.Contains(body, `tasharuk_rpc_requests_total{code="OK",method="/tasharuk.eventlog.v1.EventLogService/GetLogInfo"} 2`) {
		t.Fatalf("/metrics = %d, missing store or RPC metrics", code)
	}
	// Security headers on HTTP responses.
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("missing security headers: %v", resp.Header)
	}
	if code, _ := get(t, base+"/v1/nope"); code != http.StatusNotFound {
		t.Fatalf("unknown REST path = %d, want 404", code)
	}
	// The data folder holds the log.
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatalf("data folder has no JetStream store: %v", err)
	}
}

func TestRestartFindsEveryEvent(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 25)
	readAllIDs := func() []string {
		s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		evs, err := s.ReadAll(context.Background(), 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		var v eventstore.ChainVerifier
		for i := range evs {
			if err := v.Verify(&evs[i]); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, evs[i].ID)
		}
		return ids
	}
	before := readAllIDs()
	for round := range 2 {
		func() {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			cfg := config{}
			cfg.Store.DataDir = dir
			go func() { done <- serve(ctx, cfg, ln, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
			waitHealthy(t, "http://"+ln.Addr().String())
			if code, body := get(t, "http://"+ln.Addr().String()+"/v1/log"); code != 200 || !strings.Contains(body, `"headPosition":"25"`) {
				t.Fatalf("restart %d: /v1/log = %d %s", round, code, body)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}()
	}
	after := readAllIDs()
	if strings.Join(before, ",") != strings.Join(after, ",") || len(after) != 25 {
		t.Fatalf("after restarts the log holds %d events, before %d", len(after), len(before))
	}
}

// TestBinaryStopsCleanlyOnSIGTERM builds the real binary, runs `serve` and
// stops it with SIGTERM: it must exit 0 and release the data folder.
func TestBinaryStopsCleanlyOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tasharuk")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		dir := t.TempDir()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dir)
		var logs strings.Builder
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, "http://"+addr)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: exit %v; logs:\n%s", sig, err, logs.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%v: did not stop within 20s", sig)
		}
		if !strings.Contains(logs.String(), "stopped") {
			t.Fatalf("%v: no clean stop in the logs:\n%s", sig, logs.String())
		}
		seed(t, dir, 1) // the data folder is free again
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "tasharuk ") {
		t.Fatalf("version: exit %d, %q", code, out.String())
	}
	t.Setenv("TASHARUK_REPLICAS", "three")
	errOut.Reset()
	if code := run([]string{"serve"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "TASHARUK_REPLICAS") {
		t.Fatalf("bad environment value: exit %d, %q", code, errOut.String())
	}
}

func TestAuthzMatrixCommand(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"authz", "matrix"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "tasharuk.petitions.v1.PetitionService/DecideAdmissibility") {
		t.Fatalf("matrix lacks the petition methods:\n%s", out.String())
	}
}
