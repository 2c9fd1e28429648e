package domain

import "strings"

// Stream ids of the programmes context. A stream id is part of every
// event's hash chain (DESIGN.md "Event store"), so these formats are
// persisted names: this file is the only place they are spelled
// (internal/kernel/streamids_test.go checks it), and they may never
// change.
//
//	programme.<commune code>.<mandate year>   a commune's action programme for one mandate
//	surveyforms.<commune code>.<import id>    one imported file of satisfaction forms
//
// The programme's stream is named by the mandate, so the log itself keeps
// one programme per commune per mandate (law 113-14 art. 78 (not verified in the official text)).
const (
	ProgrammeCategory   = "programme"
	SurveyFormsCategory = "surveyforms"
)

// ProgrammeStream is the stream of the programme of the commune code for
// the mandate that began in year.
func ProgrammeStream(code, year string) string { return ProgrammeCategory + "." + code + "." + year }

// SurveyFormsStream is the stream of one import of forms.
func SurveyFormsStream(code, id string) string { return SurveyFormsCategory + "." + code + "." + id }

// StreamCouncil returns the commune code a programme or forms stream
// carries, or "" for any other stream.
func StreamCouncil(stream string) string {
	cat, rest, ok := strings.Cut(stream, ".")
	if !ok || (cat != ProgrammeCategory && cat != SurveyFormsCategory) {
		return ""
	}
	code, _, _ := strings.Cut(rest, ".")
	return code
}
