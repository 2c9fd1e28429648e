package eventstore

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	envelopev1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/envelope/v1"
)

// ToEnvelope converts an event to its protobuf envelope, the form stored in
// the log and exported to auditors.
func ToEnvelope(e *Event) *envelopev1.Envelope {
	return &envelopev1.Envelope{
		EventId:        e.ID,
		StreamId:       e.Stream,
		StreamRevision: e.Revision,
		GlobalPosition: e.Position,
		Type:           e.Type,
		SchemaVersion:  e.SchemaVersion,
		Payload:        e.Payload,
		OccurredAt:     timestamppb.New(e.OccurredAt),
		RecordedAt:     timestamppb.New(e.RecordedAt),
		Actor:          &envelopev1.Actor{Subject: e.Actor.Subject, Role: e.Actor.Role, Council: e.Actor.Council},
		CorrelationId:  e.CorrelationID,
		CausationId:    e.CausationID,
		PrevHash:       e.PrevHash,
		Hash:           e.Hash,
	}
}

// FromEnvelope converts a protobuf envelope back to an event.
func FromEnvelope(env *envelopev1.Envelope) Event {
	e := Event{
		ID:            env.GetEventId(),
		Stream:        env.GetStreamId(),
		Revision:      env.GetStreamRevision(),
		Position:      env.GetGlobalPosition(),
		Type:          env.GetType(),
		SchemaVersion: env.GetSchemaVersion(),
		Payload:       env.GetPayload(),
		OccurredAt:    tsTime(env.GetOccurredAt()),
		RecordedAt:    tsTime(env.GetRecordedAt()),
		CorrelationID: env.GetCorrelationId(),
		CausationID:   env.GetCausationId(),
		PrevHash:      env.GetPrevHash(),
		Hash:          env.GetHash(),
	}
	if a := env.GetActor(); a != nil {
		e.Actor = Actor{Subject: a.GetSubject(), Role: a.GetRole(), Council: a.GetCouncil()}
	}
	return e
}

func tsTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// MarshalStored encodes an event as stored by a backend: the envelope with
// global_position left out (it is the event's place in the log, not part of
// the record).
func MarshalStored(e *Event) ([]byte, error) {
	env := ToEnvelope(e)
	env.GlobalPosition = 0
	return marshalOpts.Marshal(env)
}

// UnmarshalStored decodes a stored event found at position.
func UnmarshalStored(b []byte, position uint64) (Event, error) {
	var env envelopev1.Envelope
	if err := proto.Unmarshal(b, &env); err != nil {
		return Event{}, fmt.Errorf("eventstore: decode event at position %d: %w", position, err)
	}
	e := FromEnvelope(&env)
	e.Position = position
	return e, nil
}
