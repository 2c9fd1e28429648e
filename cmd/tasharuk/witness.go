package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tasharuk/tasharuk/audit/witness"
)

const witnessLong = `A witness is run by an independent party (a court of accounts, the
province's services, a university, an observers' association), on its own
machine, with its own key and state folder. It follows the logs given with
--log-key: each new checkpoint a log submits (POST /add-checkpoint, C2SP
tlog-witness) is cosigned only if a consistency proof shows it extends the
checkpoint the witness cosigned last. A checkpoint that rewrites what was
cosigned is refused (422), kept with the cosigned one in
<state-dir>/evidence/, and logged at ERROR as "witness: ALARM". Its public
key (<state-dir>/witness.pub, printed at start) goes to the council, for
serve --witness URL=KEY, and to the auditors, for audit verify --witness KEY.
GET /<hex SHA-256 of the origin>/checkpoint serves the latest cosigned
checkpoint of a log, to compare witnesses (tasharuk witness compare).
`

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// witnessConfig is what `tasharuk witness` is told.
type witnessConfig struct {
	StateDir string
	KeyFile  string
	Name     string
	Logs     []witness.Log
	// Poll are services the witness reads checkpoints from by itself,
	// every PollInterval.
	Poll         []string
	PollInterval time.Duration
}

func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var wc witnessConfig
	fs := newFlagSet("witness", stderr)
	fs.StringVar(&wc.StateDir, "state-dir", "", "the witness's folder: its key, the latest checkpoint cosigned for each log, the evidence of refused ones (required)")
	fs.StringVar(&wc.KeyFile, "key", "", "the witness's private key file (default <state-dir>/witness.key, created on first start)")
	fs.StringVar(&wc.Name, "name", "", "the witness's name, its key's name, on first start (a schema-less URL: witness.cour-des-comptes.ma/rabat)")
	addr := fs.String("listen", "127.0.0.1:7380", "address of the witness's HTTP interface")
	var logs listFlag
	fs.Var(&logs, "log-key", "a log to witness: its checkpoint public key (tasharuk serve prints it; its name is the origin), or ORIGIN=KEY (repeatable)")
	var poll listFlag
	fs.Var(&poll, "poll", "also read the checkpoints of the tasharuk service at this URL by itself (GET /v1/audit/checkpoints), for a log that does not submit them (repeatable)")
	fs.DurationVar(&wc.PollInterval, "poll-interval", time.Minute, "how often --poll reads the service")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	asJSON := fs.Bool("log-json", false, "write logs as JSON lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("witness", "unexpected argument %q", fs.Arg(0))
	}
	if wc.StateDir == "" {
		return usagef("witness", "--state-dir DIR is required")
	}
	if len(logs) == 0 {
		return usagef("witness", "give at least one --log-key KEY")
	}
	wc.Poll = poll
	for _, s := range logs {
		l, err := witness.ParseLog(s)
		if err != nil {
			return usagef("witness", "--log-key: %v", err)
		}
		wc.Logs = append(wc.Logs, l)
	}
	logger, err := newLogger(stderr, *level, *asJSON)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("witness: listen on %s: %w", *addr, err)
	}
	return serveWitness(ctx, wc, ln, logger)
}

// serveWitness runs a witness on ln until ctx ends. Tests call it directly
// on a random port.
func serveWitness(ctx context.Context, wc witnessConfig, ln net.Listener, logger *slog.Logger) error {
	defer ln.Close()
	state, err := witness.OpenState(wc.StateDir)
	if err != nil {
		return err
	}
	defer state.Close()
	signer, vkey, err := state.LoadOrCreateKey(wc.KeyFile, wc.Name)
	if err != nil {
		if wc.Name == "" {
			return fmt.Errorf("%w (give --name on first start)", err)
		}
		return err
	}
	w, err := witness.New(signer, state, wc.Logs, logger)
	if err != nil {
		return err
	}
	origins := make([]string, len(wc.Logs))
	for i, l := range wc.Logs {
		origins[i] = l.Origin
	}
	logger.Info("witness", "name", signer.Name(), "public_key", vkey, "listen", ln.Addr().String(), "logs", strings.Join(origins, " "), "state_dir", wc.StateDir)
	srv := &http.Server{Handler: w.Handler(""), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	pctx, stopPolls := context.WithCancel(ctx)
	var polls sync.WaitGroup
	defer polls.Wait()
	defer stopPolls()
	for _, u := range wc.Poll {
		polls.Add(1)
		go func() {
			defer polls.Done()
			_ = (&witness.Poller{Witness: w, URL: u, Interval: wc.PollInterval, Logger: logger}).Run(pctx)
		}()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
