package domain

import "strings"

// Stream ids of the consultations context. A stream id is part of every
// event's hash chain (DESIGN.md "Event store"), so these formats are
// persisted names: this file is the only place they are spelled (issue 15,
// acceptance 3; internal/kernel/streamids_test.go checks it), and they may
// never change.
//
//	consultation.<council code>.<id>   one consultation request
//	survey.<council code>.<id>         one survey
const (
	ConsultationCategory = "consultation"
	SurveyCategory       = "survey"
)

// ConsultationStream is the stream of the consultation id of the council
// code.
func ConsultationStream(code, id string) string { return ConsultationCategory + "." + code + "." + id }

// SurveyStream is the stream of the survey id of the council code.
func SurveyStream(code, id string) string { return SurveyCategory + "." + code + "." + id }

// StreamID returns the event stream of a consultation of the council
// resource name council: "consultation.<council code>.<id>".
func StreamID(council, id string) string { return ConsultationStream(councilCode(council), id) }

// SurveyStreamID returns the event stream of a survey of the council
// resource name council: "survey.<council code>.<id>".
func SurveyStreamID(council, id string) string { return SurveyStream(councilCode(council), id) }

// StreamCouncil returns the council code a consultation or survey stream
// carries, or "" for any other stream.
func StreamCouncil(stream string) string {
	cat, rest, ok := strings.Cut(stream, ".")
	if !ok || (cat != ConsultationCategory && cat != SurveyCategory) {
		return ""
	}
	code, _, _ := strings.Cut(rest, ".")
	return code
}
