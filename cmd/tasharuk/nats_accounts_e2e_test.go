package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/audit"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/services/feed"
)

// violations collects a connection's asynchronous errors (the server's
// permission violations arrive that way).
type violations struct {
	t  *testing.T
	ch chan error
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) { v.ch <- err }

// expect waits for a permission violation naming subject.
func (v *violations) expect(what, subject string) {
	v.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-v.ch:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), strconv.Quote(subject)) {
				return
			}
		case <-deadline:
			v.t.Fatalf("%s: no permission violation for %q", what, subject)
		}
	}
}

// TestNATSNobodyAnonymous (issue 13, reproduction 3): `serve --nats-listen`
// once let any client delete TASHARUK_LOG and publish a hash-chained event
// the read model applied. Now an anonymous client or a wrong key cannot
// connect; the feed user follows the feed (live and through a consumer)
// and can neither delete, purge nor write the log, nor read the key
// bucket; the operator reads and snapshots the log but cannot change it;
// the service keeps working through all of it.
func TestNATSNobodyAnonymous(t *testing.T) {
	dir := t.TempDir()
	port := natstest.FreePorts(t, 1)[0]
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{NATSListen: fmt.Sprintf("127.0.0.1:%d", port)})
	agent := e.token(access.RoleCitizen, "", "agent-nats")
	ctx := context.Background()
	act := func(title string) {
		t.Helper()
		if _, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: title, Request: "r", Reasons: "r"}); err != nil {
			t.Fatalf("act %q: %v", title, err)
		}
	}
	act("Avant")

	// Nobody connects without the right key.
	if nc, err := nats.Connect(url, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		if nc != nil {
			nc.Close()
		}
		t.Fatalf("anonymous NATS client: %v, want an authorization violation", err)
	}
	if _, err := nats.Connect(url, nats.UserInfo(natsstore.UserFeed, "guess"), nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("feed user with a password: %v, want an authorization violation", err)
	}
	stranger, _ := nkeys.CreateUser()
	strangerPub, _ := stranger.PublicKey()
	if _, err := nats.Connect(url, nats.Nkey(strangerPub, stranger.Sign), nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("unknown NKey: %v, want an authorization violation", err)
	}
	feedOpt, err := natsstore.UserOption(keysOf(dir), natsstore.UserFeed)
	if err != nil {
		t.Fatalf("the feed user's key in the keys folder: %v", err)
	}
	seed, err := os.ReadFile(natsstore.SeedFile(keysOf(dir), natsstore.UserFeed))
	if err != nil {
		t.Fatal(err)
	}
	feedKP, err := nkeys.FromSeed(bytes.TrimSpace(seed))
	if err != nil {
		t.Fatal(err)
	}
	feedPub, _ := feedKP.PublicKey()
	if !strings.HasPrefix(feedPub, "U") {
		t.Fatalf("the feed user's public key %q", feedPub)
	}
	if _, err := nats.Connect(url, nats.Nkey(feedPub, stranger.Sign), nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("the feed user's public key signed with another key: %v, want an authorization violation", err)
	}

	// The feed user follows the feed live.
	fv := &violations{t: t, ch: make(chan error, 64)}
	fc, err := nats.Connect(url, feedOpt, nats.MaxReconnects(0), nats.ErrorHandler(fv.handler))
	if err != nil {
		t.Fatalf("feed user: %v", err)
	}
	defer fc.Close()
	var mu sync.Mutex
	var live []*nats.Msg
	if _, err := fc.Subscribe("tasharuk.events.>", func(m *nats.Msg) { mu.Lock(); live = append(live, m); mu.Unlock() }); err != nil {
		t.Fatal(err)
	}
	if err := fc.Flush(); err != nil {
		t.Fatal(err)
	}
	act("Pendant")
	head := e.head()
	var seen *nats.Msg
	for deadline := time.Now().Add(10 * time.Second); seen == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		for _, m := range live {
			if p, _ := strconv.ParseUint(m.Header.Get(feed.HeaderPosition), 10, 64); p >= head {
				seen = m
			}
		}
		mu.Unlock()
	}
	if seen == nil {
		t.Fatalf("the feed user received no feed message at position %d", head)
	}
	var body feed.Message
	if err := json.Unmarshal(seen.Data, &body); err != nil || body.EventID == "" || !strings.HasPrefix(seen.Subject, "tasharuk.events.") {
		t.Fatalf("feed message %s: %s (%v)", seen.Subject, seen.Data, err)
	}

	// And through a consumer of the feed's stream.
	fjs, _ := jetstream.New(fc)
	cons, err := fjs.CreateOrUpdateConsumer(ctx, "TASHARUK_EVENTS", jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy, InactiveThreshold: time.Minute})
	if err != nil {
		t.Fatalf("feed user creating a consumer on TASHARUK_EVENTS: %v", err)
	}
	batch, err := cons.Fetch(int(head), jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for m := range batch.Messages() {
		p, _ := strconv.ParseUint(m.Headers().Get(feed.HeaderPosition), 10, 64)
		got = append(got, p)
		if err := m.Ack(); err != nil {
			t.Fatalf("ack: %v", err)
		}
	}
	if len(got) == 0 || got[0] != 1 || got[len(got)-1] < head {
		t.Fatalf("consumer on TASHARUK_EVENTS delivered positions %v, want 1..%d", got, head)
	}
	if _, err := cons.Info(ctx); err != nil {
		t.Fatalf("feed user reading its consumer's info: %v", err)
	}

	// What the feed user cannot do. The log must not move: nothing may
	// arrive after position before but the checkpointer's own checkpoints
	// (it signs every 25 events here), read with the operator's key.
	ov := &violations{t: t, ch: make(chan error, 64)}
	opOpt, err := natsstore.UserOption(keysOf(dir), natsstore.UserOperator)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := nats.Connect(url, opOpt, nats.MaxReconnects(0), nats.ErrorHandler(ov.handler))
	if err != nil {
		t.Fatalf("operator: %v", err)
	}
	defer oc.Close()
	ojs, _ := jetstream.New(oc)
	logStream, err := ojs.Stream(ctx, "TASHARUK_LOG")
	if err != nil {
		t.Fatalf("operator reading TASHARUK_LOG: %v", err)
	}
	checkpoints := "tasharuk.log." + audit.CheckpointStream("TASHARUK_LOG")
	before := e.head()
	unchanged := func(what string) {
		t.Helper()
		head := e.head()
		for seq := before + 1; seq <= head; seq++ {
			m, err := logStream.GetMsg(ctx, seq)
			if err != nil {
				t.Fatalf("log message %d: %v", seq, err)
			}
			if m.Subject != checkpoints {
				t.Fatalf("after %s the log has a new message at %d on %s", what, seq, m.Subject)
			}
		}
	}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Second) }
	c, cancel := short()
	if err := fjs.DeleteStream(c, "TASHARUK_LOG"); err == nil {
		t.Fatal("the feed user deleted TASHARUK_LOG")
	}
	cancel()
	fv.expect("delete the log", "$JS.API.STREAM.DELETE.TASHARUK_LOG")
	c, cancel = short()
	if _, err := fc.RequestWithContext(c, "$JS.API.STREAM.PURGE.TASHARUK_LOG", nil); err == nil {
		t.Fatal("the feed user's purge of TASHARUK_LOG was answered")
	}
	cancel()
	fv.expect("purge the log", "$JS.API.STREAM.PURGE.TASHARUK_LOG")
	forged := "tasharuk.log.petition.50910113.forged"
	if err := fc.Publish(forged, []byte(`{"type":"petitions.PetitionWithdrawn"}`)); err != nil {
		t.Fatal(err)
	}
	fv.expect("publish on the log", forged)
	// Nor through the server: an answer it may ask for, sent to the log.
	if err := fc.PublishRequest("$JS.API.CONSUMER.INFO.TASHARUK_EVENTS.none", forged, nil); err != nil {
		t.Fatal(err)
	}
	// Nor change the feed for the other subscribers.
	if err := fc.Publish("tasharuk.events.50910113.petitions.PetitionWithdrawn", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	fv.expect("publish on the feed", "tasharuk.events.50910113.petitions.PetitionWithdrawn")
	for _, api := range []string{"$JS.API.STREAM.DELETE.TASHARUK_EVENTS", "$JS.API.STREAM.PURGE.TASHARUK_EVENTS", "$JS.API.STREAM.UPDATE.TASHARUK_EVENTS"} {
		c, cancel = short()
		if _, err := fc.RequestWithContext(c, api, []byte(`{"name":"TASHARUK_EVENTS"}`)); err == nil {
			t.Fatalf("the feed user's %s was answered", api)
		}
		cancel()
		fv.expect(api, api)
	}
	// Nor read the person-key bucket, by any route.
	c, cancel = short()
	if _, err := fjs.KeyValue(c, "TASHARUK_PERSON_KEYS"); err == nil {
		t.Fatal("the feed user opened the person-key bucket")
	}
	cancel()
	c, cancel = short()
	if _, err := fc.RequestWithContext(c, "$JS.API.DIRECT.GET.KV_TASHARUK_PERSON_KEYS", []byte(`{"last_by_subj":"$KV.TASHARUK_PERSON_KEYS.>"}`)); err == nil {
		t.Fatal("the feed user read the person-key bucket")
	}
	cancel()
	fv.expect("direct get on the key bucket", "$JS.API.DIRECT.GET.KV_TASHARUK_PERSON_KEYS")
	if _, err := fc.Subscribe("$KV.TASHARUK_PERSON_KEYS.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	fv.expect("subscribe to the key bucket", "$KV.TASHARUK_PERSON_KEYS.>")
	if _, err := fc.Subscribe("tasharuk.log.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	fv.expect("subscribe to the log", "tasharuk.log.>")
	c, cancel = short()
	if _, err := fjs.CreateOrUpdateConsumer(c, "TASHARUK_LOG", jetstream.ConsumerConfig{}); err == nil {
		t.Fatal("the feed user created a consumer on the log")
	}
	cancel()
	time.Sleep(200 * time.Millisecond)
	unchanged("the feed user's attempts")

	// The operator reads the log and takes a snapshot (a backup), and
	// cannot change it.
	info, err := logStream.Info(ctx)
	if err != nil || info.State.LastSeq < before {
		t.Fatalf("operator reading TASHARUK_LOG's info: %+v %v", info, err)
	}
	if n := snapshotSize(t, oc, "TASHARUK_LOG"); n == 0 {
		t.Fatal("the operator's snapshot of TASHARUK_LOG is empty")
	}
	c, cancel = short()
	if err := ojs.DeleteStream(c, "TASHARUK_LOG"); err == nil {
		t.Fatal("the operator deleted TASHARUK_LOG")
	}
	cancel()
	ov.expect("operator deleting the log", "$JS.API.STREAM.DELETE.TASHARUK_LOG")
	if err := oc.Publish(forged, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	ov.expect("operator publishing on the log", forged)
	unchanged("the operator's attempts")

	// The service kept working: an act succeeds and reaches the feed user.
	act("Après")
	if after := e.head(); after <= before {
		t.Fatalf("the act after the attempts did not reach the log (head %d, before %d)", after, before)
	}
	last := e.head()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(live)
		var p uint64
		if n > 0 {
			p, _ = strconv.ParseUint(live[n-1].Header.Get(feed.HeaderPosition), 10, 64)
		}
		mu.Unlock()
		if p >= last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed user did not receive position %d after the attempts (last %d)", last, p)
		}
	}
}

// snapshotSize takes a JetStream snapshot of stream as `nats stream backup`
// does (chunks to an inbox, each acknowledged) and returns its size.
func snapshotSize(t *testing.T, nc *nats.Conn, stream string) int {
	t.Helper()
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(map[string]any{"deliver_subject": inbox, "chunk_size": 64 << 10})
	resp, err := nc.Request("$JS.API.STREAM.SNAPSHOT."+stream, req, 5*time.Second)
	if err != nil {
		t.Fatalf("snapshot request: %v", err)
	}
	var ans struct {
		Error *struct{ Description string } `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &ans); err != nil || ans.Error != nil {
		t.Fatalf("snapshot of %s refused: %s", stream, resp.Data)
	}
	size := 0
	for {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("snapshot chunk: %v", err)
		}
		if len(m.Data) == 0 {
			// The end; an error carries its status.
			if s := m.Header.Get("Status"); s != "" && s != "204" {
				t.Fatalf("snapshot of %s ended with status %q %v after %d bytes", stream, s, m.Header, size)
			}
			return size
		}
		size += len(m.Data)
		if m.Reply != "" {
			if err := m.Respond(nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// `tasharuk nats keys` creates the users' seeds once and prints the public
// keys deploy/nats/cluster.conf reads, the same on every run.
func TestNATSKeysCommand(t *testing.T) {
	dir := t.TempDir()
	var outs []string
	for range 2 {
		var out, errOut strings.Builder
		if code := run([]string{"nats", "keys", "--keys-dir", dir}, &out, &errOut); code != 0 {
			t.Fatalf("tasharuk nats keys: exit %d: %s", code, errOut.String())
		}
		outs = append(outs, out.String())
	}
	if outs[0] != outs[1] {
		t.Fatalf("a second run printed other keys:\n%s\n%s", outs[0], outs[1])
	}
	for user, env := range natsKeyEnv {
		seed, err := os.ReadFile(natsstore.SeedFile(dir, user))
		if err != nil {
			t.Fatal(err)
		}
		kp, err := nkeys.FromSeed(bytes.TrimSpace(seed))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		if !strings.Contains(outs[0], "\n"+env+"="+pub+"\n") {
			t.Fatalf("%s's public key %s is not printed as %s:\n%s", user, pub, env, outs[0])
		}
		if strings.Contains(outs[0], string(bytes.TrimSpace(seed))) {
			t.Fatalf("tasharuk nats keys printed %s's seed", user)
		}
	}
	var out, errOut strings.Builder
	if code := run([]string{"nats"}, &out, &errOut); code == 0 {
		t.Fatal("tasharuk nats without a subcommand succeeded")
	}
}
