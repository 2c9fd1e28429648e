package audit

import "strings"

// Stream ids of the audit context. A stream id is part of every event's hash
// chain (DESIGN.md "Event store"), so this format is a persisted name: this
// file is the only place it is spelled (issue 15, acceptance 3;
// internal/kernel/streamids_test.go checks it), and it may never change.
//
//	checkpoint.<log name>    the signed checkpoints of one log
//	cosignature.<log name>   the witnesses' cosignatures of those checkpoints
const (
	CheckpointCategory  = "checkpoint"
	CosignatureCategory = "cosignature"
)

// CheckpointStream returns the stream that holds the checkpoints of the log
// named logName.
func CheckpointStream(logName string) string { return CheckpointCategory + "." + logName }

// ParseCheckpointStream returns the log name of a checkpoint stream; ok is
// false for any other stream.
func ParseCheckpointStream(stream string) (logName string, ok bool) {
	return strings.CutPrefix(stream, CheckpointCategory+".")
}

// CosignatureStream returns the stream that holds the witnesses'
// cosignatures of the checkpoints of the log named logName.
func CosignatureStream(logName string) string { return CosignatureCategory + "." + logName }
