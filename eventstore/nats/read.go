package natsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/eventstore"
)

// maxPage bounds the messages one direct-get request returns.
const maxPage = 10000

// directGetRequest is the body of a JetStream direct get
// ($JS.API.DIRECT.GET.<stream>) as nats-server reads it.
type directGetRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	NextFor string `json:"next_by_subj,omitempty"`
	Batch   int    `json:"batch,omitempty"`
	UpToSeq uint64 `json:"up_to_seq,omitempty"`
}

type rawMsg struct {
	seq  uint64
	data []byte
}

// directBatch runs one batched direct get and collects the messages up to
// the end-of-batch marker.
func (s *Store) directBatch(ctx context.Context, req directGetRequest) ([]rawMsg, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	s.stats.Reads.Add(1)
	inbox := s.nc.NewRespInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+s.cfg.Stream, inbox, body); err != nil {
		return nil, fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
	}
	var out []rawMsg
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: direct get: %v", eventstore.ErrUnavailable, err)
		}
		if len(m.Data) == 0 && m.Header != nil {
			switch status := m.Header.Get("Status"); status {
			case "204", "404":
				// End of batch, or nothing at all from that point.
				return out, nil
			case "":
			default:
				return nil, fmt.Errorf("natsstore: direct get failed: %s %s", status, m.Header.Get("Description"))
			}
		}
		seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("natsstore: direct get: bad sequence header: %w", err)
		}
		out = append(out, rawMsg{seq: seq, data: m.Data})
		s.stats.ReadMsgs.Add(1)
	}
}

// ReadStream implements eventstore.Store. From revision 0 it asks the
// server for the subject's first message; from a later revision it locates
// that revision's sequence from the stream's head (see locate), so reading
// the tail of a long stream does not page through its beginning. Pages are
// sized to the limit.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	if err := eventstore.ValidateStreamID(stream); err != nil {
		return nil, err
	}
	subject := s.subject(stream)
	// A replica answering the read must hold at least what this process
	// knows to be the stream's head.
	h, cached := s.heads.Get(stream)
	var want uint64
	if cached && h.Exists {
		want = h.seq
	}
	seq := uint64(1)
	if from > 0 {
		if !cached || !h.Exists || h.Revision < from {
			var err error
			if h, err = s.readHeadAtLeast(ctx, subject, want); err != nil {
				return nil, err
			}
		}
		if !h.Exists {
			return nil, fmt.Errorf("%w: %s", eventstore.ErrStreamNotFound, stream)
		}
		if from > h.Revision {
			return nil, nil
		}
		want = max(want, h.seq)
		var err error
		if seq, err = s.locate(ctx, subject, h, from); err != nil {
			return nil, err
		}
	}
	var out []eventstore.Event
	var lastSeen uint64
	for {
		page := maxPage
		if limit > 0 {
			page = min(page, limit-len(out))
		}
		msgs, err := s.readConsistent(ctx, directGetRequest{Seq: seq, NextFor: subject, Batch: page}, want, lastSeen)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			lastSeen = m.seq
			e, err := eventstore.UnmarshalStored(m.data, m.seq)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if len(msgs) < page || (limit > 0 && len(out) >= limit) {
			break
		}
		seq = msgs[len(msgs)-1].seq + 1
	}
	if len(out) == 0 && from == 0 {
		return nil, fmt.Errorf("%w: %s", eventstore.ErrStreamNotFound, stream)
	}
	return out, nil
}

// readConsistent runs a direct get and, on a replicated stream, retries for
// a while when the replica that answered has not yet seen position want.
func (s *Store) readConsistent(ctx context.Context, req directGetRequest, want, seenBefore uint64) ([]rawMsg, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		msgs, err := s.directBatch(ctx, req)
		if err != nil {
			return nil, err
		}
		if s.cfg.Replicas == 1 || want == 0 || want < req.Seq {
			return msgs, nil
		}
		last := seenBefore
		if len(msgs) > 0 {
			last = msgs[len(msgs)-1].seq
		}
		if last >= want || len(msgs) == req.Batch || time.Now().After(deadline) {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Event, error) {
	if from == 0 {
		from = 1
	}
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	msgs, err := s.readConsistent(ctx, directGetRequest{Seq: from, Batch: limit}, s.lastWritten.Load(), 0)
	if err != nil {
		return nil, err
	}
	out := make([]eventstore.Event, 0, len(msgs))
	for _, m := range msgs {
		e, err := eventstore.UnmarshalStored(m.data, m.seq)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Subscribe implements eventstore.Store with an ordered consumer: the
// server delivers the log in order from the start position, then follows it
// live; the client library recreates the consumer after any gap.
func (s *Store) Subscribe(ctx context.Context, from uint64, handle func(eventstore.Event) error) error {
	if from == 0 {
		from = 1
	}
	cons, err := s.js.OrderedConsumer(ctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.cfg.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: create subscription: %v", eventstore.ErrUnavailable, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		return fmt.Errorf("%w: start subscription: %v", eventstore.ErrUnavailable, err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		it.Stop()
	}()
	next := from
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return eventstore.ErrClosed
			}
			return fmt.Errorf("natsstore: subscription: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("natsstore: subscription metadata: %w", err)
		}
		seq := meta.Sequence.Stream
		if seq < next {
			// Redelivery after the ordered consumer was recreated.
			continue
		}
		e, err := eventstore.UnmarshalStored(msg.Data(), seq)
		if err != nil {
			return err
		}
		next = seq + 1
		if err := handle(e); err != nil {
			return err
		}
	}
}

// ReadAt returns the event at one position with a single direct get (one
// request and reply, no subscription), for point lookups such as proofs.
func (s *Store) ReadAt(ctx context.Context, position uint64) (eventstore.Event, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	msg, err := s.stream.GetMsg(ctx, position)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return eventstore.Event{}, fmt.Errorf("%w: no event at position %d", eventstore.ErrStreamNotFound, position)
	}
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("%w: read position %d: %v", eventstore.ErrUnavailable, position, err)
	}
	return eventstore.UnmarshalStored(msg.Data, msg.Sequence)
}
