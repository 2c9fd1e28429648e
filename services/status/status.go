// Package status serves tasharuk.status.v1.StatusService: where each
// council stands, from the read models, against the service's clock. It
// composes the contexts' read models (ReadModels) for the figures that
// cross them; no context imports it.
package status

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	advisoryrm "github.com/tasharuk/tasharuk/services/advisory/readmodel"
	consultationsrm "github.com/tasharuk/tasharuk/services/consultations/readmodel"
	informationrm "github.com/tasharuk/tasharuk/services/information/readmodel"
	petitionsrm "github.com/tasharuk/tasharuk/services/petitions/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Server implements statusv1.StatusServiceServer.
type Server struct {
	statusv1.UnimplementedStatusServiceServer
	Model *ReadModels
	Now   func() time.Time
}

func figures(f petitionsrm.Figures) *statusv1.PetitionFigures {
	return &statusv1.PetitionFigures{
		ByState: f.ByState, DepositedTotal: f.DepositedTotal, Overdue: f.Overdue,
		MedianDaysToDecision: f.MedianDays, AcceptanceRate: f.AcceptanceRate, Decided: f.Decided,
		ValidSignatures: f.ValidSignatures,
		// Per level of assurance (issue 16).
		ValidSignaturesPaperCheckedByStaff: f.ValidByAssurance[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF],
		ValidSignaturesCodeVerified:        f.ValidByAssurance[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED],
		ValidSignaturesProviderVerifiedId:  f.ValidByAssurance[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID],
	}
}

func advisory(f advisoryrm.Figures) *statusv1.AdvisoryFigures {
	return &statusv1.AdvisoryFigures{
		Bodies: int32(f.Bodies), Members: int32(f.Members), WomenShare: f.WomenShare(), YouthShare: f.YouthShare(), DisabilityShare: f.DisabilityShare(),
		Meetings: int32(f.Meetings), OpinionsAdopted: int32(f.OpinionsAdopted), OpinionsAnswered: int32(f.OpinionsAnswered),
		MedianDaysToResponse: f.MedianDaysToResponse, ResponsesFully: int32(f.ResponsesFully), ResponsesPartly: int32(f.ResponsesPartly), ResponsesNot: int32(f.ResponsesNot),
	}
}

func consultations(f consultationsrm.Figures) *statusv1.ConsultationFigures {
	return &statusv1.ConsultationFigures{
		Open: int32(f.Open), Answered: int32(f.Answered), Expired: int32(f.Expired), Withdrawn: int32(f.Withdrawn),
		Workshops: int32(f.Workshops), Participants: int32(f.Participants), WomenRate: f.WomenRate(), YouthRate: f.YouthRate(), DisabilityRate: f.DisabilityRate(),
		SurveyResponses: int32(f.SurveyResponses), MeanSatisfaction: f.MeanSatisfaction,
	}
}

// information gives a council's access-to-information figures, or none
// when nothing of the context is recorded for it (no request, no
// publication): a council that does not keep its register here shows no
// figures rather than zeros, and a log from before the context (the
// pre-redesign log) answers as it did.
func information(f informationrm.Figures) *statusv1.InformationAccessFigures {
	if f.Received == 0 && f.RegisterPublished == 0 {
		return nil
	}
	out := &statusv1.InformationAccessFigures{
		Received: int32(f.Received), AnsweredOnTime: int32(f.AnsweredOnTime), AnsweredLate: int32(f.AnsweredLate), OverdueNow: int32(f.OverdueNow),
		Open: int32(f.Open), Extended: int32(f.Extended), MedianWorkingDays: f.MedianWorkingDays,
		ComplaintsToHead: int32(f.ComplaintsToHead), ComplaintsToCommission: int32(f.ComplaintsToCDAI), ComplaintsUpheld: int32(f.ComplaintsUpheld),
		ComplaintsRejected: int32(f.ComplaintsRejected), ComplaintsPending: int32(f.ComplaintsPending),
		RegisterCategoriesPublished: int32(f.RegisterPublished), RegisterCategories: int32(f.RegisterCategories),
		RefusalsByException: map[string]int32{},
	}
	for e, n := range f.RefusalsByException {
		if n > 0 {
			out.RefusalsByException[e.String()] = int32(n)
		}
	}
	return out
}

func councilStatus(c tdomain.Council, f petitionsrm.Figures, m MechanismFigures, info informationrm.Figures) *statusv1.CouncilStatus {
	return &statusv1.CouncilStatus{Council: tdomain.ResourceName(c.Level, c.Code), NameFr: c.NameFR, Population: c.Population,
		Petitions: figures(f), Advisory: advisory(m.Advisory), Consultations: consultations(m.Consultations), WorkingBody: m.Advisory.WorkingBody,
		Information: information(info)}
}

func (s *Server) council(name string) (tdomain.Council, error) {
	level, code, err := tdomain.ParseResourceName(name)
	if err != nil {
		return tdomain.Council{}, fault.Field("name", "%v", err)
	}
	c, ok := s.Model.Territory.Council(code)
	if !ok || c.Level != level {
		return tdomain.Council{}, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", name)
	}
	return c, nil
}

// GetCouncilStatus implements StatusService.
func (s *Server) GetCouncilStatus(ctx context.Context, r *statusv1.GetCouncilStatusRequest) (*statusv1.GetCouncilStatusResponse, error) {
	council, ok := strings.CutSuffix(r.GetName(), "/status")
	if !ok {
		return nil, fault.Field("name", "a status name is {communes|provinces|regions}/{council}/status")
	}
	a, err := s.asOf(ctx, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	c, err := s.council(council)
	if err != nil {
		return nil, err
	}
	return &statusv1.GetCouncilStatusResponse{
		Status:   councilStatus(c, s.Model.Petitions.PetitionFiguresAt(c.Code, a), s.Model.MechanismFiguresAt(c.Code, a), s.Model.InformationFiguresAt(c, a)),
		Position: s.Model.AnswerPosition(a), EvaluateTime: timestamppb.New(a.Now),
	}, nil
}

// ListCouncilStatuses implements StatusService.
func (s *Server) ListCouncilStatuses(ctx context.Context, r *statusv1.ListCouncilStatusesRequest) (*statusv1.ListCouncilStatusesResponse, error) {
	a, err := s.asOf(ctx, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	c, err := s.council(r.GetParent())
	if err != nil {
		return nil, err
	}
	if c.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		return nil, fault.Field("parent", "a region or a province")
	}
	parent, children, total, _ := s.Model.PetitionRollup(c.Code, a)
	mech, mechTotal := s.Model.MechanismRollup(c.Code, a)
	infoTotal := s.Model.InformationFiguresAt(c, a)
	resp := &statusv1.ListCouncilStatusesResponse{
		Parent: councilStatus(parent.Council, parent.Figures, mech[c.Code], infoTotal), Rollup: figures(total),
		AdvisoryRollup: advisory(mechTotal.Advisory), ConsultationsRollup: consultations(mechTotal.Consultations), InformationRollup: information(infoTotal),
		Position: s.Model.AnswerPosition(a), EvaluateTime: timestamppb.New(a.Now),
	}
	for _, ch := range children {
		resp.Councils = append(resp.Councils, councilStatus(ch.Council, ch.Figures, mech[ch.Council.Code], s.Model.InformationFiguresAt(ch.Council, a)))
	}
	return resp, nil
}

func (s *Server) asOf(ctx context.Context, minPos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (projections.AsOf, error) {
	return s.Model.QueryAsOf(ctx, s.Now(), minPos, asOfPos, asOfTime, validTime)
}
