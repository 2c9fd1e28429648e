package domain

import "github.com/tasharuk/tasharuk/internal/kernel/names"

// Level of the council that asks, read from its resource name
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
	// RuleExpired: the request's deadline passed unanswered; only a
	// withdrawal is still possible.
	RuleExpired = "CONSULTATION_EXPIRED"
	// RuleWorkshopsArePublic: workshops belong to public consultations; an
	// advisory body answers with an opinion.
	RuleWorkshopsArePublic = "WORKSHOPS_ARE_PUBLIC"
	// RuleParticipantCounts: women, youth and people with disabilities are
	// each counted among a workshop's participants.
	RuleParticipantCounts = "PARTICIPANT_COUNTS_INCONSISTENT"
	// RuleNotActionProgramme: phases exist only for an action programme.
	RuleNotActionProgramme = "NOT_AN_ACTION_PROGRAMME"
	// RulePhaseOrder: the programme's phases follow one another in order.
	RulePhaseOrder = "PHASE_OUT_OF_ORDER"
	// RuleDiagnosisWorkshop: the diagnosis is made in workshops.
	RuleDiagnosisWorkshop = "DIAGNOSIS_WITHOUT_WORKSHOP"
	// RulePACNotAdopted: a public action-programme consultation ends with
	// the programme's adoption.
	RulePACNotAdopted = "PAC_NOT_ADOPTED"
)

// The articles behind the rules. Dialogue and consultation: law 113-14 art.
// 119 (communes), law 112-14 art. 110 (check) (provinces), law 111-14 art.
// 116 (check) (regions). The commune action programme (PAC): law 113-14
// arts. 78-82 and decree 2.16.301, which sets its preparation (launch,
// diagnosis workshops, priorities, programming, adoption); the provincial
// and regional development programmes follow the same steps under their own
// law and decree. Not yet confirmed against the official text (DOMAIN.md):
// the province and region articles and decrees below; the internal note
// stays here, never in a string a user reads.
const (
	communeDialogue  = "law 113-14 art. 119"
	provinceDialogue = "law 112-14 art. 110"
	regionDialogue   = "law 111-14 art. 116"
	communePAC       = "law 113-14 arts. 78-82; decree 2.16.301"
	provincePDP      = "law 112-14 arts. 80-85; decree 2.16.300"
	regionPDR        = "law 111-14 arts. 83-88; decree 2.16.299"
)

// articles gives, per level, the article each rule comes from.
var articles = map[Level]map[string]string{
	Commune: {
		RuleExpired:            communeDialogue,
		RuleWorkshopsArePublic: communeDialogue,
		RuleParticipantCounts:  communeDialogue,
		RuleNotActionProgramme: communePAC,
		RulePhaseOrder:         communePAC,
		RuleDiagnosisWorkshop:  communePAC,
		RulePACNotAdopted:      communePAC,
	},
	Province: {
		RuleExpired:            provinceDialogue,
		RuleWorkshopsArePublic: provinceDialogue,
		RuleParticipantCounts:  provinceDialogue,
		RuleNotActionProgramme: provincePDP,
		RulePhaseOrder:         provincePDP,
		RuleDiagnosisWorkshop:  provincePDP,
		RulePACNotAdopted:      provincePDP,
	},
	Region: {
		RuleExpired:            regionDialogue,
		RuleWorkshopsArePublic: regionDialogue,
		RuleParticipantCounts:  regionDialogue,
		RuleNotActionProgramme: regionPDR,
		RulePhaseOrder:         regionPDR,
		RuleDiagnosisWorkshop:  regionPDR,
		RulePACNotAdopted:      regionPDR,
	},
}

// Article returns the article a rule comes from at a level.
func Article(level Level, rule string) string { return articles[level][rule] }
