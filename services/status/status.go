// Package status serves tasharuk.status.v1.StatusService: where each
// council stands, from the read models, against the service's clock.
package status

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/fault"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Server implements statusv1.StatusServiceServer.
type Server struct {
	statusv1.UnimplementedStatusServiceServer
	Model *projections.Model
	Now   func() time.Time
}

func figures(f projections.Figures) *statusv1.PetitionFigures {
	return &statusv1.PetitionFigures{
		ByState: f.ByState, DepositedTotal: f.DepositedTotal, Overdue: f.Overdue,
		MedianDaysToDecision: f.MedianDays, AcceptanceRate: f.AcceptanceRate, Decided: f.Decided,
		ValidSignatures: f.ValidSignatures,
	}
}

func councilStatus(c tdomain.Council, f projections.Figures) *statusv1.CouncilStatus {
	return &statusv1.CouncilStatus{Council: tdomain.ResourceName(c.Level, c.Code), NameFr: c.NameFR, Population: c.Population, Petitions: figures(f)}
}

func (s *Server) council(name string) (tdomain.Council, error) {
	level, code, err := tdomain.ParseResourceName(name)
	if err != nil {
		return tdomain.Council{}, fault.Field("name", "%v", err)
	}
	c, ok := s.Model.Council(code)
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
	if err := s.Model.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	c, err := s.council(council)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return &statusv1.GetCouncilStatusResponse{
		Status: councilStatus(c, s.Model.PetitionFigures(c.Code, now)), Position: s.Model.Position(), EvaluateTime: timestamppb.New(now),
	}, nil
}

// ListCouncilStatuses implements StatusService.
func (s *Server) ListCouncilStatuses(ctx context.Context, r *statusv1.ListCouncilStatusesRequest) (*statusv1.ListCouncilStatusesResponse, error) {
	if err := s.Model.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	c, err := s.council(r.GetParent())
	if err != nil {
		return nil, err
	}
	if c.Level == territoryv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		return nil, fault.Field("parent", "a region or a province")
	}
	now := s.Now()
	parent, children, total, _ := s.Model.Rollup(c.Code, now)
	resp := &statusv1.ListCouncilStatusesResponse{
		Parent: councilStatus(parent.Council, parent.Figures), Rollup: figures(total),
		Position: s.Model.Position(), EvaluateTime: timestamppb.New(now),
	}
	for _, ch := range children {
		resp.Councils = append(resp.Councils, councilStatus(ch.Council, ch.Figures))
	}
	return resp, nil
}
