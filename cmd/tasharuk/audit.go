package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/projections"
)

// errVerifyFailed makes `audit verify` and `replay --verify` exit 1 after
// printing what failed.
var errVerifyFailed = errors.New("verification failed")

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("audit: usage: tasharuk audit export --out FILE | tasharuk audit verify FILE|--data-dir DIR [--public-key KEY] [--checkpoint FILE]")
	}
	switch args[0] {
	case "export":
		return runAuditExport(ctx, args[1:], stdout, stderr)
	case "verify":
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("audit: unknown command %q (export, verify)", args[0])
}

// openQuiet opens the log named by the store flags, logging warnings
// only.
func openQuiet(ctx context.Context, sc storeConfig, stderr io.Writer) (*logStore, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return openLog(ctx, sc, logger)
}

func runAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sc storeConfig
	sc.register(fs)
	out := fs.String("out", "", "file to write the export to (JSON Lines); - for standard output")
	keysDir := fs.String("keys-dir", "", "folder of the checkpoint key (default: --data-dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("audit export: --out FILE is required")
	}
	if *keysDir == "" {
		*keysDir = sc.DataDir
	}
	vkey, err := os.ReadFile(filepath.Join(*keysDir, "keys", "checkpoint.pub"))
	if err != nil {
		return fmt.Errorf("audit export: the log's public key: %w (start the service once to create it)", err)
	}
	ls, err := openQuiet(ctx, sc, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	store := ls.Log
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	sum, err := audit.Export(ctx, store, strings.TrimSpace(string(vkey)), w)
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "exported %d events (%d checkpoints) up to position %d\n", sum.Events, sum.Checkpoints, sum.LastPosition)
	if sum.MissingFrom > 0 {
		fmt.Fprintf(stderr, "WARNING: the log is damaged: it holds nothing from position %d on, although its head counts more; exported what is left\n", sum.MissingFrom)
	}
	return nil
}

// readArg reads a flag's value, from a file for "@FILE". Keys are
// trimmed; a signed note is kept byte for byte (its signature covers the
// final newline).
func readArg(v string, trim bool) (string, error) {
	if !strings.HasPrefix(v, "@") {
		return v, nil
	}
	b, err := os.ReadFile(v[1:])
	if trim {
		return strings.TrimSpace(string(b)), err
	}
	return string(b), err
}

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sc storeConfig
	sc.register(fs)
	pub := fs.String("public-key", "", "the log's public key (or @FILE); default: the export's header — pass the real key to trust the result")
	cp := fs.String("checkpoint", "", "a signed checkpoint (or @FILE) obtained independently, to check the export against")
	live := fs.Bool("live", false, "verify the log in --data-dir (or --nats-url) instead of an export file")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	key, err := readArg(*pub, true)
	if err != nil {
		return err
	}
	checkpoint, err := readArg(*cp, false)
	if err != nil {
		return err
	}
	var r io.Reader
	var missingFrom int64
	switch {
	case *live:
		ls, err := openQuiet(ctx, sc, stderr)
		if err != nil {
			return err
		}
		defer ls.Close()
		store := ls.Log
		vkey := key
		if vkey == "" {
			b, err := os.ReadFile(filepath.Join(sc.DataDir, "keys", "checkpoint.pub"))
			if err != nil {
				return fmt.Errorf("audit verify: the log's public key: %w", err)
			}
			vkey = strings.TrimSpace(string(b))
		}
		var buf bytes.Buffer
		sum, err := audit.Export(ctx, store, vkey, &buf)
		if err != nil {
			return err
		}
		missingFrom = sum.MissingFrom
		if checkpoint == "" {
			// The latest checkpoint the service saw, kept beside the log,
			// unless the auditor brought one.
			if path := savedCheckpointPath(sc, ls.Backend); path != "" {
				if s, err := audit.ReadSavedCheckpoint(path, vkey); err == nil && s != nil {
					checkpoint = s.SignedNote
					fmt.Fprintf(stdout, "checking against the saved checkpoint of %d events (%s)\n", s.TreeSize, path)
				} else if err != nil {
					fmt.Fprintf(stdout, "FAIL the saved checkpoint: %v\n", err)
					return fmt.Errorf("%w: the saved checkpoint does not verify", errVerifyFailed)
				}
			}
		}
		r = &buf
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	default:
		return errors.New("audit verify: give an export FILE, or --live with --data-dir")
	}
	rep, err := audit.Verify(r, audit.VerifyOptions{PublicKey: key, Checkpoint: checkpoint})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d events in %d streams, %d checkpoints, up to position %d; Merkle root %s\n", rep.Events, rep.Streams, rep.Checkpoints, rep.LastPosition, rep.Root)
	if missingFrom > 0 {
		rep.Problems = append(rep.Problems, audit.Problem{Position: missingFrom, Kind: "log-tail-lost",
			Detail: fmt.Sprintf("the log's head counts events it no longer holds from position %d on", missingFrom)})
	}
	if rep.OK() {
		fmt.Fprintln(stdout, "OK: every hash, chain, position, Merkle root and checkpoint signature verifies")
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "FAIL position %d event %s: %s: %s\n", p.Position, p.EventID, p.Kind, p.Detail)
	}
	return fmt.Errorf("%w: %d problems", errVerifyFailed, len(rep.Problems))
}

// runReplay rebuilds the read models from zero and, with --verify,
// compares them with those the service keeps (its snapshot brought up to
// date with the log).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sc storeConfig
	sc.register(fs)
	verify := fs.Bool("verify", false, "compare the rebuilt read models with the live ones")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ls, err := openQuiet(ctx, sc, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	store := ls.Log
	if *verify {
		// The log itself first: every hash, chain and position, and the
		// log against the last signed checkpoint saved beside it (a lost
		// tail).
		if err := checkLogForReplay(ctx, ls, sc, stdout); err != nil {
			return err
		}
	}
	rebuilt := projections.New(newRegistry())
	if err := projections.Rebuild(ctx, store, rebuilt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt from zero: position %d, digest %s\n", rebuilt.Position(), rebuilt.Digest())
	if !*verify {
		return nil
	}
	live := projections.New(newRegistry())
	path := filepath.Join(sc.DataDir, "projections", ls.Backend+"-snapshot.gob")
	loaded, err := live.LoadSnapshot(path)
	if err != nil {
		return fmt.Errorf("replay: live snapshot: %w", err)
	}
	if !loaded {
		return fmt.Errorf("replay: no live snapshot at %s to compare with (start and stop the service once)", path)
	}
	from := live.Position()
	head := rebuilt.Position()
	for pos := from + 1; pos <= head; {
		page, err := store.ReadAll(ctx, pos, 5000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if err := live.Apply(e); err != nil {
				return err
			}
		}
		pos = page[len(page)-1].Position + 1
	}
	fmt.Fprintf(stdout, "live (snapshot at %d, brought to %d): digest %s\n", from, live.Position(), live.Digest())
	if live.Digest() != rebuilt.Digest() {
		return fmt.Errorf("%w: the live read models differ from a rebuild from zero", errVerifyFailed)
	}
	fmt.Fprintln(stdout, "OK: the live read models equal a rebuild from zero")
	return nil
}
