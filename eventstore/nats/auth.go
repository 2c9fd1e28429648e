package natsstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Who may talk to the embedded server once it listens on the network.
//
// Nobody is anonymous. Each user is an NKey: the server knows only its
// public key, the client proves it holds the seed by signing the server's
// nonce. The seeds are created in the keys folder on the first start with a
// listener, one 0600 file a user (keys/nats-<user>.nk); the nats CLI and nats.go
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
// keys, in the keys subfolder of the keys folder (<keys-dir>/keys).
func SeedFile(keysDir, user string) string {
	return filepath.Join(keysDir, "keys", "nats-"+user+".nk")
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
// is none. Several processes starting on one keys folder all end with the
// same key: the new seed is written whole to a temporary file of the same
// folder, synced, and hard-linked to its name, which fails if the name
// exists; the loser reads the winner's file. A file that is there but holds
// no valid seed is an error, never replaced.
//
// This is the same protocol as internal/kernel/keyfile (branch keys-small);
// once that lands, this becomes keyfile.File{Path: path, New: newSeed,
// Check: checkSeed}.LoadOrCreate().
func loadOrCreateSeed(path string) (nkeys.KeyPair, error) {
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			return parseSeed(path, b)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("natsstore: read %s: %w", path, err)
		}
		seed, err := newSeed()
		if err != nil {
			return nil, err
		}
		won, err := linkNew(path, seed)
		if err != nil {
			return nil, err
		}
		if won {
			return parseSeed(path, seed)
		}
		// Another process created it first: read its key.
	}
	return nil, fmt.Errorf("natsstore: %s appeared and vanished while being created", path)
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

func parseSeed(path string, b []byte) (nkeys.KeyPair, error) {
	kp, err := nkeys.FromSeed(bytes.TrimSpace(b))
	if err != nil {
		return nil, fmt.Errorf("natsstore: %s does not hold a NATS user seed: %w", path, err)
	}
	if pub, err := kp.PublicKey(); err != nil || !nkeys.IsValidPublicUserKey(pub) {
		return nil, fmt.Errorf("natsstore: %s holds a seed that is not a user's", path)
	}
	return kp, nil
}

// linkNew writes b to a temporary file next to path, syncs it, links it to
// path and syncs the folder. won is false if path already existed.
func linkNew(path string, b []byte) (won bool, err error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		// A folder made here is the owner's only, whatever the umask.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("natsstore: create keys folder: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return false, fmt.Errorf("natsstore: keys folder: %w", err)
		}
	}
	f, err := os.CreateTemp(dir, ".nats-seed-*") // mode 0600
	if err != nil {
		return false, fmt.Errorf("natsstore: create key file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return false, fmt.Errorf("natsstore: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return false, fmt.Errorf("natsstore: sync key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("natsstore: create %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return true, nil
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
