package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// AmendRulebook records an amendment of a level's rulebook on the level's
// rulebook stream and returns it with its log position. It fails with a
// *domain.FieldError. Checking that the actor is an admin is the caller's.
func (h *Handler) AmendRulebook(ctx context.Context, cmd domain.AmendRulebook, actor eventstore.Actor) (*territoryeventsv1.RulebookAmended, uint64, error) {
	var out *territoryeventsv1.RulebookAmended
	pos, err := es.Execute(ctx, h.Store, h.Registry, domain.RulebookStream(cmd.Level), actor, h.Now, foldRulebook,
		func(st domain.RulebookState) ([]es.Decided, error) {
			e, err := domain.DecideAmendRulebook(st, cmd)
			if err != nil {
				return nil, err
			}
			out = e
			return []es.Decided{{Payload: e}}, nil
		})
	return out, pos, err
}

// SetCouncilRules records a council's internal rules on its rules stream.
// The council must be a registered one (the caller resolves its whole
// name). It fails with a *domain.FieldError.
func (h *Handler) SetCouncilRules(ctx context.Context, cmd domain.SetCouncilRules, actor eventstore.Actor) (*territoryeventsv1.CouncilRulesSet, uint64, error) {
	var out *territoryeventsv1.CouncilRulesSet
	pos, err := es.Execute(ctx, h.Store, h.Registry, domain.CouncilRulesStream(cmd.Council.Code), actor, h.Now, foldRulebook,
		func(st domain.RulebookState) ([]es.Decided, error) {
			e, err := domain.DecideSetCouncilRules(st, cmd)
			if err != nil {
				return nil, err
			}
			out = e
			return []es.Decided{{Payload: e}}, nil
		})
	return out, pos, err
}

func foldRulebook(st domain.RulebookState, _ *eventstore.Event, p proto.Message) domain.RulebookState {
	return domain.EvolveRulebook(st, p)
}
