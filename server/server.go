// Package server serves tasharuk on one port: gRPC, the REST/JSON gateway
// generated from the same definitions, health and readiness probes,
// Prometheus metrics and (later) the web pages.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/access"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/eventlog"
)

// Gateway registers one service's REST handlers on the gateway mux.
type Gateway func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error

// Config is what the server needs; cmd/tasharuk fills it.
type Config struct {
	Store   eventstore.Store
	Backend string
	// Facts describe the log backend (optional).
	Facts eventlog.LogFacts
	// Registry receives the server's metrics; a new one if nil.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	Version  string
	// Issuer verifies bearer tokens (the built-in issuer, or a chain with
	// an OIDC provider); Policy says who may call what.
	Issuer access.TokenVerifier
	Policy access.Policy
	// Now is the clock tokens are checked against (default time.Now).
	Now func() time.Time
	// Register adds the application's gRPC services.
	Register func(*grpc.Server)
	// Gateways register the same services on the REST gateway.
	Gateways []Gateway
	// Ready, if set, must return nil for /readyz to answer 200 (e.g. the
	// read models have caught up). A *NotReady error names a position and
	// a reason, which /readyz shows.
	Ready func(context.Context) error
	// ReadOnly says the service records nothing (serve --read-only): a
	// *NotReady from Ready (damage to the log) whose ReadsReady is set then
	// leaves /readyz at 200 for the reads, naming the damage.
	ReadOnly bool
	// RequestTimeout bounds a call that brings no deadline (default 30s).
	RequestTimeout time.Duration
	// RateLimits bound some RPCs (signing, filing) per token and address.
	RateLimits map[string]RateLimit
	// Web, if set, builds the web pages' handler, which serves every path
	// the API, probes and metrics do not take. It is given the server's own
	// in-memory gRPC connection: the pages call the API like any client,
	// through the same interceptors, without a socket or TLS.
	Web func(api *grpc.ClientConn) (http.Handler, error)
	// Position, if set, is the log position the read models have applied:
	// the public's reads of a petition over REST are then answered once per
	// position (and second), with an ETag (readcache.go).
	Position func() uint64
	// TLS, if set, makes the port speak TLS only (HTTP/1.1 and HTTP/2 by
	// ALPN; gRPC over HTTP/2). See TLSConfig.
	TLS *tls.Config
}

// Server is one tasharuk API server.
type Server struct {
	cfg       Config
	grpc      *grpc.Server
	health    *health.Server
	http      *http.Server
	gwConn    *grpc.ClientConn
	mux       *http.ServeMux
	reqs      *prometheus.CounterVec
	throttled *prometheus.CounterVec
	limiter   *limiter
	latency   *prometheus.HistogramVec
	ln        net.Listener
	stopped   chan struct{}
	once      sync.Once
}

// New builds the server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{stopped: make(chan struct{})}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tasharuk_rpc_requests_total", Help: "RPCs handled, by method and status code.",
	}, []string{"method", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tasharuk_rpc_duration_seconds", Help: "RPC latency by method.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"method"})
	s.throttled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tasharuk_rpc_throttled_total", Help: "Calls refused by a rate limit, by method and limit kind.",
	}, []string{"method", "kind"})
	s.limiter = newLimiter(cfg.RateLimits)
	for _, c := range []prometheus.Collector{
		s.reqs, s.latency, s.throttled,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("server: register metrics: %w", err)
		}
	}

	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Policy == nil {
		cfg.Policy = access.DefaultPolicy()
	}
	if cfg.Issuer == nil {
		return nil, errors.New("server: no token issuer")
	}
	s.cfg = cfg
	s.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(s.recoverUnary, s.deadlineUnary, s.observeUnary, access.UnaryInterceptor(cfg.Issuer, cfg.Policy, cfg.Now), s.rateLimitUnary),
		grpc.ChainStreamInterceptor(access.StreamInterceptor(cfg.Issuer, cfg.Policy, cfg.Now)),
		grpc.MaxRecvMsgSize(8<<20),
		// A pool of handler goroutines instead of one new goroutine per
		// call: a signature waits ~10 ms on its group commit, and fresh
		// goroutines paid their stack growth on every call (about 6% of a
		// signature's CPU and a measurable share of its latency). Beyond
		// 128 calls in flight grpc-go starts goroutines again.
		grpc.NumStreamWorkers(128),
	)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, healthServer{Server: s.health, ready: s.readiness})
	eventlogv1.RegisterEventLogServiceServer(s.grpc, eventlog.NewServer(cfg.Store, cfg.Backend, cfg.Facts))
	if cfg.Register != nil {
		cfg.Register(s.grpc)
	}
	reflection.Register(s.grpc)

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	handleDocs(s.mux) // /openapi.json and /docs (docs.go)
	if cfg.Web == nil {
		s.mux.HandleFunc("GET /{$}", s.index)
	}
	return s, nil
}

// Serve accepts connections on ln until ctx ends, then shuts down: it
// stops accepting, lets running requests finish (up to 15s) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.ln = ln
	split := newSplitListener(ln, s.cfg.TLS)
	// The REST gateway talks to the native gRPC server over in-memory
	// connections, so REST requests pass through the same interceptors as
	// gRPC ones, whether or not the port speaks TLS.
	conn, err := grpc.NewClient("passthrough:///tasharuk-internal",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(split.dialInternal))
	if err != nil {
		split.close()
		return fmt.Errorf("server: gateway client: %w", err)
	}
	s.gwConn = conn
	fail := func(format string, err error) error {
		_ = conn.Close()
		split.close()
		return fmt.Errorf(format, err)
	}
	gw := runtime.NewServeMux(gatewayOptions()...)
	if err := eventlogv1.RegisterEventLogServiceHandler(ctx, gw, conn); err != nil {
		return fail("server: register gateway: %w", err)
	}
	for _, g := range s.cfg.Gateways {
		if err := g(ctx, gw, conn); err != nil {
			return fail("server: register gateway: %w", err)
		}
	}
	s.mux.Handle("/v1/", newReadCache(s.cfg.Position, s.cfg.Now).wrap(utf8Guard(gw)))
	if s.cfg.Web != nil {
		web, err := s.cfg.Web(conn)
		if err != nil {
			return fail("server: web pages: %w", err)
		}
		s.mux.Handle("/", web)
	}

	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if s.cfg.TLS != nil {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	s.http = &http.Server{
		Handler:           s,
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	// Said before anything answers: the listener is bound already, and a
	// reader who sees the service answer has seen where it says it is.
	s.cfg.Logger.Info("serving", "url", URL(ln.Addr(), s.cfg.TLS != nil), "addr", ln.Addr().String(), "tls", s.cfg.TLS != nil, "version", s.cfg.Version)
	s.setServing()

	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(split.http) }()
	go func() { errc <- s.grpc.Serve(split.grpc) }()
	var first error
	select {
	case first = <-errc:
	case <-ctx.Done():
	}
	s.shutdown()
	split.close()
	for range 2 - boolInt(first != nil) {
		if err := <-errc; first == nil {
			first = err
		}
	}
	if first != nil && !errors.Is(first, http.ErrServerClosed) && !errors.Is(first, net.ErrClosed) && !errors.Is(first, grpc.ErrServerStopped) {
		return first
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) shutdown() {
	s.once.Do(func() {
		s.health.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			s.cfg.Logger.Warn("shutdown", "err", err)
		}
		// Let running RPCs finish, within the same 15 seconds.
		stopped := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			s.grpc.Stop()
		}
		if s.gwConn != nil {
			_ = s.gwConn.Close()
		}
		close(s.stopped)
	})
}

// ServeHTTP routes gRPC (HTTP/2 with a gRPC content type) to the gRPC
// server and everything else to the HTTP handlers. In the clear, gRPC
// clients are sent to the native server by the split listener before this
// point; over TLS, HTTP/2 is chosen by ALPN for browsers and gRPC clients
// alike, so gRPC arrives here and takes grpc-go's ServeHTTP bridge.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		s.grpc.ServeHTTP(w, r)
		return
	}
	setSecurityHeaders(w)
	if r.TLS != nil {
		// Browsers that once reached us over TLS stay on it for a year.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	// REST bodies are small: a signature sheet of 5 MB, base64-encoded in
	// JSON, is the largest legitimate one.
	r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
	compress(s.mux).ServeHTTP(w, r)
}

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'")
}

// NotReady is a readiness failure at a position of the log, for a reason
// (an integrity failure: DESIGN.md "Integrity on every read").
type NotReady struct {
	Reason   string
	Position uint64
	Detail   string
	// ReadsReady says the read models hold everything before Position: a
	// read-only server is then ready for reads.
	ReadsReady bool
}

func (e *NotReady) Error() string {
	return fmt.Sprintf("%s at position %d: %s", e.Reason, e.Position, e.Detail)
}

// readiness is /readyz's JSON answer.
type readiness struct {
	Ready    bool   `json:"ready"`
	ReadOnly bool   `json:"read_only,omitempty"`
	Head     uint64 `json:"head_position"`
	Reason   string `json:"reason,omitempty"`
	Position uint64 `json:"position,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// readyz answers 200 when the event log answers and Ready agrees, as text
// or, asked with Accept: application/json, as JSON.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	asJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	answer := func(code int, rd readiness, text string) {
		if asJSON {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(rd)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		_, _ = fmt.Fprintln(w, text)
	}
	pos, err := s.cfg.Store.LastPosition(ctx)
	if err != nil {
		answer(http.StatusServiceUnavailable, readiness{Reason: "STORE_UNAVAILABLE", Detail: "event log unavailable"}, "event log unavailable")
		return
	}
	rd := readiness{Ready: true, ReadOnly: s.cfg.ReadOnly, Head: pos}
	mode := ""
	if s.cfg.ReadOnly {
		mode = " (read-only: every write is refused)"
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			var nr *NotReady
			if errors.As(err, &nr) {
				rd.Reason, rd.Position, rd.Detail = nr.Reason, nr.Position, nr.Detail
			} else {
				rd.Detail = err.Error()
			}
			if nr == nil || !s.cfg.ReadOnly || !nr.ReadsReady {
				rd.Ready = false
				answer(http.StatusServiceUnavailable, rd, "not ready: "+err.Error())
				return
			}
			// Read-only over a damaged log: the reads of what verified
			// are served.
			answer(http.StatusOK, rd, fmt.Sprintf("ready for reads%s, log head at position %d; not ready for writes: %v", mode, pos, err))
			return
		}
	}
	answer(http.StatusOK, rd, fmt.Sprintf("ready%s, log head at position %d", mode, pos))
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "tasharuk %s: participatory-democracy case tracker.\nREST: /v1/log (described at /openapi.json, /docs)  gRPC: same port  health: /healthz /readyz  metrics: /metrics\n", s.cfg.Version)
}

// deadlineUnary gives a call without a deadline the default one, so no
// request holds a handler forever.
func (s *Server) deadlineUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if _, ok := ctx.Deadline(); !ok {
		timeout := s.cfg.RequestTimeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return handler(ctx, req)
}

func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("panic in handler", "method", info.FullMethod, "panic", fmt.Sprint(p))
			err = Status("INTERNAL", "internal error", nil)
		}
	}()
	return handler(ctx, req)
}

// observeUnary maps errors to statuses (the one place this happens), logs
// failures and records metrics.
func (s *Server) observeUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	if err != nil {
		mapped := ToStatus(err)
		if st, _ := status.FromError(mapped); st.Code().String() == "Internal" || st.Code().String() == "Unavailable" {
			s.cfg.Logger.Error("rpc failed", "method", info.FullMethod, "err", err)
		}
		err = mapped
	}
	code := status.Code(err).String()
	s.reqs.WithLabelValues(info.FullMethod, code).Inc()
	s.latency.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
	return resp, err
}
