package domain

import "strings"

// Stream ids of the advisory context. A stream id is part of every event's
// hash chain (DESIGN.md "Event store"), so this format is a persisted name:
// this file is the only place it is spelled (issue 15, acceptance 3;
// internal/kernel/streamids_test.go checks it), and it may never change.
//
//	body.<council code>.<body id>   one advisory body (law 113-14 art. 120)
const BodyCategory = "body"

// BodyStream is the stream of the advisory body id of the council code.
func BodyStream(code, body string) string { return BodyCategory + "." + code + "." + body }

// ParseBodyStream splits a body stream into its council code and body id;
// ok is false for any other stream.
func ParseBodyStream(stream string) (code, body string, ok bool) {
	rest, ok := strings.CutPrefix(stream, BodyCategory+".")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ".")
}

// StreamCouncil returns the council code a body stream carries, or "" for
// any other stream.
func StreamCouncil(stream string) string {
	cat, rest, ok := strings.Cut(stream, ".")
	if !ok || cat != BodyCategory {
		return ""
	}
	code, _, _ := strings.Cut(rest, ".")
	return code
}
