package eventstore

import (
	"context"
	"errors"
)

// StreamReader reads one stream; every Store is one.
type StreamReader interface {
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]Event, error)
}

// FindRecorded looks for events an earlier, identical request already
// appended, so that a retried append returns the original result instead of
// failing or appending twice. head is the stream's current head. It looks
// where the earlier request would have put them: right after the expected
// revision for NoStream and Exact, and at the end of the stream for Any and
// StreamExists. It reports found=false when the events are not all there,
// in the same order.
func FindRecorded(ctx context.Context, r StreamReader, stream string, expected ExpectedRevision, head Head, events []Proposed) (AppendResult, bool, error) {
	if !head.Exists || len(events) == 0 {
		return AppendResult{}, false, nil
	}
	var from uint64
	switch {
	case expected.IsNoStream():
		from = 0
	case expected.kind == expectExact:
		from = expected.rev + 1
	default:
		// Any / StreamExists: only a retry whose events are still the
		// stream's last ones is recognised here; backends add their own
		// deduplication window for the rest.
		if head.LastID != events[len(events)-1].ID || head.Revision+1 < uint64(len(events)) {
			return AppendResult{}, false, nil
		}
		from = head.Revision + 1 - uint64(len(events))
	}
	if from > head.Revision {
		return AppendResult{}, false, nil
	}
	got, err := r.ReadStream(ctx, stream, from, len(events))
	if errors.Is(err, ErrStreamNotFound) {
		return AppendResult{}, false, nil
	}
	if err != nil {
		return AppendResult{}, false, err
	}
	if len(got) != len(events) {
		return AppendResult{}, false, nil
	}
	for i := range got {
		if got[i].ID != events[i].ID {
			return AppendResult{}, false, nil
		}
	}
	last := got[len(got)-1]
	return AppendResult{Revision: last.Revision, Position: last.Position, Events: got, Duplicate: true}, true, nil
}
