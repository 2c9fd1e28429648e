package domain

import "github.com/tasharuk/tasharuk/internal/kernel/names"

// Level of the council a body belongs to, read from its resource name
// (one definition for every context, in the kernel).
type Level = names.Level

// Council levels.
const (
	Commune  = names.Commune
	Province = names.Province
	Region   = names.Region
)

// LevelOf returns the level of a council resource name ("communes/x"), or
// of any resource name under a council.
func LevelOf(name string) Level { return names.LevelOf(name) }

// Rules named by their reason; each maps to the article it comes from, per
// level. "(check)": not confirmed against the official text (DOMAIN.md).
const (
	// RuleKindNotAllowed: the law names which bodies a council sets up.
	RuleKindNotAllowed = "KIND_NOT_ALLOWED"
	// RuleBureauRoleTaken: the bureau has a fixed number of each office.
	RuleBureauRoleTaken = "BUREAU_ROLE_TAKEN"
	// RuleQuorum: an opinion is adopted only at a meeting with its quorum.
	RuleQuorum = "QUORUM_NOT_REACHED"
	// RuleVotesExceedAttendance: only members present vote.
	RuleVotesExceedAttendance = "VOTES_EXCEED_ATTENDANCE"
	// RuleMajority: an opinion needs more votes for than against.
	RuleMajority = "MAJORITY_NOT_REACHED"
)

// Reasons of the errors that are not rules: not found, already exists,
// wrong state.
const (
	ReasonBodyNotFound     = "BODY_NOT_FOUND"
	ReasonBodyExists       = "BODY_EXISTS"
	ReasonMemberNotFound   = "MEMBER_NOT_FOUND"
	ReasonMemberExists     = "MEMBER_EXISTS"
	ReasonMemberNotActive  = "MEMBER_NOT_ACTIVE"
	ReasonMeetingNotFound  = "MEETING_NOT_FOUND"
	ReasonMeetingExists    = "MEETING_EXISTS"
	ReasonOpinionNotFound  = "OPINION_NOT_FOUND"
	ReasonOpinionExists    = "OPINION_EXISTS"
	ReasonAlreadyResponded = "ALREADY_RESPONDED"
	ReasonWrongState       = "WRONG_STATE"
)

// internalRules cites the article that leaves a body's composition and
// working rules (bureau, quorum, votes) to the council's internal rules.
// The article is not yet confirmed against the official text (DOMAIN.md);
// that note stays here, never in the string a user reads.
func internalRules(law, article string) string {
	return "council's internal rules (law " + law + " art. " + article +
		": composition and working rules set by the internal rules)"
}

// articles gives, per level, the article each rule comes from.
var articles = map[Level]map[string]string{
	Commune: {
		RuleKindNotAllowed:        "law 113-14 art. 120",
		RuleBureauRoleTaken:       internalRules("113-14", "120"),
		RuleQuorum:                internalRules("113-14", "120"),
		RuleVotesExceedAttendance: internalRules("113-14", "120"),
		RuleMajority:              internalRules("113-14", "120"),
	},
	Province: {
		RuleKindNotAllowed:        "law 112-14 art. 111",
		RuleBureauRoleTaken:       internalRules("112-14", "111"),
		RuleQuorum:                internalRules("112-14", "111"),
		RuleVotesExceedAttendance: internalRules("112-14", "111"),
		RuleMajority:              internalRules("112-14", "111"),
	},
	Region: {
		RuleKindNotAllowed:        "law 111-14 art. 117",
		RuleBureauRoleTaken:       internalRules("111-14", "117"),
		RuleQuorum:                internalRules("111-14", "117"),
		RuleVotesExceedAttendance: internalRules("111-14", "117"),
		RuleMajority:              internalRules("111-14", "117"),
	},
}

// Article returns the article a rule comes from at a level.
func Article(level Level, rule string) string { return articles[level][rule] }
