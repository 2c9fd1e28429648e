package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/access/oidc"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/audit"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/server"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	aports "github.com/tasharuk/tasharuk/services/advisory/ports"
	auditports "github.com/tasharuk/tasharuk/services/audit/ports"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	cports "github.com/tasharuk/tasharuk/services/consultations/ports"
	"github.com/tasharuk/tasharuk/services/eventlog"
	"github.com/tasharuk/tasharuk/services/feed"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	pports "github.com/tasharuk/tasharuk/services/petitions/ports"
	"github.com/tasharuk/tasharuk/services/status"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
	tports "github.com/tasharuk/tasharuk/services/territory/ports"
	"github.com/tasharuk/tasharuk/web"
)

// newRegistry knows every event type of the application.
func newRegistry() *es.Registry {
	return es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes, adomain.EventTypes, cdomain.EventTypes, audit.EventTypes)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address serving gRPC, REST and the web pages on one port")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&cfg.LogJSON, "log-json", false, "write logs as JSON lines")
	fs.BoolVar(&cfg.Demo, "demo", false, "on an empty log, import demo communes and sample petitions")
	fs.BoolVar(&cfg.ReadOnly, "read-only", false, "serve reads and exports only and refuse every write (to export what is left of a damaged log)")
	fs.StringVar(&cfg.OIDC.Issuer, "oidc-issuer", "", "also accept tokens from this OIDC provider (https URL; discovery finds its keys)")
	fs.StringVar(&cfg.OIDC.Audience, "oidc-audience", "tasharuk-api", "audience the OIDC tokens must name")
	fs.StringVar(&cfg.OIDC.JWKSURL, "oidc-jwks-url", "", "JWKS URL (default: from the provider's discovery document)")
	fs.StringVar(&cfg.OIDC.RoleClaim, "oidc-role-claim", "tasharuk_role", "claim holding the tasharuk role")
	fs.StringVar(&cfg.OIDC.CouncilClaim, "oidc-council-claim", "tasharuk_council", "claim holding the council code")
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
	cfg.Store.register(fs, storeServe)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve", "unexpected argument %q", fs.Arg(0))
	}
	cfg.DataDirGiven = flagGiven(fs, "data-dir")
	logger, err := newLogger(stderr, cfg.LogLevel, cfg.LogJSON)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return serve(ctx, cfg, ln, logger)
}

// serve runs the service on ln until ctx ends. Tests call it directly with
// a random port, a temporary data folder and their own clock.
func serve(ctx context.Context, cfg config, ln net.Listener, logger *slog.Logger) error {
	defer ln.Close()
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// --keys-dir is the keys folder itself (default <data-dir>/keys); the
	// NATS users' seeds live there too, with --nats-listen.
	if err := cfg.Store.resolveKeys(); err != nil {
		return err
	}
	keysDir := cfg.Store.KeysDir
	newLog := cfg.Store.embeddedLog() && !hasLog(cfg.Store.DataDir, cfg.Store.Stream)
	keysHeld := holdsKeys(keysDir)
	ls, err := openLog(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer ls.Close()
	if newLog {
		noteNewLog(logger, cfg.Store.DataDir, cfg.DataDirGiven)
	}
	if err := refuseNewKeysForServedLog(ctx, cfg.Store, ls, keysHeld); err != nil {
		return err
	}
	// store is the event log, guarded: no write once damage is found (or
	// read-only); ns the NATS server beside it (the key store and the
	// integration feed live there).
	store, monitor := guardLog(ls.Log, cfg.ReadOnly, logger)
	ns := ls.NATS
	mode := "embedded, data in " + cfg.Store.DataDir
	if cfg.Store.NATSURL != "" {
		mode = "cluster " + cfg.Store.NATSURL
	}
	if ls.Backend == "esdb" {
		mode = "EventStoreDB " + cfg.Store.ESDBURL
	}
	logger.Info("event log open", "backend", ls.Backend, "mode", mode, "nats_stream", ns.StreamName(), "replicas", ns.Replicas())

	var tlsConfig *tls.Config
	if cfg.TLS.CertFile != "" || cfg.TLS.KeyFile != "" {
		if tlsConfig, err = server.TLSConfig(cfg.TLS); err != nil {
			return err
		}
	}

	tokenKey, err := access.LoadOrCreateKey(keysDir)
	if err != nil {
		return err
	}
	// Bearer tokens: the built-in issuer's, and an OIDC provider's if set.
	var verifier access.TokenVerifier = access.NewIssuer(tokenKey, access.DefaultIssuer)
	if cfg.OIDC.Issuer != "" {
		ov, err := oidc.New(ctx, cfg.OIDC)
		if err != nil {
			return fmt.Errorf("oidc: %w", err)
		}
		verifier = oidc.Chain{Local: access.NewIssuer(tokenKey, access.DefaultIssuer), OIDC: ov}
		logger.Info("bearer tokens from an OIDC provider accepted", "issuer", cfg.OIDC.Issuer, "audience", cfg.OIDC.Audience)
	}
	keys, err := privacy.LoadKeys(keysDir)
	if err != nil {
		return err
	}
	// The key store has its own connection: its lookups sit on every
	// signature's path and must not wait behind the log's batches.
	keyConn, err := ns.Connect("tasharuk-keys")
	if err != nil {
		return fmt.Errorf("connect the key store: %w", err)
	}
	defer keyConn.Close()
	js, err := jetstream.New(keyConn)
	if err != nil {
		return err
	}
	persons, err := privacy.OpenKeyStore(ctx, keyConn, js, "TASHARUK_PERSON_KEYS", ns.Replicas(), keys)
	if err != nil {
		return err
	}
	defer persons.Close()

	reg := newRegistry()
	model := projections.New(reg)
	model.SetHead(store.LastPosition) // a min_position past the head is refused at once
	follower := &projections.Follower{Model: model, Store: store, Logger: logger, Monitor: monitor}
	if cfg.Store.NATSURL == "" {
		follower.SnapshotPath = filepath.Join(cfg.Store.DataDir, "projections", ls.Backend+"-snapshot.gob")
	}
	if _, err := follower.Start(ctx); err != nil {
		return err
	}
	followCtx, stopFollow := context.WithCancel(context.Background())
	followDone := make(chan error, 1)
	go func() { followDone <- follower.Run(followCtx) }()
	defer func() {
		stopFollow()
		if err := <-followDone; err != nil {
			logger.Error("projections stopped", "err", err)
		}
	}()

	// The verifiable log: a Merkle tree over every event, checkpoints
	// signed with a key kept beside the other keys.
	logName := ns.StreamName()
	origin := "tasharuk.ma/" + logName
	signer, vkey, err := audit.LoadOrCreateKey(keysDir, origin)
	if err != nil {
		return err
	}
	logger.Info("verifiable log", "origin", origin, "public_key", vkey)
	checkpointer := &audit.Checkpointer{Store: store, Registry: reg, Signer: signer, Origin: origin, LogName: logName,
		Every: cfg.CheckpointEvery, Interval: cfg.CheckpointInterval, Logger: logger,
		SavePath: savedCheckpointPath(cfg.Store, ls.Backend), PublicKey: vkey, Monitor: monitor, ReadOnly: cfg.ReadOnly}
	sign, err := checkOnStart(ctx, checkpointer, monitor, logger)
	if err != nil {
		return err
	}
	cpCtx, stopCheckpoints := context.WithCancel(context.Background())
	cpDone := make(chan error, 1)
	if sign {
		go func() { cpDone <- checkpointer.Run(cpCtx) }()
	} else {
		cpDone <- nil
	}
	defer func() {
		// A stopping service writes nothing: events after the last
		// checkpoint are covered by the next one, after the restart.
		stopCheckpoints()
		if err := <-cpDone; err != nil {
			logger.Error("checkpointer stopped", "err", err)
		}
	}()

	// The integration feed: every event in its public form on NATS.
	if !cfg.NoFeed {
		conn := ns.FeedConn()
		replicas := ns.Replicas()
		if cfg.FeedNATSURL != "" {
			fc, err := nats.Connect(cfg.FeedNATSURL, nats.Name("tasharuk-feed"), nats.MaxReconnects(-1))
			if err != nil {
				return fmt.Errorf("feed: connect to %s: %w", cfg.FeedNATSURL, err)
			}
			defer fc.Close()
			conn, replicas = fc, 1
		}
		pub := &feed.Publisher{Store: store, Registry: reg, Conn: conn, Replicas: replicas, Logger: logger}
		feedCtx, stopFeed := context.WithCancel(context.Background())
		feedDone := make(chan error, 1)
		go func() { feedDone <- pub.Run(feedCtx) }()
		defer func() {
			stopFeed()
			if err := <-feedDone; err != nil {
				logger.Error("integration feed stopped", "err", err)
			}
		}()
	}

	petitions := &papp.Service{Store: store, Registry: reg, Model: model, Signers: keys, Persons: persons, Now: now}
	territory := &tapp.Handler{Store: store, Registry: reg, Now: now}
	if cfg.Demo && store.Refusal() == nil {
		if err := seedDemo(ctx, store, reg, petitions, model, logger); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	promReg := prometheus.NewRegistry()
	registerStoreMetrics(promReg, ns)
	promReg.MustRegister(monitor.Collectors()...)
	promReg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tasharuk_projection_position", Help: "Log position the read models have applied.",
	}, func() float64 { return float64(model.Position()) }))
	srv, err := server.New(server.Config{
		Store:    store,
		Backend:  ls.Backend,
		Facts:    facts(ls),
		Registry: promReg,
		Logger:   logger,
		Version:  versionString(),
		Issuer:   verifier,
		RateLimits: map[string]server.RateLimit{
			petitionsv1.PetitionService_SignPetition_FullMethodName: {PerToken: rate.Limit(cfg.Limits.SignPerToken), TokenBurst: cfg.Limits.SignBurst,
				PerAddress: rate.Limit(cfg.Limits.SignPerAddress), AddressBurst: 4 * cfg.Limits.SignBurst},
			petitionsv1.PetitionService_CreatePetition_FullMethodName: {PerToken: rate.Limit(cfg.Limits.FilePerToken), TokenBurst: cfg.Limits.FileBurst,
				PerAddress: rate.Limit(10 * cfg.Limits.FilePerToken), AddressBurst: 4 * cfg.Limits.FileBurst},
		},
		Policy: access.DefaultPolicy(),
		Now:    now,
		TLS:    tlsConfig,
		// The web pages call the API like any other client, through the
		// generated gRPC clients, over the server's in-memory connection.
		Web: func(api *grpc.ClientConn) (http.Handler, error) {
			return web.New(web.Config{Conn: api, Logger: logger, Now: now, Secret: tokenKey})
		},
		Register: func(g *grpc.Server) {
			petitionsv1.RegisterPetitionServiceServer(g, &pports.Server{App: petitions})
			territoryv1.RegisterTerritoryServiceServer(g, &tports.Server{Model: model, Handler: territory})
			statusv1.RegisterStatusServiceServer(g, &status.Server{Model: model, Now: now})
			advisoryv1.RegisterAdvisoryServiceServer(g, &aports.Server{Store: store, Registry: reg, Model: model, Now: now})
			consultationsv1.RegisterConsultationServiceServer(g, &cports.Server{Store: store, Registry: reg, Model: model, Now: now})
			auditv1.RegisterAuditServiceServer(g, &auditports.Server{Store: store, Registry: reg, Model: model, Checkpointer: checkpointer,
				VerifierKey: vkey, Origin: origin, LogName: logName})
		},
		Gateways: []server.Gateway{
			func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
				return petitionsv1.RegisterPetitionServiceHandler(ctx, mux, conn)
			},
			func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
				return territoryv1.RegisterTerritoryServiceHandler(ctx, mux, conn)
			},
			func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
				return statusv1.RegisterStatusServiceHandler(ctx, mux, conn)
			},
			func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
				return advisoryv1.RegisterAdvisoryServiceHandler(ctx, mux, conn)
			},
			func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
				return consultationsv1.RegisterConsultationServiceHandler(ctx, mux, conn)
			},
			func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
				return auditv1.RegisterAuditServiceHandler(ctx, mux, conn)
			},
		},
		Ready:    readyCheck(store, model, monitor),
		ReadOnly: cfg.ReadOnly,
	})
	if err != nil {
		return err
	}
	err = srv.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	logger.Info("stopped")
	return err
}

// facts describe the log for GetLogInfo (NATS only).
func facts(ls *logStore) eventlog.LogFacts {
	if ls.Backend == "nats" {
		return ls.NATS
	}
	return nil
}

func registerStoreMetrics(reg *prometheus.Registry, s *natsstore.Store) {
	st := s.Stats()
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
