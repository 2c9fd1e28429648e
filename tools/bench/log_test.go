package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// TestBenchAllSmall runs `bench all --json` end to end with tiny sizes on
// an embedded JetStream: every measurement is there, counted and timed,
// and tasharuk's rows are compared with the raw engine's.
func TestBenchAllSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"all", "--json", "--writers", "4", "--appends", "200", "--replay-events", "400", "--data-dir", t.TempDir()}
	if rc := run(args, &stdout, &stderr); rc != 0 {
		t.Fatalf("bench all: exit %d\n%s", rc, stderr.String())
	}
	var rs []natsbench.Result
	if err := json.Unmarshal(stdout.Bytes(), &rs); err != nil {
		t.Fatalf("bench all --json: %v\n%s", err, stdout.String())
	}
	if len(rs) != 7 {
		t.Fatalf("bench all: %d results, want 7 (4 append, 3 replay): %+v", len(rs), rs)
	}
	for _, r := range rs {
		if r.Ops <= 0 || r.Duration <= 0 || r.Rate <= 0 {
			t.Errorf("%q: ops %d, duration %v, rate %v", r.Name, r.Ops, r.Duration, r.Rate)
		}
		if strings.HasPrefix(r.Name, "tasharuk ") && (r.Baseline == "" || r.Ratio <= 0) {
			t.Errorf("%q is not compared with the raw engine: %+v", r.Name, r)
		}
	}
	if rs[2].Ops != 200 {
		t.Errorf("appends measured: %d, want 200", rs[2].Ops)
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
