package natsstore

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
)

// findRecorded is eventstore.FindRecorded at the cost of a few small reads
// whatever the stream's length. The earlier request, if it landed, put its
// events at revisions from..from+n-1 (see eventstore.FindRecorded for
// where), and one append's messages are consecutive in the log (one
// publish or one atomic batch). So:
//   - when those revisions end at the head, the head's last id settles it
//     with no read (the common conflict: someone else wrote the revision the
//     caller expected to write), and the events are the n messages ending at
//     the head's sequence;
//   - when they end before the head, the first one is located from the head
//     (locate) and n messages are read from there.
func (s *Store) findRecorded(ctx context.Context, stream string, expected eventstore.ExpectedRevision, head cachedHead, events []eventstore.Proposed) (eventstore.AppendResult, bool, error) {
	n := uint64(len(events))
	if !head.Exists || n == 0 {
		return eventstore.AppendResult{}, false, nil
	}
	var from uint64
	switch rev, exact := expected.ExactRevision(); {
	case expected.IsNoStream():
		from = 0
	case exact:
		from = rev + 1
	default:
		// Any / StreamExists: only a retry whose events are still the
		// stream's last ones is recognised; the server's duplicate window
		// covers the rest.
		if head.Revision+1 < n {
			return eventstore.AppendResult{}, false, nil
		}
		from = head.Revision + 1 - n
	}
	end := from + n - 1
	if end > head.Revision {
		return eventstore.AppendResult{}, false, nil
	}
	subject := s.subject(stream)
	var seq uint64
	if end == head.Revision {
		if head.LastID != events[n-1].ID || head.seq < n {
			return eventstore.AppendResult{}, false, nil
		}
		seq = head.seq - n + 1
	} else {
		var err error
		if seq, err = s.locate(ctx, subject, head, from); err != nil {
			return eventstore.AppendResult{}, false, err
		}
	}
	msgs, err := s.readConsistent(ctx, directGetRequest{Seq: seq, NextFor: subject, Batch: int(n)}, head.seq, 0)
	if err != nil {
		return eventstore.AppendResult{}, false, err
	}
	got := make([]eventstore.Event, 0, len(msgs))
	for _, m := range msgs {
		e, err := eventstore.UnmarshalStored(m.data, m.seq)
		if err != nil {
			return eventstore.AppendResult{}, false, err
		}
		got = append(got, e)
	}
	if uint64(len(got)) != n {
		return eventstore.AppendResult{}, false, nil
	}
	for i := range got {
		if got[i].ID != events[i].ID || got[i].Revision != from+uint64(i) {
			return eventstore.AppendResult{}, false, nil
		}
	}
	last := got[len(got)-1]
	return eventstore.AppendResult{Revision: last.Revision, Position: last.Position, Events: got, Duplicate: true}, true, nil
}
