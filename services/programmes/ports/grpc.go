// Package ports serves the programme service over gRPC (and REST through
// the gateway): it turns requests into the app's commands, runs them with
// the authenticated actor, and answers from the read model.
package ports

import (
	"context"
	"regexp"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/programmes/app"
	"github.com/tasharuk/tasharuk/services/programmes/app/command"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
	"github.com/tasharuk/tasharuk/services/programmes/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Councils is what the programme service reads of the territory context.
type Councils interface {
	Council(code string) (tdomain.Council, bool)
}

// Server implements programmesv1.ProgrammeServiceServer.
type Server struct {
	programmesv1.UnimplementedProgrammeServiceServer
	App      app.Application
	Runner   *projections.Runner
	Model    *readmodel.Programmes
	Councils Councils
	// Now is the clock of the reads.
	Now func() time.Time
}

// Any level parses, so that a name under another level's prefix of a
// commune's code is not found rather than malformed.
var namePattern = regexp.MustCompile(`^((?:communes|provinces|regions)/[a-z0-9-]{1,64})/programmes/([0-9]{4})$`)

func parseName(n string) (command.Programme, error) {
	m := namePattern.FindStringSubmatch(n)
	if m == nil {
		return command.Programme{}, fault.Field("name", "a programme name is communes/{commune}/programmes/{year the mandate began}, got %q", n)
	}
	return command.Programme{Council: m[1], Year: m[2]}, nil
}

func actor(ctx context.Context) eventstore.Actor {
	p, _ := access.PrincipalFrom(ctx)
	return access.Actor(p)
}

// Programme converts a state to the API resource.
func Programme(st domain.State) *programmesv1.Programme {
	rb := domain.DefaultRulebook
	x := st.Execution()
	out := &programmesv1.Programme{
		Name: st.Name(), Council: st.Council, MandateStart: st.MandateStart,
		MandateEnd: st.MandateEnd(rb).Format(time.DateOnly), AdoptionDeadline: st.AdoptionDeadline(rb).Format(time.DateOnly),
		Consultation: st.Consultation, TitleAr: st.TitleAR, TitleFr: st.TitleFR, State: programmesv1.ProgrammeState_PROGRAMME_STATE_DRAFT,
		Version: st.Version, Evaluations: st.Evaluations, ExecutionRate: x.Rate, Spend: x.Spend, Planned: x.Planned, Dropped: x.Dropped,
	}
	if st.Adopted {
		out.State = programmesv1.ProgrammeState_PROGRAMME_STATE_ADOPTED
		out.UpdateFrom = st.UpdateFrom(rb).Format(time.DateOnly)
	}
	for _, p := range st.Projects {
		out.Projects = append(out.Projects, &programmesv1.ProjectProgress{Project: p.Project, Percent: p.Percent, Status: p.Status, Spend: p.Spend,
			Reasons: p.Reasons, EvidenceSha256: p.Evidence, ProgressDate: p.ProgressDate})
	}
	for _, v := range st.Versions {
		out.Versions = append(out.Versions, &programmesv1.Version{Version: v.Number, Deliberation: v.Deliberation, Summary: v.Summary, Reasons: v.Reasons,
			Added: v.Added, Revised: v.Revised, Removed: v.Removed, RecordTime: timestamppb.New(v.RecordedAt)})
	}
	return out
}

func (s *Server) read(ctx context.Context, p command.Programme, minPos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (*programmesv1.Programme, error) {
	a, err := s.Runner.QueryAsOf(ctx, s.Now(), minPos, asOfPos, asOfTime, validTime)
	if err != nil {
		return nil, err
	}
	st, ok := s.Model.Programme(p.Name(), a)
	if !ok || st.Council != p.Council {
		return nil, fault.New(fault.NotFound, domain.ReasonProgrammeNotFound, "no programme %s", p.Name())
	}
	return Programme(st), nil
}

// CreateProgramme implements ProgrammeService.
func (s *Server) CreateProgramme(ctx context.Context, r *programmesv1.CreateProgrammeRequest) (*programmesv1.CreateProgrammeResponse, error) {
	p, pos, err := s.App.Commands.CreateProgramme.Handle(ctx, actor(ctx), command.CreateProgramme{Consultation: r.GetConsultation(),
		Draft: domain.Draft{Council: r.GetParent(), MandateStart: r.GetMandateStart(), TitleAR: r.GetTitleAr(), TitleFR: r.GetTitleFr()}})
	if err != nil {
		return nil, err
	}
	out, err := s.read(ctx, p, pos, 0, nil, nil)
	if err != nil {
		return nil, err
	}
	return &programmesv1.CreateProgrammeResponse{Programme: out, LogPosition: pos}, nil
}

// GetProgramme implements ProgrammeService.
func (s *Server) GetProgramme(ctx context.Context, r *programmesv1.GetProgrammeRequest) (*programmesv1.GetProgrammeResponse, error) {
	p, err := parseName(r.GetName())
	if err != nil {
		return nil, err
	}
	out, err := s.read(ctx, p, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	return &programmesv1.GetProgrammeResponse{Programme: out}, nil
}

// ListProgrammes implements ProgrammeService.
func (s *Server) ListProgrammes(ctx context.Context, r *programmesv1.ListProgrammesRequest) (*programmesv1.ListProgrammesResponse, error) {
	level, code, err := tdomain.ParseResourceName(r.GetParent())
	if err != nil {
		return nil, fault.Field("parent", "%v", err)
	}
	if c, ok := s.Councils.Council(code); !ok || c.Level != level {
		return nil, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", r.GetParent())
	}
	a, err := s.Runner.QueryAsOf(ctx, s.Now(), r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	resp := &programmesv1.ListProgrammesResponse{}
	for _, st := range s.Model.Programmes(code, a) {
		if st.Council == r.GetParent() {
			resp.Programmes = append(resp.Programmes, Programme(st))
		}
	}
	return resp, nil
}

// act parses the name, runs the act and reads the programme after it.
func (s *Server) act(ctx context.Context, name string, handle func(command.Programme) (uint64, error)) (*programmesv1.Programme, uint64, error) {
	p, err := parseName(name)
	if err != nil {
		return nil, 0, err
	}
	pos, err := handle(p)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.read(ctx, p, pos, 0, nil, nil)
	return out, pos, err
}

// AddProject implements ProgrammeService.
func (s *Server) AddProject(ctx context.Context, r *programmesv1.AddProjectRequest) (*programmesv1.AddProjectResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(p command.Programme) (uint64, error) {
		return s.App.Commands.AddProject.Handle(ctx, actor(ctx), command.AddProject{Programme: p, Project: r.GetProject()})
	})
	if err != nil {
		return nil, err
	}
	return &programmesv1.AddProjectResponse{Programme: out, LogPosition: pos}, nil
}

// AdoptProgramme implements ProgrammeService.
func (s *Server) AdoptProgramme(ctx context.Context, r *programmesv1.AdoptProgrammeRequest) (*programmesv1.AdoptProgrammeResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(p command.Programme) (uint64, error) {
		return s.App.Commands.AdoptProgramme.Handle(ctx, actor(ctx), command.AdoptProgramme{Programme: p, Adopt: domain.Adopt{Deliberation: r.GetDeliberation()}})
	})
	if err != nil {
		return nil, err
	}
	return &programmesv1.AdoptProgrammeResponse{Programme: out, LogPosition: pos}, nil
}

// UpdateProgramme implements ProgrammeService.
func (s *Server) UpdateProgramme(ctx context.Context, r *programmesv1.UpdateProgrammeRequest) (*programmesv1.UpdateProgrammeResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(p command.Programme) (uint64, error) {
		return s.App.Commands.UpdateProgramme.Handle(ctx, actor(ctx), command.UpdateProgramme{Programme: p, Update: domain.Update{
			Deliberation: r.GetDeliberation(), Summary: r.GetSummary(), Reasons: r.GetReasons(), Added: r.GetAdded(), Revised: r.GetRevised(), Removed: r.GetRemoved()}})
	})
	if err != nil {
		return nil, err
	}
	return &programmesv1.UpdateProgrammeResponse{Programme: out, LogPosition: pos}, nil
}

// RecordProgress implements ProgrammeService.
func (s *Server) RecordProgress(ctx context.Context, r *programmesv1.RecordProgressRequest) (*programmesv1.RecordProgressResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(p command.Programme) (uint64, error) {
		return s.App.Commands.RecordProgress.Handle(ctx, actor(ctx), command.RecordProgress{Programme: p, RecordProgress: domain.RecordProgress{Progress: progress(r)}})
	})
	if err != nil {
		return nil, err
	}
	return &programmesv1.RecordProgressResponse{Programme: out, LogPosition: pos}, nil
}

// EvaluateYear implements ProgrammeService.
func (s *Server) EvaluateYear(ctx context.Context, r *programmesv1.EvaluateYearRequest) (*programmesv1.EvaluateYearResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(p command.Programme) (uint64, error) {
		return s.App.Commands.EvaluateYear.Handle(ctx, actor(ctx), command.EvaluateYear{Programme: p, EvaluateYear: domain.EvaluateYear{Year: r.GetYear(), Assessment: r.GetAssessment()}})
	})
	if err != nil {
		return nil, err
	}
	return &programmesv1.EvaluateYearResponse{Programme: out, LogPosition: pos}, nil
}

// ImportSurveyForms implements ProgrammeService.
func (s *Server) ImportSurveyForms(ctx context.Context, r *programmesv1.ImportSurveyFormsRequest) (*programmesv1.ImportSurveyFormsResponse, error) {
	name, rows, pos, err := s.App.Commands.ImportSurveyForms.Handle(ctx, actor(ctx), command.ImportSurveyForms{ImportForms: domain.ImportForms{
		Council: r.GetParent(), Period: r.GetPeriod(), Format: r.GetFormat(), CSV: r.GetCsv()}})
	if err != nil {
		return nil, err
	}
	resp := &programmesv1.ImportSurveyFormsResponse{Name: name, Forms: int32(len(rows)), LogPosition: pos}
	for _, row := range rows {
		resp.Rows = append(resp.Rows, &programmesv1.ImportedRow{Line: int32(row.Line), FormRef: row.Form.GetFormRef(), ServicesRated: int32(len(row.Form.GetScores()))})
	}
	return resp, nil
}
