// Package service owns the running service's lifetime: a server and the
// background parts beside it, run under one errgroup and stopped in order,
// and what was opened for them, released in the reverse order. What the
// parts are is wired by cmd/tasharuk (STYLE point 7); this package knows
// none of them, as nats-server's Server starts and stops its own
// goroutines without knowing what a client does.
package service

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"golang.org/x/sync/errgroup"
)

// Part is a background part of the service (the read-model follower, the
// checkpointer, the integration feed): Run works until ctx ends.
type Part struct {
	Name string
	Run  func(ctx context.Context) error
}

// Lifetime runs Serve with Parts beside it. The zero value runs nothing;
// set Serve before Run.
type Lifetime struct {
	// Logger receives the parts' failures and "stopped"; nil discards.
	Logger *slog.Logger
	// Parts are started in this order and stopped in the reverse order,
	// once Serve has returned.
	Parts []Part
	// Start, if set, runs once the parts run and before Serve; an error
	// ends Run (the parts are stopped).
	Start func(ctx context.Context) error
	// Serve is the server: it returns when ctx ends (context.Canceled
	// then counts as a clean stop) or when it fails.
	Serve func(ctx context.Context) error

	closers []func()
}

// OnClose adds f to what Close releases.
func (l *Lifetime) OnClose(f func()) { l.closers = append(l.closers, f) }

// Close releases what OnClose was given, in the reverse order. Call it
// after Run has returned (or instead of Run, when wiring failed).
func (l *Lifetime) Close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
	l.closers = nil
}

// Run runs until ctx ends, Serve fails or Start fails, and returns Serve's
// or Start's error. One errgroup owns every goroutine: Serve's and one per
// part. The parts get a context of their own, so they outlive the server's
// shutdown (requests in flight still read what they maintain) and are
// stopped after it, last started first. A part that ends with an error is
// logged and does not stop the service: a damaged log ends the follower
// and the checkpointer on purpose, and the service goes on serving reads
// while its readiness says why.
func (l *Lifetime) Run(ctx context.Context) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g, gctx := errgroup.WithContext(ctx)
	stops := make([]func(), 0, len(l.Parts))
	for _, p := range l.Parts {
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		stops = append(stops, func() { cancel(); <-done })
		g.Go(func() error {
			defer close(done)
			if err := p.Run(pctx); err != nil {
				logger.Error(p.Name+" stopped", "err", err)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		}()
		if l.Start != nil {
			if err := l.Start(gctx); err != nil {
				return err
			}
		}
		err := l.Serve(gctx)
		logger.Info("stopped")
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
	return g.Wait()
}
