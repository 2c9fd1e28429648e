package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Command is one act on a programme.
type Command interface{ isCommand() }

// Preparation is what the read model knows of the consultation that
// prepared the programme: facts of another stream.
type Preparation struct {
	// Name is the consultation's resource name.
	Name string
	// Exists: the consultation is recorded under that full name.
	Exists bool
	// ActionProgramme: it is a consultation on the action programme.
	ActionProgramme bool
}

// Draft starts a commune's programme for the mandate that began on
// MandateStart ("YYYY-MM-DD").
type Draft struct {
	Council      string
	MandateStart string
	Preparation  Preparation
	TitleAR      string
	TitleFR      string
}

// AddProject adds a project to the draft.
type AddProject struct{ Project *eventsv1.Project }

// Adopt records the deliberation that adopted the programme.
type Adopt struct{ Deliberation *eventsv1.Deliberation }

// Update records a new version adopted by a deliberation.
type Update struct {
	Deliberation     *eventsv1.Deliberation
	Summary, Reasons string
	Added, Revised   []*eventsv1.Project
	Removed          []string
}

// RecordProgress records where a project stands on a date.
type RecordProgress struct{ Progress *eventsv1.ProgressRecorded }

// EvaluateYear records the yearly evaluation.
type EvaluateYear struct {
	Year       int32
	Assessment string
}

func (Draft) isCommand()          {}
func (AddProject) isCommand()     {}
func (Adopt) isCommand()          {}
func (Update) isCommand()         {}
func (RecordProgress) isCommand() {}
func (EvaluateYear) isCommand()   {}

// Field limits.
const (
	MaxTitle    = 300
	MaxShort    = 200
	MaxText     = 10000
	MaxPartners = 20
	MaxProjects = 500
)

// FirstMandate is the first mandate under law 113-14 (the councils elected
// in September 2015).
const FirstMandate = 2015

// Decide decides one command against the programme's state, with the
// default rulebook.
func Decide(s State, c Command, ctx Context) ([]Event, error) {
	return DecideWith(DefaultRulebook, s, c, ctx)
}

// DecideWith decides one command with a rulebook.
func DecideWith(rb Rulebook, s State, c Command, ctx Context) ([]Event, error) {
	if _, isDraft := c.(Draft); !isDraft && !s.Exists {
		return nil, fault.New(fault.NotFound, ReasonProgrammeNotFound, "no such programme")
	}
	switch c := c.(type) {
	case Draft:
		return decideDraft(s, c, ctx)
	case AddProject:
		return decideAddProject(rb, s, c)
	case Adopt:
		return decideAdopt(rb, s, c, ctx)
	case Update:
		return decideUpdate(rb, s, c, ctx)
	case RecordProgress:
		return decideProgress(rb, s, c, ctx)
	case EvaluateYear:
		return decideEvaluation(rb, s, c, ctx)
	}
	return nil, fmt.Errorf("programmes: unknown command %T", c)
}

func one(p proto.Message) []Event { return []Event{{Payload: p}} }

func decideDraft(s State, c Draft, ctx Context) ([]Event, error) {
	// The action programme is the commune's (law 113-14 art. 78); the
	// stream is named by the mandate, so there is one per mandate.
	if !strings.HasPrefix(c.Council, "communes/") {
		return nil, fault.Rule(RuleNotCommune, Article(RuleNotCommune),
			"%s is not a commune: the action programme (PAC) is a commune's; provinces and regions have their own development programmes", c.Council)
	}
	if !communePattern.MatchString(c.Council) {
		return nil, fault.Field("parent", "%q is not a commune: want communes/{code}", c.Council)
	}
	start, err := parseDay(c.MandateStart)
	if err != nil {
		return nil, fault.Field("mandate_start", "the first day of the mandate, YYYY-MM-DD")
	}
	if start.Year() < FirstMandate {
		return nil, fault.Field("mandate_start", "%s is before the first mandate under law 113-14 (%d)", c.MandateStart, FirstMandate)
	}
	if start.After(today(ctx.Now)) {
		return nil, fault.Field("mandate_start", "%s is in the future", c.MandateStart)
	}
	if s.Exists {
		return nil, fault.New(fault.AlreadyExists, ReasonProgrammeExists,
			"%s already has its programme for the mandate of %s: one programme per commune per mandate (%s)", c.Council, s.Year(), ArtProgramme)
	}
	// Prepared through a consultation on the action programme of the same
	// commune (decree 2.16.301: launch, diagnosis workshops, priorities,
	// programming, adoption).
	pr := c.Preparation
	m := consultationPattern.FindStringSubmatch(pr.Name)
	if m == nil || m[1] != c.Council {
		return nil, fault.Field("consultation", "name the consultation of %s that prepares the programme: %s/consultations/{consultation}", c.Council, c.Council)
	}
	if !pr.Exists {
		return nil, fault.New(fault.NotFound, "CONSULTATION_NOT_FOUND", "no consultation %s", pr.Name)
	}
	if !pr.ActionProgramme {
		return nil, fault.Rule(RuleNotPrepared, Article(RuleNotPrepared),
			"%s is not a consultation on the action programme: the programme is prepared through one (SUBJECT_KIND_ACTION_PROGRAMME)", pr.Name)
	}
	ar, fr := strings.TrimSpace(c.TitleAR), strings.TrimSpace(c.TitleFR)
	if err := titles("title", ar, fr); err != nil {
		return nil, err
	}
	return one(&eventsv1.ProgrammeDrafted{Council: c.Council, MandateStart: c.MandateStart, Consultation: pr.Name, TitleAr: ar, TitleFr: fr}), nil
}

func decideAddProject(rb Rulebook, s State, c AddProject) ([]Event, error) {
	p, err := project(rb, s, "project", c.Project)
	if err != nil {
		return nil, err
	}
	// After adoption, projects change only by an update: a new version
	// adopted by the council (law 113-14 art. 81 (not verified in the official text)).
	if s.Adopted {
		return nil, fault.New(fault.FailedPrecondition, ReasonAlreadyAdopted,
			"the programme was adopted on %s: add projects through an update (a new version the council adopts)", s.AdoptedOn)
	}
	if slices.Contains(s.Used, p.GetProjectId()) {
		if old, ok := s.Project(p.GetProjectId()); ok && proto.Equal(old.Project, p) {
			return nil, nil // the same project sent again: already recorded
		}
		return nil, fault.New(fault.AlreadyExists, ReasonProjectExists, "project %s is already in the programme; choose another id", p.GetProjectId())
	}
	if len(s.Projects) >= MaxProjects {
		return nil, fault.Field("project", "a programme holds at most %d projects", MaxProjects)
	}
	return one(&eventsv1.ProjectAdded{Project: p}), nil
}

func decideAdopt(rb Rulebook, s State, c Adopt, ctx Context) ([]Event, error) {
	d, day, err := deliberation(c.Deliberation, ctx)
	if err != nil {
		return nil, err
	}
	if s.Adopted {
		return nil, fault.New(fault.FailedPrecondition, ReasonAlreadyAdopted, "the programme was adopted on %s; a change is an update", s.AdoptedOn)
	}
	start, _ := parseDay(s.MandateStart)
	if day.Before(start) {
		return nil, fault.Rule(RuleOutsideMandate, Article(RuleOutsideMandate), "%s is before the mandate began (%s)", d.GetDate(), s.MandateStart)
	}
	// Adopted within the first year of the mandate (law 113-14 art. 78
	// (not verified in the official text)): the last day is the day before the mandate's first
	// anniversary.
	if deadline := s.AdoptionDeadline(rb); day.After(deadline) {
		return nil, fault.Rule(RuleAdoptionLate, Article(RuleAdoptionLate),
			"adopted on %s, after %s: the programme is adopted within the first year of the mandate that began on %s", d.GetDate(), deadline.Format(time.DateOnly), s.MandateStart)
	}
	if len(s.Projects) == 0 {
		return nil, fault.Rule(RuleWithoutProjects, Article(RuleWithoutProjects), "add the programme's projects before its adoption")
	}
	if err := carried(d); err != nil {
		return nil, err
	}
	return one(&eventsv1.ProgrammeAdopted{Deliberation: d}), nil
}

func decideUpdate(rb Rulebook, s State, c Update, ctx Context) ([]Event, error) {
	d, day, err := deliberation(c.Deliberation, ctx)
	if err != nil {
		return nil, err
	}
	summary, reasons := strings.TrimSpace(c.Summary), strings.TrimSpace(c.Reasons)
	if err := text("summary", summary, MaxText); err != nil {
		return nil, err
	}
	if err := text("reasons", reasons, MaxText); err != nil {
		return nil, err
	}
	if !s.Adopted {
		return nil, fault.Rule(RuleNotAdopted, Article(RuleNotAdopted), "the programme is a draft: adopt it before updating it")
	}
	// An update from the programme's third year (law 113-14 art. 81
	// (not verified in the official text)).
	if from := s.UpdateFrom(rb); day.Before(from) {
		return nil, fault.Rule(RuleUpdateTooEarly, Article(RuleUpdateTooEarly),
			"updated on %s: the programme adopted on %s can be updated from its year %d, on %s", d.GetDate(), s.AdoptedOn, rb.UpdateFromYear, from.Format(time.DateOnly))
	}
	if end := s.MandateEnd(rb); day.After(end) {
		return nil, fault.Rule(RuleOutsideMandate, Article(RuleOutsideMandate), "%s is after the mandate's end (%s)", d.GetDate(), end.Format(time.DateOnly))
	}
	if len(c.Added)+len(c.Revised)+len(c.Removed) == 0 {
		return nil, fault.Rule(RuleUpdateWithoutChanges, Article(RuleUpdateWithoutChanges), "an update adds, revises or removes at least one project")
	}
	seen := map[string]string{}
	once := func(id, list string) error {
		if prev, ok := seen[id]; ok {
			return fault.Field(list, "project %s is already in %s of this update", id, prev)
		}
		seen[id] = list
		return nil
	}
	ev := &eventsv1.ProgrammeUpdated{Version: s.Version + 1, Deliberation: d, Summary: summary, Reasons: reasons}
	for i, a := range c.Added {
		p, err := project(rb, s, fmt.Sprintf("added[%d]", i), a)
		if err != nil {
			return nil, err
		}
		if err := once(p.GetProjectId(), "added"); err != nil {
			return nil, err
		}
		if slices.Contains(s.Used, p.GetProjectId()) {
			return nil, fault.New(fault.AlreadyExists, ReasonProjectExists, "project id %s was already used in this programme; choose another id", p.GetProjectId())
		}
		ev.Added = append(ev.Added, p)
	}
	for i, r := range c.Revised {
		p, err := project(rb, s, fmt.Sprintf("revised[%d]", i), r)
		if err != nil {
			return nil, err
		}
		if err := once(p.GetProjectId(), "revised"); err != nil {
			return nil, err
		}
		if _, ok := s.Project(p.GetProjectId()); !ok {
			return nil, fault.New(fault.NotFound, ReasonProjectNotFound, "no project %s in the version in force", p.GetProjectId())
		}
		ev.Revised = append(ev.Revised, p)
	}
	for _, id := range c.Removed {
		if err := once(id, "removed"); err != nil {
			return nil, err
		}
		if _, ok := s.Project(id); !ok {
			return nil, fault.New(fault.NotFound, ReasonProjectNotFound, "no project %s in the version in force", id)
		}
		ev.Removed = append(ev.Removed, id)
	}
	if len(s.Projects)+len(ev.Added)-len(ev.Removed) == 0 {
		return nil, fault.Rule(RuleWithoutProjects, Article(RuleWithoutProjects), "an update cannot leave the programme without projects")
	}
	if len(s.Projects)+len(ev.Added) > MaxProjects {
		return nil, fault.Field("added", "a programme holds at most %d projects", MaxProjects)
	}
	if err := carried(d); err != nil {
		return nil, err
	}
	return one(ev), nil
}

func decideProgress(rb Rulebook, s State, c RecordProgress, ctx Context) ([]Event, error) {
	p := c.Progress
	if p == nil {
		return nil, fault.Field("progress", "required")
	}
	day, err := parseDay(p.GetDate())
	if err != nil {
		return nil, fault.Field("date", "a date YYYY-MM-DD")
	}
	if day.After(today(ctx.Now)) {
		return nil, fault.Field("date", "%s is in the future", p.GetDate())
	}
	if p.GetPercent() < 0 || p.GetPercent() > 100 {
		return nil, fault.Field("percent", "between 0 and 100, got %d", p.GetPercent())
	}
	if p.GetSpend() < 0 {
		return nil, fault.Field("spend", "cannot be negative")
	}
	if _, ok := eventsv1.ProjectStatus_name[int32(p.GetStatus())]; !ok || p.GetStatus() == eventsv1.ProjectStatus_PROJECT_STATUS_UNSPECIFIED {
		return nil, fault.Field("status", "NOT_STARTED, UNDER_WAY, DONE or DROPPED")
	}
	if e := p.GetEvidenceSha256(); e != "" && !sha256Pattern.MatchString(e) {
		return nil, fault.Field("evidence_sha256", "the SHA-256 of the document, 64 lower-case hex digits")
	}
	reasons := strings.TrimSpace(p.GetReasons())
	if utf8.RuneCountInString(reasons) > MaxText || !utf8.ValidString(reasons) {
		return nil, fault.Field("reasons", "at most %d characters of UTF-8 text", MaxText)
	}
	// Execution follows adoption (law 113-14 art. 82, decree 2.16.301
	// (not verified in the official text): the programme's follow-up).
	if !s.Adopted {
		return nil, fault.Rule(RuleNotAdopted, Article(RuleNotAdopted), "the programme is a draft: its projects' progress is followed once it is adopted")
	}
	pr, ok := s.Project(p.GetProjectId())
	if !ok {
		return nil, fault.New(fault.NotFound, ReasonProjectNotFound, "no project %q in the version in force", p.GetProjectId())
	}
	adopted, _ := parseDay(s.AdoptedOn)
	if day.Before(adopted) {
		return nil, fault.Field("date", "%s is before the programme's adoption (%s)", p.GetDate(), s.AdoptedOn)
	}
	if end := s.MandateEnd(rb); day.After(end) {
		return nil, fault.Rule(RuleOutsideMandate, Article(RuleOutsideMandate), "%s is after the mandate's end (%s)", p.GetDate(), end.Format(time.DateOnly))
	}
	if pr.Closed() {
		return nil, fault.Rule(RuleProjectClosed, Article(RuleProjectClosed), "project %s is %s since %s: it takes no more progress updates", p.GetProjectId(), StatusName(pr.Status), pr.ProgressDate)
	}
	switch st := p.GetStatus(); {
	case st == eventsv1.ProjectStatus_PROJECT_STATUS_DROPPED && reasons == "":
		// A dropped project is accounted for (decree 2.16.301 (not verified in the official text):
		// the evaluation says what was dropped and why).
		return nil, fault.Rule(RuleDropReasons, Article(RuleDropReasons), "say why project %s is dropped", p.GetProjectId())
	case st == eventsv1.ProjectStatus_PROJECT_STATUS_DONE && p.GetPercent() != 100,
		st == eventsv1.ProjectStatus_PROJECT_STATUS_NOT_STARTED && p.GetPercent() != 0,
		st == eventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY && p.GetPercent() == 100:
		return nil, fault.Rule(RuleProgressInconsistent, Article(RuleProgressInconsistent),
			"%s at %d %%: a done project is at 100 %%, one not started at 0 %%, one under way below 100 %%", StatusName(st), p.GetPercent())
	}
	ev := proto.Clone(p).(*eventsv1.ProgressRecorded)
	ev.Reasons = reasons
	return one(ev), nil
}

func decideEvaluation(rb Rulebook, s State, c EvaluateYear, ctx Context) ([]Event, error) {
	assessment := strings.TrimSpace(c.Assessment)
	if err := text("assessment", assessment, MaxText); err != nil {
		return nil, err
	}
	if !s.Adopted {
		return nil, fault.Rule(RuleNotAdopted, Article(RuleNotAdopted), "the programme is a draft: it is evaluated once adopted")
	}
	adopted, _ := parseDay(s.AdoptedOn)
	end := s.MandateEnd(rb)
	if int(c.Year) < adopted.Year() || int(c.Year) > end.Year() {
		return nil, fault.Field("year", "a year of the programme, %d to %d", adopted.Year(), end.Year())
	}
	if int(c.Year) > ctx.Now.UTC().Year() {
		return nil, fault.Field("year", "%d has not begun", c.Year)
	}
	for _, e := range s.Evaluations {
		if e.GetYear() == c.Year {
			return nil, fault.New(fault.AlreadyExists, ReasonEvaluationExists, "the year %d is already evaluated", c.Year)
		}
	}
	x := s.Execution()
	return one(&eventsv1.YearEvaluated{Year: c.Year, ExecutionRate: x.Rate, Spend: x.Spend, Planned: x.Planned, Dropped: x.Dropped, Assessment: assessment}), nil
}

// project checks a project's fields and returns a trimmed copy.
func project(rb Rulebook, s State, field string, in *eventsv1.Project) (*eventsv1.Project, error) {
	if in == nil {
		return nil, fault.Field(field, "required")
	}
	p := clone(in)
	if !idPattern.MatchString(p.GetProjectId()) {
		return nil, fault.Field(field+".project_id", "1-64 of A-Z, a-z, 0-9, '_' or '-'")
	}
	p.TitleAr, p.TitleFr = strings.TrimSpace(p.GetTitleAr()), strings.TrimSpace(p.GetTitleFr())
	if err := titles(field+".title", p.TitleAr, p.TitleFr); err != nil {
		return nil, err
	}
	p.Sector, p.Place = strings.TrimSpace(p.GetSector()), strings.TrimSpace(p.GetPlace())
	if err := text(field+".sector", p.Sector, MaxShort); err != nil {
		return nil, err
	}
	if err := text(field+".place", p.Place, MaxShort); err != nil {
		return nil, err
	}
	if p.GetPriorityRank() < 1 {
		return nil, fault.Field(field+".priority_rank", "the rank the diagnosis gave it, from 1")
	}
	if p.GetEstimatedCost() < 0 {
		return nil, fault.Field(field+".estimated_cost", "cannot be negative")
	}
	if len(p.GetFundingPartners()) > MaxPartners {
		return nil, fault.Field(field+".funding_partners", "at most %d", MaxPartners)
	}
	for i, f := range p.GetFundingPartners() {
		p.FundingPartners[i] = strings.TrimSpace(f)
		if err := text(fmt.Sprintf("%s.funding_partners[%d]", field, i), p.FundingPartners[i], MaxShort); err != nil {
			return nil, err
		}
	}
	if len(p.GetPlannedYears()) == 0 {
		return nil, fault.Field(field+".planned_years", "name at least one year of the mandate")
	}
	first, _ := parseDay(s.MandateStart)
	for _, y := range p.GetPlannedYears() {
		if int(y) < first.Year() || int(y) >= first.Year()+rb.MandateYears {
			return nil, fault.Field(field+".planned_years", "%d is outside the mandate (%d to %d)", y, first.Year(), first.Year()+rb.MandateYears-1)
		}
	}
	slices.Sort(p.PlannedYears)
	p.PlannedYears = slices.Compact(p.PlannedYears)
	return p, nil
}

// deliberation checks a deliberation and returns it trimmed, with its day.
func deliberation(in *eventsv1.Deliberation, ctx Context) (*eventsv1.Deliberation, time.Time, error) {
	if in == nil {
		return nil, time.Time{}, fault.Field("deliberation", "required: the session, the date and the votes")
	}
	d := proto.Clone(in).(*eventsv1.Deliberation)
	d.Session = strings.TrimSpace(d.GetSession())
	if err := text("deliberation.session", d.Session, MaxShort); err != nil {
		return nil, time.Time{}, err
	}
	day, err := parseDay(d.GetDate())
	if err != nil {
		return nil, time.Time{}, fault.Field("deliberation.date", "a date YYYY-MM-DD")
	}
	if day.After(today(ctx.Now)) {
		return nil, time.Time{}, fault.Field("deliberation.date", "%s is in the future", d.GetDate())
	}
	if d.GetVotesFor() < 0 || d.GetVotesAgainst() < 0 || d.GetAbstentions() < 0 {
		return nil, time.Time{}, fault.Field("deliberation", "vote counts cannot be negative")
	}
	return d, day, nil
}

// carried refuses a deliberation that did not carry (law 113-14 art. 92
// (not verified in the official text): the council adopts the programme by a vote).
func carried(d *eventsv1.Deliberation) error {
	if d.GetVotesFor() <= d.GetVotesAgainst() {
		return fault.Rule(RuleVoteNotCarried, Article(RuleVoteNotCarried),
			"%d for, %d against: the programme is adopted by more votes for than against", d.GetVotesFor(), d.GetVotesAgainst())
	}
	return nil
}

// AdoptionDeadline is the last day the programme may be adopted.
func (s State) AdoptionDeadline(rb Rulebook) time.Time {
	start, _ := parseDay(s.MandateStart)
	return start.AddDate(rb.AdoptWithinYears, 0, -1)
}

// MandateEnd is the mandate's last day.
func (s State) MandateEnd(rb Rulebook) time.Time {
	start, _ := parseDay(s.MandateStart)
	return start.AddDate(rb.MandateYears, 0, -1)
}

// UpdateFrom is the first day an update may be adopted: the first day of
// the programme's year rb.UpdateFromYear; zero before adoption.
func (s State) UpdateFrom(rb Rulebook) time.Time {
	adopted, err := parseDay(s.AdoptedOn)
	if err != nil {
		return time.Time{}
	}
	return adopted.AddDate(rb.UpdateFromYear-1, 0, 0)
}

// titles checks a pair of titles: at least one, each well formed.
func titles(field, ar, fr string) error {
	if ar == "" && fr == "" {
		return fault.Field(field+"_fr", "give the title in Arabic, in French or both")
	}
	for _, t := range []struct{ f, v string }{{field + "_ar", ar}, {field + "_fr", fr}} {
		if t.v == "" {
			continue
		}
		if err := text(t.f, t.v, MaxTitle); err != nil {
			return err
		}
	}
	return nil
}

// text checks a required, trimmed text of at most max characters.
func text(field, v string, max int) error {
	if v == "" {
		return fault.Field(field, "required")
	}
	if !utf8.ValidString(v) {
		return fault.Field(field, "not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fault.Field(field, "%d characters, at most %d", n, max)
	}
	return nil
}

// parseDay parses "YYYY-MM-DD" as 00:00 UTC of that day.
func parseDay(day string) (time.Time, error) { return time.Parse(time.DateOnly, day) }

// today returns 00:00 UTC of now's day.
func today(now time.Time) time.Time {
	u := now.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// StatusName returns a status's short name ("UNDER_WAY").
func StatusName(st eventsv1.ProjectStatus) string {
	return strings.TrimPrefix(st.String(), "PROJECT_STATUS_")
}
