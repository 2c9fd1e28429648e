package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/esdb"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// logStore is the event log chosen by --store, and the NATS server the
// service always has (embedded or external): it holds the personal-data
// key store and carries the integration feed, whatever holds the log.
type logStore struct {
	Log     eventstore.Store
	NATS    *natsstore.Store
	Backend string
	esdb    *esdb.Store
}

// Close closes both.
func (l *logStore) Close() {
	if l.esdb != nil {
		_ = l.esdb.Close()
	}
	_ = l.NATS.Close()
}

// openLog opens NATS and, with --store esdb, the EventStoreDB log.
func openLog(ctx context.Context, sc storeConfig, logger *slog.Logger) (*logStore, error) {
	ns, err := natsstore.Open(ctx, sc.natsConfig(logger))
	if err != nil {
		return nil, err
	}
	switch sc.Backend {
	case "", "nats":
		return &logStore{Log: ns, NATS: ns, Backend: "nats"}, nil
	case "esdb":
		if sc.ESDBURL == "" {
			_ = ns.Close()
			return nil, fmt.Errorf("--store esdb needs --esdb-url (esdb://host:2113?tls=false)")
		}
		es, err := esdb.Open(ctx, esdb.Config{URL: sc.ESDBURL, Username: sc.ESDBUser, Password: sc.ESDBPassword, TLSCAFile: sc.ESDBCA, Prefix: sc.ESDBPrefix, Logger: logger})
		if err != nil {
			_ = ns.Close()
			return nil, err
		}
		return &logStore{Log: es, NATS: ns, Backend: "esdb", esdb: es}, nil
	}
	_ = ns.Close()
	return nil, fmt.Errorf("--store %q: nats or esdb", sc.Backend)
}
