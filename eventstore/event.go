package eventstore

import (
	"fmt"
	"time"
)

// Actor says who caused an event, in which role, for which council.
type Actor struct {
	Subject string
	Role    string
	Council string
}

// Proposed is an event a caller asks the store to append. The store adds the
// stream, revision, recorded time and hashes.
type Proposed struct {
	// ID is a UUID (tasharuk generates version 7) in canonical lower-case
	// form; appending the same id again is idempotent.
	ID string
	// Type is the registered wire name of the payload.
	Type          string
	SchemaVersion uint32
	Payload       []byte
	// OccurredAt is when the fact happened in the world; zero means "when it
	// was recorded".
	OccurredAt    time.Time
	Actor         Actor
	CorrelationID string
	CausationID   string
}

// Event is a recorded event.
type Event struct {
	ID            string
	Stream        string
	Revision      uint64
	Position      uint64
	Type          string
	SchemaVersion uint32
	Payload       []byte
	OccurredAt    time.Time
	RecordedAt    time.Time
	Actor         Actor
	CorrelationID string
	CausationID   string
	PrevHash      []byte
	Hash          []byte
}

// Limits on what one event may hold. They keep every event far below the
// backends' message limits (1 MiB by default on NATS).
const (
	MaxStreamIDLen = 255
	MaxTypeLen     = 128
	MaxPayloadSize = 512 << 10
	MaxMetaLen     = 256
	// MaxAppendEvents bounds one atomic append (JetStream atomic batches hold
	// at most 1,000 messages).
	MaxAppendEvents = 500
)

// What a stream id and an event type may be, checked by hand on every
// append rather than by a regular expression (issue 17: the regexp match
// was a visible part of an append's CPU); TestIDCheckersAreThePatterns
// holds them to the patterns:
//
//	stream id  ^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)*$
//	type       ^[A-Za-z][A-Za-z0-9_.-]*$

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlpha(c byte) bool { return isLower(c) || 'A' <= c && c <= 'Z' }
func isToken(c byte) bool { return isAlpha(c) || '0' <= c && c <= '9' || c == '_' || c == '-' }

// validStreamID: a lower-case letter, then [a-z0-9_-] up to the first dot,
// then dot-separated non-empty tokens of [A-Za-z0-9_-].
func validStreamID(id string) bool {
	if id == "" || !isLower(id[0]) {
		return false
	}
	i := 1
	for ; i < len(id) && id[i] != '.'; i++ {
		if c := id[i]; !(isLower(c) || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	for i < len(id) { // at a dot
		i++
		start := i
		for ; i < len(id) && id[i] != '.'; i++ {
			if !isToken(id[i]) {
				return false
			}
		}
		if i == start {
			return false
		}
	}
	return true
}

// validType: a letter, then [A-Za-z0-9_.-].
func validType(t string) bool {
	if t == "" || !isAlpha(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if c := t[i]; !isToken(c) && c != '.' {
			return false
		}
	}
	return true
}

// canonicalUUID: 36 characters, lower-case hex with hyphens at 8, 13, 18
// and 23 (what uuid.Parse accepts and String gives back unchanged).
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// ValidateStreamID reports whether id can name a stream: dot-separated
// tokens of [A-Za-z0-9_-], starting with a lower-case category such as
// "petition" or "signature".
func ValidateStreamID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: stream id is empty", ErrInvalidStream)
	}
	if len(id) > MaxStreamIDLen {
		return fmt.Errorf("%w: stream id longer than %d bytes", ErrInvalidStream, MaxStreamIDLen)
	}
	if !validStreamID(id) {
		return fmt.Errorf("%w: stream id %q must be dot-separated tokens of letters, digits, '_' or '-', starting with a lower-case letter", ErrInvalidStream, id)
	}
	return nil
}

// validateProposed checks one proposed event before anything is written.
func validateProposed(i int, p Proposed) error {
	if !canonicalUUID(p.ID) {
		return fmt.Errorf("%w: event %d: id %q is not a canonical lower-case UUID", ErrInvalidEvent, i, p.ID)
	}
	if p.Type == "" || len(p.Type) > MaxTypeLen || !validType(p.Type) {
		return fmt.Errorf("%w: event %d: type %q must be 1-%d characters of letters, digits, '.', '_' or '-'", ErrInvalidEvent, i, p.Type, MaxTypeLen)
	}
	if len(p.Payload) > MaxPayloadSize {
		return fmt.Errorf("%w: event %d: payload of %d bytes exceeds %d", ErrInvalidEvent, i, len(p.Payload), MaxPayloadSize)
	}
	for _, f := range [...]struct{ name, v string }{
		{"actor subject", p.Actor.Subject}, {"actor role", p.Actor.Role}, {"actor council", p.Actor.Council},
		{"correlation id", p.CorrelationID}, {"causation id", p.CausationID},
	} {
		if len(f.v) > MaxMetaLen {
			return fmt.Errorf("%w: event %d: %s longer than %d bytes", ErrInvalidEvent, i, f.name, MaxMetaLen)
		}
	}
	return nil
}

// ValidateAppend checks a whole append request; backends call it before
// touching storage so bad input changes nothing.
func ValidateAppend(stream string, events []Proposed) error {
	if err := ValidateStreamID(stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("%w: no events to append", ErrInvalidEvent)
	}
	if len(events) > MaxAppendEvents {
		return fmt.Errorf("%w: %d events in one append, at most %d", ErrInvalidEvent, len(events), MaxAppendEvents)
	}
	seen := make(map[string]struct{}, len(events))
	for i, p := range events {
		if err := validateProposed(i, p); err != nil {
			return err
		}
		if _, dup := seen[p.ID]; dup {
			return fmt.Errorf("%w: event id %s appears twice in one append", ErrInvalidEvent, p.ID)
		}
		seen[p.ID] = struct{}{}
	}
	return nil
}

// Head is what a backend knows of a stream's last event: enough to chain the
// next one.
type Head struct {
	// Exists is false for a stream with no events.
	Exists   bool
	Revision uint64
	Hash     []byte
	LastID   string
}

// Seal turns proposed events into recorded ones following head: it assigns
// revisions, the recorded time, and the hash chain. Position is left for the
// backend to fill once the log has placed the events.
func Seal(stream string, head Head, events []Proposed, recordedAt time.Time) []Event {
	out := make([]Event, len(events))
	prev := head.Hash
	next := uint64(0)
	if head.Exists {
		next = head.Revision + 1
	}
	recordedAt = recordedAt.UTC()
	for i, p := range events {
		occurred := p.OccurredAt
		if occurred.IsZero() {
			occurred = recordedAt
		}
		e := Event{
			ID:            p.ID,
			Stream:        stream,
			Revision:      next + uint64(i),
			Type:          p.Type,
			SchemaVersion: p.SchemaVersion,
			Payload:       p.Payload,
			OccurredAt:    occurred.UTC(),
			RecordedAt:    recordedAt,
			Actor:         p.Actor,
			CorrelationID: p.CorrelationID,
			CausationID:   p.CausationID,
			PrevHash:      prev,
		}
		e.Hash = ComputeHash(&e)
		prev = e.Hash
		out[i] = e
	}
	return out
}
