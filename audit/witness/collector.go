package witness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/tlog"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// collectorActor is recorded as the actor of cosignature events.
var collectorActor = eventstore.Actor{Subject: "audit-witness-collector", Role: "system"}

// Collector is the log's side of witnessing: for each witness, it waits
// for a checkpoint newer than the one that witness cosigned last, submits
// it with a consistency proof from the Checkpointer's tree, and records
// the cosignature in the log as an audit.CheckpointCosigned event (stream
// "cosignature.<LogName>"). It runs beside the checkpointer, never on the
// path of an append: a slow or offline witness delays nothing but its own
// cosignature, and catches up, when it is back, with one proof from the
// last tree it cosigned to the newest.
type Collector struct {
	Checkpointer *audit.Checkpointer
	Store        eventstore.Store
	Registry     *es.Registry
	LogName      string
	Witnesses    []Target
	// HTTP is the client for the witnesses (default: 30-second timeout).
	HTTP   *http.Client
	Logger *slog.Logger
	// MaxBackoff bounds the wait between tries to a failing witness
	// (default 30 s); the first wait is a 20th of it.
	MaxBackoff time.Duration
	// Cosigned, if set, is called after each cosignature is recorded (for
	// tests and the figures of tools/bench).
	Cosigned func(witness string, size int64, at time.Time)

	metricsOnce sync.Once
	size        *prometheus.GaugeVec
	refused     *prometheus.CounterVec
	failed      *prometheus.CounterVec
}

func (c *Collector) metrics() {
	c.metricsOnce.Do(func() {
		c.size = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tasharuk_witness_cosigned_tree_size",
			Help: "Size of the largest tree each witness cosigned, as recorded in the log."}, []string{"witness"})
		c.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tasharuk_witness_refusals_total",
			Help: "Checkpoints a witness refused (4xx): alarm on any."}, []string{"witness"})
		c.failed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tasharuk_witness_failures_total",
			Help: "Submissions to a witness that failed otherwise (unreachable, 5xx); retried."}, []string{"witness"})
	})
}

// Collectors returns the collector's metrics, for a Prometheus registry.
func (c *Collector) Collectors() []prometheus.Collector {
	c.metrics()
	return []prometheus.Collector{c.size, c.refused, c.failed}
}

func (c *Collector) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// Run submits checkpoints until ctx ends; it returns nil then, or the
// error the checkpointer stopped with.
func (c *Collector) Run(ctx context.Context) error {
	c.metrics()
	recorded, err := c.recorded(ctx)
	if err != nil {
		return err
	}
	for _, t := range c.Witnesses {
		c.size.WithLabelValues(t.Name()).Set(float64(recorded[t.Name()]))
		c.refused.WithLabelValues(t.Name()) // shown at 0 from the start
		c.failed.WithLabelValues(t.Name())
	}
	var wg sync.WaitGroup
	errs := make([]error, len(c.Witnesses))
	for i, t := range c.Witnesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.follow(ctx, &Client{Target: t, HTTP: c.HTTP}, recorded[t.Name()])
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

// recorded returns the largest tree size each witness's cosignature was
// recorded for, by witness name, so a restarted service does not record
// the same cosignatures again.
func (c *Collector) recorded(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	evs, err := c.Store.ReadStream(ctx, audit.CosignatureStream(c.LogName), 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: read the recorded cosignatures: %w", err)
	}
	for i := range evs {
		p, err := c.Registry.DecodeEvent(&evs[i])
		if err != nil {
			return nil, err
		}
		if cs, ok := p.(*auditeventsv1.CheckpointCosigned); ok {
			out[cs.GetWitness()] = max(out[cs.GetWitness()], int64(cs.GetTreeSize()))
		}
	}
	return out, nil
}

// follow feeds one witness, from the checkpoints after the one whose
// cosignature was recorded last (after).
func (c *Collector) follow(ctx context.Context, w *Client, after int64) error {
	maxWait := c.MaxBackoff
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	wait := maxWait / 20
	// known is the witness's size as far as we know: the size last
	// recorded, and the 409 tells otherwise (tlog-witness lets a client
	// start anywhere, from 0 even, and learn the size from the 409).
	known := after
	for {
		ck, err := c.Checkpointer.WaitCheckpoint(ctx, after)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		err = c.submit(ctx, w, ck, &known)
		var ahead *aheadError
		switch {
		case err == nil:
			after = ck.TreeSize
			wait = maxWait / 20
			continue
		case errors.As(err, &ahead):
			// The witness has cosigned a larger tree (another replica's
			// checkpoint): wait for ours to pass it.
			after = ahead.size
			continue
		case ctx.Err() != nil:
			return nil
		case IsRefusal(err):
			c.refused.WithLabelValues(w.Target.Name()).Inc()
			c.logger().Error("witness refused the log's checkpoint", "witness", w.Target.Name(), "url", w.Target.URL,
				"tree_size", ck.TreeSize, "err", err)
		default:
			c.failed.WithLabelValues(w.Target.Name()).Inc()
			c.logger().Warn("witness unreachable", "witness", w.Target.Name(), "url", w.Target.URL, "tree_size", ck.TreeSize, "err", err, "retry_in", wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}

type aheadError struct{ size int64 }

func (e *aheadError) Error() string { return fmt.Sprintf("witness is at size %d", e.size) }

// submit gets one checkpoint cosigned and records the cosignature.
func (c *Collector) submit(ctx context.Context, w *Client, ck *audit.SavedCheckpoint, known *int64) error {
	for range 3 {
		if *known > ck.TreeSize {
			return &aheadError{size: *known}
		}
		var proof tlog.TreeProof
		if *known > 0 && *known < ck.TreeSize {
			if err := c.Checkpointer.WaitFor(ctx, ck.TreeSize); err != nil {
				return err
			}
			p, err := c.Checkpointer.ConsistencyProof(*known, ck.TreeSize)
			if err != nil {
				return err
			}
			proof = p
		}
		sent := time.Now()
		sig, err := w.AddCheckpoint(ctx, *known, proof, ck.SignedNote)
		var conflict *ConflictError
		if errors.As(err, &conflict) {
			if conflict.Size == ck.TreeSize && *known != ck.TreeSize {
				// The witness cosigned this very checkpoint already: another
				// replica submitted it (and records its cosignature).
				*known = conflict.Size
				return nil
			}
			*known = conflict.Size
			continue
		}
		if err != nil {
			return err
		}
		*known = ck.TreeSize
		if err := c.record(ctx, ck, sig); err != nil {
			return err
		}
		c.size.WithLabelValues(w.Target.Name()).Set(float64(ck.TreeSize))
		c.logger().Info("checkpoint cosigned", "witness", sig.Witness, "tree_size", ck.TreeSize, "took", time.Since(sent).Round(time.Millisecond))
		if c.Cosigned != nil {
			c.Cosigned(sig.Witness, ck.TreeSize, time.Now())
		}
		return nil
	}
	return fmt.Errorf("witness %s: its size kept changing", w.Target.URL)
}

// record appends the cosignature event.
func (c *Collector) record(ctx context.Context, ck *audit.SavedCheckpoint, sig audit.Cosignature) error {
	root, err := ck.RootHash()
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	p, err := c.Registry.Propose(&auditeventsv1.CheckpointCosigned{
		TreeSize:           uint64(ck.TreeSize),
		RootHash:           root[:],
		Witness:            sig.Witness,
		CosignedNote:       audit.AddSignatures(ck.SignedNote, sig.Line),
		CheckpointPosition: ck.EventPosition,
	}, es.Meta{ID: id.String(), Actor: collectorActor})
	if err != nil {
		return err
	}
	if _, err := c.Store.Append(ctx, audit.CosignatureStream(c.LogName), eventstore.Any, []eventstore.Proposed{p}); err != nil {
		return fmt.Errorf("record the cosignature of %s at %d: %w", sig.Witness, ck.TreeSize, err)
	}
	return nil
}
