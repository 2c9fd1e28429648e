package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/integrity"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/server"
)

// Integrity on every read (DESIGN.md): serve gives every writer the guard
// (which refuses appends once damage is known, or always read-only), and
// checks the log against the last signed checkpoint before it serves.

// guardLog wraps the log in the store every writer is given.
func guardLog(log eventstore.Store, readOnly bool, logger *slog.Logger) (*integrity.Guard, *integrity.Monitor) {
	m := integrity.NewMonitor(logger)
	return &integrity.Guard{Store: log, Monitor: m, ReadOnly: readOnly}, m
}

// savedCheckpointPath is where the embedded service keeps its latest
// signed checkpoint, beside the log ("" with an external NATS: the
// replicas do not share a data folder).
func savedCheckpointPath(sc storeConfig, backend string) string {
	if sc.NATSURL != "" {
		return ""
	}
	return filepath.Join(sc.DataDir, "audit", backend+"-checkpoint.json")
}

// treeFilePath is where the audit tree's leaves are kept beside the saved
// checkpoint, so a restart does not rebuild the tree from the whole log
// (audit.Checkpointer.TreePath); "" where there is no saved checkpoint.
func treeFilePath(sc storeConfig, backend string) string {
	if p := savedCheckpointPath(sc, backend); p != "" {
		return filepath.Join(filepath.Dir(p), backend+"-tree.leaves")
	}
	return ""
}

// checkOnStart replays the log into the checkpointer's tree, checking it
// against the saved checkpoint, before anything is served. It returns an
// error only when the log cannot be read; damage is reported (ERROR log,
// metric, /readyz) and leaves signing off: the result says whether the
// checkpointer may run.
func checkOnStart(ctx context.Context, cp *audit.Checkpointer, m *integrity.Monitor, logger *slog.Logger) (bool, error) {
	err := cp.CatchUp(ctx)
	if errors.Is(err, audit.ErrLogAltered) {
		d := m.Damage()
		logger.Error("integrity: the event log failed its check on start; serving without signing checkpoints and refusing every write",
			"position", d.Position, "reason", d.Kind)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check the event log: %w", err)
	}
	if d := m.Damage(); d != nil {
		logger.Error("integrity: the event log is damaged; serving without signing checkpoints and refusing every write",
			"position", d.Position, "reason", d.Kind)
	}
	return true, nil
}

// readyCheck is /readyz's hook: not ready while the log is damaged (with
// its position and reason) or the read models are behind it.
func readyCheck(store eventstore.Store, model *projections.Runner, m *integrity.Monitor) func(context.Context) error {
	return func(ctx context.Context) error {
		head, err := store.LastPosition(ctx)
		if err != nil {
			return err
		}
		if d := m.Damage(); d != nil {
			// What can be read is what lies before the damage.
			readable := head
			if d.Position > 0 {
				readable = min(head, d.Position-1)
			}
			return &server.NotReady{Reason: d.Kind, Position: d.Position, ReadsReady: model.Position() >= readable,
				Detail: fmt.Sprintf("event log damaged (found by the %s): %s; writes are refused (LOG_DAMAGED)", d.Source, d.Detail)}
		}
		if p := model.Position(); p < head {
			return fmt.Errorf("read models at %d of %d", p, head)
		}
		return nil
	}
}

// checkLogForReplay is replay --verify's check of the log: it prints what
// is damaged and returns errVerifyFailed, or prints that the log verifies.
func checkLogForReplay(ctx context.Context, ls *logStore, sc storeConfig, stdout io.Writer) error {
	vkey := checkpointKey(sc)
	savePath := savedCheckpointPath(sc, ls.Backend)
	d, err := audit.CheckLog(ctx, ls.Log, ls.NATS.StreamName(), savePath, vkey)
	if err != nil {
		return err
	}
	if d != nil {
		fmt.Fprintf(stdout, "FAIL position %d: %s: %s\n", d.Position, d.Kind, d.Detail)
		return fmt.Errorf("%w: the event log is damaged at position %d (%s)", errVerifyFailed, d.Position, d.Kind)
	}
	against := "no saved checkpoint"
	if savePath != "" {
		if s, err := audit.ReadSavedCheckpoint(savePath, vkey); err == nil && s != nil {
			against = fmt.Sprintf("the saved checkpoint of %d events", s.TreeSize)
		}
	}
	fmt.Fprintf(stdout, "log verifies: every hash, chain and position, against %s\n", against)
	return nil
}

// refuseDamagedLog is for the commands that write to the log outside the
// service (territory import): it checks the log as the service does on
// start and refuses to append over damage.
func refuseDamagedLog(ctx context.Context, ls *logStore, sc storeConfig) error {
	vkey := checkpointKey(sc)
	d, err := audit.CheckLog(ctx, ls.Log, ls.NATS.StreamName(), savedCheckpointPath(sc, ls.Backend), vkey)
	if err != nil {
		return err
	}
	if d != nil {
		return fmt.Errorf("the event log is damaged at position %d (%s): %s; nothing recorded (LOG_DAMAGED; `serve --read-only` serves what is left)", d.Position, d.Kind, d.Detail)
	}
	return nil
}

// checkpointKey is the checkpoint verifier key kept in the keys folder
// ("" if there is none yet).
func checkpointKey(sc storeConfig) string {
	dir, err := keysDir(sc.KeysDir, sc.DataDir)
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(dir, audit.PublicKeyFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
