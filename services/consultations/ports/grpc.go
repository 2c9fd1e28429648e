// Package ports serves the consultation service over gRPC (and REST through
// the gateway): it turns requests into the app's commands, runs them with
// the authenticated actor, and answers from the read model.
package ports

import (
	"context"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/consultations/app"
	"github.com/tasharuk/tasharuk/services/consultations/app/command"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
	"github.com/tasharuk/tasharuk/services/consultations/readmodel"
	"github.com/tasharuk/tasharuk/services/filter"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Councils is what the consultation service reads of the territory
// context.
type Councils interface {
	Council(code string) (tdomain.Council, bool)
}

// Server implements consultationsv1.ConsultationServiceServer.
type Server struct {
	consultationsv1.UnimplementedConsultationServiceServer
	App    app.Application
	Runner *projections.Runner
	Model  *readmodel.Consultations
	// Councils answers the lists' question whether the parent exists.
	Councils Councils
	// Now is the clock of the reads (as-of, expiry).
	Now func() time.Time
}

var namePattern = regexp.MustCompile(`^((communes|provinces|regions)/[a-z0-9-]{1,64})/consultations/([0-9a-f-]{36})$`)

// name is a parsed consultation resource name. It carries its council
// ("communes/50910101"); every read and act resolves the whole name: the
// consultation must be that council's, whatever its id (DESIGN.md
// "Authorization: by resource, in one place").
type name struct{ council, code, id string }

func (n name) String() string { return domain.ConsultationName(n.council, n.id) }

// notFound is the answer for a consultation that is not this name's.
func (n name) notFound() error {
	return fault.New(fault.NotFound, "CONSULTATION_NOT_FOUND", "no consultation %s", n)
}

func parseName(n string) (name, error) {
	m := namePattern.FindStringSubmatch(n)
	if m == nil {
		return name{}, fault.Field("name", "a consultation name is {communes|provinces|regions}/{council}/consultations/{id}, got %q", n)
	}
	_, code, _ := strings.Cut(m[1], "/")
	return name{council: m[1], code: code, id: m[3]}, nil
}

// ref is the consultation as the app's commands name it.
func (n name) ref() command.Consultation { return command.Consultation{Council: n.council, ID: n.id} }

func actor(ctx context.Context) eventstore.Actor {
	p, _ := access.PrincipalFrom(ctx)
	return access.Actor(p)
}

func (s *Server) council(parent string) (tdomain.Council, error) {
	level, code, err := tdomain.ParseResourceName(parent)
	if err != nil {
		return tdomain.Council{}, fault.Field("parent", "%v", err)
	}
	c, ok := s.Councils.Council(code)
	if !ok || c.Level != level {
		return tdomain.Council{}, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", parent)
	}
	return c, nil
}

// Consultation converts a state to the API resource, judging expiry at now.
func Consultation(st domain.State, now time.Time) *consultationsv1.Consultation {
	out := &consultationsv1.Consultation{
		Name: domain.ConsultationName(st.Council, st.ID), Council: st.Council, Requester: st.Requester, Committee: st.Committee,
		Body: st.Body, SubjectKind: st.SubjectKind, SubjectRef: st.SubjectRef, Title: st.Title, Deadline: st.DeadlineDay,
		State: st.StateAt(now), Workshops: st.Workshops, Participation: domain.Participation(st.Workshops), Phases: st.Phases,
		Opinion: st.Opinion, Synthesis: st.Synthesis, CreateTime: timestamppb.New(st.CreatedAt),
	}
	if !st.AnsweredAt.IsZero() {
		out.AnswerTime = timestamppb.New(st.AnsweredAt)
	}
	return out
}

func (s *Server) read(ctx context.Context, n name, pos uint64) (*consultationsv1.Consultation, error) {
	return s.readAt(ctx, n, pos, 0, nil, nil)
}

// readAt reads a consultation as of a past position or time; expiry is
// judged at that time.
func (s *Server) readAt(ctx context.Context, n name, pos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (*consultationsv1.Consultation, error) {
	a, err := s.Runner.QueryAsOf(ctx, s.Now(), pos, asOfPos, asOfTime, validTime)
	if err != nil {
		return nil, err
	}
	st, ok := s.Model.Consultation(n.String(), a)
	if !ok || st.Council != n.council {
		return nil, n.notFound()
	}
	return Consultation(st, a.Now), nil
}

// CreateConsultation implements ConsultationService.
func (s *Server) CreateConsultation(ctx context.Context, r *consultationsv1.CreateConsultationRequest) (*consultationsv1.CreateConsultationResponse, error) {
	ref, pos, err := s.App.Commands.CreateConsultation.Handle(ctx, actor(ctx), command.CreateConsultation{Request: domain.Request{
		Council: r.GetParent(), Requester: r.GetRequester(), Committee: r.GetCommittee(), Body: r.GetBody(),
		SubjectKind: r.GetSubjectKind(), SubjectRef: r.GetSubjectRef(), Title: r.GetTitle(), Deadline: r.GetDeadline()}})
	if err != nil {
		return nil, err
	}
	n := name{council: ref.Council, id: ref.ID}
	out, err := s.read(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return &consultationsv1.CreateConsultationResponse{Consultation: out, LogPosition: pos}, nil
}

// GetConsultation implements ConsultationService.
func (s *Server) GetConsultation(ctx context.Context, r *consultationsv1.GetConsultationRequest) (*consultationsv1.GetConsultationResponse, error) {
	n, err := parseName(r.GetName())
	if err != nil {
		return nil, err
	}
	out, err := s.readAt(ctx, n, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	return &consultationsv1.GetConsultationResponse{Consultation: out}, nil
}

// ListConsultations implements ConsultationService.
func (s *Server) ListConsultations(ctx context.Context, r *consultationsv1.ListConsultationsRequest) (*consultationsv1.ListConsultationsResponse, error) {
	c, err := s.council(r.GetParent())
	if err != nil {
		return nil, err
	}
	var want consultationseventsv1.ConsultationState
	if f := strings.TrimSpace(r.GetFilter()); f != "" {
		k, v, ok := strings.Cut(f, "=")
		// A state as responses name it (CONSULTATION_STATE_ANSWERED) or
		// without the prefix, in any case.
		st, found := filter.Enum(consultationseventsv1.ConsultationState_value, "CONSULTATION_STATE_", v)
		if !ok || strings.TrimSpace(k) != "state" || !found {
			return nil, fault.Field("filter", "use state=<STATE>, one of %s", filter.Names(consultationseventsv1.ConsultationState_name, "CONSULTATION_STATE_"))
		}
		want = consultationseventsv1.ConsultationState(st)
	}
	a, err := s.Runner.QueryAsOf(ctx, s.Now(), r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	resp := &consultationsv1.ListConsultationsResponse{}
	for _, st := range s.Model.Consultations(c.Code, a) {
		if want != 0 && st.StateAt(a.Now) != want {
			continue
		}
		resp.Consultations = append(resp.Consultations, Consultation(st, a.Now))
	}
	return resp, nil
}

// act parses the consultation's name, runs the act that handle makes of
// it and reads the consultation after it.
func (s *Server) act(ctx context.Context, nm string, handle func(command.Consultation) (uint64, error)) (*consultationsv1.Consultation, uint64, error) {
	n, err := parseName(nm)
	if err != nil {
		return nil, 0, err
	}
	pos, err := handle(n.ref())
	if err != nil {
		return nil, 0, err
	}
	out, err := s.read(ctx, n, pos)
	return out, pos, err
}

// AcknowledgeConsultation implements ConsultationService.
func (s *Server) AcknowledgeConsultation(ctx context.Context, r *consultationsv1.AcknowledgeConsultationRequest) (*consultationsv1.AcknowledgeConsultationResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(c command.Consultation) (uint64, error) {
		return s.App.Commands.AcknowledgeConsultation.Handle(ctx, actor(ctx), command.AcknowledgeConsultation{Consultation: c})
	})
	if err != nil {
		return nil, err
	}
	return &consultationsv1.AcknowledgeConsultationResponse{Consultation: out, LogPosition: pos}, nil
}

// RecordWorkshop implements ConsultationService.
func (s *Server) RecordWorkshop(ctx context.Context, r *consultationsv1.RecordWorkshopRequest) (*consultationsv1.RecordWorkshopResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(c command.Consultation) (uint64, error) {
		return s.App.Commands.RecordWorkshop.Handle(ctx, actor(ctx), command.RecordWorkshop{Consultation: c, RecordWorkshop: domain.RecordWorkshop{Workshop: r.GetWorkshop()}})
	})
	if err != nil {
		return nil, err
	}
	return &consultationsv1.RecordWorkshopResponse{Consultation: out, LogPosition: pos}, nil
}

// CompletePhase implements ConsultationService.
func (s *Server) CompletePhase(ctx context.Context, r *consultationsv1.CompletePhaseRequest) (*consultationsv1.CompletePhaseResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(c command.Consultation) (uint64, error) {
		return s.App.Commands.CompletePhase.Handle(ctx, actor(ctx), command.CompletePhase{Consultation: c, CompletePhase: domain.CompletePhase{Phase: r.GetPhase()}})
	})
	if err != nil {
		return nil, err
	}
	return &consultationsv1.CompletePhaseResponse{Consultation: out, LogPosition: pos}, nil
}

// AnswerConsultation implements ConsultationService. An opinion must be
// one of the body that was asked, exist under its whole name, and have been
// adopted. Another council's opinion is refused before it is looked up.
func (s *Server) AnswerConsultation(ctx context.Context, r *consultationsv1.AnswerConsultationRequest) (*consultationsv1.AnswerConsultationResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(c command.Consultation) (uint64, error) {
		return s.App.Commands.AnswerConsultation.Handle(ctx, actor(ctx), command.AnswerConsultation{Consultation: c, Answer: domain.Answer{Opinion: r.GetOpinion(), Synthesis: r.GetSynthesis()}})
	})
	if err != nil {
		return nil, err
	}
	return &consultationsv1.AnswerConsultationResponse{Consultation: out, LogPosition: pos}, nil
}

// WithdrawConsultation implements ConsultationService.
func (s *Server) WithdrawConsultation(ctx context.Context, r *consultationsv1.WithdrawConsultationRequest) (*consultationsv1.WithdrawConsultationResponse, error) {
	out, pos, err := s.act(ctx, r.GetName(), func(c command.Consultation) (uint64, error) {
		return s.App.Commands.WithdrawConsultation.Handle(ctx, actor(ctx), command.WithdrawConsultation{Consultation: c, Withdraw: domain.Withdraw{Reason: r.GetReason()}})
	})
	if err != nil {
		return nil, err
	}
	return &consultationsv1.WithdrawConsultationResponse{Consultation: out, LogPosition: pos}, nil
}

// RecordSurvey implements ConsultationService.
func (s *Server) RecordSurvey(ctx context.Context, r *consultationsv1.RecordSurveyRequest) (*consultationsv1.RecordSurveyResponse, error) {
	survey, pos, err := s.App.Commands.RecordSurvey.Handle(ctx, actor(ctx), command.RecordSurvey{RecordSurvey: domain.RecordSurvey{
		Council: r.GetParent(), Service: r.GetService(), Period: r.GetPeriod(), ScoreCounts: r.GetScoreCounts()}})
	if err != nil {
		return nil, err
	}
	return &consultationsv1.RecordSurveyResponse{Name: survey, LogPosition: pos}, nil
}
