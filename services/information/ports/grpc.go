// Package ports is the information context's gRPC server: it turns each
// request into a command or a query of the app table and its result into
// a response, and nothing else.
package ports

import (
	"context"
	"slices"
	"time"

	"github.com/tasharuk/tasharuk/access"
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/information/app"
	"github.com/tasharuk/tasharuk/services/information/app/command"
	"github.com/tasharuk/tasharuk/services/information/app/query"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// Waiter waits until the read models have applied a position
// (read-your-writes).
type Waiter interface {
	WaitFor(ctx context.Context, pos uint64) error
}

// Server serves tasharuk.information.v1.InformationService.
type Server struct {
	informationv1.UnimplementedInformationServiceServer
	App  app.Application
	Wait Waiter
}

func actor(ctx context.Context) eventstore.Actor {
	p, _ := access.PrincipalFrom(ctx)
	return access.Actor(p)
}

func day(d domain.Day) string {
	if d.IsZero() {
		return ""
	}
	return d.Format(domain.DayLayout)
}

func toProto(v query.View) *informationv1.InformationRequest {
	s := v.State
	out := &informationv1.InformationRequest{Name: s.Name, ReceiptNumber: s.ReceiptNumber, ReceivedOn: day(s.ReceivedOn), Channel: s.Channel,
		RequesterKind: s.RequesterKind, Subject: s.Subject, Urgent: s.Urgent, UrgentReason: s.UrgentReason, DueOn: day(v.DueOn),
		Extended: s.Extended, ExtensionReasons: s.ExtensionNote, Overdue: v.Overdue, AllowedActs: slices.Clone(v.Acts)}
	if s.Answered {
		a := s.Answer
		out.Answer = &informationv1.Answer{Kind: a.Kind, Exceptions: slices.Clone(a.Exceptions), Reasons: a.Reasons, Information: a.Information,
			DocumentSha256: a.DocumentSHA256, Link: a.Link, CostsCentimes: a.CostsCentimes, AnsweredOn: day(a.On), OnTime: v.OnTime, WorkingDays: int32(v.WorkingDays)}
	}
	for _, c := range v.Complaints {
		out.Complaints = append(out.Complaints, &informationv1.Complaint{Level: ieventsv1.ComplaintLevel(c.Level), LodgedOn: day(c.Complaint.On), Grounds: c.Complaint.Grounds,
			DecisionDueOn: day(c.DecisionDue), Outcome: c.Complaint.Outcome, DecidedOn: day(c.Complaint.DecidedOn), Reasons: c.Complaint.Reasons})
	}
	return out
}

// written waits for pos and returns the request as the actor sees it.
func (s *Server) written(ctx context.Context, name string, pos uint64) (*informationv1.InformationRequest, error) {
	if err := s.Wait.WaitFor(ctx, pos); err != nil {
		return nil, err
	}
	v, err := s.App.Queries.GetRequest.Handle(actor(ctx), name, 0)
	if err != nil {
		return nil, err
	}
	return toProto(v), nil
}

// CreateInformationRequest registers a request.
func (s *Server) CreateInformationRequest(ctx context.Context, r *informationv1.CreateInformationRequestRequest) (*informationv1.CreateInformationRequestResponse, error) {
	name, pos, err := s.App.Commands.CreateRequest.Handle(ctx, actor(ctx), command.CreateRequest{Parent: r.GetParent(), RequestID: r.GetRequestId(),
		Channel: r.GetChannel(), RequesterKind: r.GetRequesterKind(), RequesterName: r.GetRequesterName(), RequesterContact: r.GetRequesterContact(),
		Subject: r.GetSubject(), Urgent: r.GetUrgent(), UrgentReason: r.GetUrgentReason(), ReceivedOn: r.GetReceivedOn(), Language: r.GetLanguage()})
	if err != nil {
		return nil, err
	}
	out, err := s.written(ctx, name, pos)
	if err != nil {
		return nil, err
	}
	return &informationv1.CreateInformationRequestResponse{InformationRequest: out, LogPosition: pos}, nil
}

// GetInformationRequest returns one request.
func (s *Server) GetInformationRequest(ctx context.Context, r *informationv1.GetInformationRequestRequest) (*informationv1.GetInformationRequestResponse, error) {
	if err := s.Wait.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	v, err := s.App.Queries.GetRequest.Handle(actor(ctx), r.GetName(), r.GetAsOfPosition())
	if err != nil {
		return nil, err
	}
	return &informationv1.GetInformationRequestResponse{InformationRequest: toProto(v)}, nil
}

// ListInformationRequests lists a council's requests.
func (s *Server) ListInformationRequests(ctx context.Context, r *informationv1.ListInformationRequestsRequest) (*informationv1.ListInformationRequestsResponse, error) {
	if err := s.Wait.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	vs, err := s.App.Queries.ListRequests.Handle(actor(ctx), r.GetParent(), r.GetOpenOnly())
	if err != nil {
		return nil, err
	}
	out := &informationv1.ListInformationRequestsResponse{}
	for _, v := range vs {
		out.InformationRequests = append(out.InformationRequests, toProto(v))
	}
	return out, nil
}

// ExtendInformationRequest extends a deadline once.
func (s *Server) ExtendInformationRequest(ctx context.Context, r *informationv1.ExtendInformationRequestRequest) (*informationv1.ExtendInformationRequestResponse, error) {
	pos, err := s.App.Commands.ExtendRequest.Handle(ctx, actor(ctx), command.ExtendRequest{Name: r.GetName(), Reasons: r.GetReasons()})
	if err != nil {
		return nil, err
	}
	out, err := s.written(ctx, r.GetName(), pos)
	if err != nil {
		return nil, err
	}
	return &informationv1.ExtendInformationRequestResponse{InformationRequest: out, LogPosition: pos}, nil
}

// AnswerInformationRequest records a full or partial answer.
func (s *Server) AnswerInformationRequest(ctx context.Context, r *informationv1.AnswerInformationRequestRequest) (*informationv1.AnswerInformationRequestResponse, error) {
	kind := r.GetKind()
	if kind == ieventsv1.AnswerKind_ANSWER_KIND_REFUSED {
		kind = ieventsv1.AnswerKind_ANSWER_KIND_UNSPECIFIED // refusals go through :refuse
	}
	pos, err := s.App.Commands.AnswerRequest.Handle(ctx, actor(ctx), command.AnswerRequest{Name: r.GetName(), Kind: kind, Exceptions: r.GetExceptions(),
		Reasons: r.GetReasons(), Information: r.GetInformation(), DocumentSHA256: r.GetDocumentSha256(), Link: r.GetLink(), CostsCentimes: r.GetCostsCentimes(), AnsweredOn: r.GetAnsweredOn()})
	if err != nil {
		return nil, err
	}
	out, err := s.written(ctx, r.GetName(), pos)
	if err != nil {
		return nil, err
	}
	return &informationv1.AnswerInformationRequestResponse{InformationRequest: out, LogPosition: pos}, nil
}

// RefuseInformationRequest records a refusal.
func (s *Server) RefuseInformationRequest(ctx context.Context, r *informationv1.RefuseInformationRequestRequest) (*informationv1.RefuseInformationRequestResponse, error) {
	pos, err := s.App.Commands.AnswerRequest.Handle(ctx, actor(ctx), command.AnswerRequest{Name: r.GetName(), Kind: ieventsv1.AnswerKind_ANSWER_KIND_REFUSED,
		Exceptions: r.GetExceptions(), Reasons: r.GetReasons(), AnsweredOn: r.GetAnsweredOn()})
	if err != nil {
		return nil, err
	}
	out, err := s.written(ctx, r.GetName(), pos)
	if err != nil {
		return nil, err
	}
	return &informationv1.RefuseInformationRequestResponse{InformationRequest: out, LogPosition: pos}, nil
}

// ComplainInformationRequest records a complaint.
func (s *Server) ComplainInformationRequest(ctx context.Context, r *informationv1.ComplainInformationRequestRequest) (*informationv1.ComplainInformationRequestResponse, error) {
	pos, err := s.App.Commands.Complain.Handle(ctx, actor(ctx), command.Complain{Name: r.GetName(), Level: r.GetLevel(), Grounds: r.GetGrounds(), LodgedOn: r.GetLodgedOn()})
	if err != nil {
		return nil, err
	}
	out, err := s.written(ctx, r.GetName(), pos)
	if err != nil {
		return nil, err
	}
	return &informationv1.ComplainInformationRequestResponse{InformationRequest: out, LogPosition: pos}, nil
}

// DecideInformationComplaint records a complaint's decision.
func (s *Server) DecideInformationComplaint(ctx context.Context, r *informationv1.DecideInformationComplaintRequest) (*informationv1.DecideInformationComplaintResponse, error) {
	pos, err := s.App.Commands.DecideComplaint.Handle(ctx, actor(ctx), command.DecideComplaint{Name: r.GetName(), Level: r.GetLevel(), Outcome: r.GetOutcome(),
		Reasons: r.GetReasons(), DecidedOn: r.GetDecidedOn()})
	if err != nil {
		return nil, err
	}
	out, err := s.written(ctx, r.GetName(), pos)
	if err != nil {
		return nil, err
	}
	return &informationv1.DecideInformationComplaintResponse{InformationRequest: out, LogPosition: pos}, nil
}

// RevealRequester opens a request's sealed identity for the official.
func (s *Server) RevealRequester(ctx context.Context, r *informationv1.RevealRequesterRequest) (*informationv1.RevealRequesterResponse, error) {
	name, contact, pos, err := s.App.Commands.RevealRequester.Handle(ctx, actor(ctx), command.RevealRequester{Name: r.GetName(), Purpose: r.GetPurpose()})
	if err != nil {
		return nil, err
	}
	return &informationv1.RevealRequesterResponse{RequesterName: name, RequesterContact: contact, LogPosition: pos}, nil
}

// GetInformationFigures returns a council's figures.
func (s *Server) GetInformationFigures(ctx context.Context, r *informationv1.GetInformationFiguresRequest) (*informationv1.GetInformationFiguresResponse, error) {
	if err := s.Wait.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	var at time.Time
	if r.GetAsOfTime() != nil {
		at = r.GetAsOfTime().AsTime()
	}
	f, err := s.App.Queries.Figures.Handle(r.GetName(), r.GetAsOfPosition(), at)
	if err != nil {
		return nil, err
	}
	out := &informationv1.InformationFigures{Council: f.Council, Received: int32(f.Received), AnsweredOnTime: int32(f.AnsweredOnTime), AnsweredLate: int32(f.AnsweredLate),
		OverdueNow: int32(f.OverdueNow), Open: int32(f.Open), Extended: int32(f.Extended), MedianWorkingDays: f.MedianWorkingDays,
		ComplaintsToHead: int32(f.ComplaintsToHead), ComplaintsToCommission: int32(f.ComplaintsToCDAI), ComplaintsUpheld: int32(f.ComplaintsUpheld),
		ComplaintsRejected: int32(f.ComplaintsRejected), ComplaintsPending: int32(f.ComplaintsPending),
		RegisterCategoriesPublished: int32(f.RegisterPublished), RegisterCategories: int32(f.RegisterCategories), AsOfDay: day(f.Today)}
	for e, n := range f.RefusalsByException {
		out.RefusalsByException = append(out.RefusalsByException, &informationv1.ExceptionCount{Exception: e, Count: int32(n)})
	}
	slices.SortFunc(out.RefusalsByException, func(a, b *informationv1.ExceptionCount) int { return int(a.GetException() - b.GetException()) })
	return &informationv1.GetInformationFiguresResponse{Figures: out}, nil
}

// RecordPublication records a publication.
func (s *Server) RecordPublication(ctx context.Context, r *informationv1.RecordPublicationRequest) (*informationv1.RecordPublicationResponse, error) {
	p := r.GetPublication()
	pos, err := s.App.Commands.RecordPublication.Handle(ctx, actor(ctx), command.RecordPublication{Parent: r.GetParent(), Publication: &ieventsv1.PublicationRecorded{
		Category: p.GetCategory(), Title: p.GetTitle(), PublishedOn: p.GetPublishedOn(), Url: p.GetUrl(), DocumentSha256: p.GetDocumentSha256()}})
	if err != nil {
		return nil, err
	}
	return &informationv1.RecordPublicationResponse{LogPosition: pos}, nil
}

// ListPublications returns a council's register.
func (s *Server) ListPublications(ctx context.Context, r *informationv1.ListPublicationsRequest) (*informationv1.ListPublicationsResponse, error) {
	if err := s.Wait.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	pubs, missing, err := s.App.Queries.Publications.Handle(r.GetParent())
	if err != nil {
		return nil, err
	}
	out := &informationv1.ListPublicationsResponse{Missing: missing}
	for _, p := range pubs {
		out.Publications = append(out.Publications, &informationv1.Publication{Category: p.GetCategory(), Title: p.GetTitle(), PublishedOn: p.GetPublishedOn(),
			Url: p.GetUrl(), DocumentSha256: p.GetDocumentSha256()})
	}
	return out, nil
}

// CorrectHoliday records a holiday's announced date.
func (s *Server) CorrectHoliday(ctx context.Context, r *informationv1.CorrectHolidayRequest) (*informationv1.CorrectHolidayResponse, error) {
	pos, err := s.App.Commands.CorrectHoliday.Handle(ctx, actor(ctx), command.CorrectHoliday{Year: int(r.GetYear()), Holiday: r.GetHoliday(), Date: r.GetDate(), Reference: r.GetReference()})
	if err != nil {
		return nil, err
	}
	return &informationv1.CorrectHolidayResponse{LogPosition: pos}, nil
}

// GetWorkCalendar returns a year's holidays.
func (s *Server) GetWorkCalendar(ctx context.Context, r *informationv1.GetWorkCalendarRequest) (*informationv1.GetWorkCalendarResponse, error) {
	if err := s.Wait.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	hs, err := s.App.Queries.Calendar.Handle(int(r.GetYear()), r.GetAsOfPosition())
	if err != nil {
		return nil, err
	}
	out := &informationv1.GetWorkCalendarResponse{}
	for _, h := range hs {
		out.Holidays = append(out.Holidays, &informationv1.Holiday{Holiday: h.Key, Date: day(h.Date), Name: h.Name, Lunar: h.Lunar, Confirmed: h.Confirmed})
	}
	return out, nil
}
