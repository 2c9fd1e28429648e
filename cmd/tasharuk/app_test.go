package main

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// storeFamilies gathers the tasharuk_store_* metrics registerStoreMetrics
// registers for ls, by name.
func storeFamilies(t *testing.T, ls *logStore) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	registerStoreMetrics(reg, ls)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "tasharuk_store_") {
			got[mf.GetName()] = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return got
}

func TestStoreMetricsCountTheLogStore(t *testing.T) {
	// The NATS server beside the log has counted appends of its own (the
	// same Store type serves both roles).
	ns := &natsstore.Store{}
	ns.Stats().Appends.Add(7)
	ns.Stats().Events.Add(9)

	t.Run("nats", func(t *testing.T) {
		got := storeFamilies(t, &logStore{Log: ns, NATS: ns, Backend: "nats"})
		if len(got) != 8 {
			t.Fatalf("store metrics = %v, want the 8 tasharuk_store_* counters", got)
		}
		if got["tasharuk_store_appends_total"] != 7 || got["tasharuk_store_events_total"] != 9 {
			t.Fatalf("appends, events = %v, %v; want 7, 9 (the log store's figures)",
				got["tasharuk_store_appends_total"], got["tasharuk_store_events_total"])
		}
	})
	t.Run("esdb", func(t *testing.T) {
		// With --store esdb the NATS store holds no event: its figures
		// must not be reported as the log's.
		if got := storeFamilies(t, &logStore{NATS: ns, Backend: "esdb"}); len(got) != 0 {
			t.Fatalf("with --store esdb, store metrics = %v, want none (the NATS side store's are not the log's)", got)
		}
	})
}
