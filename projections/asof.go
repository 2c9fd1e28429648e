package projections

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// AsOf chooses the past a query looks at.
//
// Position (or a recorded time turned into one with PositionAt) gives what
// the system knew then: only events recorded at or before it count.
// ValidTime gives what was true in the world then: only facts that
// occurred at or before it count, however late they were keyed in (a paper
// deposit recorded a week after it was received). Now is the clock against
// which deadlines are judged; for a look into the past it is the past date.
//
// The read models keep each case's stored events, so an as-of answer folds
// only the cases involved instead of replaying the whole log from a
// snapshot.
type AsOf struct {
	Position  uint64
	ValidTime time.Time
	Now       time.Time
}

// Latest reports whether a looks at the present.
func (a AsOf) Latest() bool { return a.Position == 0 && a.ValidTime.IsZero() }

// Visible says whether a stored event counts as of a, and whether no later
// event of the same case can (the case's events are in log order).
func (a AsOf) Visible(h StoredEvent) (include, stop bool) {
	if a.Position > 0 && h.Position > a.Position {
		return false, true
	}
	if !a.ValidTime.IsZero() && h.OccurredAt.After(a.ValidTime) {
		return false, false
	}
	return true, false
}

// StoredEvent is an event as the log holds it, without decoding: read
// models keep a case's events so as to fold it again as of a past
// position or time.
type StoredEvent struct {
	ID         string
	Type       string
	Version    uint32
	Payload    []byte
	OccurredAt time.Time
	RecordedAt time.Time
	Actor      eventstore.Actor
	Position   uint64
	Revision   uint64
	Hash       []byte
	PrevHash   []byte
}

// Stored keeps an event as the log holds it.
func Stored(e *eventstore.Event) StoredEvent {
	return StoredEvent{ID: e.ID, Type: e.Type, Version: e.SchemaVersion, Payload: e.Payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt,
		Actor: e.Actor, Position: e.Position, Revision: e.Revision, Hash: e.Hash, PrevHash: e.PrevHash}
}

// HistoryEntry is one event of a case with the case's state after it (the
// audit trail of a case; each context's read model writes its own).
type HistoryEntry struct {
	StoredEvent
	StateAfter string
	Summary    string
}

// ErrAsOf: the as-of fields of a query do not go together.
var ErrAsOf = errors.New("projections: give as_of_position or as_of_time, not both")

// Resolve turns a query's as-of fields into an AsOf: the position (from
// as_of_position, or as_of_time's last recorded position) and the clock
// deadlines are judged against (valid_time, else as_of_time, else the
// recording time of as_of_position, else now).
func (r *Runner) Resolve(position uint64, asOfTime, validTime, now time.Time) (AsOf, error) {
	if position > 0 && !asOfTime.IsZero() {
		return AsOf{}, ErrAsOf
	}
	a := AsOf{Position: position, ValidTime: validTime, Now: now}
	if !asOfTime.IsZero() {
		a.Position = r.PositionAt(asOfTime)
		a.Now = asOfTime
		if a.Position == 0 {
			// Before the first event: nothing was known.
			a.Position = ^uint64(0) >> 1
			a.ValidTime = time.Unix(0, 0)
		}
	} else if position > 0 {
		if t := r.RecordedAt(position); !t.IsZero() {
			a.Now = t
		}
	}
	if !validTime.IsZero() {
		a.Now = validTime
	}
	return a, nil
}

// QueryAsOf resolves a query's as-of fields (min_position, as_of_position,
// as_of_time, valid_time; see AsOf), waiting for the read models to reach
// min_position or as_of_position. Every context's ports use it.
func (r *Runner) QueryAsOf(ctx context.Context, now time.Time, minPos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (AsOf, error) {
	if err := r.WaitFor(ctx, max(minPos, asOfPos)); err != nil {
		return AsOf{}, err
	}
	var at, vt time.Time
	if asOfTime != nil {
		if err := asOfTime.CheckValid(); err != nil {
			return AsOf{}, fault.Field("as_of_time", "not a valid time")
		}
		at = asOfTime.AsTime()
	}
	if validTime != nil {
		if err := validTime.CheckValid(); err != nil {
			return AsOf{}, fault.Field("valid_time", "not a valid time")
		}
		vt = validTime.AsTime()
	}
	a, err := r.Resolve(asOfPos, at, vt, now)
	if err != nil {
		return AsOf{}, fault.Field("as_of_position", "%v", err)
	}
	return a, nil
}

// AnswerPosition is the log position an answer as of a reflects.
func (r *Runner) AnswerPosition(a AsOf) uint64 {
	if p := r.Position(); a.Position == 0 || a.Position >= p {
		return p
	}
	return a.Position
}
