package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address serving gRPC, REST and the web pages on one port")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&cfg.LogJSON, "log-json", false, "write logs as JSON lines")
	cfg.Store.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, cfg.LogLevel, cfg.LogJSON)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return serve(ctx, cfg, ln, logger)
}

// serve runs the service on ln until ctx ends. Tests call it directly with
// a random port and a temporary data folder.
func serve(ctx context.Context, cfg config, ln net.Listener, logger *slog.Logger) error {
	defer ln.Close()
	store, err := natsstore.Open(ctx, cfg.Store.natsConfig(logger))
	if err != nil {
		return err
	}
	defer store.Close()
	mode := "embedded, data in " + cfg.Store.DataDir
	if cfg.Store.NATSURL != "" {
		mode = "cluster " + cfg.Store.NATSURL
	}
	logger.Info("event log open", "backend", "nats", "mode", mode, "stream", store.StreamName(), "replicas", store.Replicas())

	reg := prometheus.NewRegistry()
	registerStoreMetrics(reg, store)
	srv, err := server.New(server.Config{
		Store:    store,
		Backend:  "nats",
		Facts:    store,
		Registry: reg,
		Logger:   logger,
		Version:  versionString(),
	})
	if err != nil {
		return err
	}
	err = srv.Serve(ctx, ln)
	logger.Info("stopped")
	return err
}

func registerStoreMetrics(reg *prometheus.Registry, s *natsstore.Store) {
	st := s.Stats()
	counter := func(name, help string, f func() uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) }))
	}
	counter("tasharuk_store_appends_total", "Append calls.", st.Appends.Load)
	counter("tasharuk_store_events_total", "Events recorded.", st.Events.Load)
	counter("tasharuk_store_commits_total", "Writes sent to JetStream (plain publishes and atomic batches).", st.Commits.Load)
	counter("tasharuk_store_batch_commits_total", "Atomic batches sent to JetStream.", st.BatchCommits.Load)
	counter("tasharuk_store_committed_messages_total", "Messages sent in commits.", st.CommittedMsgs.Load)
	counter("tasharuk_store_conflicts_total", "Appends refused for a wrong expected revision.", st.Conflicts.Load)
	counter("tasharuk_store_batch_retries_total", "Group commits that failed as a whole and were split.", st.BatchRetries.Load)
}
