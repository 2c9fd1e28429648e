package natsstore

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// The cluster configuration in deploy/nats defines the accounts, users and
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
		t.Fatalf("deploy config has %d NKey users and %d other users, want exactly the %d of the embedded server", len(opts.Nkeys), len(opts.Users), len(want))
	}
	for _, n := range opts.Nkeys {
		w, ok := want[n.Nkey]
		if !ok {
			t.Fatalf("deploy config has an unknown user %s", n.Nkey)
		}
		if n.Account == nil || n.Account.Name != w.account {
			t.Fatalf("user %s in account %v, want %s", n.Nkey, n.Account, w.account)
		}
		if !reflect.DeepEqual(n.Permissions, w.perms) {
			t.Fatalf("user %s in the deploy config has permissions %+v, the embedded server %+v", n.Nkey, perms(n.Permissions), perms(w.perms))
		}
	}
	for _, a := range opts.Accounts {
		if a.Name == "TASHARUK" || a.Name == FeedAccount {
			continue
		}
		t.Fatalf("deploy config has an extra account %s", a.Name)
	}
}

func perms(p *server.Permissions) any {
	if p == nil {
		return "all"
	}
	return struct{ Pub, Sub any }{p.Publish, p.Subscribe}
}
