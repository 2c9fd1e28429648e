package natsstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// deploy/nats/cluster.conf on a real nats-server (one node: its cluster
// block dropped): the store signs in with --nats-nkey, publishes the feed
// with --nats-feed-nkey in the FEED account, the feed user consumes it, and
// nobody anonymous gets in.
func TestDeployConfigOnARealServer(t *testing.T) {
	keys := t.TempDir()
	pubs, err := natsstore.EnsureUsers(keys)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nats", "cluster.conf"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(conf)
	text = text[:strings.Index(text, "\ncluster {")]
	ports := natstest.FreePorts(t, 2)
	text = strings.Replace(text, "listen: 0.0.0.0:4222", fmt.Sprintf("listen: 127.0.0.1:%d", ports[0]), 1)
	text = strings.Replace(text, "http: 127.0.0.1:8222", fmt.Sprintf("http: 127.0.0.1:%d", ports[1]), 1)
	text = strings.Replace(text, "store_dir: /var/lib/nats", fmt.Sprintf("store_dir: %q", filepath.Join(t.TempDir(), "js")), 1)
	path := filepath.Join(t.TempDir(), "node.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(natstest.Binary(t), "-c", path)
	cmd.Env = append(os.Environ(), "NODE_NAME=n1",
		"TASHARUK_NATS_SERVICE_KEY="+pubs[natsstore.UserService], "TASHARUK_NATS_FEED_PUBLISHER_KEY="+pubs[natsstore.UserFeedPublisher],
		"TASHARUK_NATS_FEED_KEY="+pubs[natsstore.UserFeed], "TASHARUK_NATS_OPERATOR_KEY="+pubs[natsstore.UserOperator])
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() })
	url := fmt.Sprintf("nats://127.0.0.1:%d", ports[0])

	ctx := context.Background()
	var s *natsstore.Store
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		s, err = natsstore.Open(ctx, natsstore.Config{URL: url, Replicas: 1, NKeyFile: natsstore.SeedFile(keys, natsstore.UserService),
			FeedNKeyFile: natsstore.SeedFile(keys, natsstore.UserFeedPublisher)})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open the store on the deploy config: %v\n%s", err, logs.String())
		}
	}
	defer s.Close()
	if _, err := s.Append(ctx, "case.one", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.A", "a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := nats.Connect(url, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous client on the deploy config: %v", err)
	}
	if s.FeedConn() == s.Conn() {
		t.Fatal("with --nats-feed-nkey the feed has no connection of its own")
	}
	pjs, _ := jetstream.New(s.FeedConn())
	if _, err := pjs.CreateStream(ctx, jetstream.StreamConfig{Name: "TASHARUK_EVENTS", Subjects: []string{"tasharuk.events.>"}}); err != nil {
		t.Fatalf("feed publisher creating the feed's stream: %v", err)
	}
	if _, err := pjs.Publish(ctx, "tasharuk.events._.test.A", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	feed := connectAs(t, url, keys, natsstore.UserFeed)
	fjs, _ := jetstream.New(feed)
	cons, err := fjs.CreateOrUpdateConsumer(ctx, "TASHARUK_EVENTS", jetstream.ConsumerConfig{})
	if err != nil {
		t.Fatalf("feed user's consumer: %v", err)
	}
	if info, err := cons.Info(ctx); err != nil || info.NumPending != 1 {
		t.Fatalf("feed user's consumer info: %+v %v", info, err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := fjs.DeleteStream(short, "TASHARUK_EVENTS"); err == nil {
		t.Fatal("the feed user deleted the feed's stream")
	}
	// The log is in the service's account, where the feed user is not.
	svc := connectAs(t, url, keys, natsstore.UserService)
	sjs, _ := jetstream.New(svc)
	if _, err := sjs.Stream(ctx, "TASHARUK_EVENTS"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("the feed's stream seen from the service's account: %v", err)
	}
	op := connectAs(t, url, keys, natsstore.UserOperator)
	ojs, _ := jetstream.New(op)
	if st, err := ojs.Stream(ctx, "TASHARUK_LOG"); err != nil || st.CachedInfo().State.Msgs != 1 {
		t.Fatalf("operator reading the log on the deploy config: %v", err)
	}
}
