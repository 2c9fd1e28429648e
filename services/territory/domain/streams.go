package domain

import (
	"strings"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

// Stream ids of the territory context. A stream id is part of every event's
// hash chain (DESIGN.md "Event store"), so this format is a persisted name:
// this file is the only place it is spelled (issue 15, acceptance 3;
// internal/kernel/streamids_test.go checks it), and it may never change.
//
//	council.<council code>        one council: registration and census figures
//	rulebook.<level>              one level's rulebook amendments (commune, province, region)
//	councilrules.<council code>   one council's internal rules
const (
	CouncilCategory      = "council"
	RulebookCategory     = "rulebook"
	CouncilRulesCategory = "councilrules"
)

// RulebookStream returns the id of a level's rulebook stream
// ("rulebook.commune").
func RulebookStream(level territoryeventsv1.CouncilLevel) string {
	return RulebookCategory + "." + strings.ToLower(strings.TrimPrefix(level.String(), "COUNCIL_LEVEL_"))
}

// CouncilRulesStream returns the id of a council's internal-rules stream.
func CouncilRulesStream(code string) string { return CouncilRulesCategory + "." + code }

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
