package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// runBenchRestart measures how long `tasharuk serve` takes to be ready
// (/readyz: the read models caught up, the log checked) on a large log:
// the first start after the load (no snapshot, no tree file), a restart
// with both, a restart with the audit tree file removed (the tree rebuilt
// from the whole log), and, for scale, the embedded NATS server opening the
// same data alone.
func runBenchRestart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench restart", stderr)
	census := fs.String("census", "", "census CSV of the communes (default: the demo communes)")
	loadPetitions := fs.Int("load-petitions", 10000, "petitions to load")
	loadSignatures := fs.Int("load-signatures", 1000000, "signatures to load")
	binary := fs.String("binary", "", binaryHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench restart", "unexpected argument %q", fs.Arg(0))
	}
	dir, bin, cleanup, err := benchFolder(ctx, "restart", *binary, *census, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stderr, "bench restart: loading %d petitions and %d signatures\n", *loadPetitions, *loadSignatures)
	load, err := benchLoad(ctx, dir, *loadPetitions, *loadSignatures)
	if err != nil {
		return err
	}
	rows := []natsbench.Result{load}
	ready := func(name string) error {
		start := time.Now()
		srv, err := startBenchServer(ctx, bin, dir, "")
		if err != nil {
			return err
		}
		d := time.Since(start)
		srv.stop()
		rows = append(rows, natsbench.Measured(name, load.Ops, d))
		fmt.Fprintf(stderr, "bench restart: %s: %v\n", name, d.Round(time.Millisecond))
		return nil
	}
	if err := ready("time to ready, first start (no snapshot, no tree file)"); err != nil {
		return err
	}
	// A checkpoint is signed every 1,000 events: sign that many through
	// the API so that one is saved, with its tree file, before the restarts.
	treePath := filepath.Join(dir, "audit", "nats-tree.leaves")
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
	if err := ready("time to ready, restart (snapshot and tree file)"); err != nil {
		return err
	}
	if err := os.Remove(treePath); err != nil {
		return fmt.Errorf("no tree file after a start: %w", err)
	}
	if err := ready("time to ready, restart without the tree file (snapshot only)"); err != nil {
		return err
	}
	if err := ready("time to ready, restart (snapshot and tree file) again"); err != nil {
		return err
	}
	start := time.Now()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
	if err != nil {
		return err
	}
	_, err = s.LastPosition(ctx)
	_ = s.Close()
	if err != nil {
		return err
	}
	rows = append(rows, natsbench.Measured("embedded NATS alone: open the same data, read its head", load.Ops, time.Since(start)))
	natsbench.Print(stdout, rows)
	return nil
}
