package natsstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

type testCluster struct{ *natstest.Cluster }

func startCluster(t *testing.T) *testCluster { return &testCluster{natstest.Start(t, 3)} }

func (c *testCluster) openStore(t *testing.T, stream string) *natsstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := natsstore.Open(ctx, natsstore.Config{
		URL:           c.URLs(),
		Replicas:      3,
		Stream:        stream,
		SubjectPrefix: "tasharuk." + strings.ToLower(stream),
	})
	if err != nil {
		t.Fatalf("open store on the cluster: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestCluster runs the conformance suite on a real 3-node cluster with R3
// streams, then kills the stream leader during a stream of appends.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Log("-short: the 3-node cluster test still runs; it takes about a minute")
	}
	c := startCluster(t)
	var n atomic.Int32
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			return c.openStore(t, fmt.Sprintf("CONF%d", n.Add(1)))
		})
	})
	t.Run("KillStreamLeaderUnderLoad", func(t *testing.T) { testKillLeader(t, c) })
}

func testKillLeader(t *testing.T, c *testCluster) {
	s := c.openStore(t, "FAULT")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type ack struct {
		id  string
		pos uint64
		at  time.Time
	}
	var mu sync.Mutex
	var acks []ack
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				ev := storetest.Event("test.Faulted", fmt.Sprintf("w%d-%d", w, i))
				actx, acancel := context.WithTimeout(ctx, 10*time.Second)
				res, err := s.Append(actx, fmt.Sprintf("fault.w%d.s%d", w, i%5), eventstore.Any, []eventstore.Proposed{ev})
				acancel()
				if err != nil {
					failures.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				mu.Lock()
				acks = append(acks, ack{ev.ID, res.Position, time.Now()})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)

	// Find and kill the stream leader.
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "FAULT")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	victim := c.Leader("FAULT")
	mu.Lock()
	before := len(acks)
	mu.Unlock()
	killedAt := time.Now()
	c.Kill(victim)
	t.Logf("killed stream leader %s after %d acknowledged appends", victim.Name, before)

	// A new leader is elected within the raft election timeout (seconds);
	// wait until appends flow again, then let them run a little longer.
	var firstAfter time.Time
	after := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		mu.Lock()
		after = 0
		for _, a := range acks {
			if a.at.After(killedAt) {
				if after == 0 || a.at.Before(firstAfter) {
					firstAfter = a.at
				}
				after++
			}
		}
		mu.Unlock()
		if after >= 200 {
			break
		}
	}
	cancel()
	wg.Wait()
	if after < 200 {
		t.Fatalf("only %d appends acknowledged in the 60s after the leader was killed", after)
	}
	t.Logf("appends resumed %v after the kill", firstAfter.Sub(killedAt).Round(time.Millisecond))

	mu.Lock()
	defer mu.Unlock()
	// Every acknowledged event is in the log, where it was acknowledged,
	// and the chains verify.
	byID := map[string]uint64{}
	var v eventstore.ChainVerifier
	rctx := context.Background()
	for from := uint64(1); ; {
		page, err := s.ReadAll(rctx, from, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			if err := v.Verify(&page[i]); err != nil {
				t.Fatal(err)
			}
			byID[page[i].ID] = page[i].Position
		}
		from = page[len(page)-1].Position + 1
	}
	for _, a := range acks {
		pos, ok := byID[a.id]
		if !ok {
			t.Fatalf("acknowledged event %s (position %d) lost after the leader was killed", a.id, a.pos)
		}
		if pos != a.pos {
			t.Fatalf("event %s acknowledged at %d, found at %d", a.id, a.pos, pos)
		}
	}
	t.Logf("%d appends acknowledged (%d after the kill), %d failed during fail-over, %d events in the log, none lost",
		len(acks), after, failures.Load(), len(byID))
}
