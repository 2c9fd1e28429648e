package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/status"
)

// errVerifyFailed makes `audit verify` and `replay --verify` exit 1 after
// printing what failed.
var errVerifyFailed = errors.New("verification failed")

const auditVerifyLong = `An export FILE is checked offline: no store flags. With --live, the log in
--data-dir (or --nats-url) is exported in memory and checked, and the store
flags of audit export apply (tasharuk audit verify --live --help lists them).
--checkpoint takes a checkpoint saved earlier (tasharuk audit checkpoint), so
a log cut short since is caught too; whitespace around it is ignored.
--witness KEY (repeatable) and --quorum N accept the export only if N of
those witnesses cosigned a checkpoint whose tree the export reproduces,
and none cosigned one it contradicts: a history rewritten and re-signed
with the log's own key is caught with nothing saved beforehand.
`

const auditCheckpointLong = `With --url, the checkpoint is read from a running service
(GET URL/v1/audit/checkpoints); otherwise from the data folder, where the
service keeps its latest one (<data-dir>/audit/nats-checkpoint.json; the
service may be running). It is checked against the log's public key
(--public-key, or <keys-dir>/checkpoint.pub, or with --url the service's own)
before it is written. Keep the file apart from the server; later,
tasharuk audit verify EXPORT --checkpoint @FILE proves the export still
holds everything the checkpoint covers. The same with curl and jq:
  curl -s URL/v1/audit/checkpoints | jq -r '.checkpoints[-1].signedNote' > saved.txt
`

// runAudit runs `tasharuk audit export|verify|checkpoint`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, byPath["audit"], args, stdout, stderr)
}

// openQuiet opens the log named by the store flags, logging warnings
// only.
func openQuiet(ctx context.Context, sc storeConfig, stderr io.Writer) (*logStore, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return openLog(ctx, sc, logger)
}

func runAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit export", stderr)
	var sc storeConfig
	sc.register(fs, storeRead)
	out := fs.String("out", "", "file to write the export to (JSON Lines); - for standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("audit export", "unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usagef("audit export", "--out FILE is required")
	}
	if err := sc.resolveKeys(); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	if err := sc.requireLog(false); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	vkey, err := os.ReadFile(filepath.Join(sc.KeysDir, audit.PublicKeyFile))
	if err != nil {
		return fmt.Errorf("audit export: the log's public key: %w (start the service once to create it)", err)
	}
	ls, err := openQuiet(ctx, sc, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	prog, store := readingLog(ctx, stderr, "audit export", ls.Log)
	defer prog.finish()
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
	prog.finish()
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "exported %d events (%d checkpoints) up to position %d in %s\n", sum.Events, sum.Checkpoints, sum.LastPosition, time.Since(prog.start).Round(time.Millisecond))
	if sum.MissingFrom > 0 {
		fmt.Fprintf(stderr, "WARNING: the log is damaged: it holds nothing from position %d on, although its head counts more; exported what is left\n", sum.MissingFrom)
	}
	return nil
}

// readArg reads a flag's value, from a file for "@FILE", without the
// whitespace around it.
func readArg(v string) (string, error) {
	if strings.HasPrefix(v, "@") {
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return "", err
		}
		v = string(b)
	}
	return strings.TrimSpace(v), nil
}

// readNote reads a signed note given as a flag's value or "@FILE". A note
// ends with exactly one newline, which its signature does not cover but
// its format requires: whatever whitespace surrounds it (the newline `jq
// -r` adds, the final one `$(...)` strips, CRLF from an editor) is
// dropped and the one newline put back.
func readNote(v string) (string, error) {
	s, err := readArg(v)
	if err != nil || s == "" {
		return s, err
	}
	return strings.ReplaceAll(s, "\r\n", "\n") + "\n", nil
}

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit verify", stderr)
	pub := fs.String("public-key", "", "the log's public key (or @FILE); default: the export's header — pass the real key to trust the result")
	cp := fs.String("checkpoint", "", "a signed checkpoint (or @FILE) obtained independently, to check the export against (tasharuk audit checkpoint saves one)")
	live := fs.Bool("live", false, "verify the log in --data-dir (or --nats-url) instead of an export file (then the store flags apply)")
	var witnessKeys listFlag
	fs.Var(&witnessKeys, "witness", "public key (or @FILE) of a witness you trust (repeatable): with --quorum, the export must carry its cosignatures")
	quorum := fs.Int("quorum", 0, "accept the export only if this many of the --witness keys cosigned a checkpoint of its tree, and none cosigned a root it contradicts")
	// An export is checked offline, with no store flags; only --live
	// reads a store, so only then are they registered.
	var sc storeConfig
	if liveAsked(args) {
		sc.register(fs, storeRead)
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(files) > 1:
		return usagef("audit verify", "give one export FILE, got %d", len(files))
	case len(files) == 1 && *live:
		return usagef("audit verify", "give an export FILE or --live, not both")
	case len(files) == 0 && !*live:
		return usagef("audit verify", "give an export FILE, or --live with --data-dir")
	}
	key, err := readArg(*pub)
	if err != nil {
		return err
	}
	checkpoint, err := readNote(*cp)
	if err != nil {
		return err
	}
	var witnesses []string
	for _, w := range witnessKeys {
		k, err := readArg(w)
		if err != nil {
			return err
		}
		witnesses = append(witnesses, k)
	}
	switch {
	case *quorum < 0 || *quorum > len(witnesses):
		return usagef("audit verify", "--quorum %d with %d --witness keys: give at least as many keys", *quorum, len(witnesses))
	case len(witnesses) > 0 && *quorum == 0:
		return usagef("audit verify", "--witness given without --quorum N (how many of them must have cosigned)")
	}
	var r io.Reader
	var missingFrom int64
	var prog *progress
	if *live {
		if err := sc.resolveKeys(); err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		if err := sc.requireLog(false); err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		ls, err := openQuiet(ctx, sc, stderr)
		if err != nil {
			return err
		}
		defer ls.Close()
		vkey := key
		if vkey == "" {
			b, err := os.ReadFile(filepath.Join(sc.KeysDir, audit.PublicKeyFile))
			if err != nil {
				return fmt.Errorf("audit verify: the log's public key: %w", err)
			}
			vkey = strings.TrimSpace(string(b))
		}
		var store eventstore.Store
		prog, store = readingLog(ctx, stderr, "audit verify: reading the log", ls.Log)
		var buf bytes.Buffer
		sum, err := audit.Export(ctx, store, vkey, &buf)
		prog.finish()
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
	} else {
		f, err := os.Open(files[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	prog = startProgress(stderr, "audit verify", "events", 0)
	defer prog.finish()
	r = countingReader{r: r, p: prog}
	rep, err := audit.Verify(r, audit.VerifyOptions{PublicKey: key, Checkpoint: checkpoint, Witnesses: witnesses, Quorum: *quorum})
	prog.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d events in %d streams, %d checkpoints, up to position %d; Merkle root %s\n", rep.Events, rep.Streams, rep.Checkpoints, rep.LastPosition, rep.Root)
	if missingFrom > 0 {
		rep.Problems = append(rep.Problems, audit.Problem{Position: missingFrom, Kind: "log-tail-lost",
			Detail: fmt.Sprintf("the log's head counts events it no longer holds from position %d on", missingFrom)})
	}
	for _, w := range rep.Witnesses {
		fmt.Fprintf(stdout, "witness %s cosigned the tree up to %d events\n", w.Witness, w.TreeSize)
	}
	if rep.OK() {
		fmt.Fprintln(stdout, "OK: every hash, chain, position, Merkle root and checkpoint signature verifies")
		if *quorum > 0 {
			fmt.Fprintf(stdout, "OK: %d of the trusted witnesses cosigned the first %d events; the %d events after them are not witnessed yet\n",
				*quorum, rep.Witnessed, rep.LastPosition-rep.Witnessed)
		}
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "FAIL position %d event %s: %s: %s\n", p.Position, p.EventID, p.Kind, p.Detail)
	}
	return fmt.Errorf("%w: %d problems", errVerifyFailed, len(rep.Problems))
}

// liveAsked says whether audit verify's arguments (or TASHARUK_LIVE) ask
// for --live.
func liveAsked(args []string) bool {
	if v, err := strconv.ParseBool(os.Getenv("TASHARUK_LIVE")); err == nil && v {
		return true
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "live" {
			if !hasVal {
				return true
			}
			v, err := strconv.ParseBool(val)
			return err == nil && v
		}
	}
	return false
}

// runReplay rebuilds the read models from zero and, with --verify,
// compares them with those the service keeps (its snapshot brought up to
// date with the log).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", stderr)
	var sc storeConfig
	sc.register(fs, storeRead)
	verify := fs.Bool("verify", false, "check the log and compare the rebuilt read models with the live ones")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("replay", "unexpected argument %q", fs.Arg(0))
	}
	if err := sc.resolveKeys(); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if err := sc.requireLog(false); err != nil {
		return fmt.Errorf("replay: %w", err)
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
		prog, counted := readingLog(ctx, stderr, "replay: checking the log", store)
		err := checkLogForReplay(ctx, &logStore{Log: counted, NATS: ls.NATS, Backend: ls.Backend}, sc, stdout)
		prog.finish()
		if err != nil {
			return err
		}
	}
	rebuilt := status.NewReadModels(newRegistry())
	prog, counted := readingLog(ctx, stderr, "replay: rebuilding", store)
	err = projections.Rebuild(ctx, counted, rebuilt.Runner)
	prog.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt from zero: position %d, digest %s (in %s)\n", rebuilt.Position(), rebuilt.Digest(), time.Since(prog.start).Round(time.Millisecond))
	if !*verify {
		return nil
	}
	live := status.NewReadModels(newRegistry())
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
