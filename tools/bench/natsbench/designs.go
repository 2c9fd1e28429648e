package natsbench

// Commit designs measured at the engine level (issue 17, acceptance 2):
// what each way of committing W concurrent single-event appends can give
// on the embedded server with SyncAlways, written the way the committer
// would write them. Every message of the batch rows goes to a subject of
// its own with Nats-Expected-Last-Subject-Sequence: 0 and a Nats-Msg-Id,
// as an append to a new stream does, so the server does the same checks
// and deduplication bookkeeping as for the log.
//
//   - raw atomic batch of W, checked: what the committer's group commit
//     costs for a group of W (the server stages the batch in a store of its
//     own before it commits it; see docs/bench.md, "i17-batch"); unchecked:
//     the same batch without the checks and message ids, to tell the
//     batch's fixed cost from the checks' cost per message;
//   - raw fast batch of W, checked: nats-server 2.12+'s non-atomic "fast
//     batch" publish (reply subject <inbox>.<id>.<flow>.<gap>.<seq>.<op>.$FI,
//     stream option AllowBatchPublish), gap mode "ok" so that a failed
//     check refuses only its message; the server stores, and with
//     SyncAlways syncs, each message on its own;
//   - prototype, one message per commit: W writers hand their envelopes to
//     one committer goroutine that publishes everything waiting as ONE
//     message (the "one message per commit carrying its events" design,
//     with the per-stream checks left to that single writer), and answers
//     each writer after the server's acknowledgement. It changes the log's
//     layout and is not the product: the row is the ceiling that design
//     could reach on this engine.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// rawSubjects names a fresh subject for every message of a run.
type rawSubjects struct {
	prefix string
	n      int
}

func newRawSubjects(kind string) *rawSubjects {
	return &rawSubjects{prefix: "bench.raw." + kind + "." + nuid.Next() + "."}
}

func (s *rawSubjects) next() string {
	s.n++
	return s.prefix + strconv.Itoa(s.n)
}

// checkedMsg is a message to a new subject carrying the checks an append to
// a new stream carries.
func checkedMsg(subject string, data []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set("Nats-Msg-Id", nuid.Next())
	m.Header.Set("Nats-Expected-Last-Subject-Sequence", "0")
	return m
}

// batchAck is a publish acknowledgement, or a fast batch's flow message
// (Type "ack", "gap" or "err"; nats-server server/stream.go BatchFlowAck).
type batchAck struct {
	Type   string `json:"type"`
	Stream string `json:"stream"`
	Seq    uint64 `json:"seq"`
	Count  int    `json:"count"`
	Error  *struct {
		Description string `json:"description"`
	} `json:"error"`
}

// RawCheckedAtomicBatch: one publisher, atomic batches of batch checked
// messages (unchecked: the same messages without the check and the
// message id), one batch in flight (the embedded committer's MaxInflight).
// Latencies are per batch: the cost of a group commit of that size.
func RawCheckedAtomicBatch(ctx context.Context, nc *nats.Conn, batch, total, size int, checked bool) (Result, error) {
	if _, err := ensureRawStream(ctx, nc); err != nil {
		return Result{}, err
	}
	data := make([]byte, size)
	subjects := newRawSubjects("atomic")
	n := max(total/batch, 1)
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for range n {
		t0 := time.Now()
		id := nuid.Next()
		for i := 1; i <= batch; i++ {
			m := nats.NewMsg(subjects.next())
			m.Data = data
			if checked {
				m = checkedMsg(m.Subject, data)
			}
			m.Header.Set("Nats-Batch-Id", id)
			m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i))
			if i < batch {
				if err := nc.PublishMsg(m); err != nil {
					return Result{}, err
				}
				continue
			}
			m.Header.Set("Nats-Batch-Commit", "1")
			ack, err := requestAck(ctx, nc, m)
			if err != nil {
				return Result{}, fmt.Errorf("atomic batch: %w", err)
			}
			if ack.Count != batch {
				return Result{}, fmt.Errorf("atomic batch of %d acknowledged as %d", batch, ack.Count)
			}
		}
		lat = append(lat, time.Since(t0))
	}
	what := "checked"
	if !checked {
		what = "unchecked"
	}
	return result(fmt.Sprintf("raw atomic batch of %d, %s, 1 publisher (p50/p99 per batch)", batch, what), n*batch, time.Since(start), lat), nil
}

func requestAck(ctx context.Context, nc *nats.Conn, m *nats.Msg) (batchAck, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	reply, err := nc.RequestMsgWithContext(rctx, m)
	if err != nil {
		return batchAck{}, err
	}
	var ack batchAck
	if err := json.Unmarshal(reply.Data, &ack); err != nil {
		return batchAck{}, fmt.Errorf("unreadable acknowledgement %q: %w", reply.Data, err)
	}
	if ack.Error != nil {
		return batchAck{}, fmt.Errorf("refused: %s", ack.Error.Description)
	}
	return ack, nil
}

// Fast batch operations, the last field but one of the reply subject
// (nats-server server/stream.go FastBatchOpStart...).
const (
	fastOpStart  = 0
	fastOpAppend = 1
	fastOpCommit = 2
)

// RawFastBatch: one publisher, fast (non-atomic) batches of batch checked
// messages, one batch in flight, gap mode "ok", the server asked for one
// flow acknowledgement per batch. Latencies are per batch.
func RawFastBatch(ctx context.Context, nc *nats.Conn, batch, total, size int) (Result, error) {
	if _, err := ensureRawStream(ctx, nc); err != nil {
		return Result{}, err
	}
	inbox := nats.NewInbox()
	acks := make(chan *nats.Msg, 4*batch+16)
	sub, err := nc.ChanSubscribe(inbox+".>", acks)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	data := make([]byte, size)
	subjects := newRawSubjects("fast")
	n := max(total/batch, 1)
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for range n {
		t0 := time.Now()
		id := nuid.Next()
		for i := 1; i <= batch; i++ {
			op := fastOpAppend
			switch {
			case i == batch:
				op = fastOpCommit
			case i == 1:
				op = fastOpStart
			}
			m := checkedMsg(subjects.next(), data)
			m.Reply = fmt.Sprintf("%s.%s.%d.ok.%d.%d.$FI", inbox, id, batch, i, op)
			if err := nc.PublishMsg(m); err != nil {
				return Result{}, err
			}
		}
		if err := awaitFastCommit(ctx, acks, batch); err != nil {
			return Result{}, fmt.Errorf("fast batch: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	return result(fmt.Sprintf("raw fast batch of %d, checked, 1 publisher (p50/p99 per batch)", batch), n*batch, time.Since(start), lat), nil
}

// awaitFastCommit reads flow messages until the batch's acknowledgement.
func awaitFastCommit(ctx context.Context, acks <-chan *nats.Msg, batch int) error {
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case m := <-acks:
			var ack batchAck
			if err := json.Unmarshal(m.Data, &ack); err != nil {
				return fmt.Errorf("unreadable flow message %q: %w", m.Data, err)
			}
			switch {
			case ack.Type == "ack":
				continue
			case ack.Type != "" || ack.Error != nil:
				return fmt.Errorf("flow message %s", m.Data)
			case ack.Count != batch:
				return fmt.Errorf("batch of %d acknowledged as %d: %s", batch, ack.Count, m.Data)
			}
			return nil
		case <-timeout.C:
			return errors.New("no acknowledgement in 10 s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// protoMaxCommit bounds the bytes of one prototype commit (the embedded
// server's payload limit is larger; a real design would bound it too).
const protoMaxCommit = 512 << 10

// PrototypeOneMessagePerCommit: writers goroutines, each handing total/
// writers envelopes of size bytes, one at a time, to a single committer
// that publishes all waiting envelopes (length-prefixed) as one message on
// one subject, with Nats-Expected-Last-Subject-Sequence set to its own
// previous commit (the single writer fencing the log against others), up
// to inflight commits at once, and answers each writer when the server has
// acknowledged its commit. Latencies are per append.
//
// Commits are published in order from the committer goroutine; the server
// answers them in that order, so one reader matches acknowledgements to
// commits first in, first out.
func PrototypeOneMessagePerCommit(ctx context.Context, nc *nats.Conn, writers, total, size, inflight int) (Result, error) {
	if _, err := ensureRawStream(ctx, nc); err != nil {
		return Result{}, err
	}
	// The first message opens the subject; from there on the committer
	// knows where each of its commits lands (nothing else writes it).
	subject := "bench.raw.commits." + nuid.Next()
	opened, err := requestAck(ctx, nc, checkedMsg(subject, nil))
	if err != nil {
		return Result{}, err
	}
	inbox := nats.NewInbox()
	// Up to inflight commits wait in sent and one more with the reader:
	// the channel must hold all their acknowledgements, or the client
	// drops one (slow consumer) and the next is taken for it.
	replies := make(chan *nats.Msg, 2*inflight+8)
	sub, err := nc.ChanSubscribe(inbox, replies)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = sub.Unsubscribe() }()

	type envelope struct {
		data []byte
		done chan error
	}
	type commit struct {
		group []envelope
		seq   uint64
	}
	queue := make(chan envelope, writers)
	sent := make(chan commit, inflight)
	stop := make(chan struct{})
	var failed atomic.Value
	// The acknowledgement reader: answers each commit's writers.
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		for c := range sent {
			var err error
			select {
			case m := <-replies:
				var ack batchAck
				switch {
				case json.Unmarshal(m.Data, &ack) != nil:
					err = fmt.Errorf("unreadable acknowledgement %q", m.Data)
				case ack.Error != nil:
					err = fmt.Errorf("commit expected at %d refused: %s", c.seq, ack.Error.Description)
				case ack.Seq != c.seq:
					err = fmt.Errorf("commit stored at %d, expected at %d", ack.Seq, c.seq)
				}
			case <-time.After(10 * time.Second):
				err = fmt.Errorf("commit expected at %d: no acknowledgement in 10 s", c.seq)
			}
			if err != nil {
				failed.CompareAndSwap(nil, err)
			}
			for _, e := range c.group {
				e.done <- err
			}
		}
	}()
	// The committer.
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		defer close(sent)
		last := opened.Seq
		for {
			var first envelope
			select {
			case first = <-queue:
			case <-stop:
				return
			}
			group := []envelope{first}
			bytes := len(first.data)
		take:
			for bytes < protoMaxCommit {
				select {
				case e := <-queue:
					group = append(group, e)
					bytes += len(e.data)
				default:
					break take
				}
			}
			body := make([]byte, 0, bytes+4*len(group))
			for _, e := range group {
				body = binary.BigEndian.AppendUint32(body, uint32(len(e.data)))
				body = append(body, e.data...)
			}
			m := nats.NewMsg(subject)
			m.Data = body
			m.Reply = inbox
			m.Header.Set("Nats-Msg-Id", nuid.Next())
			m.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(last, 10))
			// Blocks while inflight commits await their acknowledgement:
			// meanwhile the queue fills and the next commit is larger.
			sent <- commit{group: group, seq: last + 1}
			if err := nc.PublishMsg(m); err != nil {
				failed.CompareAndSwap(nil, err)
			}
			last++
		}
	}()
	data := make([]byte, size)
	r, err := Workers(fmt.Sprintf("prototype, one message per commit, %d writers, %d in flight", writers, inflight), writers, total/writers, func(int, int) error {
		done := make(chan error, 1)
		queue <- envelope{data: data, done: done}
		return <-done
	})
	close(stop)
	<-committed
	<-answered
	if e, _ := failed.Load().(error); e != nil && err == nil {
		err = e
	}
	return r, err
}

// runDesigns measures the commit designs for writers concurrent appends.
func runDesigns(ctx context.Context, nc *nats.Conn, writers, total, size int) ([]Result, error) {
	var out []Result
	for _, checked := range []bool{true, false} {
		ab, err := RawCheckedAtomicBatch(ctx, nc, writers, total, size, checked)
		if err != nil {
			return nil, fmt.Errorf("raw atomic batch of %d: %w", writers, err)
		}
		out = append(out, ab)
	}
	fb, err := RawFastBatch(ctx, nc, writers, total, size)
	if err != nil {
		return nil, fmt.Errorf("raw fast batch: %w", err)
	}
	out = append(out, fb)
	for _, inflight := range []int{1, 4} {
		p, err := PrototypeOneMessagePerCommit(ctx, nc, writers, total, size, inflight)
		if err != nil {
			return nil, fmt.Errorf("prototype one message per commit: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}
