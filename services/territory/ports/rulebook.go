package ports

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// rulebookOf resolves "{council}/rulebook" to its council, in full.
func (s *Server) rulebookOf(name string) (domain.Council, error) {
	council, ok := strings.CutSuffix(name, "/rulebook")
	if !ok || strings.Count(council, "/") != 1 {
		return domain.Council{}, fault.Field("name", "a rulebook name is {communes|provinces|regions}/{council}/rulebook, got %q", name)
	}
	return s.lookup(council)
}

// GetRulebook implements TerritoryService.
func (s *Server) GetRulebook(ctx context.Context, r *territoryv1.GetRulebookRequest) (*territoryv1.GetRulebookResponse, error) {
	if err := s.Runner.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	c, err := s.rulebookOf(r.GetName())
	if err != nil {
		return nil, err
	}
	day := s.Now().UTC()
	if d := r.GetAsOfDate(); d != "" {
		if day, err = domain.ParseDay(d); err != nil {
			return nil, fault.Field("as_of_date", "a day YYYY-MM-DD, got %q", d)
		}
	}
	return &territoryv1.GetRulebookResponse{Rulebook: s.rulebook(c, day)}, nil
}

// rulebook is the API resource of the rules in force for c on day.
func (s *Server) rulebook(c domain.Council, day time.Time) *territoryv1.Rulebook {
	rb := s.Rules.On(c, day)
	council := domain.ResourceName(c.Level, c.Code)
	out := &territoryv1.Rulebook{
		Name: council + "/rulebook", Council: council, Level: c.Level, AsOfDate: day.Format(time.DateOnly),
		Version: int32(rb.Version), CouncilRulesVersion: int32(rb.CouncilRulesVersion),
		SignatureThreshold: int32(rb.SignatureThreshold(c)), ArrondissementsSignatures: int32(rb.ArrondissementsSignatures),
		PerProvinceSharePercent: int32(rb.PerProvinceSharePercent), DecisionDeadlineMonths: int32(rb.DecisionDeadlineMonths),
		SessionMarginDays: int32(rb.SessionMarginDays), Articles: rb.Articles, ModerationDeadlineDays: int32(rb.ModerationDeadlineDays),
		CountedAssurance: rb.CountedAssurance,
	}
	for _, b := range rb.SignatureBrackets {
		out.SignatureBrackets = append(out.SignatureBrackets, signatureBracket(b))
	}
	for _, m := range rb.OrdinarySessionMonths {
		out.OrdinarySessionMonths = append(out.OrdinarySessionMonths, int32(m))
	}
	// Version 1, the code's defaults, then every recorded version.
	out.Versions = append(out.Versions, &territoryv1.RulebookVersion{Scope: domain.ScopeLevel, Version: 1, Reference: "tasharuk defaults (the organic laws as enacted)", InForce: rb.Version == 1})
	for _, v := range s.Rules.Versions(c) {
		inForce := (v.Scope == domain.ScopeLevel && v.Version == rb.Version) || (v.Scope == domain.ScopeCouncil && v.Version == rb.CouncilRulesVersion)
		out.Versions = append(out.Versions, &territoryv1.RulebookVersion{
			Scope: v.Scope, Version: int32(v.Version), Reference: v.Reference, EffectiveDate: v.Effective.Format(time.DateOnly),
			ChangedFields: v.Changed, RecordTime: timestamppb.New(v.RecordedAt), InForce: inForce,
		})
	}
	return out
}

// AmendRulebook implements TerritoryService.
func (s *Server) AmendRulebook(ctx context.Context, r *territoryv1.AmendRulebookRequest) (*territoryv1.AmendRulebookResponse, error) {
	p, _ := access.PrincipalFrom(ctx)
	e, pos, err := s.Handler.AmendRulebook(ctx, domain.AmendRulebook{Level: r.GetLevel(), LegalReference: r.GetLegalReference(),
		EffectiveDate: r.GetEffectiveDate(), Values: r.GetValues()}, access.Actor(p))
	if err != nil {
		return nil, err
	}
	return &territoryv1.AmendRulebookResponse{Amendment: e, LogPosition: pos}, nil
}

// SetCouncilRules implements TerritoryService.
func (s *Server) SetCouncilRules(ctx context.Context, r *territoryv1.SetCouncilRulesRequest) (*territoryv1.SetCouncilRulesResponse, error) {
	c, err := s.rulebookOf(r.GetName())
	if err != nil {
		return nil, err
	}
	p, _ := access.PrincipalFrom(ctx)
	e, pos, err := s.Handler.SetCouncilRules(ctx, domain.SetCouncilRules{Council: c, InternalRulesReference: r.GetInternalRulesReference(),
		EffectiveDate: r.GetEffectiveDate(), SessionMarginDays: r.SessionMarginDays, ModerationDeadlineDays: r.ModerationDeadlineDays,
		CountedAssurance: r.GetCountedAssurance()}, access.Actor(p))
	if err != nil {
		return nil, err
	}
	return &territoryv1.SetCouncilRulesResponse{Rules: e, LogPosition: pos}, nil
}

func signatureBracket(b domain.SignatureBracket) *territoryeventsv1.SignatureBracket {
	return &territoryeventsv1.SignatureBracket{MaxPopulation: b.MaxPopulation, Signatures: int32(b.Signatures)}
}
