package domain

import (
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

// Keys of Rulebook.Articles: the rules a rulebook holds.
const (
	RuleSignatureThreshold       = "signature_threshold"
	RuleArrondissementsThreshold = "arrondissements_threshold"
	RulePerProvinceShare         = "per_province_share"
	RuleDecisionDeadline         = "decision_deadline"
	RuleOrdinarySessions         = "ordinary_sessions"
	RuleSessionMargin            = "session_margin"
	RuleModerationDeadline       = "moderation_deadline"
)

// Rulebook is the petition rules of one council level, as data, so that a
// council, a later amendment or another country can change a number
// without a code change. DefaultRulebook gives the product's defaults
// (version 1 of each level's rulebook, DESIGN.md "Rulebooks are data").
type Rulebook struct {
	Level territoryeventsv1.CouncilLevel
	// Version is the version of the level's rulebook (1: the defaults) and
	// CouncilRulesVersion that of the council's internal rules (0: none),
	// set by RulebookOn.
	Version             int
	CouncilRulesVersion int
	// SignatureBrackets give the minimum signatures of a citizens' petition
	// by population, in increasing order of MaxPopulation; the first that
	// holds the council's population applies.
	SignatureBrackets []SignatureBracket
	// ArrondissementsSignatures, when not 0, replaces the brackets for a
	// commune with arrondissements.
	ArrondissementsSignatures int
	// PerProvinceSharePercent is the share of the required signatures that
	// must come from each province of a region; 0 means no such rule.
	PerProvinceSharePercent int
	// DecisionDeadlineMonths is the time the president has, from receipt,
	// to notify a reasoned decision.
	DecisionDeadlineMonths int
	// OrdinarySessionMonths are the months, in calendar order, in which the
	// council holds its ordinary sessions (in their first week).
	OrdinarySessionMonths []time.Month
	// CountedAssurance lists the levels of assurance whose signatures
	// count toward the threshold (DESIGN.md "Levels of assurance"); nil, the
	// default, counts them all. A council that does not take self-declared
	// ID numbers leaves out SIGNATURE_ASSURANCE_CODE_VERIFIED.
	CountedAssurance []petitionseventsv1.SignatureAssurance
	// SessionMarginDays: the agenda of a session is fixed this many days
	// before the first day of the session month, so a petition found
	// admissible later goes to the session after.
	SessionMarginDays int
	// ModerationDeadlineDays: the days the council's moderation has to
	// clear or refuse a petition submitted for online signatures (a
	// product rule, not the law's: the council may set its own).
	ModerationDeadlineDays int
	// Articles names, for each rule (RuleSignatureThreshold, ...), the text
	// it comes from.
	Articles map[string]string
}

// SignatureBracket is the minimum number of signatures for councils of up
// to MaxPopulation inhabitants (inclusive); MaxPopulation 0 means no upper
// bound.
type SignatureBracket struct {
	MaxPopulation int64
	Signatures    int
}

// DefaultSessionMarginDays is the product's default agenda margin: the
// organic laws have the president fix the agenda with the bureau and send
// it to the members before the session; how long before is the council's
// to set in its internal rules (CouncilRulesSet), ten days by default.
const DefaultSessionMarginDays = 10

// DefaultModerationDeadlineDays is the product's default time for the
// council's moderation to clear or refuse a petition submitted for online
// signatures; no article sets it, the council may set its own.
const DefaultModerationDeadlineDays = 5

// moderationPolicy is the source of the moderation deadline.
const moderationPolicy = "the council's moderation policy (no article: tasharuk's default, the council may set its own)"

// DefaultRulebook returns the product's default rules for a level (a new
// value each call: callers may change it). An unspecified level gives the
// zero Rulebook.
//
// The petition chapters: communes law 113-14 arts 121-125, prefectures and
// provinces law 112-14 arts 112-116, regions law 111-14 arts 118-122 (the
// Ministry of the Interior's territorial-councils page); in each, the
// third article gives the citizens' conditions and minimum signatures and
// the fifth the procedure and the decision deadline.
func DefaultRulebook(level territoryeventsv1.CouncilLevel) Rulebook {
	switch level {
	case territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE:
		return Rulebook{
			Level: level,
			// Law 113-14 art. 123: 100 signatures under 35,000 inhabitants,
			// 200 otherwise, 400 for a commune with arrondissements.
			SignatureBrackets: []SignatureBracket{
				{MaxPopulation: 34_999, Signatures: 100},
				{MaxPopulation: 0, Signatures: 200},
			},
			ArrondissementsSignatures: 400,
			// Law 113-14 art. 125: a reasoned decision within 3 months of
			// receipt.
			DecisionDeadlineMonths: 3,
			// Law 113-14 art. 33: February, May and October.
			OrdinarySessionMonths:  []time.Month{time.February, time.May, time.October},
			SessionMarginDays:      DefaultSessionMarginDays,
			ModerationDeadlineDays: DefaultModerationDeadlineDays,
			Articles: map[string]string{
				RuleSignatureThreshold:       "law 113-14 art. 123",
				RuleArrondissementsThreshold: "law 113-14 art. 123",
				RuleDecisionDeadline:         "law 113-14 art. 125",
				RuleOrdinarySessions:         "law 113-14 art. 33",
				RuleSessionMargin:            "law 113-14 art. 125; the council's internal rules",
				RuleModerationDeadline:       moderationPolicy,
			},
		}
	case territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE:
		return Rulebook{
			Level: level,
			// Law 112-14 art. 114: 300 signatures.
			SignatureBrackets: []SignatureBracket{{MaxPopulation: 0, Signatures: 300}},
			// Law 112-14 art. 116: 2 months.
			DecisionDeadlineMonths: 2,
			// Law 112-14 art. 36: January, June and September.
			OrdinarySessionMonths:  []time.Month{time.January, time.June, time.September},
			SessionMarginDays:      DefaultSessionMarginDays,
			ModerationDeadlineDays: DefaultModerationDeadlineDays,
			Articles: map[string]string{
				RuleSignatureThreshold: "law 112-14 art. 114",
				RuleDecisionDeadline:   "law 112-14 art. 116",
				RuleOrdinarySessions:   "law 112-14 art. 36",
				RuleSessionMargin:      "law 112-14 art. 116; the council's internal rules",
				RuleModerationDeadline: moderationPolicy,
			},
		}
	case territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION:
		return Rulebook{
			Level: level,
			// Law 111-14 art. 120: 300 under 1 M inhabitants, 400 for 1-3 M,
			// 500 above 3 M.
			SignatureBrackets: []SignatureBracket{
				{MaxPopulation: 999_999, Signatures: 300},
				{MaxPopulation: 3_000_000, Signatures: 400},
				{MaxPopulation: 0, Signatures: 500},
			},
			// Law 111-14 art. 120: at least 5 % of the required signatures
			// from each prefecture or province of the region.
			PerProvinceSharePercent: 5,
			// Law 111-14 art. 122: 2 months.
			DecisionDeadlineMonths: 2,
			// Law 111-14 art. 36: March, July and October.
			OrdinarySessionMonths:  []time.Month{time.March, time.July, time.October},
			SessionMarginDays:      DefaultSessionMarginDays,
			ModerationDeadlineDays: DefaultModerationDeadlineDays,
			Articles: map[string]string{
				RuleSignatureThreshold: "law 111-14 art. 120",
				RulePerProvinceShare:   "law 111-14 art. 120",
				RuleDecisionDeadline:   "law 111-14 art. 122",
				RuleOrdinarySessions:   "law 111-14 art. 36",
				RuleSessionMargin:      "law 111-14 art. 122; the council's internal rules",
				RuleModerationDeadline: moderationPolicy,
			},
		}
	}
	return Rulebook{}
}

// SignatureThreshold returns the minimum number of signatures of a
// citizens' petition to c, from c's latest recorded population. c is
// expected to be of the rulebook's level.
func (rb Rulebook) SignatureThreshold(c Council) int {
	if c.HasArrondissements && rb.ArrondissementsSignatures > 0 {
		return rb.ArrondissementsSignatures
	}
	for _, b := range rb.SignatureBrackets {
		if b.MaxPopulation == 0 || c.Population <= b.MaxPopulation {
			return b.Signatures
		}
	}
	return 0
}

// PerProvinceMinimum returns how many of threshold signatures must come
// from each province: PerProvinceSharePercent of it, rounded up; 0 where
// the rule does not apply.
func (rb Rulebook) PerProvinceMinimum(threshold int) int {
	if rb.PerProvinceSharePercent <= 0 || threshold <= 0 {
		return 0
	}
	return (threshold*rb.PerProvinceSharePercent + 99) / 100
}

// DecisionDeadline returns the last moment to notify a reasoned decision
// on a petition received at receivedAt: DecisionDeadlineMonths calendar
// months later, on the same day of the month, or on the month's last day
// when it has no such day (received 30 November, 3 months: 28 or 29
// February, not 2 March as time.AddDate would give).
func (rb Rulebook) DecisionDeadline(receivedAt time.Time) time.Time {
	y, m, d := receivedAt.Date()
	first := time.Date(y, m+time.Month(rb.DecisionDeadlineMonths), 1,
		receivedAt.Hour(), receivedAt.Minute(), receivedAt.Second(), receivedAt.Nanosecond(), receivedAt.Location())
	if last := daysIn(first.Year(), first.Month()); d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d,
		receivedAt.Hour(), receivedAt.Minute(), receivedAt.Second(), receivedAt.Nanosecond(), receivedAt.Location())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// NextOrdinarySession returns the first ordinary session month that starts
// (on its first day, at midnight in after's location) strictly after
// after. A petition found admissible during a session month therefore goes
// to the following session, whose agenda is still open. It returns (0, 0)
// for a rulebook without session months.
func (rb Rulebook) NextOrdinarySession(after time.Time) (year int, month time.Month) {
	var next time.Time
	for y := after.Year(); y <= after.Year()+1; y++ {
		for _, m := range rb.OrdinarySessionMonths {
			start := time.Date(y, m, 1, 0, 0, 0, 0, after.Location())
			if start.After(after) && (next.IsZero() || start.Before(next)) {
				next = start
			}
		}
	}
	if next.IsZero() {
		return 0, 0
	}
	return next.Year(), next.Month()
}
