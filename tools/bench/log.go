package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
	"github.com/tasharuk/tasharuk/tools/bench/pgbench"
)

// runLog measures the event store alone (append, replay or all) on an
// embedded JetStream, beside the raw engine on the same server.
func runLog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	what := args[0]
	fs := newFlagSet("bench "+what, stderr)
	var o natsbench.Options
	dataDir := fs.String("data-dir", "", "embedded data folder (default: a new temporary folder, removed afterwards)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.IntVar(&o.Writers, "writers", 64, "concurrent appenders (append)")
	fs.IntVar(&o.Appends, "appends", 20000, "single-event appends to measure (append)")
	fs.IntVar(&o.ReplayTotal, "replay-events", 200000, "events in the log to replay (replay; the log is filled up to this)")
	fs.IntVar(&o.PayloadSize, "payload", 200, "payload bytes per event")
	fs.IntVar(&o.OneStreamAppends, "one-stream", 2000, "appends to one stream by the writers, with expected revisions (append; 0: skip)")
	pgURL := fs.String("postgres", "", "PostgreSQL URL (scripts/postgres start prints one): run the same workloads there too and print ratios")
	maxPlain := fs.Int("max-plain", 0, "the store's MaxPlain (0: its default; negative: always batch)")
	rounds := fs.Int("rounds", 1, "repeat the whole measurement this many times (each round prints its table)")
	fs.BoolVar(&o.Designs, "designs", true, "also measure, for each writer count, the commit designs at the engine level: checked atomic and fast batches of that size, the one-message-per-commit prototype (append)")
	writersList := fs.String("writers-list", "", "comma-separated writer counts for the distinct-stream appends, e.g. 4,16,64,256 (default: --writers)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	for _, f := range strings.FieldsFunc(*writersList, func(r rune) bool { return r == ',' }) {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w <= 0 {
			return usagef("bench "+what, "--writers-list: %q is not a writer count", f)
		}
		o.WritersList = append(o.WritersList, w)
	}
	if fs.NArg() > 0 {
		return usagef("bench "+what, "unexpected argument %q", fs.Arg(0))
	}
	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tasharuk-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	store, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir, MaxPlain: *maxPlain, Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(stderr, "bench %s: embedded JetStream (sync always) in %s\n", what, dir)

	var yard natsbench.Yardstick
	if *pgURL != "" {
		y, err := pgbench.Open(ctx, *pgURL)
		if err != nil {
			return err
		}
		defer y.Close()
		yard = y
		fmt.Fprintf(stderr, "bench %s: PostgreSQL at %s beside it\n", what, *pgURL)
	}
	for round := 1; round <= *rounds; round++ {
		if *rounds > 1 {
			fmt.Fprintf(stdout, "round %d of %d\n", round, *rounds)
		}
		if err := logRound(ctx, what, store, yard, o, *asJSON, stdout); err != nil {
			return err
		}
	}
	return nil
}

// logRound is one measurement of runLog.
func logRound(ctx context.Context, what string, store *natsstore.Store, yard natsbench.Yardstick, o natsbench.Options, asJSON bool, stdout io.Writer) error {
	var results []natsbench.Result
	if what == "append" || what == "all" {
		rs, err := natsbench.RunAppend(ctx, store, yard, o)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if what == "replay" || what == "all" {
		rs, err := natsbench.RunReplay(ctx, store, yard, o)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if asJSON {
		return natsbench.PrintJSON(stdout, results)
	}
	natsbench.Print(stdout, results)
	return nil
}
