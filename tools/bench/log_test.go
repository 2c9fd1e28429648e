package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// TestBenchAllSmall runs `bench all --json` end to end with tiny sizes on
// an embedded JetStream: every measurement is there, counted and timed,
// and tasharuk's rows are compared with the raw engine's.
func TestBenchAllSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"all", "--json", "--writers", "4", "--appends", "200", "--one-stream", "100", "--replay-events", "400", "--data-dir", t.TempDir()}
	if rc := run(args, &stdout, &stderr); rc != 0 {
		t.Fatalf("bench all: exit %d\n%s", rc, stderr.String())
	}
	var rs []natsbench.Result
	if err := json.Unmarshal(stdout.Bytes(), &rs); err != nil {
		t.Fatalf("bench all --json: %v\n%s", err, stdout.String())
	}
	if len(rs) != 12 {
		t.Fatalf("bench all: %d results, want 12 (raw sync, append, 5 commit designs, raw batch, one stream, 3 replay): %+v", len(rs), rs)
	}
	named := map[string]natsbench.Result{}
	for _, r := range rs {
		if r.Ops <= 0 || r.Duration <= 0 || r.Rate <= 0 {
			t.Errorf("%q: ops %d, duration %v, rate %v", r.Name, r.Ops, r.Duration, r.Rate)
		}
		if (strings.HasPrefix(r.Name, "tasharuk ") || strings.HasPrefix(r.Name, "prototype") || strings.Contains(r.Name, "checked")) && (r.Baseline == "" || r.Ratio <= 0) {
			t.Errorf("%q is not compared with the raw engine: %+v", r.Name, r)
		}
		named[r.Name] = r
	}
	// Every design commits the same 200 appends, each acknowledged.
	for _, name := range []string{
		"tasharuk append, 4 writers, distinct streams",
		"raw atomic batch of 4, checked, 1 publisher (p50/p99 per batch)",
		"raw atomic batch of 4, unchecked, 1 publisher (p50/p99 per batch)",
		"raw fast batch of 4, checked, 1 publisher (p50/p99 per batch)",
		"prototype, one message per commit, 4 writers, 1 in flight",
		"prototype, one message per commit, 4 writers, 4 in flight",
	} {
		if r, ok := named[name]; !ok || r.Ops != 200 || r.P50 <= 0 {
			t.Errorf("%q: %+v, want 200 appends with latencies", name, r)
		}
	}
	if r := named["tasharuk one stream, 4 writers, expected revisions"]; r.Ops != 100 {
		t.Errorf("appends on one stream: %+v, want 100", r)
	}
	// The replay reads the whole log: what the appends wrote and the fill.
	if r := named["tasharuk replay (ReadAll, decoded)"]; r.Ops < 400 {
		t.Errorf("replayed %d events, want at least 400", r.Ops)
	}
}

// TestBenchUnknown: a bench with nothing to measure says so and fails.
func TestBenchUnknown(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"nothing"}, &stdout, &stderr); rc != 2 {
		t.Errorf("bench nothing: exit %d, want 2", rc)
	}
	if !strings.Contains(stderr.String(), "append|replay|all|petitions|mechanisms|scenario") {
		t.Errorf("bench nothing: %q names no measurement", stderr.String())
	}
}

// TestBenchBesidePostgres runs the same workloads on a real PostgreSQL
// started by scripts/postgres (synchronous commits): each PostgreSQL row
// is measured and each tasharuk row is also compared with PostgreSQL's.
func TestBenchBesidePostgres(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(repoRoot(t), "scripts", "postgres")
	// scripts/postgres makes its own folder, one the server's (non-root)
	// user can reach.
	var errOut bytes.Buffer
	start := exec.Command(script, "start")
	start.Stderr = &errOut
	out, err := start.Output()
	if err != nil {
		t.Fatalf("scripts/postgres start: %v %s (PostgreSQL is a Debian package: apt-get install postgresql)", err, errOut.String())
	}
	pgDir := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(errOut.String(), " (stop", 2)[0], "scripts/postgres: running in "))
	t.Cleanup(func() { _ = exec.Command(script, "stop", pgDir).Run() })
	url := strings.TrimSpace(string(out))
	var stdout, stderr bytes.Buffer
	args := []string{"all", "--json", "--postgres", url, "--writers", "4", "--writers-list", "2,4", "--appends", "100", "--one-stream", "100",
		"--replay-events", "300", "--data-dir", filepath.Join(dir, "nats")}
	if rc := run(args, &stdout, &stderr); rc != 0 {
		t.Fatalf("bench all --postgres: exit %d\n%s", rc, stderr.String())
	}
	var rs []natsbench.Result
	if err := json.Unmarshal(stdout.Bytes(), &rs); err != nil {
		t.Fatalf("bench all --json: %v\n%s", err, stdout.String())
	}
	pgRows, compared := 0, map[string]bool{}
	for _, r := range rs {
		if strings.HasPrefix(r.Name, "PostgreSQL ") {
			pgRows++
			if r.Ops <= 0 || r.Rate <= 0 {
				t.Errorf("%q: ops %d, rate %v", r.Name, r.Ops, r.Rate)
			}
		}
		if strings.HasPrefix(r.Name, "tasharuk ") && strings.HasPrefix(r.Baseline, "PostgreSQL ") && r.Ratio > 0 {
			compared[r.Name] = true
		}
	}
	// Appends for 2 and 4 writers, one stream, replay.
	if pgRows != 4 || len(compared) != 5 {
		t.Fatalf("%d PostgreSQL rows, %d tasharuk rows compared with them; want 4 and 5: %+v", pgRows, len(compared), rs)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
}
