package natsstore

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// The cluster configuration in deploy/nats (and the Helm values in
// deploy/kubernetes) defines the accounts, users and
// permissions of the embedded server with --nats-listen, so that moving
// from one to the other changes nobody's rights.
func TestDeployConfigHasTheEmbeddedUsers(t *testing.T) {
	pubs, err := EnsureUsers(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{UserService: "TASHARUK_NATS_SERVICE_KEY", UserFeedPublisher: "TASHARUK_NATS_FEED_PUBLISHER_KEY",
		UserFeed: "TASHARUK_NATS_FEED_KEY", UserOperator: "TASHARUK_NATS_OPERATOR_KEY"}
	for u, name := range env {
		t.Setenv(name, pubs[u])
	}
	t.Setenv("NODE_NAME", "n1")
	opts, err := server.ProcessConfigFile(filepath.Join("..", "..", "deploy", "nats", "cluster.conf"))
	if err != nil {
		t.Fatal(err)
	}
	checkDeployUsers(t, "deploy/nats/cluster.conf", opts, pubs)

	// The Helm values carry the same accounts, as JSON, with placeholders.
	values, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", "nats-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(values)
	start := strings.Index(text, "    accounts: {")
	end := strings.Index(text[start:], "\n    }\n")
	if start < 0 || end < 0 {
		t.Fatal("deploy/kubernetes/nats-values.yaml has no accounts block")
	}
	block := text[start : start+end+len("\n    }")]
	for u, name := range env {
		block = strings.ReplaceAll(block, "REPLACE_WITH_"+name, pubs[u])
	}
	helm := &server.Options{}
	if err := helm.ProcessConfigString(block); err != nil {
		t.Fatalf("the Helm values' accounts: %v", err)
	}
	checkDeployUsers(t, "deploy/kubernetes/nats-values.yaml", helm, pubs)
}

func checkDeployUsers(t *testing.T, file string, opts *server.Options, pubs map[string]string) {
	t.Helper()
	want := map[string]struct {
		account string
		perms   *server.Permissions
	}{
		pubs[UserService]:       {"TASHARUK", nil},
		pubs[UserOperator]:      {"TASHARUK", operatorPermissions()},
		pubs[UserFeedPublisher]: {FeedAccount, nil},
		pubs[UserFeed]:          {FeedAccount, feedPermissions(defaultFeedStream, defaultFeedSubject)},
	}
	if len(opts.Nkeys) != len(want) || len(opts.Users) != 0 {
		t.Fatalf("%s has %d NKey users and %d other users, want exactly the %d of the embedded server", file, len(opts.Nkeys), len(opts.Users), len(want))
	}
	for _, n := range opts.Nkeys {
		w, ok := want[n.Nkey]
		if !ok {
			t.Fatalf("%s has an unknown user %s", file, n.Nkey)
		}
		if n.Account == nil || n.Account.Name != w.account {
			t.Fatalf("%s: user %s in account %v, want %s", file, n.Nkey, n.Account, w.account)
		}
		if !reflect.DeepEqual(n.Permissions, w.perms) {
			t.Fatalf("%s: user %s has permissions %+v, the embedded server %+v", file, n.Nkey, perms(n.Permissions), perms(w.perms))
		}
	}
	for _, a := range opts.Accounts {
		if a.Name == "TASHARUK" || a.Name == FeedAccount {
			continue
		}
		t.Fatalf("%s has an extra account %s", file, a.Name)
	}
}

func perms(p *server.Permissions) any {
	if p == nil {
		return "all"
	}
	return struct{ Pub, Sub any }{p.Publish, p.Subscribe}
}
