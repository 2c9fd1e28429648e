package main

import (
	"log/slog"
	"time"
)

// startupClock logs, at info, how long each phase of serve's start took
// (a "start-up" line per phase, with the time since the start), so a slow
// start says where its time went (issue 17: time to ready).
type startupClock struct {
	logger      *slog.Logger
	start, last time.Time
}

func newStartupClock(logger *slog.Logger) *startupClock {
	now := time.Now()
	return &startupClock{logger: logger, start: now, last: now}
}

// phase logs the phase that just ended.
func (c *startupClock) phase(name string, args ...any) {
	now := time.Now()
	c.logger.Info("start-up", append([]any{"phase", name, "took", now.Sub(c.last).Round(time.Millisecond), "since_start", now.Sub(c.start).Round(time.Millisecond)}, args...)...)
	c.last = now
}
