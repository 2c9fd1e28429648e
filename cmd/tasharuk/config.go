package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/access/oidc"
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
	KeysDir  string
	// Limits bound signing and filing per token and address.
	Limits limits
	// OIDC configures tokens from an OIDC provider (off without Issuer).
	OIDC oidc.Config
	// NoFeed turns the integration feed off; FeedNATSURL sends it to
	// another NATS.
	NoFeed      bool
	FeedNATSURL string
	// CheckpointEvery and CheckpointInterval pace the signed checkpoints.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// ReadOnly serves reads and exports and refuses every write, so an
	// operator can export what is left of a damaged log.
	ReadOnly bool
	// TLS, when TLS.CertFile is set, makes the port speak TLS only.
	TLS server.TLSOptions
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time

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
	// KeysDir is serve's --keys-dir (default DataDir): with --nats-listen
	// the NATS users' seeds are kept there.
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

func (sc *storeConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&sc.Backend, "store", "nats", "where the event log is kept: nats (JetStream) or esdb (EventStoreDB/KurrentDB)")
	fs.StringVar(&sc.ESDBURL, "esdb-url", "", "EventStoreDB connection string for --store esdb (esdb://host:2113?tls=false)")
	fs.StringVar(&sc.ESDBUser, "esdb-username", "", "EventStoreDB user (overrides the URL's)")
	fs.StringVar(&sc.ESDBPassword, "esdb-password", "", "EventStoreDB password (overrides the URL's)")
	fs.StringVar(&sc.ESDBCA, "esdb-tls-ca", "", "CA certificate file of the EventStoreDB server")
	fs.StringVar(&sc.ESDBPrefix, "esdb-prefix", "tasharuk-", "prefix of tasharuk's EventStoreDB stream names")
	fs.StringVar(&sc.DataDir, "data-dir", "./data", "embedded mode: folder for the event log (created if missing)")
	fs.StringVar(&sc.NATSListen, "nats-listen", "", "embedded mode: also accept NATS clients on this host:port, signed in with the keys created in --keys-dir (default: no network listener)")
	fs.StringVar(&sc.NATSURL, "nats-url", "", "connect to an existing NATS cluster instead of the embedded server (comma-separated URLs)")
	fs.StringVar(&sc.NATSCreds, "nats-creds", "", "NATS credentials file (JWT and NKey) for --nats-url")
	fs.StringVar(&sc.NATSNKey, "nats-nkey", "", "NKey seed file of the service's user for --nats-url (made by: tasharuk nats keys)")
	fs.StringVar(&sc.NATSFeedNKey, "nats-feed-nkey", "", "NKey seed file of the feed publisher, in the cluster's FEED account, for --nats-url")
	fs.StringVar(&sc.NATSTLSCA, "nats-tls-ca", "", "CA certificate file to verify the NATS servers")
	fs.StringVar(&sc.NATSTLSCert, "nats-tls-cert", "", "client certificate file for NATS TLS")
	fs.StringVar(&sc.NATSTLSKey, "nats-tls-key", "", "client key file for NATS TLS")
	fs.IntVar(&sc.Replicas, "replicas", 0, "replicas of the log stream (default 1 embedded, 3 with --nats-url)")
	fs.StringVar(&sc.Stream, "stream", "TASHARUK_LOG", "JetStream stream that holds the log")
	fs.DurationVar(&sc.DupWindow, "dedup-window", 2*time.Minute, "JetStream message-id deduplication window")
	fs.DurationVar(&sc.GroupLinger, "group-commit-linger", time.Millisecond, "how long a group commit waits for more appends under concurrency (negative: never)")
	fs.IntVar(&sc.GroupInflight, "group-commit-inflight", 0, "group commits in flight at once (default 1 embedded, 4 on a cluster)")
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

// parseFlags parses args after applying TASHARUK_* environment variables
// as defaults, so a flag on the command line wins over the environment.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "TASHARUK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return fs.Parse(args)
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
