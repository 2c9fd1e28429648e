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
	"golang.org/x/sync/errgroup"
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
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/server"
	aports "github.com/tasharuk/tasharuk/services/advisory/ports"
	auditports "github.com/tasharuk/tasharuk/services/audit/ports"
	cports "github.com/tasharuk/tasharuk/services/consultations/ports"
	"github.com/tasharuk/tasharuk/services/feed"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	pports "github.com/tasharuk/tasharuk/services/petitions/ports"
	"github.com/tasharuk/tasharuk/services/status"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
	tports "github.com/tasharuk/tasharuk/services/territory/ports"
	"github.com/tasharuk/tasharuk/web"
)

// App is the running service: newApp opens and wires every part, Run runs
// them until its context ends, Close releases what newApp opened. It
// starts and stops its parts itself, as nats-server's Server does.
type App struct {
	logger *slog.Logger
	ln     net.Listener
	srv    *server.Server
	// parts run beside the server, started in this order and stopped in
	// the reverse order once the server has stopped.
	parts []part
	// seed, if set, runs once the parts run and before the server serves
	// (the demo data: it waits for the read model to apply it).
	seed func(context.Context) error
	// closers release what newApp opened, in the reverse order.
	closers []func()
}

// part is a background part of the service: run works until ctx ends.
type part struct {
	name string
	run  func(ctx context.Context) error
}

// newApp opens the log, the key stores and the NATS connections, and
// wires the read model, checkpointer, feed and server. On error it closes
// what it opened. cfg.Listener is closed by Close.
func newApp(ctx context.Context, cfg config) (_ *App, err error) {
	a := &App{logger: cfg.Logger, ln: cfg.Listener}
	if a.logger == nil {
		a.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.ln != nil {
		a.onClose(func() { _ = a.ln.Close() })
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.ln == nil {
		return nil, errors.New("serve: no listener")
	}
	logger := a.logger
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// --keys-dir is the keys folder itself (default <data-dir>/keys); the
	// NATS users' seeds live there too, with --nats-listen.
	if err := cfg.Store.resolveKeys(); err != nil {
		return nil, err
	}
	keysDir := cfg.Store.KeysDir
	newLog := cfg.Store.embeddedLog() && !hasLog(cfg.Store.DataDir, cfg.Store.Stream)
	keysHeld := holdsKeys(keysDir)
	ls, err := openLog(ctx, cfg.Store, logger)
	if err != nil {
		return nil, err
	}
	a.onClose(ls.Close)
	if newLog {
		noteNewLog(logger, cfg.Store.DataDir, cfg.DataDirGiven)
	}
	if err := refuseNewKeysForServedLog(ctx, cfg.Store, ls, keysHeld); err != nil {
		return nil, err
	}
	// store is the event log, guarded: no write once damage is found (or
	// read-only); ns the NATS server beside it (the key store and the
	// integration feed live there).
	store, monitor := guardLog(ls.Log, cfg.ReadOnly, logger)
	ns := ls.NATS
	logger.Info("event log open", "backend", ls.Backend, "mode", logMode(cfg.Store, ls.Backend), "nats_stream", ns.StreamName(), "replicas", ns.Replicas())

	var tlsConfig *tls.Config
	if cfg.TLS.CertFile != "" || cfg.TLS.KeyFile != "" {
		if tlsConfig, err = server.TLSConfig(cfg.TLS); err != nil {
			return nil, err
		}
	}
	tokenKey, err := access.LoadOrCreateKey(keysDir)
	if err != nil {
		return nil, err
	}
	verifier, err := tokenVerifier(ctx, cfg.OIDC, tokenKey, logger)
	if err != nil {
		return nil, err
	}
	keys, err := privacy.LoadKeys(keysDir)
	if err != nil {
		return nil, err
	}
	// The key store has its own connection: its lookups sit on every
	// signature's path and must not wait behind the log's batches.
	keyConn, err := ns.Connect("tasharuk-keys")
	if err != nil {
		return nil, fmt.Errorf("connect the key store: %w", err)
	}
	a.onClose(keyConn.Close)
	js, err := jetstream.New(keyConn)
	if err != nil {
		return nil, err
	}
	persons, err := privacy.OpenKeyStore(ctx, keyConn, js, "TASHARUK_PERSON_KEYS", ns.Replicas(), keys)
	if err != nil {
		return nil, err
	}
	a.onClose(persons.Close)

	reg := newRegistry()
	model := projections.New(reg)
	model.SetHead(store.LastPosition) // a min_position past the head is refused at once
	follower := &projections.Follower{Model: model, Store: store, Logger: logger, Monitor: monitor}
	if cfg.Store.NATSURL == "" {
		follower.SnapshotPath = filepath.Join(cfg.Store.DataDir, "projections", ls.Backend+"-snapshot.gob")
	}
	if _, err := follower.Start(ctx); err != nil {
		return nil, err
	}
	a.parts = append(a.parts, part{"projections", follower.Run})

	// The verifiable log: a Merkle tree over every event, checkpoints
	// signed with a key kept beside the other keys.
	logName := ns.StreamName()
	origin := "tasharuk.ma/" + logName
	signer, vkey, err := audit.LoadOrCreateKey(keysDir, origin)
	if err != nil {
		return nil, err
	}
	logger.Info("verifiable log", "origin", origin, "public_key", vkey)
	checkpointer := &audit.Checkpointer{Store: store, Registry: reg, Signer: signer, Origin: origin, LogName: logName,
		Every: cfg.CheckpointEvery, Interval: cfg.CheckpointInterval, Logger: logger,
		SavePath: savedCheckpointPath(cfg.Store, ls.Backend), PublicKey: vkey, Monitor: monitor, ReadOnly: cfg.ReadOnly}
	sign, err := checkOnStart(ctx, checkpointer, monitor, logger)
	if err != nil {
		return nil, err
	}
	if sign {
		// A stopping service writes nothing: events after the last
		// checkpoint are covered by the next one, after the restart.
		a.parts = append(a.parts, part{"checkpointer", checkpointer.Run})
	}

	// The integration feed: every event in its public form on NATS.
	if !cfg.NoFeed {
		conn := ns.FeedConn()
		replicas := ns.Replicas()
		if cfg.FeedNATSURL != "" {
			fc, err := nats.Connect(cfg.FeedNATSURL, nats.Name("tasharuk-feed"), nats.MaxReconnects(-1))
			if err != nil {
				return nil, fmt.Errorf("feed: connect to %s: %w", cfg.FeedNATSURL, err)
			}
			a.onClose(fc.Close)
			conn, replicas = fc, 1
		}
		pub := &feed.Publisher{Store: store, Registry: reg, Conn: conn, Replicas: replicas, Logger: logger}
		a.parts = append(a.parts, part{"integration feed", pub.Run})
	}

	petitions := &papp.Service{Store: store, Registry: reg, Model: model, Signers: keys, Persons: persons, Now: now}
	territory := &tapp.Handler{Store: store, Registry: reg, Now: now}
	if cfg.Demo {
		a.seed = func(ctx context.Context) error {
			if store.Refusal() != nil {
				return nil
			}
			return seedDemo(ctx, store, reg, petitions, model, logger)
		}
	}

	promReg := prometheus.NewRegistry()
	registerStoreMetrics(promReg, ls)
	promReg.MustRegister(monitor.Collectors()...)
	promReg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tasharuk_projection_position", Help: "Log position the read models have applied.",
	}, func() float64 { return float64(model.Position()) }))
	a.srv, err = server.New(server.Config{
		Store:      store,
		Backend:    ls.Backend,
		Facts:      facts(ls),
		Registry:   promReg,
		Logger:     logger,
		Version:    versionString(),
		Issuer:     verifier,
		RateLimits: cfg.Limits.RateLimits(),
		Policy:     access.DefaultPolicy(),
		Now:        now,
		TLS:        tlsConfig,
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
		Gateways: gateways,
		Ready:    readyCheck(store, model, monitor),
		ReadOnly: cfg.ReadOnly,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// gateways put the REST routes of every API service on the gateway's mux.
var gateways = []server.Gateway{
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
}

// Run serves until ctx ends or the server fails. One errgroup owns every
// goroutine: the server's and one per part. The parts get a context of
// their own, so they outlive the server's shutdown (requests in flight
// still read the model) and are stopped after it, in the reverse order of
// their start. A part that ends with an error is logged and does not stop
// the service: a damaged log ends the follower and the checkpointer on
// purpose, and the service goes on serving reads while /readyz says why.
func (a *App) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	stops := make([]func(), 0, len(a.parts))
	for _, p := range a.parts {
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		stops = append(stops, func() { cancel(); <-done })
		g.Go(func() error {
			defer close(done)
			if err := p.run(pctx); err != nil {
				a.logger.Error(p.name+" stopped", "err", err)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		}()
		if a.seed != nil {
			if err := a.seed(gctx); err != nil {
				return fmt.Errorf("demo data: %w", err)
			}
		}
		err := a.srv.Serve(gctx, a.ln)
		a.logger.Info("stopped")
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
	return g.Wait()
}

// Close releases what newApp opened, in the reverse order. Call it after
// Run has returned.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

func (a *App) onClose(f func()) { a.closers = append(a.closers, f) }

// logMode says in the start-up log where the event log is.
func logMode(sc storeConfig, backend string) string {
	switch {
	case backend == "esdb":
		return "EventStoreDB " + sc.ESDBURL
	case sc.NATSURL != "":
		return "cluster " + sc.NATSURL
	}
	return "embedded, data in " + sc.DataDir
}

// tokenVerifier accepts the built-in issuer's bearer tokens, and an OIDC
// provider's if one is configured.
func tokenVerifier(ctx context.Context, oc oidc.Config, tokenKey []byte, logger *slog.Logger) (access.TokenVerifier, error) {
	local := access.NewIssuer(tokenKey, access.DefaultIssuer)
	if oc.Issuer == "" {
		return local, nil
	}
	ov, err := oidc.New(ctx, oc)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	logger.Info("bearer tokens from an OIDC provider accepted", "issuer", oc.Issuer, "audience", oc.Audience)
	return oidc.Chain{Local: access.NewIssuer(tokenKey, access.DefaultIssuer), OIDC: ov}, nil
}
