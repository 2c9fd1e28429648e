package natsstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// openListening opens an embedded store that listens on a free loopback
// port and returns it with the port's URL.
func openListening(t *testing.T, dataDir, keysDir string) (*natsstore.Store, string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePorts(t, 1)[0])
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dataDir, KeysDir: keysDir, Listen: addr})
	if err != nil {
		t.Fatalf("open a listening embedded store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, "nats://" + addr
}

func connectAs(t *testing.T, url, keysDir, user string) *nats.Conn {
	t.Helper()
	opt, err := natsstore.UserOption(keysDir, user)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, opt, nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// A log written without a listener is the same log once the server
// listens with users: the service's account is the one it always used.
// Nobody connects without a key; the seeds are 0600 files.
func TestListenerRequiresKeysAndKeepsTheLog(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := openEmbedded(t, dir)
	res, err := s.Append(ctx, "case.before", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.A", "a")})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	for _, u := range []string{natsstore.UserService, natsstore.UserFeed, natsstore.UserOperator, natsstore.UserFeedPublisher} {
		if _, err := os.Stat(natsstore.SeedFile(filepath.Join(dir, "keys"), u)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("without a listener the %s seed was created: %v", u, err)
		}
	}

	s, url := openListening(t, dir, dir)
	evs, err := s.ReadStream(ctx, "case.before", 0, 0)
	if err != nil || len(evs) != 1 || evs[0].Position != res.Position {
		t.Fatalf("the log written without a listener, read with one: %v %v", evs, err)
	}
	if _, err := s.Append(ctx, "case.after", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.B", "b")}); err != nil {
		t.Fatalf("append through the signed-in in-process connection: %v", err)
	}
	for _, u := range []string{natsstore.UserService, natsstore.UserFeed, natsstore.UserOperator, natsstore.UserFeedPublisher} {
		fi, err := os.Stat(natsstore.SeedFile(dir, u))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("seed of %s: %v %v, want a 0600 file", u, fi, err)
		}
	}

	if _, err := nats.Connect(url, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous client: %v, want an authorization violation", err)
	}
	stranger, _ := nkeys.CreateUser()
	pub, _ := stranger.PublicKey()
	if _, err := nats.Connect(url, nats.Nkey(pub, stranger.Sign), nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("unknown key: %v, want an authorization violation", err)
	}
	// The feed user's public key with a signature of another key.
	feedKP := readSeed(t, natsstore.SeedFile(dir, natsstore.UserFeed))
	feedPub, _ := feedKP.PublicKey()
	if _, err := nats.Connect(url, nats.Nkey(feedPub, stranger.Sign), nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("the feed's public key signed by another key: %v, want an authorization violation", err)
	}

	// The service user over the network sees the log.
	svc := connectAs(t, url, dir, natsstore.UserService)
	js, _ := jetstream.New(svc)
	st, err := js.Stream(ctx, "TASHARUK_LOG")
	if err != nil || st.CachedInfo().State.Msgs != 2 {
		t.Fatalf("service user: %v", err)
	}
}

func readSeed(t *testing.T, path string) nkeys.KeyPair {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// The feed user and the operator cannot write into the log by any means a
// subject permission leaves open: publishing, stream management, or a
// JetStream answer sent to a reply subject on the log.
func TestFeedAndOperatorCannotWrite(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, url := openListening(t, dir, dir)
	if _, err := s.Append(ctx, "case.one", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.A", "a")}); err != nil {
		t.Fatal(err)
	}
	head := func() uint64 {
		p, err := s.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := head()

	// The feed's stream, created by the publisher in the feed's account.
	pubJS, _ := jetstream.New(s.FeedConn())
	if _, err := pubJS.CreateStream(ctx, jetstream.StreamConfig{Name: "TASHARUK_EVENTS", Subjects: []string{"tasharuk.events.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pubJS.Publish(ctx, "tasharuk.events.50910113.test.A", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}

	for _, user := range []string{natsstore.UserFeed, natsstore.UserOperator} {
		errs := make(chan error, 16)
		opt, _ := natsstore.UserOption(dir, user)
		nc, err := nats.Connect(url, opt, nats.MaxReconnects(0), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		// Publish on the log's subjects: refused by the server.
		if err := nc.Publish("tasharuk.log.case.one", []byte("forged")); err != nil {
			t.Fatal(err)
		}
		_ = nc.Flush()
		select {
		case err := <-errs:
			if !errors.Is(err, nats.ErrPermissionViolation) {
				t.Fatalf("%s publishing on the log: %v, want a permission violation", user, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s published on the log without a permission violation", user)
		}
		js, _ := jetstream.New(nc)
		short, cancel := context.WithTimeout(ctx, time.Second)
		if err := js.DeleteStream(short, "TASHARUK_LOG"); err == nil {
			t.Fatalf("%s deleted the log", user)
		}
		cancel()
		short, cancel = context.WithTimeout(ctx, time.Second)
		if _, err := nc.RequestWithContext(short, "$JS.API.STREAM.PURGE.TASHARUK_LOG", nil); err == nil {
			t.Fatalf("%s got an answer to a purge of the log", user)
		}
		cancel()
		// An API request it may send, answered on a subject of the log:
		// the answer stays in the feed's account. (The operator shares
		// the service's account, where NATS would deliver it: see
		// operatorPermissions.)
		if user == natsstore.UserFeed {
			if err := nc.PublishRequest("$JS.API.CONSUMER.INFO.TASHARUK_EVENTS.none", "tasharuk.log.case.one", nil); err != nil {
				t.Fatal(err)
			}
			_ = nc.Flush()
		}
		time.Sleep(300 * time.Millisecond)
		if got := head(); got != before {
			t.Fatalf("after %s's attempts the log moved from %d to %d", user, before, got)
		}
	}

	// The feed user reads the feed through a consumer, and nothing of the
	// service's account: not the log, not the key buckets.
	feed := connectAs(t, url, dir, natsstore.UserFeed)
	fjs, _ := jetstream.New(feed)
	// A generous deadline: on a loaded machine the consumer's creation can
	// take longer than the client's default 5 s API timeout.
	slow, cancelSlow := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSlow()
	cons, err := fjs.CreateOrUpdateConsumer(slow, "TASHARUK_EVENTS", jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("feed user creating a consumer on the feed: %v", err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if err := m.Ack(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("feed user fetched %d messages of the feed, want 1 (%v)", n, batch.Error())
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := fjs.CreateOrUpdateConsumer(short, "TASHARUK_LOG", jetstream.ConsumerConfig{}); err == nil {
		t.Fatal("feed user created a consumer on the log")
	}

	// The operator reads the log's info (backups), the feed user cannot.
	op := connectAs(t, url, dir, natsstore.UserOperator)
	ojs, _ := jetstream.New(op)
	if st, err := ojs.Stream(ctx, "TASHARUK_LOG"); err != nil || st.CachedInfo().State.LastSeq != before {
		t.Fatalf("operator reading the log's info: %v", err)
	}
}

// Racing first starts on one keys folder end with one key per user.
func TestSeedsCreatedOnceUnderRace(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	pubs := make([]string, 16)
	errs := make([]error, 16)
	for i := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opt, err := natsstore.LoadOrCreateSeedForTest(dir, natsstore.UserFeed)
			pubs[i], errs[i] = opt, err
		}()
	}
	wg.Wait()
	for i := range pubs {
		if errs[i] != nil || pubs[i] != pubs[0] {
			t.Fatalf("loader %d: %s %v, loader 0: %s", i, pubs[i], errs[i], pubs[0])
		}
	}
	if err := os.WriteFile(natsstore.SeedFile(dir, natsstore.UserOperator), []byte("half a se"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := natsstore.LoadOrCreateSeedForTest(dir, natsstore.UserOperator); err == nil {
		t.Fatal("a damaged seed file was accepted")
	}
	if b, _ := os.ReadFile(natsstore.SeedFile(dir, natsstore.UserOperator)); string(b) != "half a se" {
		t.Fatal("a damaged seed file was replaced")
	}
}
