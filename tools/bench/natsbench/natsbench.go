// Package natsbench measures the JetStream event store beside the raw engine
// on the same server in the same run, so results are reported as ratios
// (machines here are noisy; absolute figures alone mean little).
//
// Raw figures use a separate stream (BENCH_RAW) on the same embedded server,
// with the same storage settings and server-wide SyncAlways, publishing
// messages of the same size as a stored envelope:
//   - raw sync publish: W publishers, each waiting for its acknowledgement
//     (nats bench js pub sync);
//   - raw atomic batch: one publisher, atomic batches of 100
//     (nats bench js pub atomic --batchsize 100);
//   - raw ordered consumer: an ordered consumer reading the log stream
//     (nats bench js ordered);
//   - the commit designs for each writer count (designs.go): checked atomic
//     and fast batches of that size and a one-message-per-commit prototype.
package natsbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Result is one measurement.
type Result struct {
	Name     string        `json:"name"`
	Ops      int           `json:"ops"`
	Duration time.Duration `json:"duration_ns"`
	// Rate is operations (events or messages) per second.
	Rate float64       `json:"rate_per_s"`
	P50  time.Duration `json:"p50_ns,omitempty"`
	P99  time.Duration `json:"p99_ns,omitempty"`
	// Baseline names the raw result this one is compared with.
	Baseline string  `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	// Retries counts conflicts answered by trying again (one-stream runs).
	Retries int `json:"retries,omitempty"`
}

func result(name string, ops int, d time.Duration, lat []time.Duration) Result {
	r := Result{Name: name, Ops: ops, Duration: d, Rate: float64(ops) / d.Seconds()}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		r.P50 = lat[len(lat)/2]
		r.P99 = lat[len(lat)*99/100]
	}
	return r
}

// Compare sets r's ratio to base.
func Compare(r *Result, base Result) {
	r.Baseline = base.Name
	if base.Rate > 0 {
		r.Ratio = r.Rate / base.Rate
	}
}

// Print writes results as a table.
func Print(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tops\ttime\trate/s\tp50\tp99\tratio\tbaseline\tretries")
	for _, r := range rs {
		ratio := ""
		if r.Baseline != "" {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		p50, p99 := "", ""
		if r.P50 > 0 {
			p50, p99 = r.P50.Round(time.Microsecond).String(), r.P99.Round(time.Microsecond).String()
		}
		retries := ""
		if r.Retries > 0 {
			retries = strconv.Itoa(r.Retries)
		}
		fmt.Fprintf(tw, "%s\t%d\t%v\t%.0f\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Ops, r.Duration.Round(time.Millisecond), r.Rate, p50, p99, ratio, r.Baseline, retries)
	}
	_ = tw.Flush()
}

// PrintJSON writes results as JSON.
func PrintJSON(w io.Writer, rs []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rs)
}

const rawStream = "BENCH_RAW"

// ensureRawStream makes the raw comparison stream with the log's settings.
func ensureRawStream(ctx context.Context, nc *nats.Conn) (jetstream.JetStream, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: rawStream, Subjects: []string{"bench.raw.>"}, Storage: jetstream.FileStorage,
		Replicas: 1, AllowDirect: true, AllowAtomicPublish: true, AllowBatchPublish: true, DenyDelete: true,
	})
	return js, err
}

// MessageSize returns the stored size of a typical single event with a
// payload of payloadSize bytes.
func MessageSize(payloadSize int) int {
	evs := eventstore.Seal(pdomain.PetitionStream("50910101", "0193c4b2-0000-7000-8000-000000000000"), eventstore.Head{},
		[]eventstore.Proposed{proposed(payloadSize)}, time.Now())
	b, _ := eventstore.MarshalStored(&evs[0])
	return len(b)
}

// Proposed is the event the workloads append: a signature-sized event with
// a payload of payloadSize bytes and a fresh id.
func Proposed(payloadSize int) eventstore.Proposed { return proposed(payloadSize) }

// Measured is a result without latencies.
func Measured(name string, ops int, d time.Duration) Result { return result(name, ops, d, nil) }

func proposed(payloadSize int) eventstore.Proposed {
	p := storetest.Event("petitions.SignatureAdded", "")
	p.Payload = make([]byte, payloadSize)
	return p
}

// RawSyncPublish: writers publishers, each publishing total/writers
// messages and waiting for each acknowledgement.
func RawSyncPublish(ctx context.Context, nc *nats.Conn, writers, total, size int) (Result, error) {
	js, err := ensureRawStream(ctx, nc)
	if err != nil {
		return Result{}, err
	}
	data := make([]byte, size)
	return Workers(fmt.Sprintf("raw sync publish, %d publishers", writers), writers, total/writers, func(w, _ int) error {
		_, err := js.Publish(ctx, fmt.Sprintf("bench.raw.sync.%d", w), data)
		return err
	})
}

// RawAtomicBatch: one publisher, atomic batches of batch messages.
func RawAtomicBatch(ctx context.Context, nc *nats.Conn, batch, total, size int) (Result, error) {
	if _, err := ensureRawStream(ctx, nc); err != nil {
		return Result{}, err
	}
	data := make([]byte, size)
	n := total / batch
	start := time.Now()
	for b := range n {
		id := nuid.Next()
		for i := 1; i <= batch; i++ {
			m := nats.NewMsg("bench.raw.atomic." + strconv.Itoa(b%64))
			m.Data = data
			m.Header.Set("Nats-Batch-Id", id)
			m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i))
			if i < batch {
				if err := nc.PublishMsg(m); err != nil {
					return Result{}, err
				}
				continue
			}
			m.Header.Set("Nats-Batch-Commit", "1")
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			reply, err := nc.RequestMsgWithContext(rctx, m)
			cancel()
			if err != nil {
				return Result{}, err
			}
			var ack struct {
				Error *struct{ Description string } `json:"error"`
			}
			if json.Unmarshal(reply.Data, &ack) != nil || ack.Error != nil {
				return Result{}, fmt.Errorf("atomic batch refused: %s", reply.Data)
			}
		}
	}
	return result(fmt.Sprintf("raw atomic batch of %d, 1 publisher", batch), n*batch, time.Since(start), nil), nil
}

// RawOrderedConsume reads the whole log stream with an ordered consumer,
// without decoding.
func RawOrderedConsume(ctx context.Context, nc *nats.Conn, stream string) (Result, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return Result{}, err
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return Result{}, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return Result{}, err
	}
	total := info.State.Msgs
	start := time.Now()
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return Result{}, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		return Result{}, err
	}
	defer it.Stop()
	var n uint64
	for n < total {
		if _, err := it.Next(); err != nil {
			return Result{}, err
		}
		n++
	}
	return result("raw ordered consumer", int(n), time.Since(start), nil), nil
}

// Append: writers goroutines each appending single events to their own
// streams, as command handlers do: a new stream (NoStream) every 10 events,
// then Exact revisions; total events in all.
func Append(ctx context.Context, s eventstore.Store, writers, total, payloadSize int) (Result, error) {
	run := nuid.Next()
	return Workers(fmt.Sprintf("tasharuk append, %d writers, distinct streams", writers), writers, total/writers, func(w, i int) error {
		st := fmt.Sprintf("bench.%s.w%d.s%d", run, w, i/10)
		exp := eventstore.Exact(uint64(i%10 - 1))
		if i%10 == 0 {
			exp = eventstore.NoStream
		}
		_, err := s.Append(ctx, st, exp, []eventstore.Proposed{proposed(payloadSize)})
		return err
	})
}

// OneStream: writers goroutines appending single events to one stream
// with exact expected revisions, as command handlers on one aggregate do:
// each remembers the revision it last saw, and on a conflict takes the
// stream's actual revision from the error and tries again; total events in
// all. Latencies include the retries.
func OneStream(ctx context.Context, s eventstore.Store, writers, total, payloadSize int) (Result, error) {
	st := "bench.one." + nuid.Next()
	if _, err := s.Append(ctx, st, eventstore.NoStream, []eventstore.Proposed{proposed(payloadSize)}); err != nil {
		return Result{}, err
	}
	seen := make([]uint64, writers)
	var conflicts atomic.Int64
	r, err := Workers(fmt.Sprintf("tasharuk one stream, %d writers, expected revisions", writers), writers, total/writers, func(w, _ int) error {
		for {
			res, err := s.Append(ctx, st, eventstore.Exact(seen[w]), []eventstore.Proposed{proposed(payloadSize)})
			var wrong *eventstore.WrongExpectedRevisionError
			if errors.As(err, &wrong) {
				conflicts.Add(1)
				seen[w] = uint64(wrong.Actual)
				continue
			}
			if err != nil {
				return err
			}
			seen[w] = res.Revision
			return nil
		}
	})
	r.Retries = int(conflicts.Load())
	return r, err
}

// Fill appends total events quickly (multi-event appends) for replay.
func Fill(ctx context.Context, s eventstore.Store, total, payloadSize int) error {
	const per = 100
	var wg sync.WaitGroup
	var firstErr atomic.Value
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				evs := make([]eventstore.Proposed, per)
				for j := range evs {
					evs[j] = proposed(payloadSize)
				}
				if _, err := s.Append(ctx, fmt.Sprintf("fill.s%d", i), eventstore.Any, evs); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for i := 0; i < (total+per-1)/per; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if e, _ := firstErr.Load().(error); e != nil {
		return e
	}
	return nil
}

// Replay reads the whole log through the store's ReadAll (decoding every
// envelope), as a projection rebuild does.
func Replay(ctx context.Context, s eventstore.Store) (Result, error) {
	last, err := s.LastPosition(ctx)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	n := 0
	for from := uint64(1); from <= last; {
		page, err := s.ReadAll(ctx, from, 10000)
		if err != nil {
			return Result{}, err
		}
		if len(page) == 0 {
			break
		}
		n += len(page)
		from = page[len(page)-1].Position + 1
	}
	return result("tasharuk replay (ReadAll, decoded)", n, time.Since(start), nil), nil
}

// ReplaySubscribe reads the whole log through Subscribe (decoding every
// envelope) and stops at the head.
func ReplaySubscribe(ctx context.Context, s eventstore.Store) (Result, error) {
	last, err := s.LastPosition(ctx)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	start := time.Now()
	errDone := fmt.Errorf("done")
	err = s.Subscribe(ctx, 1, func(e eventstore.Event) error {
		n++
		if e.Position >= last {
			return errDone
		}
		return nil
	})
	if err != errDone {
		return Result{}, err
	}
	return result("tasharuk replay (Subscribe, decoded)", n, time.Since(start), nil), nil
}

// Workers runs op per times in each of workers goroutines (op gets the
// worker and the iteration), timing every call, and returns the result
// named name; the first error stops its worker and is returned.
func Workers(name string, workers, per int, op func(w, i int) error) (Result, error) {
	lat := make([][]time.Duration, workers)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				t0 := time.Now()
				if err := op(w, i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if e, _ := firstErr.Load().(error); e != nil {
		return Result{}, e
	}
	return result(name, per*workers, d, flatten(lat)), nil
}

func flatten(l [][]time.Duration) []time.Duration {
	var out []time.Duration
	for _, x := range l {
		out = append(out, x...)
	}
	return out
}

// Options of a full run.
type Options struct {
	Writers     int
	Appends     int
	ReplayTotal int
	PayloadSize int
	// OneStreamAppends is the events of the one-stream run (0: none).
	OneStreamAppends int
	// WritersList, if set, runs the distinct-stream appends once for each
	// writer count (Writers still sets the one-stream writers).
	WritersList []int
	// Designs adds, for each writer count, the commit designs measured at
	// the engine level (designs.go): checked atomic and fast batches of
	// that size, and the one-message-per-commit prototype.
	Designs bool
}

// Yardstick is another database running the same workloads in the same
// run (PostgreSQL: tools/bench/pgbench).
type Yardstick interface {
	Append(ctx context.Context, writers, total, payloadSize int) (Result, error)
	OneStream(ctx context.Context, writers, total, payloadSize int) (Result, error)
	Fill(ctx context.Context, total, payloadSize int) error
	Replay(ctx context.Context) (Result, error)
}

// against returns r compared with base, for a second row of r.
func against(r, base Result) Result {
	Compare(&r, base)
	return r
}

// RunAppend measures, for each writer count, raw sync publish, tasharuk's
// appends to distinct streams and the yardstick's (if any) one after the
// other; then raw atomic batches and the one-stream runs.
func RunAppend(ctx context.Context, s *natsstore.Store, y Yardstick, o Options) ([]Result, error) {
	size := MessageSize(o.PayloadSize)
	var out []Result
	var rawSync Result
	for _, w := range o.writerCounts() {
		var err error
		var pg Result
		rawSync, err = RawSyncPublish(ctx, s.Conn(), w, o.Appends, size)
		if err != nil {
			return nil, fmt.Errorf("raw sync publish: %w", err)
		}
		app, err := Append(ctx, s, w, o.Appends, o.PayloadSize)
		if err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
		out = append(out, rawSync, against(app, rawSync))
		if y != nil {
			pg, err = y.Append(ctx, w, o.Appends, o.PayloadSize)
			if err != nil {
				return nil, fmt.Errorf("yardstick append: %w", err)
			}
			out = append(out, pg, against(app, pg))
		}
		if o.Designs {
			rs, err := runDesigns(ctx, s.Conn(), w, o.Appends, size)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				out = append(out, against(r, rawSync))
				if pg.Name != "" {
					out = append(out, against(r, pg))
				}
			}
		}
	}
	rawBatch, err := RawAtomicBatch(ctx, s.Conn(), 100, o.Appends, size)
	if err != nil {
		return nil, fmt.Errorf("raw atomic batch: %w", err)
	}
	out = append(out, rawBatch)
	if o.OneStreamAppends > 0 {
		one, err := OneStream(ctx, s, o.Writers, o.OneStreamAppends, o.PayloadSize)
		if err != nil {
			return nil, fmt.Errorf("one stream: %w", err)
		}
		out = append(out, against(one, rawSync))
		if y != nil {
			pg, err := y.OneStream(ctx, o.Writers, o.OneStreamAppends, o.PayloadSize)
			if err != nil {
				return nil, fmt.Errorf("yardstick one stream: %w", err)
			}
			out = append(out, pg, against(one, pg))
		}
	}
	return out, nil
}

// writerCounts is WritersList, or Writers alone.
func (o Options) writerCounts() []int {
	if len(o.WritersList) > 0 {
		return o.WritersList
	}
	return []int{o.Writers}
}

// RunReplay fills the log to o.ReplayTotal events if needed and measures
// replay beside the raw ordered consumer.
func RunReplay(ctx context.Context, s *natsstore.Store, y Yardstick, o Options) ([]Result, error) {
	last, err := s.LastPosition(ctx)
	if err != nil {
		return nil, err
	}
	if missing := o.ReplayTotal - int(last); missing > 0 {
		if err := Fill(ctx, s, missing, o.PayloadSize); err != nil {
			return nil, fmt.Errorf("fill: %w", err)
		}
	}
	raw, err := RawOrderedConsume(ctx, s.Conn(), s.StreamName())
	if err != nil {
		return nil, fmt.Errorf("raw ordered consumer: %w", err)
	}
	rep, err := Replay(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	sub, err := ReplaySubscribe(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("replay by subscription: %w", err)
	}
	out := []Result{raw, against(rep, raw), against(sub, raw)}
	if y != nil {
		// As many rows as the log holds events.
		if err := y.Fill(ctx, rep.Ops, o.PayloadSize); err != nil {
			return nil, fmt.Errorf("yardstick fill: %w", err)
		}
		pg, err := y.Replay(ctx)
		if err != nil {
			return nil, fmt.Errorf("yardstick replay: %w", err)
		}
		out = append(out, pg, against(sub, pg), against(rep, pg))
	}
	return out, nil
}
