package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// TestPrivacyEraseUnknownCouncil (issue 13, 7): `privacy erase` for a
// council that is not registered fails with COUNCIL_NOT_FOUND and records
// nothing.
func TestPrivacyEraseUnknownCouncil(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	head := e.head()
	e.stop()
	var out, errOut strings.Builder
	err := runPrivacy(context.Background(), []string{"erase", "--council", "99999999", "--national-id", "AB123456", "--data-dir", dir}, &out, &errOut)
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Reason != "COUNCIL_NOT_FOUND" || !strings.Contains(err.Error(), "no council 99999999") {
		t.Fatalf("erase in an unknown council: %v (stdout %q), want COUNCIL_NOT_FOUND", err, out.String())
	}
	if out.Len() != 0 {
		t.Errorf("reported on stdout: %q", out.String())
	}
	e.start()
	if got := e.head(); got != head {
		t.Fatalf("the refused erase moved the log from %d to %d", head, got)
	}
}
