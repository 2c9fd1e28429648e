package natsstore

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/tasharuk/tasharuk/internal/kernel/keyfile"
)

// Who may talk to the embedded server once it listens on the network.
//
// Nobody is anonymous. Each user is an NKey: the server knows only its
// public key, the client proves it holds the seed by signing the server's
// nonce. The seeds are created in the keys folder on the first start with a
// listener, one 0600 file a user (<keys-dir>/nats-<user>.nk); the nats CLI and nats.go
// read them as they are (`nats --nkey <file>`, nats.NkeyOptionFromSeed).
//
// There are two accounts, because within one NATS account permissions on
// subjects do not fence JetStream: the server sends an API answer to
// whatever reply subject the request names, and a stream stores what is
// published on its subjects, whoever publishes it. A client allowed nothing
// but `$JS.API.CONSUMER.INFO` could thus have the server write its answers
// into the log. So:
//
//   - the global account ($G) holds the log, the key buckets and the
//     documents, as it always has (data folders made without a listener
//     keep working). Its users are the service itself (UserService, every
//     permission) and the operator (UserOperator, backups).
//   - the account FeedAccount holds only the integration feed's stream.
//     Its users are the service's feed publisher (UserFeedPublisher) and
//     the read-only feed user (UserFeed) given to other systems. Nothing a
//     feed user does can reach the global account.
const (
	UserService       = "tasharuk"
	UserFeedPublisher = "tasharuk-feed"
	UserFeed          = "feed"
	UserOperator      = "operator"

	// FeedAccount is the account of the integration feed.
	FeedAccount = "FEED"
)

// The integration feed's stream and subjects, as services/feed names them
// by default.
const (
	defaultFeedStream  = "TASHARUK_EVENTS"
	defaultFeedSubject = "tasharuk.events"
)

// SeedFile is where a user's NKey seed is kept: beside tasharuk's other
// keys, in the keys folder itself (<keys-dir>/nats-<user>.nk; by default
// <data-dir>/keys).
func SeedFile(keysDir, user string) string {
	return filepath.Join(keysDir, "nats-"+user+".nk")
}

// UserOption returns the nats.go option that signs in as user with its
// seed from the keys folder (e.g. a benchmark beside the service).
func UserOption(keysDir, user string) (nats.Option, error) {
	return nats.NkeyOptionFromSeed(SeedFile(keysDir, user))
}

// Users lists the users in the order EnsureUsers reports them.
var Users = []string{UserService, UserFeedPublisher, UserFeed, UserOperator}

// EnsureUsers creates the users' seeds in keysDir if they are missing and
// returns each user's public key, which a cluster's configuration names
// (deploy/nats/cluster.conf). The embedded server does this on its first
// start with a listener.
func EnsureUsers(keysDir string) (map[string]string, error) {
	u, err := loadOrCreateUsers(keysDir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, kp := range map[string]nkeys.KeyPair{UserService: u.service, UserFeedPublisher: u.feedPublisher, UserFeed: u.feed, UserOperator: u.operator} {
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, err
		}
		out[name] = pub
	}
	return out, nil
}

// users are the key pairs of the embedded server's users.
type users struct {
	service, feedPublisher, feed, operator nkeys.KeyPair
}

// loadOrCreateUsers reads the users' seeds from keysDir, creating the
// missing ones.
func loadOrCreateUsers(keysDir string) (*users, error) {
	if keysDir == "" {
		return nil, errors.New("natsstore: a NATS listener needs a keys folder for its users' credentials")
	}
	var u users
	for _, k := range []struct {
		name string
		kp   *nkeys.KeyPair
	}{{UserService, &u.service}, {UserFeedPublisher, &u.feedPublisher}, {UserFeed, &u.feed}, {UserOperator, &u.operator}} {
		kp, err := loadOrCreateSeed(SeedFile(keysDir, k.name))
		if err != nil {
			return nil, err
		}
		*k.kp = kp
	}
	return &u, nil
}

// loadOrCreateSeed returns the user key in path, creating it first if there
// is none, through the one race-safe key loader (internal/kernel/keyfile):
// several processes starting on one keys folder all end with the same key,
// and a file that is there but holds no valid seed is an error, never
// replaced.
func loadOrCreateSeed(path string) (nkeys.KeyPair, error) {
	b, err := keyfile.File{Path: path, New: newSeed, Check: checkSeed}.LoadOrCreate()
	if err != nil {
		return nil, fmt.Errorf("natsstore: %w", err)
	}
	return parseSeed(path, b)
}

func newSeed() ([]byte, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("natsstore: new NKey: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	return append(seed, '\n'), nil
}

// checkSeed accepts a user's NKey seed (surrounding white space allowed).
func checkSeed(b []byte) error {
	kp, err := nkeys.FromSeed(bytes.TrimSpace(b))
	if err != nil {
		return fmt.Errorf("not a NATS user seed: %w", err)
	}
	if pub, err := kp.PublicKey(); err != nil || !nkeys.IsValidPublicUserKey(pub) {
		return errors.New("a seed that is not a user's")
	}
	return nil
}

func parseSeed(path string, b []byte) (nkeys.KeyPair, error) {
	if err := checkSeed(b); err != nil {
		return nil, fmt.Errorf("natsstore: %s: %w", path, err)
	}
	return nkeys.FromSeed(bytes.TrimSpace(b))
}

// configureAuth makes opts require the users' keys and puts the feed in
// its own account. JetStream is enabled on both accounts once the server
// runs (enableAccounts): Options cannot carry an account's JetStream limits.
func configureAuth(opts *server.Options, u *users, feedStream, feedSubject string) error {
	pub := func(kp nkeys.KeyPair) string {
		p, _ := kp.PublicKey()
		return p
	}
	feedAcc := server.NewAccount(FeedAccount)
	opts.Accounts = []*server.Account{feedAcc}
	opts.Nkeys = []*server.NkeyUser{
		// The service owns its account: the log, the key buckets, the
		// documents. Permissions: all.
		{Nkey: pub(u.service)},
		{Nkey: pub(u.operator), Permissions: operatorPermissions()},
		{Nkey: pub(u.feedPublisher), Account: feedAcc},
		{Nkey: pub(u.feed), Account: feedAcc, Permissions: feedPermissions(feedStream, feedSubject)},
	}
	for _, n := range opts.Nkeys {
		if n.Nkey == "" {
			return errors.New("natsstore: a NATS user key has no public key")
		}
	}
	return nil
}

// feedPermissions let a feed user follow the feed live (core NATS) and
// through a consumer of its stream, and nothing else: create a consumer,
// read its info, ask for the next messages and acknowledge them. It cannot
// publish on the feed's subjects, change, purge or delete the stream,
// delete a consumer (other systems' durable consumers are theirs), and,
// being in another account, cannot see the log or the key buckets at all.
// Its ephemeral consumers vanish after their inactivity threshold.
func feedPermissions(stream, subject string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.CONSUMER.CREATE." + stream,
			"$JS.API.CONSUMER.CREATE." + stream + ".>",
			"$JS.API.CONSUMER.DURABLE.CREATE." + stream + ".*",
			"$JS.API.CONSUMER.INFO." + stream + ".*",
			"$JS.API.CONSUMER.MSG.NEXT." + stream + ".*",
			"$JS.ACK." + stream + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			subject + ".>",
			"_INBOX.>",
		}},
	}
}

// operatorPermissions are for backups: read every stream and bucket of the
// service's account (stream and consumer info, message and direct gets,
// consumers, snapshots, which `nats stream backup` takes) and no write:
// no publish on the log's or buckets' subjects, no stream create, update,
// purge or delete, no message delete, no restore.
//
// The operator is nonetheless as trusted as the service: it reads the key
// buckets (a backup must hold them), and it shares the service's account,
// where NATS does not check the reply and deliver subjects a request names
// (see the comment on the users above). Keep its seed off the server.
func operatorPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.INFO",
			"$JS.API.STREAM.NAMES",
			"$JS.API.STREAM.LIST",
			"$JS.API.STREAM.INFO.*",
			"$JS.API.STREAM.MSG.GET.*",
			"$JS.API.DIRECT.GET.>",
			"$JS.API.STREAM.SNAPSHOT.*",
			"$JS.SNAPSHOT.ACK.>",
			"$JS.API.CONSUMER.NAMES.*",
			"$JS.API.CONSUMER.LIST.*",
			"$JS.API.CONSUMER.INFO.*.*",
			"$JS.API.CONSUMER.CREATE.*",
			"$JS.API.CONSUMER.CREATE.*.>",
			"$JS.API.CONSUMER.MSG.NEXT.*.*",
			"$JS.ACK.>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{">"}},
	}
}

// enableAccounts turns JetStream on in both accounts of a server with
// users; the global account finds its streams on disk where it left them.
func enableAccounts(srv *server.Server) error {
	if err := srv.GlobalAccount().EnableJetStream(nil, nil); err != nil {
		return fmt.Errorf("natsstore: JetStream for the service's account: %w", err)
	}
	acc, err := srv.LookupAccount(FeedAccount)
	if err != nil {
		return fmt.Errorf("natsstore: feed account: %w", err)
	}
	if err := acc.EnableJetStream(nil, nil); err != nil {
		return fmt.Errorf("natsstore: JetStream for the feed account: %w", err)
	}
	return nil
}

// signIn is the nats.go option that signs in with kp.
func signIn(kp nkeys.KeyPair) nats.Option {
	pub, _ := kp.PublicKey()
	return nats.Nkey(pub, kp.Sign)
}
