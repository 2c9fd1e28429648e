// Package ports serves the territory service over gRPC (and REST through
// the gateway): councils and their rulebooks from the read model, and the
// administrator's acts through the application layer.
package ports

import (
	"context"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/access"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/internal/kernel/names"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/filter"
	"github.com/tasharuk/tasharuk/services/territory/app"
	"github.com/tasharuk/tasharuk/services/territory/domain"
	"github.com/tasharuk/tasharuk/services/territory/readmodel"
)

// Server implements territoryv1.TerritoryServiceServer.
type Server struct {
	territoryv1.UnimplementedTerritoryServiceServer
	Runner  *projections.Runner
	Model   *readmodel.Councils
	Handler *app.Handler
	// Rules is the read model of rulebook versions.
	Rules *readmodel.Rulebooks
	// Now is the clock: the rules shown with a council are today's.
	Now func() time.Time
}

// Council converts a council to the API resource, with the numbers of the
// rulebook in force for it today.
func (s *Server) Council(c domain.Council) *territoryv1.Council {
	return Council(c, s.Rules.On(c, s.Now()))
}

// Council converts a council to the API resource, with rulebook rb's
// numbers.
func Council(c domain.Council, rb domain.Rulebook) *territoryv1.Council {
	out := &territoryv1.Council{
		Name: domain.ResourceName(c.Level, c.Code), Code: c.Code, Level: c.Level, NameFr: c.NameFR, NameAr: c.NameAR,
		Population: c.Population, CensusYear: c.CensusYear, HasArrondissements: c.HasArrondissements,
		SignatureThreshold: int32(rb.SignatureThreshold(c)), DecisionDeadlineMonths: int32(rb.DecisionDeadlineMonths),
		PerProvinceSharePercent: int32(rb.PerProvinceSharePercent),
	}
	for _, m := range rb.OrdinarySessionMonths {
		out.OrdinarySessionMonths = append(out.OrdinarySessionMonths, int32(m))
	}
	if c.ParentCode != "" {
		parentLevel := territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE
		if c.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE {
			parentLevel = territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION
		}
		out.Parent = domain.ResourceName(parentLevel, c.ParentCode)
	}
	return out
}

func (s *Server) lookup(name string) (domain.Council, error) {
	level, code, err := domain.ParseResourceName(name)
	if err != nil {
		return domain.Council{}, fault.Field("name", "%v", err)
	}
	c, ok := s.Model.Council(code)
	if !ok || c.Level != level {
		return domain.Council{}, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", name)
	}
	return c, nil
}

// GetCouncil implements TerritoryService.
func (s *Server) GetCouncil(ctx context.Context, r *territoryv1.GetCouncilRequest) (*territoryv1.GetCouncilResponse, error) {
	if err := s.Runner.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	c, err := s.lookup(r.GetName())
	if err != nil {
		return nil, err
	}
	return &territoryv1.GetCouncilResponse{Council: s.Council(c)}, nil
}

// ListCouncils implements TerritoryService.
func (s *Server) ListCouncils(ctx context.Context, r *territoryv1.ListCouncilsRequest) (*territoryv1.ListCouncilsResponse, error) {
	if err := s.Runner.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	parent := ""
	if r.GetParent() != "" {
		c, err := s.lookup(r.GetParent())
		if err != nil {
			return nil, err
		}
		parent = c.Code
	}
	level := territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_UNSPECIFIED
	if f := strings.TrimSpace(r.GetFilter()); f != "" {
		k, v, ok := strings.Cut(f, "=")
		// A level as responses name it (COUNCIL_LEVEL_COMMUNE) or without
		// the prefix, in any case.
		lv, found := filter.Enum(territoryeventsv1.CouncilLevel_value, "COUNCIL_LEVEL_", v)
		if !ok || strings.TrimSpace(k) != "level" || !found {
			return nil, fault.Field("filter", "use level=<LEVEL>, one of %s", filter.Names(territoryeventsv1.CouncilLevel_name, "COUNCIL_LEVEL_"))
		}
		level = territoryeventsv1.CouncilLevel(lv)
	}
	size, err := names.PageSize(int(r.GetPageSize()), 50)
	if err != nil {
		return nil, err
	}
	offset, ok := names.DecodePageToken(r.GetPageToken())
	if !ok {
		return nil, fault.Field("page_token", "not a token from this query")
	}
	all := s.Model.Councils(parent, level)
	resp := &territoryv1.ListCouncilsResponse{TotalSize: int32(len(all))}
	offset = min(offset, len(all))
	end := min(offset+size, len(all))
	for _, c := range all[offset:end] {
		resp.Councils = append(resp.Councils, s.Council(c))
	}
	if end < len(all) {
		resp.NextPageToken = names.EncodePageToken(end)
	}
	return resp, nil
}

// RegisterCouncil implements TerritoryService.
func (s *Server) RegisterCouncil(ctx context.Context, r *territoryv1.RegisterCouncilRequest) (*territoryv1.RegisterCouncilResponse, error) {
	in := r.GetCouncil()
	if in == nil {
		return nil, fault.Field("council", "required")
	}
	c := domain.Council{Code: in.GetCode(), Level: in.GetLevel(), NameFR: in.GetNameFr(), NameAR: in.GetNameAr(),
		Population: in.GetPopulation(), CensusYear: in.GetCensusYear(), HasArrondissements: in.GetHasArrondissements()}
	if p := in.GetParent(); p != "" {
		_, code, err := domain.ParseResourceName(p)
		if err != nil {
			return nil, fault.Field("council.parent", "%v", err)
		}
		c.ParentCode = code
	}
	p, _ := access.PrincipalFrom(ctx)
	out, pos, err := s.Handler.Register(ctx, c, access.Actor(p))
	if err != nil {
		return nil, err
	}
	return &territoryv1.RegisterCouncilResponse{Council: s.Council(out), LogPosition: pos}, nil
}

// RecordPopulation implements TerritoryService.
func (s *Server) RecordPopulation(ctx context.Context, r *territoryv1.RecordPopulationRequest) (*territoryv1.RecordPopulationResponse, error) {
	// The whole name resolves: provinces/{a commune's code} is no council.
	c, err := s.lookup(r.GetName())
	if err != nil {
		return nil, err
	}
	p, _ := access.PrincipalFrom(ctx)
	out, pos, err := s.Handler.RecordPopulation(ctx, c.Code, r.GetPopulation(), r.GetCensusYear(), r.GetSource(), access.Actor(p))
	if err != nil {
		return nil, err
	}
	return &territoryv1.RecordPopulationResponse{Council: s.Council(out), LogPosition: pos}, nil
}
