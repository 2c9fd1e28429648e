package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/services/feed"
)

// TestFeedAcrossRestart: a subscriber on tasharuk.events.> receives every
// event of a scenario exactly once after deduplication, also across a
// restart of the service in the middle, and no personal data.
func TestFeedAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	port := natstest.FreePorts(t, 1)[0]
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{NATSListen: fmt.Sprintf("127.0.0.1:%d", port)})
	agent := e.token(access.RoleCitizen, "", "agent-feed")

	// The subscriber: an ordered consumer on the feed stream, signed in as
	// the feed user, which reconnects and resumes by itself when the
	// service restarts.
	feedUser, err := natsstore.UserOption(keysOf(dir), natsstore.UserFeed)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), feedUser, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var mu sync.Mutex
	received := map[string]int{}
	var bodies, checkpoints []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			cons, err := js.OrderedConsumer(ctx, "TASHARUK_EVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"tasharuk.events.>"}})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			cc, err := cons.Consume(func(m jetstream.Msg) {
				mu.Lock()
				received[m.Headers().Get(feed.HeaderEventID)]++
				bodies = append(bodies, m.Subject()+" "+string(m.Data()))
				if strings.HasSuffix(m.Subject(), ".audit.CheckpointRecorded") {
					checkpoints = append(checkpoints, m.Headers().Get(feed.HeaderTreeSize)+" "+string(m.Data()))
				}
				mu.Unlock()
			})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			<-ctx.Done()
			cc.Stop()
		}
	}()

	act := func(tag string, n int) {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Feed " + tag, Request: "r", Reasons: "r"})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		for i := range n {
			id, full := signer(tag, i)
			if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
				t.Fatal(err)
			}
		}
	}
	act("FA", 20)
	e.restart()
	act("FB", 20)

	// Every event of the log arrives, each once after deduplication.
	head := e.head()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n >= int(head) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.stop()
	cancel()
	all := readLog(t, e)
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range all {
		if received[ev] == 0 {
			t.Fatalf("event %s of the log never reached the feed (%d of %d received)", ev, len(received), len(all))
		}
	}
	if len(received) != len(all) {
		t.Fatalf("the feed carried %d distinct events, the log has %d", len(received), len(all))
	}
	dups := 0
	for _, c := range received {
		dups += c - 1
	}
	t.Logf("%d events, %d deliveries (%d redelivered, dropped by event id)", len(all), len(bodies), dups)
	// Public form: subjects per council and type, no personal data.
	joined := strings.Join(bodies, "\n")
	for _, tag := range []string{"FA", "FB"} {
		id, full := signer(tag, 3)
		if strings.Contains(joined, id) || strings.Contains(joined, full) {
			t.Fatal("the feed carries personal data")
		}
	}
	if !strings.Contains(joined, "tasharuk.events.50910113.petitions.SignatureAdded ") || strings.Contains(joined, "name_ciphertext") || strings.Contains(joined, "signer_key") || strings.Contains(joined, "name_key_id") {
		t.Fatal("feed messages are not in their public form")
	}
	// No signer key anywhere, not even in a signature's stream id.
	if k := regexp.MustCompile(`[0-9a-f]{64}`).FindString(joined); k != "" {
		t.Fatalf("the feed carries a signer key: %s", k)
	}
	var m feed.Message
	if err := json.Unmarshal([]byte(strings.SplitN(bodies[len(bodies)-1], " ", 2)[1]), &m); err != nil || m.EventID == "" || m.Position == 0 {
		t.Fatalf("feed message: %v %+v", err, m)
	}
	// The signed checkpoints are on the feed, with their tree size in a
	// header, and verify with the log's public key (issue 23).
	pub, err := os.ReadFile(filepath.Join(keysOf(dir), audit.PublicKeyFile))
	if err != nil || len(checkpoints) == 0 {
		t.Fatalf("no checkpoint on the feed (%d), %v", len(checkpoints), err)
	}
	for _, c := range checkpoints {
		size, body, _ := strings.Cut(c, " ")
		var msg struct {
			Payload struct {
				TreeSize   string `json:"tree_size"`
				SignedNote string `json:"signed_note"`
			} `json:"payload"`
		}
		if err := json.Unmarshal([]byte(body), &msg); err != nil {
			t.Fatal(err)
		}
		_, n, _, err := audit.OpenCheckpoint(msg.Payload.SignedNote, strings.TrimSpace(string(pub)))
		if err != nil || fmt.Sprint(n) != size || msg.Payload.TreeSize != size {
			t.Fatalf("checkpoint on the feed (header %s): %+v %v", size, msg.Payload, err)
		}
	}
}

// readLog returns the ids of every event in the log (service stopped).
func readLog(t *testing.T, e *env) []string {
	t.Helper()
	var ids []string
	for _, ev := range readEvents(t, e) {
		ids = append(ids, ev.ID)
	}
	return ids
}

// readEvents returns every event in the log (service stopped).
func readEvents(t *testing.T, e *env) []eventstore.Event {
	t.Helper()
	return readStore(t, storeConfigFor(e))
}

// readStore returns every event of the log sc opens.
func readStore(t *testing.T, sc storeConfig) []eventstore.Event {
	t.Helper()
	ls, err := openQuiet(context.Background(), sc, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	var all []eventstore.Event
	for from := uint64(1); ; {
		page, err := ls.Log.ReadAll(context.Background(), from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		from = page[len(page)-1].Position + 1
	}
}

func storeConfigFor(e *env) storeConfig {
	sc := storeConfig{DataDir: e.dir, Stream: "TASHARUK_LOG"}
	if e.opts.ESDBURL != "" {
		sc.Backend, sc.ESDBURL = "esdb", e.opts.ESDBURL
	}
	return sc
}
