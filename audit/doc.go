// Package audit makes tasharuk's event log verifiable: a Merkle tree over the
// whole log, signed checkpoints of that tree recorded in the log itself, an
// export for auditors and an offline verifier of that export.
//
// # Merkle tree
//
// The tree is RFC 6962's, as computed by golang.org/x/mod/sumdb/tlog: leaf i
// (0-based) is tlog.RecordHash(hash) where hash is the stored hash
// ([eventstore.Event.Hash]) of the event at global position i+1. A tree of
// size n commits to positions 1..n. Since an event's hash covers its payload
// as stored (personal fields encrypted or keyed-hashed), erasing a person's
// key never breaks a proof.
//
// # Checkpoints
//
// A checkpoint is the text (C2SP checkpoint style)
//
//	<origin>\n
//	<tree size in decimal>\n
//	<root hash in standard base64>\n
//
// signed as a golang.org/x/mod/sumdb/note with an Ed25519 key whose name is
// normally the origin. The [Checkpointer] records checkpoints in the log as
// events of type "audit.CheckpointRecorded" (schema version 1, payload
// auditv1.CheckpointRecorded) on stream "checkpoint.<log name>"; those events
// are ordinary events of the log and become leaves of later trees.
//
// # Export format (tasharuk-export/v1)
//
// An export is JSON Lines (UTF-8, one JSON object per line, "\n"-terminated).
// The first line is the header:
//
//	{"kind":"header","format":"tasharuk-export/v1","public_key":"<note verifier key>","exported_at":"<RFC 3339>"}
//
// followed by one line per event, in global order from position 1 with no
// gaps, checkpoint events included:
//
//	{"kind":"event","envelope":{...}}
//
// where envelope is the protobuf JSON (proto field names) of the
// tasharuk.eventlog.envelope.v1.Envelope, global_position included. The envelope is
// exported exactly as stored: payload and hashes in base64, as protobuf JSON
// writes bytes, so that [eventstore.ComputeHash] over the decoded fields gives
// the stored hash back.
//
// # Trust
//
// The public key in the header is written by whoever produced the export: an
// attacker able to rewrite the export can replace it along with every
// signature. An auditor should therefore pass the log's public key obtained
// out of band in [VerifyOptions.PublicKey], and, to detect a truncated export,
// a recent signed checkpoint obtained out of band in
// [VerifyOptions.Checkpoint].
//
// Whoever holds the log's signing key can still rewrite history
// consistently: change an event, recompute every later hash and chain, and
// re-sign every checkpoint. Witnesses (package audit/witness, C2SP
// tlog-witness) close that gap: each cosigns a checkpoint only after a
// consistency proof from the one it cosigned before, and the log records
// their cosignatures (C2SP tlog-cosignature v1, cosignature.go) as events
// of type "audit.CheckpointCosigned" (payload auditv1.CheckpointCosigned)
// on stream "cosignature.<log name>". With [VerifyOptions.Witnesses] and
// [VerifyOptions.Quorum], Verify accepts an export only if that many
// trusted witnesses cosigned a tree the export reproduces, and none
// cosigned one it contradicts: the auditor needs the witnesses' public keys
// and nothing saved beforehand.
package audit
