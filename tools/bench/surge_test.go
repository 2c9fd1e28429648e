package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The stall timeline lists the n slowest answered requests, in the order
// they were due, each with its latency: a stall shows as a run of close
// due times.
func TestSurgeSlowestInDueOrder(t *testing.T) {
	l := &openLoop{name: "sign"}
	ms := time.Millisecond
	for i, lat := range []time.Duration{5 * ms, 380 * ms, 6 * ms, 400 * ms, 7 * ms, 390 * ms, 8 * ms} {
		l.slow = append(l.slow, sample{due: time.Duration(i) * 10 * ms, lat: lat})
	}
	// Answers arrive out of order: the recorded order must not matter.
	l.slow[1], l.slow[5] = l.slow[5], l.slow[1]
	var b bytes.Buffer
	l.printSlowest(&b, 3, time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a heading and 3 requests, got:\n%s", b.String())
	}
	want := []string{"due +10ms (19:00:00.010)  took 380ms", "due +30ms (19:00:00.030)  took 400ms", "due +50ms (19:00:00.050)  took 390ms"}
	for i, w := range want {
		if got := strings.TrimSpace(lines[i+1]); got != w {
			t.Errorf("line %d: got %q, want %q", i+1, got, w)
		}
	}
	b.Reset()
	l.printSlowest(&b, 0, time.Now())
	if b.Len() != 0 {
		t.Errorf("--slowest 0 printed %q", b.String())
	}
}
