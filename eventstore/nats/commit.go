package natsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/tasharuk/tasharuk/eventstore"
)

// JetStream headers and error codes used by the committer (nats-server
// 2.12+; see server/stream.go and server/jetstream_errors_generated.go).
const (
	hdrMsgID          = "Nats-Msg-Id"
	hdrExpectedSubSeq = "Nats-Expected-Last-Subject-Sequence"
	hdrBatchID        = "Nats-Batch-Id"
	hdrBatchSeq       = "Nats-Batch-Sequence"
	hdrBatchCommit    = "Nats-Batch-Commit"

	errCodeWrongLastSeq         = 10071
	errCodeWrongLastSeqConstant = 10164
	errCodeBatchDuplicateMsgID  = 10201
	errCodeDuplicateInProcess   = 10158
)

// commitTimeout bounds one commit round trip. It is independent of the
// callers' contexts because one batch carries many callers' appends. A
// commit sent to a stream leader that dies gets no answer; this is how long
// its appends wait before they fail (and may be retried: the retry is
// recognised if the first attempt did land).
const commitTimeout = 5 * time.Second

var errDuplicateMsgID = errors.New("natsstore: message id already in the log")

// wrongLastSeqError: the subject's last sequence was not the expected one.
type wrongLastSeqError struct{ actual uint64 }

func (e *wrongLastSeqError) Error() string {
	return fmt.Sprintf("natsstore: subject's last sequence is %d", e.actual)
}

// apiError is a JetStream API error from a publish acknowledgement.
type apiError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

type pubAck struct {
	Stream    string    `json:"stream"`
	Seq       uint64    `json:"seq"`
	Duplicate bool      `json:"duplicate,omitempty"`
	Batch     string    `json:"batch,omitempty"`
	Count     int       `json:"count,omitempty"`
	Error     *apiError `json:"error,omitempty"`
}

// commitReq is one append's messages: all go into the same batch, the first
// carrying the expected-last-subject-sequence check.
type commitReq struct {
	subject   string
	expectSeq uint64
	msgs      [][]byte
	ids       []string
	done      chan commitRes
	// parts, when set, make this request a multi-stream append: its parts
	// (each a subject with its messages and check; subject and msgs of
	// the request itself are empty) go into the same batch, together,
	// and are never split when a batch is retried.
	parts []*commitReq
	// announced: the appender counted itself in committer.coming before
	// preparing the request; submit uncounts it once it is queued.
	announced bool
}

// count is the request's messages.
func (r *commitReq) count() int {
	if r.parts == nil {
		return len(r.msgs)
	}
	n := 0
	for _, p := range r.parts {
		n += len(p.msgs)
	}
	return n
}

// flat is the request's single-subject parts.
func (r *commitReq) flat() []*commitReq {
	if r.parts == nil {
		return []*commitReq{r}
	}
	return r.parts
}

type commitRes struct {
	lastSeq uint64
	err     error
	// part is, for a refused group's check, the part that failed.
	part int
}

// committer packs concurrent appends into atomic batches (group commit).
// One goroutine collects requests; up to maxInflight commits run at once.
// While commits are in flight, new requests queue and form the next batch,
// so the batch size follows the load.
//
// An atomic batch has a fixed cost (the server stages it in a store of its
// own, made and removed per batch: about 1.5-5 ms on one replica, see
// doc.go) that a lone append should not pay. A
// one-message append that arrives while no batch is in flight and fewer
// than maxPlain appends are in flight or on their way is therefore sent at
// once as a plain publish with its expected-sequence check (pipelined on the connection
// with the others); the server syncs each, which costs less than a batch
// for a handful of messages. Under load a batch is in flight, so appends
// queue and group. The committer lingers for more only when more are known
// to be coming (appenders preparing a request) or the last commit was a
// batch of more than a few (load).
type committer struct {
	nc *nats.Conn
	// lastSeq reads a subject's last stream sequence (0: none), to find
	// which appends of a failed batch really conflicted.
	lastSeq  func(ctx context.Context, subject string) (uint64, error)
	stats    *Stats
	maxBatch int
	maxPlain int
	linger   time.Duration
	// coming counts appenders preparing a request (after their head check,
	// before it is queued): more that are known to be on their way.
	coming atomic.Int64
	// plainInflight counts plain publishes sent alone and not yet answered.
	plainInflight atomic.Int64
	reqs          chan *commitReq
	slots         chan struct{}
	quit          chan struct{}
	wg            sync.WaitGroup
	dispatching   sync.WaitGroup
}

func newCommitter(nc *nats.Conn, lastSeq func(context.Context, string) (uint64, error), stats *Stats, maxBatch, maxPlain, maxInflight int, linger time.Duration) *committer {
	c := &committer{
		nc:       nc,
		lastSeq:  lastSeq,
		stats:    stats,
		maxBatch: maxBatch,
		maxPlain: maxPlain,
		linger:   linger,
		reqs:     make(chan *commitReq),
		slots:    make(chan struct{}, maxInflight),
		quit:     make(chan struct{}),
	}
	c.dispatching.Add(1)
	go c.run()
	return c
}

// submit hands one append to the committer and waits for its outcome.
func (c *committer) submit(ctx context.Context, r *commitReq) (uint64, error) {
	r.done = make(chan commitRes, 1)
	if r.announced {
		defer c.coming.Add(-1)
	}
	select {
	case c.reqs <- r:
	case <-c.quit:
		return 0, eventstore.ErrClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.lastSeq, res.err
	case <-ctx.Done():
		// The commit goes on; a retry with the same event ids is recognised.
		return 0, ctx.Err()
	}
}

func (c *committer) close() {
	close(c.quit)
	c.dispatching.Wait()
	c.wg.Wait()
}

func (c *committer) run() {
	defer c.dispatching.Done()
	var carry *commitReq
	lastBatch := 0
	for {
		var first *commitReq
		if carry != nil {
			first, carry = carry, nil
		} else {
			select {
			case first = <-c.reqs:
			case <-c.quit:
				return
			}
		}
		// A one-message append while no batch is in flight and few others
		// are (plain publishes, appenders preparing theirs) goes out at
		// once, alone: no batch's fixed cost and no waiting for company.
		if first.parts == nil && len(first.msgs) == 1 && len(c.slots) == 0 && c.plainInflight.Load()+c.coming.Load() < int64(c.maxPlain) {
			c.plainInflight.Add(1)
			c.wg.Add(1)
			go func(r *commitReq) {
				defer c.wg.Done()
				seq, err := c.publish([]*commitReq{r})
				c.plainInflight.Add(-1)
				r.done <- commitRes{lastSeq: seq, err: err}
			}(first)
			continue
		}
		// Otherwise wait for a free commit slot: while all slots are busy,
		// requests accumulate and make the next batch larger.
		select {
		case c.slots <- struct{}{}:
		case <-c.quit:
			first.done <- commitRes{err: eventstore.ErrClosed}
			return
		}
		batch := make([]*commitReq, 1, 16)
		batch[0] = first
		n := first.count()
		subjects := map[string]struct{}{}
		for _, p := range first.flat() {
			subjects[p.subject] = struct{}{}
		}
		// Take what is queued; then, if lingering, keep taking requests
		// while they keep coming (gaps shorter than the linger), up to
		// twice the linger in all. Appenders answered by the previous
		// commit come back within that time, so batches fill up.
		var timer *time.Timer
		deadline := time.Now().Add(2 * c.linger)
	collect:
		for n < c.maxBatch {
			var r *commitReq
			select {
			case r = <-c.reqs:
			default:
				wait := time.Until(deadline)
				// Linger only for appends known to be on their way, or
				// under load (the last commit was a batch of more than a
				// few): a lone or occasional appender would only wait.
				if c.linger <= 0 || wait <= 0 || (c.coming.Load() == 0 && lastBatch <= max(c.maxPlain, 1)) {
					break collect
				}
				wait = min(wait, c.linger)
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case r = <-c.reqs:
					timer.Stop()
				case <-timer.C:
					break collect
				}
			}
			dup := false
			for _, p := range r.flat() {
				_, d := subjects[p.subject]
				dup = dup || d
			}
			if dup || n+r.count() > c.maxBatch {
				carry = r
				break collect
			}
			for _, p := range r.flat() {
				subjects[p.subject] = struct{}{}
			}
			batch = append(batch, r)
			n += r.count()
		}
		lastBatch = len(batch)
		c.wg.Add(1)
		go func(batch []*commitReq) {
			defer c.wg.Done()
			c.commit(batch, true)
			<-c.slots
		}(batch)
	}
}

// commit writes a batch and answers each request. When a multi-append batch
// fails, it finds the appends whose check really failed, answers them, and
// commits the others again (once as a batch, then one by one).
func (c *committer) commit(batch []*commitReq, mayRetry bool) {
	lastSeq, err := c.publish(batch)
	if err == nil {
		// Sequences are assigned in batch order.
		seq := lastSeq - uint64(countMsgs(batch))
		for _, r := range batch {
			seq += uint64(r.count())
			r.done <- commitRes{lastSeq: seq}
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- commitRes{err: err}
		return
	}
	c.stats.BatchRetries.Add(1)
	verdicts := c.checkExpectations(batch)
	var keep []*commitReq
	for i, r := range batch {
		if verdicts[i] != nil {
			r.done <- *verdicts[i]
			continue
		}
		keep = append(keep, r)
	}
	if len(keep) == 0 {
		return
	}
	if mayRetry && len(keep) < len(batch) {
		c.commit(keep, false)
		return
	}
	for _, r := range keep {
		c.commit([]*commitReq{r}, false)
	}
}

// maxCheckReads bounds the head reads in flight while a refused group's
// expectations are checked.
const maxCheckReads = 16

// checkExpectations reads the last sequence of every subject in a refused
// group, at the same time (a group of multi-stream appends has a few
// subjects per request), and returns for each request the answer that
// settles it (a read that failed, or its first part whose subject is not
// where it expected), nil for one whose expectations all hold.
func (c *committer) checkExpectations(batch []*commitReq) []*commitRes {
	verdicts := make([]*commitRes, len(batch))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxCheckReads)
	for i, r := range batch {
		for j, p := range r.flat() {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				seq, err := c.lastSeq(context.Background(), p.subject)
				var res *commitRes
				switch {
				case err != nil:
					res = &commitRes{err: err}
				case seq != p.expectSeq:
					res = &commitRes{err: &wrongLastSeqError{actual: seq}}
				default:
					return
				}
				mu.Lock()
				defer mu.Unlock()
				// The first failing part, in the request's order, answers.
				if verdicts[i] == nil || j < verdicts[i].part {
					res.part = j
					verdicts[i] = res
				}
			}()
		}
	}
	wg.Wait()
	return verdicts
}

func countMsgs(batch []*commitReq) int {
	n := 0
	for _, r := range batch {
		n += r.count()
	}
	return n
}

// publish sends the batch and returns the stream sequence of its last
// message. A single message goes as a plain publish; anything more as one
// atomic batch whose last message commits it.
//
// "No responders" means no stream leader took the request — just after the
// stream was created, or during a leader election on a cluster — so nothing
// was stored and the batch is sent again, within the commit timeout.
func (c *committer) publish(batch []*commitReq) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	wait := 20 * time.Millisecond
	for {
		seq, err := c.publishOnce(ctx, batch)
		if !errors.Is(err, nats.ErrNoResponders) {
			return seq, err
		}
		select {
		case <-ctx.Done():
			return 0, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

func (c *committer) publishOnce(ctx context.Context, batch []*commitReq) (uint64, error) {
	nc := c.nc
	total := countMsgs(batch)
	start := time.Now()
	defer func() { c.stats.CommitNanos.Add(uint64(time.Since(start))) }()
	c.stats.Commits.Add(1)
	c.stats.CommittedMsgs.Add(uint64(total))

	if total == 1 {
		r := batch[0].flat()[0]
		m := nats.NewMsg(r.subject)
		m.Data = r.msgs[0]
		m.Header.Set(hdrMsgID, r.ids[0])
		m.Header.Set(hdrExpectedSubSeq, strconv.FormatUint(r.expectSeq, 10))
		reply, err := nc.RequestMsgWithContext(ctx, m)
		if err != nil {
			return 0, fmt.Errorf("%w: publish: %w", eventstore.ErrUnavailable, err)
		}
		return parseAck(reply.Data, 1)
	}

	c.stats.BatchCommits.Add(1)
	id := nuid.Next()
	i := 0
	var parts []*commitReq
	for _, r := range batch {
		parts = append(parts, r.flat()...)
	}
	for _, r := range parts {
		for j, data := range r.msgs {
			i++
			m := nats.NewMsg(r.subject)
			m.Data = data
			m.Header.Set(hdrBatchID, id)
			m.Header.Set(hdrBatchSeq, strconv.Itoa(i))
			m.Header.Set(hdrMsgID, r.ids[j])
			if j == 0 {
				m.Header.Set(hdrExpectedSubSeq, strconv.FormatUint(r.expectSeq, 10))
			}
			if i < total {
				// Staged messages need no answer; a failure among them fails
				// the commit below.
				if err := nc.PublishMsg(m); err != nil {
					return 0, fmt.Errorf("%w: publish batch: %v", eventstore.ErrUnavailable, err)
				}
				continue
			}
			m.Header.Set(hdrBatchCommit, "1")
			reply, err := nc.RequestMsgWithContext(ctx, m)
			if err != nil {
				return 0, fmt.Errorf("%w: commit batch: %w", eventstore.ErrUnavailable, err)
			}
			return parseAck(reply.Data, total)
		}
	}
	return 0, errors.New("natsstore: empty batch")
}

func parseAck(data []byte, count int) (uint64, error) {
	var ack pubAck
	if err := json.Unmarshal(data, &ack); err != nil {
		return 0, fmt.Errorf("natsstore: unreadable acknowledgement %q: %w", data, err)
	}
	if e := ack.Error; e != nil {
		switch e.ErrCode {
		case errCodeWrongLastSeq:
			var actual uint64
			_, _ = fmt.Sscanf(e.Description, "wrong last sequence: %d", &actual)
			return 0, &wrongLastSeqError{actual: actual}
		case errCodeWrongLastSeqConstant:
			return 0, &wrongLastSeqError{}
		case errCodeBatchDuplicateMsgID, errCodeDuplicateInProcess:
			return 0, fmt.Errorf("%w: %s", errDuplicateMsgID, e.Description)
		}
		return 0, fmt.Errorf("natsstore: JetStream refused the write: %s (code %d)", e.Description, e.ErrCode)
	}
	if ack.Duplicate {
		// The server had already stored a message with this id, in a place
		// our concurrency check did not cover.
		return 0, fmt.Errorf("%w at position %d", errDuplicateMsgID, ack.Seq)
	}
	if ack.Count != 0 && ack.Count != count {
		return 0, fmt.Errorf("natsstore: batch of %d acknowledged as %d messages", count, ack.Count)
	}
	return ack.Seq, nil
}

// Publisher group-commits writes to the subjects of one JetStream stream
// that allows atomic publish, the way the event log's appends are: each
// write names the subject's expected last sequence (0 for "no message
// yet"), and concurrent writes share one synced batch. The key store of
// personal data keys uses it so that a signature's two writes (the
// signer's data key, then the signature) both ride group commits.
type Publisher struct {
	c *committer
}

// ErrWrongLastSequence: the subject's last sequence was not the expected
// one (for expected 0: the subject already has a message).
var ErrWrongLastSequence = errors.New("natsstore: subject's last sequence is not the expected one")

// NewPublisher makes a publisher for stream, turning on AllowAtomicPublish
// on it if needed.
func NewPublisher(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, stream string, linger time.Duration) (*Publisher, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("natsstore: publisher for %s: %w", stream, err)
	}
	if cfg := st.CachedInfo().Config; !cfg.AllowAtomicPublish {
		cfg.AllowAtomicPublish = true
		if st, err = js.UpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("natsstore: allow atomic publish on %s: %w", stream, err)
		}
	}
	lastSeq := func(ctx context.Context, subject string) (uint64, error) {
		m, err := st.GetLastMsgForSubject(ctx, subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return m.Sequence, nil
	}
	if linger == 0 {
		linger = time.Millisecond
	}
	return &Publisher{c: newCommitter(nc, lastSeq, &Stats{}, 500, defaultMaxPlain, 1, linger)}, nil
}

// Publish writes data on subject if its last sequence is expectLastSeq,
// with msgID for deduplication, and returns the message's sequence.
func (p *Publisher) Publish(ctx context.Context, subject string, expectLastSeq uint64, msgID string, data []byte) (uint64, error) {
	seq, err := p.c.submit(ctx, &commitReq{subject: subject, expectSeq: expectLastSeq, msgs: [][]byte{data}, ids: []string{msgID}})
	var wrong *wrongLastSeqError
	if errors.As(err, &wrong) {
		return 0, fmt.Errorf("%w: it is %d", ErrWrongLastSequence, wrong.actual)
	}
	return seq, err
}

// Close stops the publisher; writes acknowledged before are durable.
func (p *Publisher) Close() { p.c.close() }
