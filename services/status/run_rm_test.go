package status_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/integrity"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openQuietStore(t *testing.T) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// runFollower runs f until it returns (it stops on damage) or the test
// times out; it returns Run's error.
func runFollower(t *testing.T, f *projections.Follower, until func() bool) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for !until() {
		select {
		case err := <-done:
			return err
		case <-deadline:
			t.Fatal("the follower did not get there in 10 s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	return <-done
}

// An event published straight to JetStream with a payload that does not
// match its hash (a council renamed after hashing) is not applied: the
// follower stops before it and the monitor names its position.
func TestFollowerRefusesATamperedEvent(t *testing.T) {
	ctx := context.Background()
	s := openQuietStore(t)
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	w := writer{t: t, s: s, reg: reg}
	fill(t, w)
	head, _ := s.LastPosition(ctx)

	p, err := reg.Propose(&territoryeventsv1.CouncilRegistered{Code: "300", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "Vraie", ParentCode: "p1", Population: 1000, CensusYear: 2024},
		es.Meta{ID: uuid.Must(uuid.NewV7()).String(), Actor: eventstore.Actor{Subject: "clerk", Role: "staff"}})
	if err != nil {
		t.Fatal(err)
	}
	e := eventstore.Seal("council.300", eventstore.Head{}, []eventstore.Proposed{p}, base)[0]
	forged, _ := reg.Propose(&territoryeventsv1.CouncilRegistered{Code: "300", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "Fausse", ParentCode: "p1", Population: 1000, CensusYear: 2024},
		es.Meta{ID: e.ID})
	e.Payload = forged.Payload // the hash is the true payload's
	data, err := eventstore.MarshalStored(&e)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "tasharuk.log.council.300", data); err != nil {
		t.Fatal(err)
	}
	w.append("council.400", eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: "400", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "C400", ParentCode: "p1", Population: 1000, CensusYear: 2024})

	m := integrity.NewMonitor(quiet)
	model := status.NewReadModels(reg)
	f := &projections.Follower{Model: model.Runner, Store: s, Logger: quiet, Monitor: m}
	if _, err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err = runFollower(t, f, func() bool { return m.Damage() != nil })
	if d := integrity.AsDamage(err); d == nil || d.Kind != integrity.HashMismatch || d.Position != head+1 {
		t.Fatalf("Run: %v, want a hash mismatch at %d", err, head+1)
	}
	if d := m.Damage(); d == nil || d.Position != head+1 || d.Source != "read model" {
		t.Fatalf("monitor: %+v", d)
	}
	if model.Position() != head {
		t.Fatalf("the model applied up to %d, want %d (nothing from the tampered event on)", model.Position(), head)
	}
	if _, ok := model.Territory.Council("300"); ok {
		t.Fatal("the tampered council is in the read model")
	}
}

// A snapshot ahead of the log (the log lost its tail) is reported, the
// model rebuilt from what is left, and the snapshot kept as evidence.
func TestFollowerReportsASnapshotAheadOfTheLog(t *testing.T) {
	ctx := context.Background()
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	long := openQuietStore(t)
	fill(t, writer{t: t, s: long, reg: reg})
	longHead, _ := long.LastPosition(ctx)
	snap := filepath.Join(t.TempDir(), "snapshot.gob")
	first := &projections.Follower{Model: status.NewReadModels(reg).Runner, Store: long, Logger: quiet, SnapshotPath: snap}
	if _, err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := runFollower(t, first, func() bool { return first.Model.Position() == longHead }); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}

	short := openQuietStore(t)
	w := writer{t: t, s: short, reg: reg}
	w.append("council.r1", eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: "r1", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION, NameFr: "Région", Population: 2000000, CensusYear: 2024})
	w.append("council.p1", eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: "p1", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE, NameFr: "Province", ParentCode: "r1", Population: 300000, CensusYear: 2024})
	m := integrity.NewMonitor(quiet)
	rms := status.NewReadModels(reg)
	f := &projections.Follower{Model: rms.Runner, Store: short, Logger: quiet, SnapshotPath: snap, Monitor: m}
	from, err := f.Start(ctx)
	if err != nil || from != 0 {
		t.Fatalf("Start: %d %v, want a rebuild from 0", from, err)
	}
	if d := m.Damage(); d == nil || d.Kind != integrity.LogShorterThanReadModel || d.Position != 3 {
		t.Fatalf("monitor: %+v, want LOG_SHORTER_THAN_READ_MODEL at 3", d)
	}
	if err := runFollower(t, f, func() bool { return f.Model.Position() == 2 }); err != nil {
		t.Fatal(err)
	}
	if _, ok := rms.Territory.Council("p1"); !ok {
		t.Fatal("what is left of the log is not readable")
	}
	after, _ := os.ReadFile(snap)
	if !bytes.Equal(before, after) {
		t.Fatal("the snapshot of the longer log was overwritten")
	}
}
