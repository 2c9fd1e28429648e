package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/audit/witness"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	"github.com/tasharuk/tasharuk/services/eventlog"
	iddomain "github.com/tasharuk/tasharuk/services/identity/domain"
	idomain "github.com/tasharuk/tasharuk/services/information/domain"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	prdomain "github.com/tasharuk/tasharuk/services/programmes/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// newRegistry knows every event type of the application.
func newRegistry() *es.Registry {
	return es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes, adomain.EventTypes, cdomain.EventTypes, prdomain.EventTypes, audit.EventTypes, idomain.EventTypes, iddomain.EventTypes, ndomain.EventTypes)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address serving gRPC, REST and the web pages on one port")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&cfg.LogJSON, "log-json", false, "write logs as JSON lines")
	fs.BoolVar(&cfg.Demo, "demo", false, "on an empty log, import demo communes and sample petitions")
	fs.BoolVar(&cfg.ReadOnly, "read-only", false, "serve reads and exports only and refuse every write (to export what is left of a damaged log)")
	fs.StringVar(&cfg.OIDC.Issuer, "oidc-issuer", "", "also accept tokens from this OIDC provider (https URL; discovery finds its keys); with --oidc-client-id, people sign in to the pages through it")
	fs.StringVar(&cfg.OIDC.Audience, "oidc-audience", "tasharuk-api", "audience the OIDC tokens must name")
	fs.StringVar(&cfg.OIDC.JWKSURL, "oidc-jwks-url", "", "JWKS URL (default: from the provider's discovery document)")
	fs.StringVar(&cfg.OIDC.RoleClaim, "oidc-role-claim", "tasharuk_role", "claim holding the tasharuk role")
	fs.StringVar(&cfg.OIDC.CouncilClaim, "oidc-council-claim", "tasharuk_council", "claim holding the council code")
	cfg.SignIn.register(fs)
	fs.StringVar(&cfg.OIDC.NationalIDClaim, "oidc-national-id-claim", "", "claim in which the provider asserts the national ID number (signatures matching it are PROVIDER_VERIFIED_ID); empty: none")
	cfg.Notify.register(fs)
	fs.Float64Var(&cfg.Limits.SignPerToken, "limit-sign", 5, "signatures per second one token may add (0: no limit)")
	fs.Float64Var(&cfg.Limits.SignPerAddress, "limit-sign-address", 50, "signatures per second from one address (0: no limit)")
	fs.IntVar(&cfg.Limits.SignBurst, "limit-sign-burst", 20, "burst of signatures allowed over the rate")
	fs.Float64Var(&cfg.Limits.FilePerToken, "limit-file", 0.1, "petitions per second one token may draft (0: no limit)")
	fs.IntVar(&cfg.Limits.FileBurst, "limit-file-burst", 5, "burst of drafts allowed over the rate")
	fs.BoolVar(&cfg.NoFeed, "no-feed", false, "do not publish the integration feed (tasharuk.events.<council>.<type>)")
	fs.StringVar(&cfg.FeedNATSURL, "feed-nats-url", "", "publish the integration feed to this NATS instead of the service's own")
	fs.IntVar(&cfg.CheckpointEvery, "checkpoint-every", 1000, "sign a checkpoint of the verifiable log every N events")
	fs.DurationVar(&cfg.CheckpointInterval, "checkpoint-interval", time.Minute, "and at least this often while events arrive")
	fs.StringVar(&cfg.TLS.CertFile, "tls-cert", "", "serve TLS only, with this PEM certificate chain (reloaded when the file changes)")
	fs.StringVar(&cfg.TLS.KeyFile, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&cfg.TLS.ClientCAFile, "tls-client-ca", "", "verify client certificates offered by machine clients against these PEM CAs")
	fs.StringVar(&cfg.TLS.MinVersion, "tls-min-version", "1.2", "lowest TLS version accepted: 1.2 or 1.3")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve Go's profiler (net/http/pprof, /debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060; a non-loopback host is refused (default: off)")
	var witnesses listFlag
	fs.Var(&witnesses, "witness", "submit each checkpoint to this witness and record its cosignature: URL=KEY, the witness's address and public key (repeatable)")
	cfg.Store.register(fs, storeServe)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve", "unexpected argument %q", fs.Arg(0))
	}
	for _, w := range witnesses {
		t, err := witness.ParseTarget(w)
		if err != nil {
			return usagef("serve", "--witness: %v", err)
		}
		cfg.Witnesses = append(cfg.Witnesses, t)
	}
	cfg.DataDirGiven = flagGiven(fs, "data-dir")
	if cfg.Demo && !flagGiven(fs, "web-token-signin") {
		// A demo has no provider or mail server: its pages take tokens.
		cfg.SignIn.TokenSignIn = true
	}
	logger, err := newLogger(stderr, cfg.LogLevel, cfg.LogJSON)
	if err != nil {
		return err
	}
	if cfg.DebugAddr != "" {
		if cfg.DebugListener, err = debugListen(cfg.DebugAddr); err != nil {
			return usagef("serve", "%v", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if cfg.DebugListener != nil {
			cfg.DebugListener.Close()
		}
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return serve(ctx, cfg, ln, logger)
}

// serve runs the service on ln until ctx ends. Tests call it directly with
// a random port, a temporary data folder and their own clock.
func serve(ctx context.Context, cfg config, ln net.Listener, logger *slog.Logger) error {
	cfg.Listener, cfg.Logger = ln, logger
	a, err := newApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Run(ctx)
}

// facts describe the log for GetLogInfo (NATS only).
func facts(ls *logStore) eventlog.LogFacts {
	if ls.Backend == "nats" {
		return ls.NATS
	}
	return nil
}

// registerStoreMetrics registers the log store's figures. Only the NATS
// store counts them: with --store esdb the NATS server beside the log holds
// no event, and its figures would say nothing about the log.
func registerStoreMetrics(reg *prometheus.Registry, ls *logStore) {
	if ls.Backend != "nats" {
		return
	}
	st := ls.NATS.Stats()
	counter := func(name, help string, f func() uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) }))
	}
	counter("tasharuk_store_appends_total", "Append calls.", st.Appends.Load)
	counter("tasharuk_store_events_total", "Events recorded.", st.Events.Load)
	counter("tasharuk_store_commits_total", "Writes sent to JetStream (plain publishes and atomic batches).", st.Commits.Load)
	counter("tasharuk_store_batch_commits_total", "Atomic batches sent to JetStream.", st.BatchCommits.Load)
	counter("tasharuk_store_committed_messages_total", "Messages sent in commits.", st.CommittedMsgs.Load)
	counter("tasharuk_store_conflicts_total", "Appends refused for a wrong expected revision.", st.Conflicts.Load)
	counter("tasharuk_store_batch_retries_total", "Group commits that failed as a whole and were split.", st.BatchRetries.Load)
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tasharuk_store_commit_seconds_total", Help: "Time spent in commit round trips (first message sent to acknowledgement)."},
		func() float64 { return time.Duration(st.CommitNanos.Load()).Seconds() }))
}
