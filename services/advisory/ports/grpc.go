// Package ports serves the advisory service over gRPC (and REST through
// the gateway): it turns requests into the app's commands, runs them with
// the authenticated actor, and answers from the read model.
package ports

import (
	"context"
	"regexp"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/advisory/app"
	"github.com/tasharuk/tasharuk/services/advisory/app/command"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
	"github.com/tasharuk/tasharuk/services/advisory/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Councils is what the advisory service reads of the territory context.
type Councils interface {
	Council(code string) (tdomain.Council, bool)
}

// Server implements advisoryv1.AdvisoryServiceServer.
type Server struct {
	advisoryv1.UnimplementedAdvisoryServiceServer
	App    app.Application
	Runner *projections.Runner
	Model  *readmodel.Bodies
	// Councils answers ListBodies' question whether the parent exists.
	Councils Councils
	// Now is the clock of the reads (as-of).
	Now func() time.Time
}

var (
	bodyPattern    = regexp.MustCompile(`^((communes|provinces|regions)/([a-z0-9-]{1,64}))/advisoryBodies/([a-z-]{1,32})$`)
	opinionPattern = regexp.MustCompile(`^((communes|provinces|regions)/([a-z0-9-]{1,64}))/advisoryBodies/([a-z-]{1,32})/opinions/([0-9a-f-]{36})$`)
)

// bodyName is a parsed body (and opinion) resource name. It carries its
// council ("communes/50910101") and every read and act resolves the whole
// name: the body must be that council's, whatever its id (DESIGN.md
// "Authorization: by resource, in one place").
type bodyName struct{ council, code, body, opinion string }

func (b bodyName) name() string { return b.council + "/advisoryBodies/" + b.body }

// ref is the body as the app's commands name it.
func (b bodyName) ref() command.Body { return command.Body{Council: b.council, ID: b.body} }

// opinionRef is the opinion as the app's commands name it.
func (b bodyName) opinionRef() command.Opinion { return command.Opinion{Body: b.ref(), ID: b.opinion} }

// notFound is the answer for a body that is not this name's.
func (b bodyName) notFound() error {
	return fault.New(fault.NotFound, domain.ReasonBodyNotFound, "no advisory body %s", b.name())
}

func parseBody(n string) (bodyName, error) {
	m := bodyPattern.FindStringSubmatch(n)
	if m == nil {
		return bodyName{}, fault.Field("name", "a body name is {communes|provinces|regions}/{council}/advisoryBodies/{equity-gender|youth|economic}, got %q", n)
	}
	return bodyName{council: m[1], code: m[3], body: m[4]}, nil
}

func parseOpinion(n string) (bodyName, error) {
	m := opinionPattern.FindStringSubmatch(n)
	if m == nil {
		return bodyName{}, fault.Field("name", "an opinion name is {council}/advisoryBodies/{body}/opinions/{id}, got %q", n)
	}
	return bodyName{council: m[1], code: m[3], body: m[4], opinion: m[5]}, nil
}

func actor(ctx context.Context) eventstore.Actor {
	p, _ := access.PrincipalFrom(ctx)
	return access.Actor(p)
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Opinion converts an opinion to the API resource.
func Opinion(b string, o domain.Opinion) *advisoryv1.Opinion {
	out := &advisoryv1.Opinion{
		Name: b + "/opinions/" + o.ID, Title: o.Title, Consultation: o.Consultation, Text: o.Text, State: o.State,
		MeetingId: o.MeetingID, VotesFor: int32(o.VotesFor), VotesAgainst: int32(o.VotesAgainst), Abstentions: int32(o.Abstentions),
		AdoptTime: ts(o.AdoptedAt), TransmitTime: ts(o.TransmittedAt), Response: o.Response, ResponseReasons: o.Reasons, ResponseTime: ts(o.RespondedAt),
	}
	if o.State == advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED {
		out.DaysToResponse = domain.DaysToResponse(o)
	}
	return out
}

// Body converts a body to the API resource.
func Body(st domain.State) *advisoryv1.Body {
	name := st.Council + "/advisoryBodies/" + st.ID
	out := &advisoryv1.Body{
		Name: name, Council: st.Council, Kind: st.Kind, DisplayName: st.Name, DecisionDate: st.DecisionDate,
		DecisionReference: st.DecisionReference, QuorumPercent: int32(st.QuorumPercent), Meetings: int32(len(st.Meetings)), CreateTime: ts(st.CreatedAt),
	}
	for _, id := range st.MemberOrder {
		m := st.Members[id]
		out.Members = append(out.Members, &advisoryv1.BodyMember{Member: m.Member, Role: m.BureauRole, Active: m.Active})
	}
	members, women, youth, disability, ws, ys, ds := domain.Composition(st)
	out.Composition = &advisoryv1.Composition{Members: int32(members), Women: int32(women), Youth: int32(youth), Disability: int32(disability),
		WomenShare: ws, YouthShare: ys, DisabilityShare: ds}
	for _, id := range st.OpinionOrder {
		out.Opinions = append(out.Opinions, Opinion(name, st.Opinions[id]))
	}
	return out
}

func (s *Server) readBody(ctx context.Context, b bodyName, pos uint64) (domain.State, error) {
	return s.readBodyAt(ctx, b, pos, 0, nil, nil)
}

// readBodyAt reads a body as of a past position or time.
func (s *Server) readBodyAt(ctx context.Context, b bodyName, pos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (domain.State, error) {
	a, err := s.Runner.QueryAsOf(ctx, s.Now(), pos, asOfPos, asOfTime, validTime)
	if err != nil {
		return domain.State{}, err
	}
	st, ok := s.Model.Body(b.name(), a)
	if !ok || st.Council != b.council {
		return domain.State{}, b.notFound()
	}
	return st, nil
}

// CreateBody implements AdvisoryService. A council has at most one body of
// each kind: the body's id is its kind and its stream is created only if
// it does not exist.
func (s *Server) CreateBody(ctx context.Context, r *advisoryv1.CreateBodyRequest) (*advisoryv1.CreateBodyResponse, error) {
	ref, pos, err := s.App.Commands.CreateBody.Handle(ctx, actor(ctx), command.CreateBody{Council: r.GetParent(), SetUp: domain.SetUp{Kind: r.GetKind(),
		Name: r.GetDisplayName(), DecisionDate: r.GetDecisionDate(), DecisionReference: r.GetDecisionReference(), QuorumPercent: int(r.GetQuorumPercent())}})
	if err != nil {
		return nil, err
	}
	b := bodyName{council: ref.Council, body: ref.ID}
	st, err := s.readBody(ctx, b, pos)
	if err != nil {
		return nil, err
	}
	return &advisoryv1.CreateBodyResponse{Body: Body(st), LogPosition: pos}, nil
}

// GetBody implements AdvisoryService.
func (s *Server) GetBody(ctx context.Context, r *advisoryv1.GetBodyRequest) (*advisoryv1.GetBodyResponse, error) {
	b, err := parseBody(r.GetName())
	if err != nil {
		return nil, err
	}
	st, err := s.readBodyAt(ctx, b, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	return &advisoryv1.GetBodyResponse{Body: Body(st)}, nil
}

// ListBodies implements AdvisoryService.
func (s *Server) ListBodies(ctx context.Context, r *advisoryv1.ListBodiesRequest) (*advisoryv1.ListBodiesResponse, error) {
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
	resp := &advisoryv1.ListBodiesResponse{}
	for _, st := range s.Model.Bodies(code, a) {
		resp.Bodies = append(resp.Bodies, Body(st))
	}
	return resp, nil
}

// bodyAct parses the body's name, runs the act that handle makes of it and
// reads the body after it.
func (s *Server) bodyAct(ctx context.Context, name string, handle func(command.Body) (uint64, error)) (*advisoryv1.Body, uint64, error) {
	b, err := parseBody(name)
	if err != nil {
		return nil, 0, err
	}
	pos, err := handle(b.ref())
	if err != nil {
		return nil, 0, err
	}
	st, err := s.readBody(ctx, b, pos)
	if err != nil {
		return nil, 0, err
	}
	return Body(st), pos, nil
}

// AddMember implements AdvisoryService.
func (s *Server) AddMember(ctx context.Context, r *advisoryv1.AddMemberRequest) (*advisoryv1.AddMemberResponse, error) {
	out, pos, err := s.bodyAct(ctx, r.GetName(), func(b command.Body) (uint64, error) {
		return s.App.Commands.AddMember.Handle(ctx, actor(ctx), command.AddMember{Body: b, AddMember: domain.AddMember{Member: r.GetMember(), Replaces: r.GetReplaces()}})
	})
	if err != nil {
		return nil, err
	}
	return &advisoryv1.AddMemberResponse{Body: out, LogPosition: pos}, nil
}

// RemoveMember implements AdvisoryService.
func (s *Server) RemoveMember(ctx context.Context, r *advisoryv1.RemoveMemberRequest) (*advisoryv1.RemoveMemberResponse, error) {
	out, pos, err := s.bodyAct(ctx, r.GetName(), func(b command.Body) (uint64, error) {
		return s.App.Commands.RemoveMember.Handle(ctx, actor(ctx), command.RemoveMember{Body: b, RemoveMember: domain.RemoveMember{MemberID: r.GetMemberId(), Reason: r.GetReason()}})
	})
	if err != nil {
		return nil, err
	}
	return &advisoryv1.RemoveMemberResponse{Body: out, LogPosition: pos}, nil
}

// AssignBureauRole implements AdvisoryService.
func (s *Server) AssignBureauRole(ctx context.Context, r *advisoryv1.AssignBureauRoleRequest) (*advisoryv1.AssignBureauRoleResponse, error) {
	out, pos, err := s.bodyAct(ctx, r.GetName(), func(b command.Body) (uint64, error) {
		return s.App.Commands.AssignBureauRole.Handle(ctx, actor(ctx), command.AssignBureauRole{Body: b, AssignBureauRole: domain.AssignBureauRole{MemberID: r.GetMemberId(), Role: r.GetRole()}})
	})
	if err != nil {
		return nil, err
	}
	return &advisoryv1.AssignBureauRoleResponse{Body: out, LogPosition: pos}, nil
}

// RecordMeeting implements AdvisoryService.
func (s *Server) RecordMeeting(ctx context.Context, r *advisoryv1.RecordMeetingRequest) (*advisoryv1.RecordMeetingResponse, error) {
	var at time.Time
	if t := r.GetMeetTime(); t != nil {
		if err := t.CheckValid(); err != nil {
			return nil, fault.Field("meet_time", "not a valid time")
		}
		at = t.AsTime()
	}
	out, pos, err := s.bodyAct(ctx, r.GetName(), func(b command.Body) (uint64, error) {
		return s.App.Commands.RecordMeeting.Handle(ctx, actor(ctx), command.RecordMeeting{Body: b, RecordMeeting: domain.RecordMeeting{MeetingID: r.GetMeetingId(), Attendees: r.GetAttendees(), At: at}})
	})
	if err != nil {
		return nil, err
	}
	b, _ := parseBody(r.GetName())
	st, _ := s.Model.Body(b.name(), projections.AsOf{Now: s.Now()})
	return &advisoryv1.RecordMeetingResponse{Body: out, QuorumReached: st.Meetings[r.GetMeetingId()].QuorumReached, LogPosition: pos}, nil
}

func (s *Server) opinion(ctx context.Context, b bodyName, pos uint64) (*advisoryv1.Opinion, error) {
	return s.opinionAt(ctx, b, pos, 0, nil, nil)
}

func (s *Server) opinionAt(ctx context.Context, b bodyName, pos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (*advisoryv1.Opinion, error) {
	st, err := s.readBodyAt(ctx, b, pos, asOfPos, asOfTime, validTime)
	if err != nil {
		return nil, err
	}
	o, ok := st.Opinions[b.opinion]
	if !ok {
		return nil, fault.New(fault.NotFound, "OPINION_NOT_FOUND", "no opinion %s/opinions/%s", b.name(), b.opinion)
	}
	return Opinion(b.name(), o), nil
}

// CreateOpinion implements AdvisoryService. An opinion on a referral names
// a consultation of the same council addressed to this body.
func (s *Server) CreateOpinion(ctx context.Context, r *advisoryv1.CreateOpinionRequest) (*advisoryv1.CreateOpinionResponse, error) {
	b, err := parseBody(r.GetParent())
	if err != nil {
		return nil, err
	}
	o, pos, err := s.App.Commands.CreateOpinion.Handle(ctx, actor(ctx), command.CreateOpinion{Body: b.ref(),
		DraftOpinion: domain.DraftOpinion{Title: r.GetTitle(), Consultation: r.GetConsultation(), Text: r.GetText()}})
	if err != nil {
		return nil, err
	}
	b.opinion = o.ID
	out, err := s.opinion(ctx, b, pos)
	if err != nil {
		return nil, err
	}
	return &advisoryv1.CreateOpinionResponse{Opinion: out, LogPosition: pos}, nil
}

// GetOpinion implements AdvisoryService.
func (s *Server) GetOpinion(ctx context.Context, r *advisoryv1.GetOpinionRequest) (*advisoryv1.GetOpinionResponse, error) {
	b, err := parseOpinion(r.GetName())
	if err != nil {
		return nil, err
	}
	out, err := s.opinionAt(ctx, b, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	return &advisoryv1.GetOpinionResponse{Opinion: out}, nil
}

// opinionAct parses the opinion's name, runs the act that handle makes of
// it and reads the opinion after it.
func (s *Server) opinionAct(ctx context.Context, name string, handle func(command.Opinion) (uint64, error)) (*advisoryv1.Opinion, uint64, error) {
	b, err := parseOpinion(name)
	if err != nil {
		return nil, 0, err
	}
	pos, err := handle(b.opinionRef())
	if err != nil {
		return nil, 0, err
	}
	out, err := s.opinion(ctx, b, pos)
	return out, pos, err
}

func optTime(t *timestamppb.Timestamp, field string) (time.Time, error) {
	if t == nil {
		return time.Time{}, nil
	}
	if err := t.CheckValid(); err != nil {
		return time.Time{}, fault.Field(field, "not a valid time")
	}
	return t.AsTime(), nil
}

// AdoptOpinion implements AdvisoryService.
func (s *Server) AdoptOpinion(ctx context.Context, r *advisoryv1.AdoptOpinionRequest) (*advisoryv1.AdoptOpinionResponse, error) {
	out, pos, err := s.opinionAct(ctx, r.GetName(), func(o command.Opinion) (uint64, error) {
		return s.App.Commands.AdoptOpinion.Handle(ctx, actor(ctx), command.AdoptOpinion{Opinion: o, AdoptOpinion: domain.AdoptOpinion{
			MeetingID: r.GetMeetingId(), For: int(r.GetVotesFor()), Against: int(r.GetVotesAgainst()), Abstain: int(r.GetAbstentions())}})
	})
	if err != nil {
		return nil, err
	}
	return &advisoryv1.AdoptOpinionResponse{Opinion: out, LogPosition: pos}, nil
}

// TransmitOpinion implements AdvisoryService.
func (s *Server) TransmitOpinion(ctx context.Context, r *advisoryv1.TransmitOpinionRequest) (*advisoryv1.TransmitOpinionResponse, error) {
	at, err := optTime(r.GetTransmitTime(), "transmit_time")
	if err != nil {
		return nil, err
	}
	out, pos, err := s.opinionAct(ctx, r.GetName(), func(o command.Opinion) (uint64, error) {
		return s.App.Commands.TransmitOpinion.Handle(ctx, actor(ctx), command.TransmitOpinion{Opinion: o, TransmitOpinion: domain.TransmitOpinion{At: at}})
	})
	if err != nil {
		return nil, err
	}
	return &advisoryv1.TransmitOpinionResponse{Opinion: out, LogPosition: pos}, nil
}

// RespondToOpinion implements AdvisoryService.
func (s *Server) RespondToOpinion(ctx context.Context, r *advisoryv1.RespondToOpinionRequest) (*advisoryv1.RespondToOpinionResponse, error) {
	at, err := optTime(r.GetResponseTime(), "response_time")
	if err != nil {
		return nil, err
	}
	out, pos, err := s.opinionAct(ctx, r.GetName(), func(o command.Opinion) (uint64, error) {
		return s.App.Commands.RespondToOpinion.Handle(ctx, actor(ctx), command.RespondToOpinion{Opinion: o, Respond: domain.Respond{
			Response: r.GetResponse(), Reasons: r.GetReasons(), At: at}})
	})
	if err != nil {
		return nil, err
	}
	return &advisoryv1.RespondToOpinionResponse{Opinion: out, LogPosition: pos}, nil
}
