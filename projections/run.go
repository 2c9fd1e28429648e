package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/integrity"
)

// Follower keeps the read models up to date with the log and snapshots
// them.
type Follower struct {
	Model *Runner
	Store eventstore.Store
	// SnapshotPath, if set, is where snapshots are kept: loaded at start,
	// written every SnapshotEvery events (default 50,000) and at stop.
	SnapshotPath  string
	SnapshotEvery uint64
	Logger        *slog.Logger
	// Monitor receives the damage found in the log (DESIGN.md "Integrity
	// on every read"): an event whose hash, chain or position does not
	// verify is not applied, and the follower stops before it; a log
	// shorter than the snapshot (its tail lost) is reported at Start.
	Monitor *integrity.Monitor
	// CaughtUp, if set, is called once, when the read models first reach
	// the log's head as Run found it when it started (at once if they
	// were there already): the end of the start's catch-up.
	CaughtUp func(position uint64)
	// ProgressEvery is how often Run logs its progress while it catches
	// up (default 5 s).
	ProgressEvery time.Duration

	checker integrity.Checker
	// load is the snapshot's load started by Load (nil: not started).
	load *snapshotLoad
}

// snapshotLoad is a load of the snapshot file under way or done.
type snapshotLoad struct {
	done   chan struct{}
	loaded bool
	err    error
	took   time.Duration
}

// Load starts reading the snapshot file into the model in the background
// (it needs no log: serve starts it before the log is open, so the read
// models are restored while the NATS server recovers the log). Start waits
// for it and checks the result against the log. Call it at most once,
// before Start.
func (f *Follower) Load() {
	if f.load != nil || f.SnapshotPath == "" {
		return
	}
	l := &snapshotLoad{done: make(chan struct{})}
	f.load = l
	go func() {
		defer close(l.done)
		start := time.Now()
		l.loaded, l.err = f.Model.LoadSnapshot(f.SnapshotPath)
		l.took = time.Since(start)
	}()
}

// Start loads the snapshot (if any; or waits for the load Load started)
// and checks it against the log. It returns the position the model starts
// from.
func (f *Follower) Start(ctx context.Context) (uint64, error) {
	if f.Logger == nil {
		f.Logger = slog.Default()
	}
	if f.SnapshotPath == "" {
		return 0, nil
	}
	f.Load()
	select {
	case <-f.load.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	loaded, err := f.load.loaded, f.load.err
	if err != nil {
		// A damaged snapshot, or one of an older format, is no reason not
		// to start: rebuild from zero (ReadSnapshot left the models empty).
		f.Logger.Warn("ignoring unreadable projection snapshot; rebuilding from the log", "path", f.SnapshotPath, "err", err)
		f.Model.Reset()
		return 0, nil
	}
	pos := f.Model.Position()
	if loaded && pos > 0 {
		head, err := f.Store.LastPosition(ctx)
		if err != nil {
			return 0, err
		}
		if head < pos {
			// The read models had applied events the log no longer holds:
			// its tail was lost. Report it (writes are refused from now on)
			// and rebuild from what is left, so it can still be read.
			f.Monitor.Report(&integrity.Damage{Position: head + 1, Kind: integrity.LogShorterThanReadModel, Source: "read model",
				Detail: fmt.Sprintf("the log ends at position %d, but the read models had applied up to position %d when the service last stopped", head, pos)})
			f.Logger.Warn("projection snapshot is ahead of the log; rebuilding from the log", "snapshot", pos, "log", head)
			f.Model.Reset()
			return 0, nil
		}
		f.Logger.Info("projections resumed from snapshot", "position", pos, "took", f.load.took.Round(time.Millisecond))
	}
	return pos, nil
}

// Run applies the log from the model's position until ctx ends, writing
// snapshots on the way and at the end.
func (f *Follower) Run(ctx context.Context) error {
	every := f.SnapshotEvery
	if every == 0 {
		every = 50000
	}
	last := f.Model.Position()
	if f.checker.Source == "" {
		f.checker = integrity.Checker{Source: "read model", Previous: integrity.PreviousFrom(f.Store)}
	}
	f.checker.Start(last)
	caughtUp := f.catchUp(ctx, last)
	err := f.Store.Subscribe(ctx, f.Model.Position()+1, func(e eventstore.Event) error {
		if e.Position != 0 && e.Position <= f.checker.Last() {
			return nil // delivered again
		}
		// Integrity on every read: nothing is applied that does not verify.
		if err := f.checker.Check(ctx, &e); err != nil {
			return f.Monitor.ReportErr(err)
		}
		if err := f.Model.Apply(e); err != nil {
			return err
		}
		caughtUp(e.Position)
		if f.SnapshotPath != "" && e.Position-last >= every && f.Monitor.Damage() == nil {
			last = e.Position
			if err := f.Model.SaveSnapshot(f.SnapshotPath); err != nil {
				f.Logger.Warn("projection snapshot failed", "err", err)
			}
		}
		return nil
	})
	// A damaged log keeps the snapshot it had: it is the evidence of how
	// far the log reached.
	if f.SnapshotPath != "" && f.Monitor.Damage() == nil {
		if serr := f.Model.SaveSnapshot(f.SnapshotPath); serr != nil {
			f.Logger.Warn("projection snapshot failed", "err", serr)
		}
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// catchUp returns what Run calls after each event: it logs the progress
// of the catch-up to the head found now, every ProgressEvery, and calls
// CaughtUp once the head is reached (here if the model is there already).
func (f *Follower) catchUp(ctx context.Context, from uint64) func(pos uint64) {
	head, err := f.Store.LastPosition(ctx)
	if err != nil {
		head = 0 // the subscription will fail too; nothing to report
	}
	start := time.Now()
	every := f.ProgressEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	next := start.Add(every)
	done := false
	finish := func(pos uint64) {
		done = true
		if f.CaughtUp != nil {
			f.CaughtUp(pos)
		}
	}
	if from >= head {
		finish(from)
	}
	return func(pos uint64) {
		if done {
			return
		}
		if pos >= head {
			finish(pos)
			return
		}
		if now := time.Now(); now.After(next) {
			next = now.Add(every)
			f.Logger.Info("start-up progress", "phase", "read models: catch-up", "position", pos, "head", head,
				"elapsed", now.Sub(start).Round(time.Second))
		}
	}
}

// Rebuild builds the read models from the whole log, up to the store's current
// head.
func Rebuild(ctx context.Context, store eventstore.Store, m *Runner) error {
	head, err := store.LastPosition(ctx)
	if err != nil {
		return err
	}
	for from := uint64(1); from <= head; {
		page, err := store.ReadAll(ctx, from, 5000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("projections: log ends at %d, expected %d", from-1, head)
		}
		for _, e := range page {
			if e.Position > head {
				return nil
			}
			if err := m.Apply(e); err != nil {
				return err
			}
		}
		from = page[len(page)-1].Position + 1
	}
	return nil
}

// RebuildFollowing builds the read models from the whole log through a
// subscription (the way the service follows the log), up to the store's
// head when it starts.
func RebuildFollowing(ctx context.Context, store eventstore.Store, m *Runner) error {
	head, err := store.LastPosition(ctx)
	if err != nil || head == 0 {
		return err
	}
	done := errors.New("caught up")
	err = store.Subscribe(ctx, m.Position()+1, func(e eventstore.Event) error {
		if err := m.Apply(e); err != nil {
			return err
		}
		if e.Position >= head {
			return done
		}
		return nil
	})
	if errors.Is(err, done) {
		return nil
	}
	return err
}
