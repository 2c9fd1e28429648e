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
// level.
//
// The petition chapter of each organic law has five articles, in the same
// order (the Ministry of the Interior's territorial-councils page: communes
// law 113-14 arts 121-125, prefectures/provinces law 112-14 arts 112-116,
// regions law 111-14 arts 118-122): the right and the excluded subjects
// (Constitution art. 1 constants); the meaning of petition and agent; the
// citizens' conditions and minimum signatures; the associations'
// conditions; the deposit (receipt), the bureau's review, the agenda of the
// next ordinary session and the reasoned decision within the deadline.
// Ordinary sessions: law 113-14 art. 33 (communes), law 112-14 art. 36
// (provinces), law 111-14 art. 36 (regions).
//
// Checked against the ministry's page
// (https://www.collectivites-territoriales.gov.ma/fr/petitions-destinees-aux-cts):
// "les articles 120, 121 et 122 de la loi organique n°111.14 relative aux
// Régions déterminent les conditions d'exercice du droit de pétition ... et
// les modalités de dépôt, de même pour les articles 114, 115 et 116 de la
// loi organique n° 112.14 ..., et les articles 121, 122, 123, 124 et 125 de
// la loi organique n° 113.14" — the conditions (threshold, associations)
// and the deposit cite those articles below. The chapters' first articles
// (the right, the agent: 118-119 and 112-113) follow the reading
// of the same page; the Bulletin officiel texts were not found by search.
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
	RuleSessionAgendaClosed   = "SESSION_AGENDA_CLOSED"
	// RuleEvidenceRequired: the bureau checks an association's conditions
	// against the supporting documents the decrees list, so it names the
	// attached document that proves each.
	RuleEvidenceRequired = "EVIDENCE_REQUIRED"
)

// moderationPolicy: moderation before collection is the product's and the
// council's policy; the grounds it applies cite their own texts
// (ModerationArticle).
const moderationPolicy = "the council's moderation policy"

// articles gives, per level, the article each rule comes from.
var articles = map[Level]map[string]string{
	Commune: {
		RuleExcludedSubject:       "Constitution art. 1; law 113-14 art. 121",
		RuleAgentRequired:         "law 113-14 art. 122",
		RuleNotAgent:              "law 113-14 art. 122",
		RuleThreshold:             "law 113-14 art. 123",
		RuleAssociationConditions: "law 113-14 art. 124",
		RuleEvidenceRequired:      "law 113-14 art. 124; decree 2.16.403",
		RuleDepositDate:           "law 113-14 art. 125",
		RuleBureauReferral:        "law 113-14 art. 125",
		RuleReasonsRequired:       "law 113-14 art. 125",
		RuleChecklistIncomplete:   "law 113-14 art. 125",
		RuleDeadline:              "law 113-14 art. 125",
		RuleOrdinarySession:       "law 113-14 art. 125; sessions: law 113-14 art. 33",
		RuleSessionAgendaClosed:   "law 113-14 art. 125; the council's internal rules",
		RuleCommitteeReport:       "law 113-14 art. 125",
		RuleAgentNotified:         "law 113-14 art. 125",
		RuleModerationReasons:     moderationPolicy,
	},
	Province: {
		RuleExcludedSubject:       "Constitution art. 1; law 112-14 art. 112",
		RuleAgentRequired:         "law 112-14 art. 113",
		RuleNotAgent:              "law 112-14 art. 113",
		RuleThreshold:             "law 112-14 art. 114",
		RuleAssociationConditions: "law 112-14 art. 115",
		RuleEvidenceRequired:      "law 112-14 art. 115; decree 2.16.402",
		RuleDepositDate:           "law 112-14 art. 116",
		RuleBureauReferral:        "law 112-14 art. 116",
		RuleReasonsRequired:       "law 112-14 art. 116",
		RuleChecklistIncomplete:   "law 112-14 art. 116",
		RuleDeadline:              "law 112-14 art. 116",
		RuleOrdinarySession:       "law 112-14 art. 116; sessions: law 112-14 art. 36",
		RuleSessionAgendaClosed:   "law 112-14 art. 116; the council's internal rules",
		RuleCommitteeReport:       "law 112-14 art. 116",
		RuleAgentNotified:         "law 112-14 art. 116",
		RuleModerationReasons:     moderationPolicy,
	},
	Region: {
		RuleExcludedSubject:       "Constitution art. 1; law 111-14 art. 118",
		RuleAgentRequired:         "law 111-14 art. 119",
		RuleNotAgent:              "law 111-14 art. 119",
		RuleThreshold:             "law 111-14 art. 120",
		RuleProvinceShare:         "law 111-14 art. 120",
		RuleAssociationConditions: "law 111-14 art. 121",
		RuleEvidenceRequired:      "law 111-14 art. 121; decree 2.16.401",
		RuleDepositDate:           "law 111-14 art. 122",
		RuleBureauReferral:        "law 111-14 art. 122",
		RuleReasonsRequired:       "law 111-14 art. 122",
		RuleChecklistIncomplete:   "law 111-14 art. 122",
		RuleDeadline:              "law 111-14 art. 122",
		RuleOrdinarySession:       "law 111-14 art. 122; sessions: law 111-14 art. 36",
		RuleSessionAgendaClosed:   "law 111-14 art. 122; the council's internal rules",
		RuleCommitteeReport:       "law 111-14 art. 122",
		RuleAgentNotified:         "law 111-14 art. 122",
		RuleModerationReasons:     moderationPolicy,
	},
}

// Rules lists every rule the petition rules name, for tables and tests.
func Rules() []string {
	return []string{RuleExcludedSubject, RuleAgentRequired, RuleNotAgent, RuleThreshold, RuleProvinceShare,
		RuleAssociationConditions, RuleDepositDate, RuleBureauReferral, RuleReasonsRequired, RuleChecklistIncomplete,
		RuleDeadline, RuleOrdinarySession, RuleSessionAgendaClosed, RuleCommitteeReport, RuleAgentNotified, RuleModerationReasons,
		RuleEvidenceRequired}
}

// Article returns the article a rule comes from at a level.
func Article(level Level, rule string) string { return articles[level][rule] }
