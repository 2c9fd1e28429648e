package domain

import "strings"

// Stream ids of the territory context. A stream id is part of every event's
// hash chain (DESIGN.md "Event store"), so this format is a persisted name:
// this file is the only place it is spelled (issue 15, acceptance 3;
// internal/kernel/streamids_test.go checks it), and it may never change.
//
//	council.<council code>   one council: registration and census figures
const CouncilCategory = "council"

// StreamID returns the id of the council's event stream.
func StreamID(code string) string { return CouncilCategory + "." + code }

// ParseStreamID returns the council code of a council stream; ok is false
// for any other stream.
func ParseStreamID(stream string) (code string, ok bool) {
	return strings.CutPrefix(stream, CouncilCategory+".")
}

// StreamCouncil returns the council code a council stream carries, or ""
// for any other stream.
func StreamCouncil(stream string) string {
	cat, rest, ok := strings.Cut(stream, ".")
	if !ok || cat != CouncilCategory {
		return ""
	}
	code, _, _ := strings.Cut(rest, ".")
	return code
}
