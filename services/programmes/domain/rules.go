package domain

// Rules named by their reason (server/errors.go lists each), and the
// articles they come from. The official texts were not at hand when this
// was written (the searches found the law's text but not these articles):
// messages cite art. 78 (the programme, in the first year of the mandate)
// and art. 92 (the council deliberates on it), which the issue and DOMAIN.md
// give, and the range arts. 78-82 where a finer number (art. 81 for the
// update, art. 82 for the procedure) is not verified in the official text.
// The numbers are data (Rulebook), not code.
const (
	// RuleNotCommune: the action programme (PAC) is a commune's; provinces
	// and regions have development programmes under their own laws.
	RuleNotCommune = "PROGRAMME_NOT_COMMUNE"
	// RuleNotPrepared: the programme is prepared through a consultation on
	// the action programme of the same commune (decree 2.16.301).
	RuleNotPrepared = "PROGRAMME_NOT_PREPARED"
	// RuleAdoptionLate: adopted within the first year of the mandate.
	RuleAdoptionLate = "PROGRAMME_ADOPTION_LATE"
	// RuleWithoutProjects: a programme is adopted with its projects.
	RuleWithoutProjects = "PROGRAMME_WITHOUT_PROJECTS"
	// RuleVoteNotCarried: the deliberation adopts by more votes for than
	// against.
	RuleVoteNotCarried = "PROGRAMME_VOTE_NOT_CARRIED"
	// RuleUpdateTooEarly: an update from the programme's third year.
	RuleUpdateTooEarly = "PROGRAMME_UPDATE_TOO_EARLY"
	// RuleNotAdopted: execution (progress, evaluation, updates) follows
	// adoption.
	RuleNotAdopted = "PROGRAMME_NOT_ADOPTED"
	// RuleOutsideMandate: the programme's acts fall within its mandate's
	// six years.
	RuleOutsideMandate = "PROGRAMME_DATE_OUTSIDE_MANDATE"
	// RuleProjectClosed: a dropped or finished project takes no more
	// progress updates.
	RuleProjectClosed = "PROJECT_CLOSED"
	// RuleDropReasons: a dropped project is dropped for stated reasons.
	RuleDropReasons = "DROP_REASONS_REQUIRED"
	// RuleProgressInconsistent: the status and the percent agree.
	RuleProgressInconsistent = "PROGRESS_INCONSISTENT"
	// RuleUpdateWithoutChanges: an update changes at least one project.
	RuleUpdateWithoutChanges = "UPDATE_WITHOUT_CHANGES"
)

// Reasons of the context that are not rules.
const (
	ReasonProgrammeNotFound = "PROGRAMME_NOT_FOUND"
	ReasonProgrammeExists   = "PROGRAMME_EXISTS"
	ReasonAlreadyAdopted    = "PROGRAMME_ALREADY_ADOPTED"
	ReasonProjectNotFound   = "PROJECT_NOT_FOUND"
	ReasonProjectExists     = "PROJECT_EXISTS"
	ReasonEvaluationExists  = "EVALUATION_EXISTS"
	ReasonMalformedCSV      = "MALFORMED_SURVEY_CSV"
)

// The articles. Law 113-14 (communes): art. 78, the action programme set
// up in the first year of the mandate for six years; art. 81, its update
// from its third year; art. 82 and decree 2.16.301, the procedure of its
// preparation, follow-up, evaluation and update, through consultation;
// art. 92, the council deliberates on it.
const (
	ArtProgramme    = "law 113-14 art. 78"
	ArtUpdate       = "law 113-14 arts. 78-82"
	ArtProcedure    = "law 113-14 arts. 78-82; decree 2.16.301"
	ArtDeliberation = "law 113-14 art. 92"
)

// articles gives the article behind each rule.
var articles = map[string]string{
	RuleNotCommune:           ArtProgramme,
	RuleNotPrepared:          ArtProcedure,
	RuleAdoptionLate:         ArtProgramme,
	RuleWithoutProjects:      ArtProgramme,
	RuleVoteNotCarried:       ArtDeliberation,
	RuleUpdateTooEarly:       ArtUpdate,
	RuleNotAdopted:           ArtProcedure,
	RuleOutsideMandate:       ArtProgramme,
	RuleProjectClosed:        ArtProcedure,
	RuleDropReasons:          ArtProcedure,
	RuleProgressInconsistent: ArtProcedure,
	RuleUpdateWithoutChanges: ArtUpdate,
}

// Article returns the article a rule comes from.
func Article(rule string) string { return articles[rule] }

// Rulebook holds the programme's numbers (DESIGN.md "Rulebooks are data").
type Rulebook struct {
	// MandateYears is the mandate's length, and the programme's.
	MandateYears int
	// AdoptWithinYears: the programme is adopted within this many years
	// of the mandate's start.
	AdoptWithinYears int
	// UpdateFromYear: an update may be adopted from this year of the
	// programme (1 is the year of its adoption).
	UpdateFromYear int
}

// DefaultRulebook is version 1: six years, the first year, the third year
// (law 113-14 arts. 78 and 81 (not verified in the official text)).
var DefaultRulebook = Rulebook{MandateYears: 6, AdoptWithinYears: 1, UpdateFromYear: 3}
