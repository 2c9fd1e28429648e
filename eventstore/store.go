package eventstore

import (
	"context"
	"errors"
	"fmt"
)

// Store is the event log. Implementations are safe for concurrent use.
type Store interface {
	// Append records events at the end of one stream, atomically: all are
	// recorded or none. expected says what the caller believes of the
	// stream; a mismatch fails with a *WrongExpectedRevisionError. Appending
	// events whose ids were already appended by the same request returns the
	// original result and records nothing new.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events []Proposed) (AppendResult, error)
	// AppendMulti records events on several distinct streams in one
	// atomic commit: all are recorded or none. Each stream's expectation is
	// checked; a mismatch on any fails the whole commit with a
	// *WrongExpectedRevisionError naming that stream. Results are in the
	// order of appends; each stream's events chain onto that stream's head.
	// A backend that cannot commit several streams atomically returns
	// ErrMultiStreamUnsupported and records nothing (the caller falls back
	// to appends one stream at a time).
	AppendMulti(ctx context.Context, appends []StreamAppend) ([]AppendResult, error)
	// ReadStream returns up to limit events of one stream from revision from
	// (inclusive), in order. It fails with ErrStreamNotFound when the stream
	// has no events. limit <= 0 means all.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]Event, error)
	// ReadAll returns up to limit events of the whole log from position from
	// (inclusive; positions start at 1), in global order.
	ReadAll(ctx context.Context, from uint64, limit int) ([]Event, error)
	// Subscribe delivers every event from position from (inclusive) to
	// handle, in global order and once each: first the events already
	// recorded, then new ones as they are recorded. It returns when ctx ends
	// (with ctx's error) or when handle returns an error (with that error).
	Subscribe(ctx context.Context, from uint64, handle func(Event) error) error
	// LastPosition returns the position of the last recorded event, 0 for an
	// empty log.
	LastPosition(ctx context.Context) (uint64, error)
	// Close releases the store's resources.
	Close() error
}

// StreamAppend is one stream's part of an AppendMulti.
type StreamAppend struct {
	Stream   string
	Expected ExpectedRevision
	Events   []Proposed
}

// ValidateAppendMulti checks an AppendMulti's input: at least one part,
// distinct streams, each part a valid append, no event id twice.
func ValidateAppendMulti(appends []StreamAppend) error {
	if len(appends) == 0 {
		return fmt.Errorf("%w: no streams to append to", ErrInvalidEvent)
	}
	streams := make(map[string]struct{}, len(appends))
	ids := make(map[string]struct{})
	total := 0
	for _, a := range appends {
		if err := ValidateAppend(a.Stream, a.Events); err != nil {
			return err
		}
		if _, dup := streams[a.Stream]; dup {
			return fmt.Errorf("%w: stream %s appears twice in one multi-stream append", ErrInvalidStream, a.Stream)
		}
		streams[a.Stream] = struct{}{}
		for _, e := range a.Events {
			if _, dup := ids[e.ID]; dup {
				return fmt.Errorf("%w: event id %s appears twice in one append", ErrInvalidEvent, e.ID)
			}
			ids[e.ID] = struct{}{}
		}
		total += len(a.Events)
	}
	if total > MaxAppendEvents {
		return fmt.Errorf("%w: %d events in one append, at most %d", ErrInvalidEvent, total, MaxAppendEvents)
	}
	return nil
}

// AppendResult says where an append landed.
type AppendResult struct {
	// Revision is the stream revision of the last event appended.
	Revision uint64
	// Position is the global position of the last event appended; a reader
	// that waits for this position sees the append (read-your-writes).
	Position uint64
	// Events are the recorded events, with hashes and positions.
	Events []Event
	// Duplicate is true when the events had already been appended and
	// nothing new was recorded.
	Duplicate bool
}

type expectedKind uint8

const (
	expectAny expectedKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// ExpectedRevision is what an appender believes of a stream. The zero value
// is Any.
type ExpectedRevision struct {
	kind expectedKind
	rev  uint64
}

var (
	// Any appends whatever the stream holds.
	Any = ExpectedRevision{kind: expectAny}
	// NoStream appends only if the stream has no events.
	NoStream = ExpectedRevision{kind: expectNoStream}
	// StreamExists appends only if the stream has at least one event.
	StreamExists = ExpectedRevision{kind: expectStreamExists}
)

// Exact appends only if the stream's last event has revision rev.
func Exact(rev uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: rev} }

// IsAny, IsNoStream, IsStreamExists report the special expectations.
func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactRevision returns the revision of an Exact expectation.
func (e ExpectedRevision) ExactRevision() (uint64, bool) { return e.rev, e.kind == expectExact }

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("revision %d", e.rev)
	default:
		return "any"
	}
}

// Matches reports whether a stream whose head is h satisfies e.
func (e ExpectedRevision) Matches(h Head) bool {
	switch e.kind {
	case expectNoStream:
		return !h.Exists
	case expectStreamExists:
		return h.Exists
	case expectExact:
		return h.Exists && h.Revision == e.rev
	default:
		return true
	}
}

// NoRevision is the Actual revision reported for a stream with no events.
const NoRevision int64 = -1

var (
	// ErrWrongExpectedRevision is matched by every *WrongExpectedRevisionError.
	ErrWrongExpectedRevision = errors.New("eventstore: wrong expected revision")
	// ErrStreamNotFound: the stream has no events.
	ErrStreamNotFound = errors.New("eventstore: stream not found")
	// ErrInvalidStream: the stream id is not acceptable.
	ErrInvalidStream = errors.New("eventstore: invalid stream id")
	// ErrInvalidEvent: a proposed event is not acceptable.
	ErrInvalidEvent = errors.New("eventstore: invalid event")
	// ErrDuplicateEventID: an event id is already recorded elsewhere in the log.
	ErrDuplicateEventID = errors.New("eventstore: event id already recorded")
	// ErrChainBroken: an event does not match its hash or its stream's chain.
	ErrChainBroken = errors.New("eventstore: hash chain broken")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("eventstore: store closed")
	// ErrMultiStreamUnsupported: the backend has no atomic commit over
	// several streams (AppendMulti); nothing was recorded.
	ErrMultiStreamUnsupported = errors.New("eventstore: this backend cannot append to several streams atomically")
	// ErrUnavailable: the backend cannot be reached.
	ErrUnavailable = errors.New("eventstore: backend unavailable")
)

// WrongExpectedRevisionError says that a stream was not where the appender
// expected it.
type WrongExpectedRevisionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the revision of the stream's last event, or NoRevision.
	Actual int64
}

func (e *WrongExpectedRevisionError) Error() string {
	actual := "no stream"
	if e.Actual >= 0 {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("eventstore: stream %s: expected %s, found %s", e.Stream, e.Expected, actual)
}

// Is makes errors.Is(err, ErrWrongExpectedRevision) true.
func (e *WrongExpectedRevisionError) Is(target error) bool { return target == ErrWrongExpectedRevision }

// ActualRevision converts a head to the Actual field of a
// WrongExpectedRevisionError.
func ActualRevision(h Head) int64 {
	if !h.Exists {
		return NoRevision
	}
	return int64(h.Revision)
}
