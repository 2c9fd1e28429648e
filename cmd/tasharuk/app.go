package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/access/oidc"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/audit/witness"
	"github.com/tasharuk/tasharuk/eventstore/fanout"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/integrity"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/service"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/server"
	aapp "github.com/tasharuk/tasharuk/services/advisory/app"
	aports "github.com/tasharuk/tasharuk/services/advisory/ports"
	auditports "github.com/tasharuk/tasharuk/services/audit/ports"
	capp "github.com/tasharuk/tasharuk/services/consultations/app"
	cports "github.com/tasharuk/tasharuk/services/consultations/ports"
	"github.com/tasharuk/tasharuk/services/feed"
	idports "github.com/tasharuk/tasharuk/services/identity/ports"
	irm "github.com/tasharuk/tasharuk/services/identity/readmodel"
	iapp "github.com/tasharuk/tasharuk/services/information/app"
	icommand "github.com/tasharuk/tasharuk/services/information/app/command"
	iports "github.com/tasharuk/tasharuk/services/information/ports"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	pports "github.com/tasharuk/tasharuk/services/petitions/ports"
	prapp "github.com/tasharuk/tasharuk/services/programmes/app"
	prports "github.com/tasharuk/tasharuk/services/programmes/ports"
	"github.com/tasharuk/tasharuk/services/status"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
	tports "github.com/tasharuk/tasharuk/services/territory/ports"
	"github.com/tasharuk/tasharuk/web"
)

// App is the running service: newApp opens and wires every part, Run runs
// them until its context ends (one errgroup, see service.Lifetime), Close
// releases what newApp opened.
type App struct {
	service.Lifetime
	// Roles is the identity read model: the roles administrators granted
	// each account (access.RoleSource), for sessions signed in by code.
	Roles *irm.Roles
}

// newApp opens the log, the key stores and the NATS connections, and
// wires the read model, checkpointer, feed and server. On error it closes
// what it opened. cfg.Listener is closed by Close.
func newApp(ctx context.Context, cfg config) (_ *App, err error) {
	logger, ln := cfg.Logger, cfg.Listener
	if ln == nil {
		return nil, errors.New("serve: no listener")
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &App{Lifetime: service.Lifetime{Logger: logger}}
	clock := newStartupClock(logger)
	a.OnClose(func() { _ = ln.Close() })
	if dl := cfg.DebugListener; dl != nil {
		a.OnClose(func() { _ = dl.Close() })
		a.Parts = append(a.Parts, debugPart(dl))
		logger.Info("profiler served on a loopback address", "addr", dl.Addr().String())
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
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
	// What needs no log is read while the embedded NATS server recovers
	// it (issue 17: time to ready): the read models' snapshot and the
	// audit tree's file. The identity read model is made before the keys
	// are loaded; it derives user keys only when asked, once serving.
	reg := newRegistry()
	var keys *privacy.Keys
	roles := irm.NewRoles(func(subject string) string { return keys.UserKey(subject) })
	model, follower := a.readModels(cfg.Store, reg, roles)
	treePreload := preloadTree(cfg.Store)
	ls, err := openLog(ctx, cfg.Store, logger)
	if err != nil {
		return nil, err
	}
	a.OnClose(ls.Close)
	clock.phase("open the event log")
	if newLog {
		noteNewLog(logger, cfg.Store.DataDir, cfg.DataDirGiven)
	}
	if err := refuseNewKeysForServedLog(ctx, cfg.Store, ls, keysHeld); err != nil {
		return nil, err
	}
	// store is the event log, guarded: no write once damage is found (or
	// read-only); ns the NATS server beside it (the key store and the
	// integration feed live there).
	// The in-process subscribers (read models, checkpointer, feed, outbox)
	// share one subscription to the log (eventstore/fanout: each had its
	// own, and the log was read, sent and decoded once per subscriber).
	shared := fanout.New(ls.Log, 0)
	a.OnClose(shared.Stop)
	store, monitor := guardLog(shared, cfg.ReadOnly, logger)
	ns := ls.NATS
	logger.Info("event log open", "backend", ls.Backend, "mode", logMode(cfg.Store, ls.Backend), "nats_stream", ns.StreamName(), "replicas", ns.Replicas())

	var tlsConfig *tls.Config
	if cfg.TLS.CertFile != "" || cfg.TLS.KeyFile != "" {
		if tlsConfig, err = server.TLSConfig(cfg.TLS); err != nil {
			return nil, err
		}
	}
	warnKeysInDataDir(logger, cfg, tlsConfig != nil)
	tokenKey, err := access.LoadOrCreateKey(keysDir)
	if err != nil {
		return nil, err
	}
	verifier, err := tokenVerifier(ctx, cfg.OIDC, tokenKey, logger)
	if err != nil {
		return nil, err
	}
	keys, err = privacy.LoadKeys(keysDir)
	if err != nil {
		return nil, err
	}
	persons, err := a.openKeyStore(ctx, ns, keys)
	if err != nil {
		return nil, err
	}
	// Web sign-in asks the identity read model (roles, above) for the
	// roles of accounts whose provider asserts none. Addresses proved by a sign-in code are recorded (sealed) on the
	// account, so its petitions' messages reach it; the identity commands
	// are wired below, before anything is served.
	contacts := &verifiedContacts{logger: logger}
	webConfig, err := signinWeb(ctx, cfg, tokenKey, keys, grantsOf{roles}, contacts, now, logger)
	if err != nil {
		return nil, err
	}

	clock.phase("keys, key store, sign-in")

	model.SetHead(store.LastPosition) // a min_position past the head is refused at once
	follower.CaughtUp = func(pos uint64) { clock.phase("read models: catch-up to the head (ready)", "position", pos) }
	if err := a.follow(ctx, follower, store, monitor); err != nil {
		return nil, err
	}
	clock.phase("read models: snapshot (loaded while the log opened; this is the wait)", "position", model.Position())

	checkpointer, collector, err := a.checkpoint(ctx, cfg, ls.Backend, ns.StreamName(), store, reg, monitor, treePreload)
	if err != nil {
		return nil, err
	}
	clock.phase("integrity check of the log and audit tree", "tree_size", func() int64 { n, _ := checkpointer.Root(); return n }())

	if !cfg.NoFeed {
		if err := a.publishFeed(cfg.FeedNATSURL, ns, store, reg); err != nil {
			return nil, err
		}
	}

	documents, err := a.openDocuments(ctx, ns)
	if err != nil {
		return nil, err
	}
	petitions := &papp.Service{Store: store, Registry: reg, Runner: model.Runner, Model: model.Petitions, Councils: model.Territory, Signers: keys, Persons: persons, Rules: model.Rulebooks, Documents: documents, DocumentKeys: persons, Now: now}
	identity := identityService(store, reg, keys, persons, now)
	contacts.identity = identity
	// a.Roles is the grants lookup one-time-code sessions use
	// (access.RoleSource).
	a.Roles = roles
	territory := &tapp.Handler{Store: store, Registry: reg, Now: now}
	information := iapp.New(iapp.Deps{Store: store, Registry: reg, Model: model.Information, Councils: model.Territory, Persons: persons, Requesters: keys,
		IDs: icommand.UUIDs{}, Now: now})
	if cfg.Demo {
		// Once the follower runs: the demo data waits for the read model.
		a.Start = demoData(store, reg, petitions, model.Runner, logger)
	}

	notify, notifyMetrics, err := a.notifications(ctx, cfg, ns, store, reg, tokenKey, keys, persons, petitions, model, now, logger)
	if err != nil {
		return nil, err
	}
	promReg := prometheus.NewRegistry()
	promReg.MustRegister(notifyMetrics.Collectors()...)
	registerStoreMetrics(promReg, ls)
	promReg.MustRegister(monitor.Collectors()...)
	if collector != nil {
		promReg.MustRegister(collector.Collectors()...)
	}
	promReg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tasharuk_projection_position", Help: "Log position the read models have applied.",
	}, func() float64 { return float64(model.Position()) }))
	srv, err := server.New(server.Config{
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
		Position:   model.Position, // public petition reads answered once per position (server/readcache.go)
		// The web pages call the API like any other client, through the
		// generated gRPC clients, over the server's in-memory connection.
		Web: func(api *grpc.ClientConn) (http.Handler, error) {
			webConfig.Conn, webConfig.Logger, webConfig.Now, webConfig.Secret = api, logger, now, tokenKey
			webConfig.Grants = grantsInForce(roles, model.Runner.WaitFor)
			webConfig.Position = model.Position // public petition pages rendered once per position (web/pagecache.go)
			return web.New(webConfig)
		},
		Register: func(g *grpc.Server) {
			petitionsv1.RegisterPetitionServiceServer(g, &pports.Server{App: petitions})
			territoryv1.RegisterTerritoryServiceServer(g, &tports.Server{Runner: model.Runner, Model: model.Territory, Handler: territory, Rules: model.Rulebooks, Now: now})
			identityv1.RegisterIdentityServiceServer(g, &idports.Server{App: identity})
			statusv1.RegisterStatusServiceServer(g, &status.Server{Model: model, Now: now})
			advisoryv1.RegisterAdvisoryServiceServer(g, &aports.Server{App: aapp.New(store, reg, latestFacts{model, now}, uuidV7{}, now),
				Runner: model.Runner, Model: model.Advisory, Councils: model.Territory, Now: now})
			consultationsv1.RegisterConsultationServiceServer(g, &cports.Server{App: capp.New(store, reg, latestFacts{model, now}, uuidV7{}, now),
				Runner: model.Runner, Model: model.Consultations, Councils: model.Territory, Now: now})
			informationv1.RegisterInformationServiceServer(g, &iports.Server{App: information, Wait: model.Runner})
			programmesv1.RegisterProgrammeServiceServer(g, &prports.Server{App: prapp.New(store, reg, latestFacts{model, now}, uuidV7{}, now),
				Runner: model.Runner, Model: model.Programmes, Councils: model.Territory, Now: now})
			statusv1.RegisterDashboardServiceServer(g, &status.Dashboard{Model: model, Now: now})
			notificationsv1.RegisterNotificationServiceServer(g, notify)
			auditv1.RegisterAuditServiceServer(g, &auditports.Server{Store: store, Registry: reg, Runner: model.Runner, Model: model.History, Petitions: model.Petitions, Checkpointer: checkpointer,
				VerifierKey: checkpointer.PublicKey, Origin: checkpointer.Origin, LogName: checkpointer.LogName})
		},
		Gateways: gateways,
		Ready:    readyCheck(store, model.Runner, monitor),
		ReadOnly: cfg.ReadOnly,
	})
	if err != nil {
		return nil, err
	}
	clock.phase("wiring")
	a.Serve = func(ctx context.Context) error { return srv.Serve(ctx, ln) }
	return a, nil
}

// openKeyStore opens the personal-data key store on a connection of its
// own: its lookups sit on every signature's path and must not wait behind
// the log's batches.
func (a *App) openKeyStore(ctx context.Context, ns *natsstore.Store, keys *privacy.Keys) (*privacy.KeyStore, error) {
	keyConn, err := ns.Connect("tasharuk-keys")
	if err != nil {
		return nil, fmt.Errorf("connect the key store: %w", err)
	}
	a.OnClose(keyConn.Close)
	js, err := jetstream.New(keyConn)
	if err != nil {
		return nil, err
	}
	persons, err := privacy.OpenKeyStore(ctx, keyConn, js, "TASHARUK_PERSON_KEYS", ns.Replicas(), keys)
	if err != nil {
		return nil, err
	}
	a.OnClose(persons.Close)
	return persons, nil
}

// readModels makes the read models and their follower, and (embedded
// mode) starts loading their snapshot: no log is needed for that.
func (a *App) readModels(sc storeConfig, reg *es.Registry, extra ...projections.ReadModel) (*status.ReadModels, *projections.Follower) {
	model := status.NewReadModels(reg, extra...)
	follower := &projections.Follower{Model: model.Runner, Logger: a.Logger}
	if sc.NATSURL == "" {
		follower.SnapshotPath = filepath.Join(sc.DataDir, "projections", backendOf(sc)+"-snapshot.gob")
		follower.Load()
	}
	return model, follower
}

// follow checks the read models' snapshot against the log and adds the
// follower that keeps them up with it to the parts.
func (a *App) follow(ctx context.Context, follower *projections.Follower, store *integrity.Guard, monitor *integrity.Monitor) error {
	follower.Store, follower.Monitor = store, monitor
	if _, err := follower.Start(ctx); err != nil {
		return err
	}
	a.Parts = append(a.Parts, service.Part{Name: "projections", Run: follower.Run})
	return nil
}

// backendOf is the name of the log's backend --store chooses ("nats" or
// "esdb"; openLog refuses any other), which names the snapshot and
// checkpoint files.
func backendOf(sc storeConfig) string {
	if sc.Backend == "esdb" {
		return "esdb"
	}
	return "nats"
}

// preloadTree starts reading the audit tree's file, if there is a saved
// checkpoint and a checkpoint key to check it with (nil otherwise).
func preloadTree(sc storeConfig) *audit.TreePreload {
	save, tree, vkey := savedCheckpointPath(sc, backendOf(sc)), treeFilePath(sc, backendOf(sc)), checkpointKey(sc)
	if save == "" || vkey == "" {
		return nil
	}
	if _, err := os.Stat(save); err != nil {
		return nil
	}
	return audit.PreloadTree(save, tree, vkey)
}

// checkpoint makes the checkpointer of the verifiable log (a Merkle tree
// over every event, checkpoints signed with a key kept beside the other
// keys), checks the saved checkpoint against the log, and adds the
// checkpointer to the parts unless the log may not be signed.
func (a *App) checkpoint(ctx context.Context, cfg config, backend, logName string, store *integrity.Guard, reg *es.Registry, monitor *integrity.Monitor, preload *audit.TreePreload) (*audit.Checkpointer, *witness.Collector, error) {
	origin := "tasharuk.ma/" + logName
	signer, vkey, err := audit.LoadOrCreateKey(cfg.Store.KeysDir, origin)
	if err != nil {
		return nil, nil, err
	}
	a.Logger.Info("verifiable log", "origin", origin, "public_key", vkey)
	checkpointer := &audit.Checkpointer{Store: store, Registry: reg, Signer: signer, Origin: origin, LogName: logName,
		Every: cfg.CheckpointEvery, Interval: cfg.CheckpointInterval, Logger: a.Logger,
		SavePath: savedCheckpointPath(cfg.Store, backend), TreePath: treeFilePath(cfg.Store, backend), Preload: preload, PublicKey: vkey, Monitor: monitor, ReadOnly: cfg.ReadOnly}
	sign, err := checkOnStart(ctx, checkpointer, monitor, a.Logger)
	if err != nil {
		return nil, nil, err
	}
	var collector *witness.Collector
	if sign {
		// A stopping service writes nothing: events after the last
		// checkpoint are covered by the next one, after the restart.
		a.Parts = append(a.Parts, service.Part{Name: "checkpointer", Run: checkpointer.Run})
		if len(cfg.Witnesses) > 0 {
			// Each new checkpoint goes to the witnesses in the background:
			// no append waits for them.
			collector = &witness.Collector{Checkpointer: checkpointer, Store: store, Registry: reg, LogName: logName,
				Witnesses: cfg.Witnesses, Logger: a.Logger}
			a.Parts = append(a.Parts, service.Part{Name: "witness collector", Run: collector.Run})
		}
	}
	return checkpointer, collector, nil
}

// demoData seeds the demo data, unless the log refuses writes.
func demoData(store *integrity.Guard, reg *es.Registry, petitions *papp.Service, model *projections.Runner, logger *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		if store.Refusal() != nil {
			return nil
		}
		if err := seedDemo(ctx, store, reg, petitions, model, logger); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		return nil
	}
}

// publishFeed adds the integration feed to the parts: every event in its
// public form on NATS, the service's own or the one at url.
func (a *App) publishFeed(url string, ns *natsstore.Store, store *integrity.Guard, reg *es.Registry) error {
	conn, replicas := ns.FeedConn(), ns.Replicas()
	if url != "" {
		fc, err := nats.Connect(url, nats.Name("tasharuk-feed"), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("feed: connect to %s: %w", url, err)
		}
		a.OnClose(fc.Close)
		conn, replicas = fc, 1
	}
	pub := &feed.Publisher{Store: store, Registry: reg, Conn: conn, Replicas: replicas, Logger: a.Logger}
	a.Parts = append(a.Parts, service.Part{Name: "integration feed", Run: pub.Run})
	return nil
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
	func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
		return informationv1.RegisterInformationServiceHandler(ctx, mux, conn)
	},
	func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
		return identityv1.RegisterIdentityServiceHandler(ctx, mux, conn)
	},
	func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
		return programmesv1.RegisterProgrammeServiceHandler(ctx, mux, conn)
	},
	func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
		return statusv1.RegisterDashboardServiceHandler(ctx, mux, conn)
	},
	func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
		return notificationsv1.RegisterNotificationServiceHandler(ctx, mux, conn)
	},
}

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
