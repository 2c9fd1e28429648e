// Package domain is the commune action programme (PAC) aggregate and the
// satisfaction forms: pure Decide and Evolve functions holding the rules
// of law 113-14 arts. 78-82 and decree 2.16.301 (one programme per
// commune per mandate, adopted in the mandate's first year, updated from
// its third year, its projects followed and evaluated), and the parsing
// of imported form files. No I/O, no clock, no randomness: time and ids
// come in with each command.
package domain

import (
	"slices"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the programmes area's registered event types.
var EventTypes = []es.Type{
	{Name: "programmes.ProgrammeDrafted", Version: 1, Sample: &eventsv1.ProgrammeDrafted{}},
	{Name: "programmes.ProjectAdded", Version: 1, Sample: &eventsv1.ProjectAdded{}},
	{Name: "programmes.ProgrammeAdopted", Version: 1, Sample: &eventsv1.ProgrammeAdopted{}},
	{Name: "programmes.ProgrammeUpdated", Version: 1, Sample: &eventsv1.ProgrammeUpdated{}},
	{Name: "programmes.ProgressRecorded", Version: 1, Sample: &eventsv1.ProgressRecorded{}},
	{Name: "programmes.YearEvaluated", Version: 1, Sample: &eventsv1.YearEvaluated{}},
	{Name: "programmes.SurveyFormsImported", Version: 1, Sample: &eventsv1.SurveyFormsImported{}},
}

// Recorded is an event of the stream as Evolve sees it.
type Recorded = es.Recorded

// Event is what Decide produces.
type Event = es.Decided

// Context is what every command is decided with.
type Context = es.Context

// Project is a project of the version in force and where it stands.
type Project struct {
	Project      *eventsv1.Project
	Percent      int32
	Status       eventsv1.ProjectStatus
	Spend        int64
	Reasons      string
	Evidence     string
	ProgressDate string
}

// Closed reports whether the project takes no more progress updates.
func (p Project) Closed() bool {
	return p.Status == eventsv1.ProjectStatus_PROJECT_STATUS_DONE || p.Status == eventsv1.ProjectStatus_PROJECT_STATUS_DROPPED
}

// Version is one adopted version of the programme.
type Version struct {
	Number                  int32
	Deliberation            *eventsv1.Deliberation
	Summary, Reasons        string
	Added, Revised, Removed []string
	RecordedAt              time.Time
}

// State is a programme as its events left it. Evolve never changes a
// slice it was given, so states folded from a common past share nothing
// that changes.
type State struct {
	Exists       bool
	Council      string
	MandateStart string // "YYYY-MM-DD"
	Consultation string
	TitleAR      string
	TitleFR      string
	Adopted      bool
	AdoptedOn    string // "YYYY-MM-DD"
	Version      int32
	// Projects of the version in force, by priority rank then id.
	Projects []Project
	// Used holds every project id ever used (ids are never reused).
	Used        []string
	Versions    []Version
	Evaluations []*eventsv1.YearEvaluated
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Year is the year the mandate began: the programme's id.
func (s State) Year() string {
	if len(s.MandateStart) < 4 {
		return ""
	}
	return s.MandateStart[:4]
}

// Name is the programme's resource name.
func (s State) Name() string { return ProgrammeName(s.Council, s.Year()) }

// Project returns the project of the version in force with this id.
func (s State) Project(id string) (Project, bool) {
	for _, p := range s.Projects {
		if p.Project.GetProjectId() == id {
			return p, true
		}
	}
	return Project{}, false
}

// Evolve applies one recorded event.
func Evolve(s State, e Recorded) State {
	s.UpdatedAt = e.RecordedAt
	switch p := e.Payload.(type) {
	case *eventsv1.ProgrammeDrafted:
		s.Exists = true
		s.Council, s.MandateStart, s.Consultation = p.GetCouncil(), p.GetMandateStart(), p.GetConsultation()
		s.TitleAR, s.TitleFR = p.GetTitleAr(), p.GetTitleFr()
		s.CreatedAt = e.RecordedAt
	case *eventsv1.ProjectAdded:
		s.Projects = sortProjects(append(slices.Clone(s.Projects), Project{Project: p.GetProject(), Status: eventsv1.ProjectStatus_PROJECT_STATUS_NOT_STARTED}))
		s.Used = append(slices.Clip(s.Used), p.GetProject().GetProjectId())
	case *eventsv1.ProgrammeAdopted:
		s.Adopted, s.AdoptedOn, s.Version = true, p.GetDeliberation().GetDate(), 1
		s.Versions = append(slices.Clip(s.Versions), Version{Number: 1, Deliberation: p.GetDeliberation(), RecordedAt: e.RecordedAt})
	case *eventsv1.ProgrammeUpdated:
		s = evolveUpdate(s, p, e.RecordedAt)
	case *eventsv1.ProgressRecorded:
		projects := slices.Clone(s.Projects)
		for i := range projects {
			if projects[i].Project.GetProjectId() == p.GetProjectId() {
				projects[i].Percent, projects[i].Status, projects[i].Spend = p.GetPercent(), p.GetStatus(), p.GetSpend()
				projects[i].Reasons, projects[i].ProgressDate = p.GetReasons(), p.GetDate()
				if p.GetEvidenceSha256() != "" {
					projects[i].Evidence = p.GetEvidenceSha256()
				}
			}
		}
		s.Projects = projects
	case *eventsv1.YearEvaluated:
		s.Evaluations = append(slices.Clip(s.Evaluations), p)
	}
	return s
}

func evolveUpdate(s State, p *eventsv1.ProgrammeUpdated, at time.Time) State {
	v := Version{Number: p.GetVersion(), Deliberation: p.GetDeliberation(), Summary: p.GetSummary(), Reasons: p.GetReasons(),
		Removed: slices.Clone(p.GetRemoved()), RecordedAt: at}
	var projects []Project
	for _, pr := range s.Projects {
		if slices.Contains(p.GetRemoved(), pr.Project.GetProjectId()) {
			continue
		}
		for _, r := range p.GetRevised() {
			if r.GetProjectId() == pr.Project.GetProjectId() {
				pr.Project = r // the new facts; its progress stays
			}
		}
		projects = append(projects, pr)
	}
	used := slices.Clip(s.Used)
	for _, a := range p.GetAdded() {
		projects = append(projects, Project{Project: a, Status: eventsv1.ProjectStatus_PROJECT_STATUS_NOT_STARTED})
		used = append(used, a.GetProjectId())
		v.Added = append(v.Added, a.GetProjectId())
	}
	for _, r := range p.GetRevised() {
		v.Revised = append(v.Revised, r.GetProjectId())
	}
	s.Projects, s.Used, s.Version = sortProjects(projects), used, p.GetVersion()
	s.Versions = append(slices.Clip(s.Versions), v)
	return s
}

func sortProjects(ps []Project) []Project {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Project, ps[j].Project
		if a.GetPriorityRank() != b.GetPriorityRank() {
			return a.GetPriorityRank() < b.GetPriorityRank()
		}
		return a.GetProjectId() < b.GetProjectId()
	})
	return ps
}

// Execution sums up the projects of the version in force: the execution
// rate is the progress of the projects kept (not dropped) weighted by
// their estimated cost (by count when none is costed); spend is over
// every project, planned over those kept.
type Execution struct {
	Rate    float64
	Spend   int64
	Planned int64
	Dropped []string
	// Weighted is Σ cost × percent/100 over the projects kept: the
	// numerator of Rate, so that rates of several programmes add up.
	Weighted float64
}

// Execution returns the programme's execution figures.
func (s State) Execution() Execution {
	var x Execution
	var kept int
	var percents float64
	for _, p := range s.Projects {
		x.Spend += p.Spend
		if p.Status == eventsv1.ProjectStatus_PROJECT_STATUS_DROPPED {
			x.Dropped = append(x.Dropped, p.Project.GetProjectId())
			continue
		}
		kept++
		percents += float64(p.Percent) / 100
		x.Planned += p.Project.GetEstimatedCost()
		x.Weighted += float64(p.Project.GetEstimatedCost()) * float64(p.Percent) / 100
	}
	switch {
	case x.Planned > 0:
		x.Rate = x.Weighted / float64(x.Planned)
	case kept > 0:
		x.Rate = percents / float64(kept)
	}
	return x
}

// clone copies a project message so that the event never aliases the
// caller's.
func clone(p *eventsv1.Project) *eventsv1.Project { return proto.Clone(p).(*eventsv1.Project) }
