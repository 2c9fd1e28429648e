package es

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
)

// Recorded is a recorded event as an aggregate's Evolve sees it: its
// decoded payload and metadata. Every domain package uses this one type.
type Recorded struct {
	ID         string
	Payload    proto.Message
	OccurredAt time.Time
	RecordedAt time.Time
	Actor      eventstore.Actor
}

// RecordedFrom pairs a stored event with its decoded payload.
func RecordedFrom(e *eventstore.Event, payload proto.Message) Recorded {
	return Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor}
}

// Context is what every command is decided with: the clock and who acts.
type Context struct {
	Now   time.Time
	Actor eventstore.Actor
}
