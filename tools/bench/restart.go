package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// runBenchRestart measures how long `tasharuk serve` takes to be ready
// (/readyz: the read models caught up, the log checked) on a large log:
// the first start after the load (no snapshot, no tree file), restarts
// with both, a restart with the audit tree file removed (the tree rebuilt
// from the whole log), and, for scale, the embedded NATS server opening the
// same data alone. With --data-dir the folder is kept: a folder that
// already holds a log is not loaded again, and only the restarts with the
// snapshot and the tree file are timed (--runs of them), each beside the
// embedded NATS server opening the same data alone.
func runBenchRestart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench restart", stderr)
	census := fs.String("census", "", "census CSV of the communes (default: the demo communes)")
	loadPetitions := fs.Int("load-petitions", 10000, "petitions to load")
	loadSignatures := fs.Int("load-signatures", 1000000, "signatures to load")
	binary := fs.String("binary", "", binaryHelp)
	dataDir := fs.String("data-dir", "", "data folder to load (if it holds no log) and keep, instead of a temporary one")
	runs := fs.Int("runs", 1, "restarts with the snapshot and the tree file to time")
	phases := fs.Bool("phases", true, "print the server's start-up phase lines (serve --log-level info)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench restart", "unexpected argument %q", fs.Arg(0))
	}
	var dir, bin string
	var loaded bool
	var err error
	if *dataDir != "" {
		dir = *dataDir
		loaded = hasBenchLog(dir)
		var removeBin func()
		if bin, removeBin, err = tasharukBinary(ctx, *binary, stderr); err != nil {
			return err
		}
		defer removeBin()
		if !loaded {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			if err := benchImportCommunes(ctx, bin, dir, *census); err != nil {
				return err
			}
		}
	} else {
		var cleanup func()
		dir, bin, cleanup, err = benchFolder(ctx, "restart", *binary, *census, stderr)
		if err != nil {
			return err
		}
		defer cleanup()
	}
	var rows []natsbench.Result
	var events int
	serveArgs := []string{}
	if *phases {
		serveArgs = append(serveArgs, "--log-level", "info")
	}
	ready := func(name string) error {
		start := time.Now()
		srv, err := startBenchServer(ctx, bin, dir, "", serveArgs...)
		if err != nil {
			return err
		}
		d := time.Since(start)
		logs := srv.logs()
		srv.stop()
		rows = append(rows, natsbench.Measured(name, events, d))
		fmt.Fprintf(stderr, "bench restart: %s: %v\n", name, d.Round(time.Millisecond))
		if *phases {
			for _, l := range strings.Split(logs, "\n") {
				if strings.Contains(l, "start-up") {
					fmt.Fprintf(stderr, "  %s\n", l)
				}
			}
		}
		return nil
	}
	natsAlone := func() error {
		start := time.Now()
		s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
		if err != nil {
			return err
		}
		head, err := s.LastPosition(ctx)
		_ = s.Close()
		if err != nil {
			return err
		}
		d := time.Since(start)
		events = int(head)
		rows = append(rows, natsbench.Measured("embedded NATS alone: open the same data, read its head", events, d))
		fmt.Fprintf(stderr, "bench restart: embedded NATS alone (head %d): %v\n", head, d.Round(time.Millisecond))
		return nil
	}
	treePath := filepath.Join(dir, "audit", "nats-tree.leaves")
	if !loaded {
		fmt.Fprintf(stderr, "bench restart: loading %d petitions and %d signatures\n", *loadPetitions, *loadSignatures)
		load, err := benchLoad(ctx, dir, *loadPetitions, *loadSignatures)
		if err != nil {
			return err
		}
		events = load.Ops
		rows = append(rows, load)
		if err := ready("time to ready, first start (no snapshot, no tree file)"); err != nil {
			return err
		}
		// A checkpoint is signed every 1,000 events: sign that many through
		// the API so that one is saved, with its tree file, before the restarts.
		srv, err := startBenchServer(ctx, bin, dir, "")
		if err != nil {
			return err
		}
		if _, err := benchSigning(ctx, srv, 16, 1200); err != nil {
			srv.stop()
			return err
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			if fi, err := os.Stat(treePath); err == nil && fi.Size() >= int64(32*load.Ops) {
				break
			}
			if time.Now().After(deadline) {
				srv.stop()
				return fmt.Errorf("no tree file of the log at %s after a minute", treePath)
			}
		}
		srv.stop()
	}
	for i := range *runs {
		if err := natsAlone(); err != nil {
			return err
		}
		if err := ready(fmt.Sprintf("time to ready, restart (snapshot and tree file), run %d", i+1)); err != nil {
			return err
		}
	}
	if *dataDir == "" {
		if err := os.Remove(treePath); err != nil {
			return fmt.Errorf("no tree file after a start: %w", err)
		}
		if err := ready("time to ready, restart without the tree file (snapshot only)"); err != nil {
			return err
		}
		if err := ready("time to ready, restart (snapshot and tree file) again"); err != nil {
			return err
		}
	}
	if err := natsAlone(); err != nil {
		return err
	}
	natsbench.Print(stdout, rows)
	return nil
}

// hasBenchLog says whether dir holds a tasharuk log already.
func hasBenchLog(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", "TASHARUK_LOG"))
	return len(m) > 0
}
