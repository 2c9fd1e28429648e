package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// On a terminal the long commands rewrite one line with their counts;
// elsewhere they write nothing but their summary.
func TestProgressOnlyOnATerminal(t *testing.T) {
	var pipe bytes.Buffer
	p := startProgress(&pipe, "audit export", "events", 10)
	p.add(4)
	time.Sleep(2 * progressEvery)
	p.finish()
	if pipe.Len() != 0 {
		t.Fatalf("progress written to a non-terminal: %q", pipe.String())
	}

	was := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = was })
	var term syncBuffer
	p = startProgress(&term, "audit export", "events", 10)
	p.add(4)
	time.Sleep(progressEvery + progressEvery/2)
	first := term.String()
	p.add(6)
	time.Sleep(progressEvery)
	p.finish()
	p.finish() // twice is harmless
	out := term.String()
	if !strings.HasPrefix(first, "\raudit export: 4 of 10 events (40%)") {
		t.Fatalf("first progress line %q", first)
	}
	if !strings.Contains(out, "\raudit export: 10 of 10 events (100%)") {
		t.Fatalf("progress lines %q lack the final count", out)
	}
	if !strings.HasSuffix(out, "\r") || strings.Contains(out, "\n") {
		t.Fatalf("progress %q: want \\r lines, cleared at the end, and no newline", out)
	}
}
