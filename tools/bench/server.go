package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// The bench runs the real server as a subprocess: `tasharuk serve`'s
// wiring lives in package main of cmd/tasharuk, which cannot be imported,
// and running the shipped binary measures exactly what ships.

// newRegistry knows every event type of the application, as
// cmd/tasharuk's newRegistry does (the bench writes and replays the log
// in-process with it).
func newRegistry() *es.Registry {
	return es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes, adomain.EventTypes, cdomain.EventTypes, audit.EventTypes)
}

// demoCommunes are the demo communes of cmd/tasharuk/demo.go, used when
// no census is given.
var demoCommunes = []tdomain.CensusRow{
	{Line: 2, Code: "50910101", Name: "Béni Mellal", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 209104},
	{Line: 3, Code: "50910107", Name: "Kasba Tadla", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 47399},
	{Line: 4, Code: "50910113", Name: "Zaouiat Cheikh", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 25063},
	{Line: 5, Code: "50910103", Name: "El Ksiba", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 19959},
}

const binaryHelp = "tasharuk binary to measure (default: build ./cmd/tasharuk into a temporary folder)"

// tasharukBinary returns path if set, or builds cmd/tasharuk (the bench
// runs from the module, as `go run ./tools/bench`) and returns the built
// binary with a cleanup that removes it.
func tasharukBinary(ctx context.Context, path string, stderr io.Writer) (string, func(), error) {
	if path != "" {
		return path, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "tasharuk-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(tmp, "tasharuk")
	fmt.Fprintf(stderr, "bench: building github.com/tasharuk/tasharuk/cmd/tasharuk\n")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/tasharuk/tasharuk/cmd/tasharuk")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("build cmd/tasharuk (run from the module, or pass --binary): %w", err)
	}
	return bin, func() { os.RemoveAll(tmp) }, nil
}

// childEnv is the environment without TASHARUK_* variables: the server
// gets its settings from the bench's flags only.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TASHARUK_") {
			env = append(env, kv)
		}
	}
	return env
}

// benchFolder is what every server bench starts from: a temporary data
// folder (removed by cleanup), the tasharuk binary to run (built unless
// binary names one) and the census imported into the folder's log.
func benchFolder(ctx context.Context, name, binary, census string, stderr io.Writer) (dir, bin string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "tasharuk-bench-"+name+"-")
	if err != nil {
		return "", "", nil, err
	}
	bin, removeBin, err := tasharukBinary(ctx, binary, stderr)
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	cleanup = func() {
		removeBin()
		os.RemoveAll(dir)
	}
	if err := benchImportCommunes(ctx, bin, dir, census); err != nil {
		cleanup()
		return "", "", nil, err
	}
	return dir, bin, cleanup, nil
}

func benchImportCommunes(ctx context.Context, bin, dir, census string) error {
	if census != "" {
		cmd := exec.CommandContext(ctx, bin, "territory", "import", census, "--data-dir", dir, "--create")
		cmd.Env = childEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("territory import: %v: %s", err, out)
		}
		return nil
	}
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = (&tapp.Importer{Store: s, Registry: newRegistry(), Now: time.Now}).Import(ctx, demoCommunes, 2024, "bench", eventstore.Actor{Subject: "bench", Role: "admin"})
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type benchServer struct {
	addr string
	// pid is the server process's, for its CPU time (cpu.go).
	pid    int
	conn   *grpc.ClientConn
	issuer *access.Issuer
	stop   func()
	// logs returns the last bytes the server wrote.
	logs func() string
}

// tail keeps the last bytes the server wrote, for an error report.
type tail struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if t.b.Len() > 256<<10 {
		t.b.Next(t.b.Len() - 128<<10)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

// startBenchServer runs `tasharuk serve` on dir, on a free port, and
// waits until it is ready. Rate limits are off (as a zero-valued serve
// configuration had them when the bench ran in-process); every other
// setting is serve's default.
func startBenchServer(ctx context.Context, bin, dir, natsListen string, serveArgs ...string) (*benchServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"serve", "--addr", addr, "--data-dir", dir, "--stream", "TASHARUK_LOG", "--log-level", "warn",
		"--limit-sign", "0", "--limit-sign-address", "0", "--limit-file", "0"}
	if natsListen != "" {
		args = append(args, "--nats-listen", natsListen)
	}
	args = append(args, serveArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = childEnv()
	logs := &tail{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	var exitErr error
	stopProc := func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case exitErr = <-exited:
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				exitErr = <-exited
			}
		})
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		// Ready means the read models have caught up with the log.
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case exitErr = <-exited:
			return nil, fmt.Errorf("bench server exited: %v: %s", exitErr, logs)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stopProc()
			return nil, fmt.Errorf("bench server did not become ready: %v: %s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		stopProc()
		return nil, err
	}
	// The server made its token-signing key in the data folder's keys/.
	key, err := access.LoadKey(benchKeys(dir))
	if err != nil {
		conn.Close()
		stopProc()
		return nil, err
	}
	return &benchServer{addr: addr, pid: cmd.Process.Pid, conn: conn, issuer: access.NewIssuer(key, access.DefaultIssuer), stop: func() {
		conn.Close()
		stopProc()
	}, logs: logs.String}, nil
}

func (b *benchServer) as(role access.Role, council, subject string) context.Context {
	tok, _ := b.issuer.Issue(access.Principal{Subject: subject, Role: role, Council: council}, time.Hour, time.Now())
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}
