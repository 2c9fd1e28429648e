package natsstore_test

import (
	"os"
	"testing"
)

// TestMain lets the test binary double as the crash test's child process:
// with TASHARUK_CRASH_CHILD set it runs an appender until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("TASHARUK_CRASH_CHILD"); dir != "" {
		runCrashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
