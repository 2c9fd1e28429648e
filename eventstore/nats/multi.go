package natsstore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/tasharuk/tasharuk/eventstore"
)

// AppendMulti implements eventstore.Store: the parts go out as one
// JetStream atomic batch, each part's first message carrying its subject's
// expected last sequence (Nats-Expected-Last-Subject-Sequence, which
// nats-server 2.12+ checks per subject inside a batch: see
// server/jetstream_batching.go, checkMsgHeadersPreClusteredProposal), so
// the server records all of them or none. The committer groups it with
// other appends like any append, as one unit: a failed group is split and
// retried unit by unit, never part by part.
//
// The parts' streams are locked in name order (no deadlock with other
// multi-stream appends); their heads come from the cache, or, for a stream
// expected not to exist and not remembered, from the server's own check.
// A refused batch is decided again from fresh heads: a part whose
// expectation fails gives a *WrongExpectedRevisionError naming its stream;
// if every part is already recorded (a retry of a commit that landed), the
// original results are returned.
func (s *Store) AppendMulti(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppendMulti(appends); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, eventstore.ErrClosed
	}
	if len(appends) == 1 {
		a := appends[0]
		res, err := s.Append(ctx, a.Stream, a.Expected, a.Events)
		if err != nil {
			return nil, err
		}
		return []eventstore.AppendResult{res}, nil
	}
	s.stats.Appends.Add(1)
	order := make([]int, len(appends))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return appends[order[a]].Stream < appends[order[b]].Stream })
	for _, i := range order {
		unlock := s.locks.Lock(appends[i].Stream)
		defer unlock()
	}

	heads := make([]cachedHead, len(appends))
	fresh := false
	for attempt := 0; ; attempt++ {
		for i, a := range appends {
			h, ok := s.heads.Get(a.Stream)
			if !ok && !fresh && a.Expected.IsNoStream() {
				ok = true
			}
			if !ok || fresh {
				var err error
				if h, err = s.readHead(ctx, s.subject(a.Stream)); err != nil {
					return nil, err
				}
			}
			heads[i] = h
		}
		if err := s.multiExpectations(ctx, appends, heads, fresh); err != nil {
			if errors.Is(err, errStaleHeads) {
				fresh = true
				continue
			}
			return s.multiRecorded(ctx, appends, heads, err)
		}
		sealed := make([][]eventstore.Event, len(appends))
		reqs := make([]*commitReq, len(appends))
		total := 0
		for i, a := range appends {
			sealed[i] = eventstore.Seal(a.Stream, heads[i].Head, a.Events, s.cfg.Now())
			r := &commitReq{subject: s.subject(a.Stream), expectSeq: heads[i].seq}
			for j := range sealed[i] {
				b, err := eventstore.MarshalStored(&sealed[i][j])
				if err != nil {
					return nil, fmt.Errorf("natsstore: encode event: %w", err)
				}
				r.msgs = append(r.msgs, b)
				r.ids = append(r.ids, sealed[i][j].ID)
			}
			reqs[i] = r
			total += len(r.msgs)
		}
		s.committer.coming.Add(1)
		lastSeq, err := s.committer.submit(ctx, &commitReq{parts: reqs, announced: true})
		var wrong *wrongLastSeqError
		switch {
		case err == nil:
		case errors.As(err, &wrong):
			// Another process wrote one of the streams: decide again from
			// fresh heads (the expectation may still hold, for Any).
			for _, a := range appends {
				s.heads.Forget(a.Stream)
			}
			fresh = true
			if attempt+1 >= maxAppendAttempts {
				return nil, fmt.Errorf("natsstore: multi-stream append kept losing races after %d attempts: %w", attempt+1, err)
			}
			continue
		case errors.Is(err, errDuplicateMsgID):
			for i, a := range appends {
				s.heads.Forget(a.Stream)
				if heads[i], err = s.readHead(ctx, s.subject(a.Stream)); err != nil {
					return nil, err
				}
			}
			return s.multiRecorded(ctx, appends, heads, fmt.Errorf("%w: %v", eventstore.ErrDuplicateEventID, err))
		default:
			for _, a := range appends {
				s.heads.Forget(a.Stream)
			}
			return nil, err
		}
		// Sequences are assigned in batch order.
		seq := lastSeq - uint64(total)
		results := make([]eventstore.AppendResult, len(appends))
		for i, a := range appends {
			for j := range sealed[i] {
				seq++
				sealed[i][j].Position = seq
			}
			last := sealed[i][len(sealed[i])-1]
			s.heads.Put(a.Stream, cachedHead{Head: eventstore.Head{Exists: true, Revision: last.Revision, Hash: last.Hash, LastID: last.ID}, seq: seq})
			results[i] = eventstore.AppendResult{Revision: last.Revision, Position: seq, Events: sealed[i]}
		}
		s.noteWritten(lastSeq)
		s.stats.Events.Add(uint64(total))
		return results, nil
	}
}

var errStaleHeads = errors.New("natsstore: remembered heads may be stale")

// multiExpectations checks each part's expectation against its head. A
// remembered head that contradicts one may be stale: errStaleHeads asks
// for fresh heads (unless they are fresh, or the contradiction is proven).
func (s *Store) multiExpectations(_ context.Context, appends []eventstore.StreamAppend, heads []cachedHead, fresh bool) error {
	for i, a := range appends {
		h := heads[i]
		if a.Expected.Matches(h.Head) && !(h.Exists && h.LastID == a.Events[len(a.Events)-1].ID) {
			continue
		}
		if !fresh && !provenStale(a.Expected, h, len(a.Events)) {
			s.heads.Forget(a.Stream)
			return errStaleHeads
		}
		if !a.Expected.Matches(h.Head) {
			s.stats.Conflicts.Add(1)
			return &eventstore.WrongExpectedRevisionError{Stream: a.Stream, Expected: a.Expected, Actual: eventstore.ActualRevision(h.Head)}
		}
		return fmt.Errorf("%w: stream %s already ends with event %s", eventstore.ErrDuplicateEventID, a.Stream, h.LastID)
	}
	return nil
}

// multiRecorded returns the original results when every part is already
// recorded where its expectation put it (a retried commit that landed),
// and failure otherwise.
func (s *Store) multiRecorded(ctx context.Context, appends []eventstore.StreamAppend, heads []cachedHead, failure error) ([]eventstore.AppendResult, error) {
	results := make([]eventstore.AppendResult, len(appends))
	for i, a := range appends {
		res, found, err := s.findRecorded(ctx, a.Stream, a.Expected, heads[i], a.Events)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, failure
		}
		res.Duplicate = true
		results[i] = res
	}
	return results, nil
}
