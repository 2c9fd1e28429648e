package witness_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/audit/witness"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// TestCosignDelay measures, under a steady load of appends from 8
// writers, the delay from an event's append to the first checkpoint
// covering it that two witnesses cosigned, and the appends' own latency
// with the witnesses at work (they are off the append path: the collector
// only reads the checkpointer). Checkpoints every 500 events or 500 ms.
// Every event must be cosigned by both within the interval plus 5 s; the
// figures are logged (issue 23, acceptance 3).
func TestCosignDelay(t *testing.T) {
	without := loadLatencies(t, false)
	with := loadLatencies(t, true)
	t.Logf("append latency p50 without witnesses %s, with two %s", without, with)
}

// loadLatencies runs the load, with or without two witnesses, and returns
// the appends' median latency.
func loadLatencies(t *testing.T, witnesses bool) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir(), Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	skey, vkey, err := audit.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	reg := es.NewRegistry(audit.EventTypes)
	interval := 500 * time.Millisecond
	ck := &audit.Checkpointer{Store: store, Registry: reg, Signer: mustNoteSigner(t, skey), Origin: origin, LogName: "main",
		Every: 500, Interval: interval, Logger: quietLogger}
	entry, _ := witness.ParseLog(vkey)
	wa := &loopWitness{t: t, dir: t.TempDir(), addr: "127.0.0.1:0", entry: entry}
	wb := &loopWitness{t: t, dir: t.TempDir(), addr: "127.0.0.1:0", entry: entry}
	wa.start()
	wb.start()
	t.Cleanup(wa.stop)
	t.Cleanup(wb.stop)

	// cosignedAt[w] lists (size, time) as each witness's cosignature is
	// recorded.
	type mark struct {
		size int64
		at   time.Time
	}
	var mu sync.Mutex
	cosigned := map[string][]mark{}
	col := &witness.Collector{Checkpointer: ck, Store: store, Registry: reg, LogName: "main",
		Witnesses: []witness.Target{wa.target(), wb.target()}, Logger: quietLogger,
		Cosigned: func(w string, size int64, at time.Time) {
			mu.Lock()
			cosigned[w] = append(cosigned[w], mark{size, at})
			mu.Unlock()
		}}
	done := make(chan error, 2)
	go func() { done <- ck.Run(ctx) }()
	go func() {
		if witnesses {
			done <- col.Run(ctx)
		} else {
			done <- nil
		}
	}()

	const writers, perWriter = 8, 120
	type appended struct {
		pos int64
		at  time.Time
		lat time.Duration
	}
	results := make([][]appended, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				start := time.Now()
				res, err := store.Append(ctx, fmt.Sprintf("load.w%d", w), eventstore.Any, []eventstore.Proposed{{
					ID: uuid.Must(uuid.NewV7()).String(), Type: "test.Happened", SchemaVersion: 1,
					Payload: fmt.Appendf(nil, "w%d e%d", w, i), Actor: eventstore.Actor{Subject: "load", Role: "staff"},
				}})
				if err != nil {
					t.Error(err)
					return
				}
				end := time.Now()
				results[w] = append(results[w], appended{int64(res.Position), end, end.Sub(start)})
				time.Sleep(2 * time.Millisecond) // a steady load, not a flood
			}
		}()
	}
	wg.Wait()
	var all []appended
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}()
	if !witnesses {
		var lats []time.Duration
		for _, r := range results {
			for _, a := range r {
				lats = append(lats, a.lat)
			}
		}
		slices.Sort(lats)
		return lats[len(lats)/2].Round(time.Millisecond / 10)
	}
	for _, r := range results {
		all = append(all, r...)
	}
	last := int64(0)
	for _, a := range all {
		last = max(last, a.pos)
	}
	deadline := time.Now().Add(interval + 5*time.Second)
	both := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		m := int64(-1)
		for _, w := range []string{wa.target().Name(), wb.target().Name()} {
			l := cosigned[w]
			if len(l) == 0 {
				return 0
			}
			if m < 0 || l[len(l)-1].size < m {
				m = l[len(l)-1].size
			}
		}
		return m
	}
	for both() < last {
		if time.Now().After(deadline) {
			t.Fatalf("events up to %d appended, both witnesses cosigned only %d after %s", last, both(), interval+5*time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The cosignature events call for no checkpoint of their own: once
	// the load is over, no new checkpoint comes, however long one waits.
	quiet, stop := context.WithTimeout(ctx, 4*interval)
	extra, err := ck.WaitCheckpoint(quiet, both())
	stop()
	if err == nil {
		t.Fatalf("a checkpoint of %d events after the load, for the cosignatures alone", extra.TreeSize)
	}

	// Delay of each event to the first cosignature covering it, by each
	// witness; the later of the two counts (both must have cosigned).
	mu.Lock()
	var delays, lats []time.Duration
	for _, a := range all {
		var d time.Duration
		for _, marks := range cosigned {
			i := slices.IndexFunc(marks, func(m mark) bool { return m.size >= a.pos })
			d = max(d, marks[i].at.Sub(a.at))
		}
		delays = append(delays, d)
		lats = append(lats, a.lat)
	}
	mu.Unlock()
	slices.Sort(delays)
	slices.Sort(lats)
	pct := func(s []time.Duration, p int) time.Duration { return s[(len(s)-1)*p/100].Round(time.Millisecond / 10) }
	t.Logf("%d events from %d writers; event to its first checkpoint cosigned by both witnesses: p50 %s, p90 %s, max %s; append latency p50 %s, p99 %s",
		len(all), writers, pct(delays, 50), pct(delays, 90), pct(delays, 100), pct(lats, 50), pct(lats, 99))
	if pct(delays, 100) > interval+5*time.Second {
		t.Fatalf("an event waited %s for its cosigned checkpoint", pct(delays, 100))
	}
	return pct(lats, 50)
}
