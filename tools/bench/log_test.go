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
	if len(rs) != 7 {
		t.Fatalf("bench all: %d results, want 7 (raw sync, append, raw batch, one stream, 3 replay): %+v", len(rs), rs)
	}
	for _, r := range rs {
		if r.Ops <= 0 || r.Duration <= 0 || r.Rate <= 0 {
			t.Errorf("%q: ops %d, duration %v, rate %v", r.Name, r.Ops, r.Duration, r.Rate)
		}
		if strings.HasPrefix(r.Name, "tasharuk ") && (r.Baseline == "" || r.Ratio <= 0) {
			t.Errorf("%q is not compared with the raw engine: %+v", r.Name, r)
		}
	}
	if rs[1].Ops != 200 || rs[3].Ops != 100 {
		t.Errorf("appends measured: %d and %d on one stream, want 200 and 100", rs[1].Ops, rs[3].Ops)
	}
	// The replay reads the whole log: what the appends wrote and the fill.
	if rs[5].Ops < 400 {
		t.Errorf("replayed %d events, want at least 400", rs[5].Ops)
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
