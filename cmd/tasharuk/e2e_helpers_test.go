package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/access/oidc"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/audit/witness"
)

// testClock is the service's injected clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects the service's logs for the personal-data check.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running tasharuk with clients.
type env struct {
	t      *testing.T
	dir    string
	addr   string
	base   string
	clock  *testClock
	logs   *syncBuffer
	conn   *grpc.ClientConn
	stop   func()
	issuer *access.Issuer

	petitions petitionsv1.PetitionServiceClient
	territory territoryv1.TerritoryServiceClient
	status    statusv1.StatusServiceClient
	log       eventlogv1.EventLogServiceClient

	// public collects every public (unauthenticated GET) response body.
	public *syncBuffer

	// opts are the backend and listener choices of this environment.
	opts envOptions
}

// envOptions choose the log backend and extra listeners.
type envOptions struct {
	// ESDBURL, if set, keeps the log in EventStoreDB (esdbtest) at this URL.
	ESDBURL string
	// NATSListen opens the embedded NATS to clients (feed subscribers).
	NATSListen string
	// Limits sets rate limits (none by default).
	Limits limits
	// Witnesses cosign the checkpoints (serve --witness).
	Witnesses []witness.Target
	// OIDC and SignIn configure bearer tokens from a provider and the web
	// sign-in; the pasted-token form is offered unless NoTokenSignIn.
	OIDC          oidc.Config
	SignIn        signinConfig
	NoTokenSignIn bool
	// Addr, if set, is the address to serve on (a test that must know it
	// before the service starts reserves it); default a random port.
	Addr string
	// Notify configures the outbox (serve --notify-*); zero values are
	// the outbox's defaults.
	Notify notifyConfig
}

// backend is the store's name ("nats" or "esdb").
func (o envOptions) backend() string {
	if o.ESDBURL != "" {
		return "esdb"
	}
	return "nats"
}

// storeArgs are the command-line flags that select the same log.
func (e *env) storeArgs() []string {
	args := []string{"--data-dir", e.dir}
	if e.opts.ESDBURL != "" {
		args = append(args, "--store", "esdb", "--esdb-url", e.opts.ESDBURL)
	}
	return args
}

// keysOf is the keys folder of a data folder served without --keys-dir.
func keysOf(dataDir string) string { return filepath.Join(dataDir, "keys") }

// sharedData finds a reference data file in the repository's testdata/
// (a copy of the project's shared reference data, so a clone passes alone).
func sharedData(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("reference data %s not found: %v", p, err)
	}
	return p
}

// repoRoot is the folder of go.mod above the test's folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
}

// startEnv imports the census file (if given) and starts the service.
func startEnv(t *testing.T, dir string, clock *testClock, census string, opts ...envOptions) *env {
	t.Helper()
	e := &env{t: t, dir: dir, clock: clock, logs: &syncBuffer{}, public: &syncBuffer{}}
	if len(opts) > 0 {
		e.opts = opts[0]
	}
	if census != "" {
		var out, errOut strings.Builder
		if err := runTerritory(context.Background(), append([]string{"import", census, "--create"}, e.storeArgs()...), &out, &errOut); err != nil {
			t.Fatalf("territory import: %v\n%s", err, errOut.String())
		}
	}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	t := e.t
	listen := "127.0.0.1:0"
	if e.opts.Addr != "" {
		listen = e.opts.Addr
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	e.base = "http://" + e.addr
	cfg := config{Addr: e.addr, Now: e.clock.Now, CheckpointEvery: 25}
	cfg.Store.DataDir = e.dir
	cfg.Store.Stream = "TASHARUK_LOG"
	cfg.Store.NATSListen = e.opts.NATSListen
	cfg.Limits = e.opts.Limits
	cfg.Witnesses = e.opts.Witnesses
	cfg.OIDC, cfg.SignIn = e.opts.OIDC, e.opts.SignIn
	cfg.SignIn.TokenSignIn = !e.opts.NoTokenSignIn
	cfg.Notify = e.opts.Notify
	if e.opts.ESDBURL != "" {
		cfg.Store.Backend, cfg.Store.ESDBURL = "esdb", e.opts.ESDBURL
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- serve(ctx, cfg, ln, logger) }()
	waitReady(t, e.base)
	conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	e.conn = conn
	e.petitions = petitionsv1.NewPetitionServiceClient(conn)
	e.territory = territoryv1.NewTerritoryServiceClient(conn)
	e.status = statusv1.NewStatusServiceClient(conn)
	e.log = eventlogv1.NewEventLogServiceClient(conn)
	key, err := access.LoadKey(keysOf(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	e.issuer = access.NewIssuer(key, access.DefaultIssuer)
	e.stop = serveStopper(t, conn, cancel, done)
}

func (e *env) restart() {
	e.stop()
	e.start()
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz did not answer 200 within 60s", base)
}

// token issues a token valid for a year of the service's clock.
func (e *env) token(role access.Role, council, subject string) string {
	tok, err := e.issuer.Issue(access.Principal{Subject: subject, Role: role, Council: council}, 365*24*time.Hour, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// signerToken is the token of the citizen account that signs with the ID
// number id: an account signs a petition once, with the one ID number it
// is bound to in a council (issue 16), so each test signer has its own.
// The subject is recorded on the events the account causes, so it is a
// pseudonym derived from the number, not the number itself (the
// personal-data checks would rightly find it).
func (e *env) signerToken(id string) string {
	return e.token(access.RoleCitizen, "", signerSubject(id))
}

// signerSubject is the pseudonymous subject of the account signing with id.
func signerSubject(id string) string {
	sum := sha256.Sum256([]byte("test-account/" + strings.ToUpper(strings.TrimSpace(id))))
	return "account-" + hex.EncodeToString(sum[:8])
}

// as returns a context carrying a bearer token.
func as(tok string) context.Context {
	ctx := context.Background()
	if tok != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	return ctx
}

// reason returns a gRPC error's code and ErrorInfo reason.
func reason(err error) (codes.Code, string) {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return st.Code(), info.GetReason()
		}
	}
	return st.Code(), ""
}

func wantCode(t *testing.T, err error, code codes.Code, why string) {
	t.Helper()
	if got, r := reason(err); got != code || (why != "" && r != why) {
		t.Fatalf("got %v %s (%v), want %v %s", got, r, err, code, why)
	}
}

// rest calls the REST API and decodes the JSON answer into out (if not
// nil); it returns the status code and body.
func (e *env) rest(method, path, tok string, body any, out any) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if tok == "" && method == http.MethodGet {
		_, _ = e.public.Write(b)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, string(b)
}

func (e *env) head() uint64 {
	e.t.Helper()
	info, err := e.log.GetLogInfo(context.Background(), &eventlogv1.GetLogInfoRequest{})
	if err != nil {
		e.t.Fatal(err)
	}
	return info.GetHeadPosition()
}

// quietHead returns the log's head once it has not moved for 700 ms: the
// service records some acts of its own a moment after a request (the
// outbox's sending, a checkpoint), and a test that checks a refusal left
// the log where it was must start from a head those have settled on.
func (e *env) quietHead() uint64 {
	e.t.Helper()
	head := e.head()
	for quiet := time.Now(); time.Since(quiet) < 700*time.Millisecond; time.Sleep(50 * time.Millisecond) {
		if h := e.head(); h != head {
			head, quiet = h, time.Now()
		}
	}
	return head
}

func (e *env) ctxBG() context.Context { return context.Background() }

// restBody returns a public GET's body.
func (e *env) restBody(path string) string {
	e.t.Helper()
	code, body := e.rest(http.MethodGet, path, "", nil, nil)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// serveStopper returns the stop of a service run by serve in a goroutine
// (done receives serve's result): it closes the client connection, ends
// serve's context and waits for it, at most 30 s; only its first call acts.
func serveStopper(t *testing.T, conn *grpc.ClientConn, cancel context.CancelFunc, done <-chan error) func() {
	stopped := false
	return func() {
		if stopped {
			return
		}
		stopped = true
		conn.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}
}
