package status_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Each read model has its own lock now: queries of every model, and the
// status roll-ups that combine them, run while the follower applies the
// log (run with -race), and once it has caught up they give the figures a
// rebuild from zero gives.
func TestReadModelsAnswerWhileApplying(t *testing.T) {
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	live := status.NewReadModels(reg)
	f := &projections.Follower{Model: live.Runner, Store: s, Logger: quiet}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()

	var queries atomic.Int64
	var wg sync.WaitGroup
	quit := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				now := projections.AsOf{Now: base.AddDate(0, 5, 0)}
				past := projections.AsOf{Position: live.Position() / 2, Now: base}
				live.Territory.Councils("r1", territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_UNSPECIFIED)
				live.Petitions.PetitionFiguresAt("100", past)
				live.PetitionRollup("r1", now)
				live.MechanismRollup("r1", past)
				for _, name := range live.Petitions.PetitionsWithID("x") {
					live.History.CaseHistory(name)
				}
				_ = live.Digest()
				queries.Add(1)
			}
		}()
	}
	ids := fill(t, writer{t, s, reg})
	head, _ := s.LastPosition(ctx)
	if err := live.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	close(quit)
	wg.Wait()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if queries.Load() == 0 {
		t.Fatal("no query ran while the log was applied")
	}

	full := status.NewReadModels(reg)
	if err := projections.Rebuild(ctx, s, full.Runner); err != nil {
		t.Fatal(err)
	}
	if live.Digest() != full.Digest() {
		t.Fatal("the model queried while applying differs from a rebuild")
	}
	now := projections.AsOf{Now: base.AddDate(0, 5, 0)}
	_, _, gotTotal, _ := live.PetitionRollup("r1", now)
	_, _, wantTotal, _ := full.PetitionRollup("r1", now)
	if gotTotal.DepositedTotal != wantTotal.DepositedTotal || gotTotal.DepositedTotal != 4 || gotTotal.MedianDays != wantTotal.MedianDays {
		t.Fatalf("roll-up: live %+v, rebuilt %+v", gotTotal, wantTotal)
	}
	if h, ok := live.History.CaseHistory(ids[0]); !ok || len(h) == 0 {
		t.Fatalf("history of %s: %v %v", ids[0], ok, len(h))
	}
}
