package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductLinksNoTesting: the product binary links neither the
// standard library's testing packages nor the project's test helpers
// (the store conformance suite, natsbench, anything under tools/) — issue
// 15, acceptance 1. Benchmarks live in tools/bench.
func TestProductLinksNoTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/tasharuk/tasharuk/cmd/tasharuk").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/tasharuk: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	const mod = "github.com/tasharuk/tasharuk/"
	seen := map[string]bool{}
	for _, d := range deps {
		seen[d] = true
		switch {
		case d == "testing" || strings.HasPrefix(d, "testing/"):
			t.Errorf("cmd/tasharuk links %s", d)
		case strings.HasPrefix(d, mod+"tools/"):
			t.Errorf("cmd/tasharuk links a tool: %s", d)
		case strings.HasPrefix(d, mod) && strings.HasSuffix(d, "test"):
			t.Errorf("cmd/tasharuk links a test helper: %s", d)
		case strings.HasSuffix(d, "/natsbench"):
			t.Errorf("cmd/tasharuk links %s", d)
		}
	}
	// The list is the binary's: it holds the server and the event store.
	for _, want := range []string{mod + "cmd/tasharuk", mod + "server", mod + "eventstore/nats"} {
		if !seen[want] {
			t.Errorf("go list -deps ./cmd/tasharuk lacks %s: is it the product's list? (%d packages)", want, len(deps))
		}
	}
}
