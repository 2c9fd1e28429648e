package domain

import (
	"slices"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
)

// The rulebook's defaults for advisory bodies. The law leaves a body's
// composition and working rules to the council's internal rules, so these
// are the product's defaults, data a council's own rules may replace.

// DefaultQuorumPercent is the share of the members in office who must
// attend for a meeting to adopt an opinion, when the set-up names none:
// council's internal rules (law 113-14 art. 120: composition and working
// rules set by the internal rules) (check).
const DefaultQuorumPercent = 50

// BureauLimits is how many members in office may hold each bureau office,
// from one commune's internal rules cited in DOMAIN.md §3 (president, two
// vice-presidents, rapporteur, two deputy rapporteurs) (check).
var BureauLimits = map[advisoryeventsv1.BureauRole]int{
	advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT:         1,
	advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT:    2,
	advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR:        1,
	advisoryeventsv1.BureauRole_BUREAU_ROLE_DEPUTY_RAPPORTEUR: 2,
}

// levelKinds are the bodies each level of council sets up: communes the
// equity and gender body (law 113-14 art. 120), provinces the same (law
// 112-14 art. 111), regions three (law 111-14 art. 117).
var levelKinds = map[Level][]advisoryeventsv1.BodyKind{
	Commune:  {advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER},
	Province: {advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER},
	Region: {
		advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		advisoryeventsv1.BodyKind_BODY_KIND_YOUTH,
		advisoryeventsv1.BodyKind_BODY_KIND_ECONOMIC,
	},
}

// KindsFor returns the kinds of body a level of council sets up.
func KindsFor(level Level) []advisoryeventsv1.BodyKind { return slices.Clone(levelKinds[level]) }

// KindAllowed reports whether a level of council sets up a body of kind.
func KindAllowed(level Level, kind advisoryeventsv1.BodyKind) bool {
	return slices.Contains(levelKinds[level], kind)
}

// bodyIDs names each kind; the id of a body is its kind's name, so a
// council has at most one body of each kind.
var bodyIDs = map[advisoryeventsv1.BodyKind]string{
	advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER: "equity-gender",
	advisoryeventsv1.BodyKind_BODY_KIND_YOUTH:         "youth",
	advisoryeventsv1.BodyKind_BODY_KIND_ECONOMIC:      "economic",
}

// BodyID returns the id of a council's body of kind ("equity-gender",
// "youth", "economic"), or "" for an unknown kind. Its stream is created
// only when none exists, which is what makes a second set-up of the same
// kind impossible.
func BodyID(kind advisoryeventsv1.BodyKind) string { return bodyIDs[kind] }

// ParseKind returns the kind a body id names.
func ParseKind(id string) (advisoryeventsv1.BodyKind, bool) {
	for k, v := range bodyIDs {
		if v == id {
			return k, true
		}
	}
	return advisoryeventsv1.BodyKind_BODY_KIND_UNSPECIFIED, false
}
