package domain

import "github.com/tasharuk/tasharuk/internal/kernel/names"

// Level of the council a petition addresses, read from its resource name
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
	RuleExcludedSubject       = "EXCLUDED_SUBJECT"
	RuleAgentRequired         = "AGENT_REQUIRED"
	RuleAssociationConditions = "ASSOCIATION_CONDITIONS_NOT_MET"
	RuleThreshold             = "THRESHOLD_NOT_MET"
	RuleProvinceShare         = "REGION_PROVINCE_SHARE_NOT_MET"
	RuleReasonsRequired       = "REASONS_REQUIRED"
	RuleChecklistIncomplete   = "CHECKLIST_INCOMPLETE"
	RuleDeadline              = "DECISION_DEADLINE"
	RuleOrdinarySession       = "NOT_ORDINARY_SESSION"
	RuleCommitteeReport       = "COMMITTEE_REPORT_REQUIRED"
	RuleAgentNotified         = "AGENT_NOT_NOTIFIED"
	RuleNotAgent              = "NOT_AGENT"
	RuleDepositDate           = "DEPOSIT_DATE_IN_FUTURE"
	RuleBureauReferral        = "BUREAU_REFERRAL_REQUIRED"
)

// articles gives, per level, the article each rule comes from.
var articles = map[Level]map[string]string{
	Commune: {
		RuleExcludedSubject:       "Constitution art. 1; law 113-14 art. 121 (check)",
		RuleAgentRequired:         "law 113-14 art. 122 (check)",
		RuleAssociationConditions: "law 113-14 art. 123 (check)",
		RuleThreshold:             "law 113-14 art. 123 (check)",
		RuleProvinceShare:         "",
		RuleReasonsRequired:       "law 113-14 art. 125",
		RuleChecklistIncomplete:   "law 113-14 art. 125",
		RuleDeadline:              "law 113-14 art. 125",
		RuleOrdinarySession:       "law 113-14 art. 125 (check); sessions: law 113-14 art. 33 (check)",
		RuleCommitteeReport:       "law 113-14 art. 125",
		RuleAgentNotified:         "law 113-14 art. 125",
		RuleNotAgent:              "law 113-14 art. 122 (check)",
		RuleDepositDate:           "law 113-14 art. 124 (check)",
		RuleBureauReferral:        "law 113-14 art. 125 (check)",
	},
	Province: {
		RuleExcludedSubject:       "Constitution art. 1; law 112-14 art. 113 (check)",
		RuleAgentRequired:         "law 112-14 art. 114 (check)",
		RuleAssociationConditions: "law 112-14 art. 115 (check)",
		RuleThreshold:             "law 112-14 art. 115 (check)",
		RuleReasonsRequired:       "law 112-14 art. 117 (check)",
		RuleChecklistIncomplete:   "law 112-14 art. 117 (check)",
		RuleDeadline:              "law 112-14 art. 117 (check)",
		RuleOrdinarySession:       "law 112-14 art. 117 (check)",
		RuleCommitteeReport:       "law 112-14 art. 117 (check)",
		RuleAgentNotified:         "law 112-14 art. 117 (check)",
		RuleNotAgent:              "law 112-14 art. 114 (check)",
		RuleDepositDate:           "law 112-14 art. 116 (check)",
		RuleBureauReferral:        "law 112-14 art. 117 (check)",
	},
	Region: {
		RuleExcludedSubject:       "Constitution art. 1; law 111-14 art. 119 (check)",
		RuleAgentRequired:         "law 111-14 art. 120 (check)",
		RuleAssociationConditions: "law 111-14 art. 121 (check)",
		RuleThreshold:             "law 111-14 art. 120 (check)",
		RuleProvinceShare:         "law 111-14 art. 120 (check)",
		RuleReasonsRequired:       "law 111-14 art. 122 (check)",
		RuleChecklistIncomplete:   "law 111-14 art. 122 (check)",
		RuleDeadline:              "law 111-14 art. 122 (check)",
		RuleOrdinarySession:       "law 111-14 art. 122 (check)",
		RuleCommitteeReport:       "law 111-14 art. 122 (check)",
		RuleAgentNotified:         "law 111-14 art. 122 (check)",
		RuleNotAgent:              "law 111-14 art. 120 (check)",
		RuleDepositDate:           "law 111-14 art. 121 (check)",
		RuleBureauReferral:        "law 111-14 art. 122 (check)",
	},
}

// Article returns the article a rule comes from at a level.
func Article(level Level, rule string) string { return articles[level][rule] }
