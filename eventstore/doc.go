// Package eventstore is the only way to tasharuk's event log.
//
// Every act is an [Event] appended to one stream (an aggregate) with an
// expected revision; the log orders all events globally by [Event.Position].
// Backends live in sub-packages (nats, esdb) and all pass the conformance
// suite in eventstore/storetest.
//
// # Hash chain
//
// The store fills PrevHash and Hash when it appends: every stream is a hash
// chain, and anyone holding an export can recompute each hash with
// [ComputeHash]. The hash is SHA-256 over the canonical bytes, which are, in
// this order:
//
//	"tasharuk.event.v1"            the domain separator, as ASCII bytes
//	str(event_id)
//	str(stream_id)
//	u64(stream_revision)
//	str(type)
//	u64(schema_version)
//	str(payload)
//	i64(occurred_at, Unix nanoseconds)
//	i64(recorded_at, Unix nanoseconds)
//	str(actor.subject) str(actor.role) str(actor.council)
//	str(correlation_id)
//	str(causation_id)
//	str(prev_hash)
//
// where str(b) is the length of b as an 8-byte big-endian integer followed by
// b, and u64/i64 are 8-byte big-endian integers. The layout is explicit
// rather than "deterministic protobuf" so that a verifier written in any
// language gets the same bytes. Position is not hashed: it is not stored with
// the event but is the event's place in the log, which the verifiable log of
// the audit context commits to separately.
package eventstore
