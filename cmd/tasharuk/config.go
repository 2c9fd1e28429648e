package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"golang.org/x/time/rate"

	"github.com/tasharuk/tasharuk/access/oidc"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/audit/witness"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/server"
)

// config is everything `tasharuk serve` can be told, from flags or the
// environment (TASHARUK_<FLAG NAME>, dashes as underscores).
type config struct {
	Addr     string
	LogLevel string
	LogJSON  bool
	Demo     bool
	// DataDirGiven: --data-dir (or TASHARUK_DATA_DIR) was set, not left
	// to its default.
	DataDirGiven bool
	// Limits bound signing and filing per token and address.
	Limits limits
	// OIDC configures tokens from an OIDC provider (off without Issuer).
	OIDC oidc.Config
	// SignIn configures how people sign in to the web pages.
	SignIn signinConfig
	// Notify configures the notifications outbox.
	Notify notifyConfig
	// NoFeed turns the integration feed off; FeedNATSURL sends it to
	// another NATS.
	NoFeed      bool
	FeedNATSURL string
	// CheckpointEvery and CheckpointInterval pace the signed checkpoints.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// Witnesses cosign the checkpoints (serve --witness URL=KEY).
	Witnesses []witness.Target
	// ReadOnly serves reads and exports and refuses every write, so an
	// operator can export what is left of a damaged log.
	ReadOnly bool
	// TLS, when TLS.CertFile is set, makes the port speak TLS only.
	TLS server.TLSOptions
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// Listener is where the service serves (opened on Addr by the serve
	// command, on a random port by tests); the service closes it.
	Listener net.Listener
	// Logger receives the service's logs; nil discards them.
	Logger *slog.Logger
	// DebugAddr is --debug-addr; DebugListener, when set, serves Go's
	// profiler (loopback only, see debug.go); the service closes it.
	DebugAddr     string
	DebugListener net.Listener

	Store storeConfig
}

// storeConfig selects and configures the event log.
type storeConfig struct {
	// Backend holds the log: "nats" (default) or "esdb".
	Backend      string
	ESDBURL      string
	ESDBUser     string
	ESDBPassword string
	ESDBCA       string
	ESDBPrefix   string

	DataDir string
	// KeysDir is --keys-dir: the folder of the keys itself (default
	// DataDir/keys; see keysDir). With --nats-listen the NATS users'
	// seeds are kept there too.
	KeysDir       string
	NATSListen    string
	NATSURL       string
	NATSCreds     string
	NATSNKey      string
	NATSFeedNKey  string
	NATSTLSCA     string
	NATSTLSCert   string
	NATSTLSKey    string
	Replicas      int
	Stream        string
	DupWindow     time.Duration
	GroupLinger   time.Duration
	GroupInflight int
}

// storeUse says which store flags a command takes: only those it uses.
type storeUse int

const (
	// storeRead: where an existing log is and how to reach it (audit
	// export, audit verify --live, replay).
	storeRead storeUse = iota
	// storeWrite: also how the log's stream is made and written (territory
	// import, privacy erase).
	storeWrite
	// storeServe: also what only the running service does (its NATS
	// listener, the feed publisher).
	storeServe
)

func (sc *storeConfig) register(fs *flag.FlagSet, use storeUse) {
	fs.StringVar(&sc.Backend, "store", "nats", "where the event log is kept: nats (JetStream) or esdb (EventStoreDB/KurrentDB)")
	fs.StringVar(&sc.ESDBURL, "esdb-url", "", "EventStoreDB connection string for --store esdb (esdb://host:2113?tls=false)")
	fs.StringVar(&sc.ESDBUser, "esdb-username", "", "EventStoreDB user (overrides the URL's)")
	fs.StringVar(&sc.ESDBPassword, "esdb-password", "", "EventStoreDB password (overrides the URL's)")
	fs.StringVar(&sc.ESDBCA, "esdb-tls-ca", "", "CA certificate file of the EventStoreDB server")
	fs.StringVar(&sc.ESDBPrefix, "esdb-prefix", "tasharuk-", "prefix of tasharuk's EventStoreDB stream names")
	dataUsage := "embedded mode: folder of the event log (it must hold one: nothing is created)"
	switch use {
	case storeServe:
		dataUsage = "embedded mode: folder for the event log (created if missing)"
	case storeWrite:
		dataUsage = "embedded mode: folder of the event log (it must hold one, unless --create)"
	}
	registerDirs(fs, &sc.DataDir, &sc.KeysDir, dataUsage)
	fs.StringVar(&sc.NATSURL, "nats-url", "", "connect to an existing NATS cluster instead of the embedded server (comma-separated URLs)")
	fs.StringVar(&sc.NATSCreds, "nats-creds", "", "NATS credentials file (JWT and NKey) for --nats-url")
	fs.StringVar(&sc.NATSNKey, "nats-nkey", "", "NKey seed file of the service's user for --nats-url (made by: tasharuk nats keys)")
	fs.StringVar(&sc.NATSTLSCA, "nats-tls-ca", "", "CA certificate file to verify the NATS servers")
	fs.StringVar(&sc.NATSTLSCert, "nats-tls-cert", "", "client certificate file for NATS TLS")
	fs.StringVar(&sc.NATSTLSKey, "nats-tls-key", "", "client key file for NATS TLS")
	fs.StringVar(&sc.Stream, "stream", "TASHARUK_LOG", "JetStream stream that holds the log")
	if use < storeWrite {
		return
	}
	fs.IntVar(&sc.Replicas, "replicas", 0, "replicas of the log stream (default 1 embedded, 3 with --nats-url)")
	fs.DurationVar(&sc.DupWindow, "dedup-window", 2*time.Minute, "JetStream message-id deduplication window")
	fs.DurationVar(&sc.GroupLinger, "group-commit-linger", time.Millisecond, "how long a group commit waits for more appends under concurrency (negative: never)")
	fs.IntVar(&sc.GroupInflight, "group-commit-inflight", 0, "group commits in flight at once (default 1 embedded, 4 on a cluster)")
	if use < storeServe {
		return
	}
	fs.StringVar(&sc.NATSListen, "nats-listen", "", "embedded mode: also accept NATS clients on this host:port, signed in with the keys created in --keys-dir (default: no network listener)")
	fs.StringVar(&sc.NATSFeedNKey, "nats-feed-nkey", "", "NKey seed file of the feed publisher, in the cluster's FEED account, for --nats-url")
}

func (sc *storeConfig) natsConfig(logger *slog.Logger) natsstore.Config {
	return natsstore.Config{
		DataDir:         sc.DataDir,
		Listen:          sc.NATSListen,
		KeysDir:         sc.KeysDir,
		URL:             sc.NATSURL,
		CredsFile:       sc.NATSCreds,
		NKeyFile:        sc.NATSNKey,
		FeedNKeyFile:    sc.NATSFeedNKey,
		TLSCAFile:       sc.NATSTLSCA,
		TLSCertFile:     sc.NATSTLSCert,
		TLSKeyFile:      sc.NATSTLSKey,
		Replicas:        sc.Replicas,
		Stream:          sc.Stream,
		DuplicateWindow: sc.DupWindow,
		Linger:          sc.GroupLinger,
		MaxInflight:     sc.GroupInflight,
		Logger:          logger,
	}
}

func newLogger(w io.Writer, level string, asJSON bool) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// limits are the rate limits of serve.
type limits struct {
	SignPerToken, SignPerAddress float64
	SignBurst                    int
	FilePerToken                 float64
	FileBurst                    int
}

// RateLimits are the server's limits per gRPC method, from the flags: an
// address gets four times a token's burst, and may file ten times as fast
// as one token.
func (l limits) RateLimits() map[string]server.RateLimit {
	return map[string]server.RateLimit{
		petitionsv1.PetitionService_SignPetition_FullMethodName: {
			PerToken: rate.Limit(l.SignPerToken), TokenBurst: l.SignBurst,
			PerAddress: rate.Limit(l.SignPerAddress), AddressBurst: 4 * l.SignBurst,
		},
		petitionsv1.PetitionService_CreatePetition_FullMethodName: {
			PerToken: rate.Limit(l.FilePerToken), TokenBurst: l.FileBurst,
			PerAddress: rate.Limit(10 * l.FilePerToken), AddressBurst: 4 * l.FileBurst,
		},
	}
}
