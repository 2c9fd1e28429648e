package main

import (
	"testing"
	"time"
)

// TestBenchCosignDelays: each append's delay runs to the first checkpoint
// covering its position (tree size at least the position), never to an
// earlier one that does not cover it; an append not yet covered is left
// out.
func TestBenchCosignDelays(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	marks := []ack{{100, at(500)}, {250, at(900)}, {400, at(1500)}}
	acks := []ack{{1, at(0)}, {100, at(100)}, {101, at(200)}, {300, at(1000)}, {401, at(1100)}}
	got := cosignDelays(acks, marks)
	want := []time.Duration{400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 700 * time.Millisecond}
	if len(got) != len(want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays %v, want %v", got, want)
		}
	}
}
