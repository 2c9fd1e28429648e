package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// RecordSurvey records the aggregated results of a council's survey. The
// RecordSurvey's Council is the parent; its ID is given by the handler.
type RecordSurvey struct {
	domain.RecordSurvey
}

// RecordSurveyHandler runs RecordSurvey.
type RecordSurveyHandler struct{ Deps }

// Handle records the survey under a new id and returns its resource name
// and the log position written. The council must be registered at its
// level.
func (h RecordSurveyHandler) Handle(ctx context.Context, actor eventstore.Actor, c RecordSurvey) (string, uint64, error) {
	if _, err := h.council(c.Council); err != nil {
		return "", 0, err
	}
	id, err := h.newID()
	if err != nil {
		return "", 0, err
	}
	cmd := c.RecordSurvey
	cmd.ID = id
	pos, err := es.Run(ctx, h.Store, h.Registry, domain.SurveyStreamID(c.Council, id), actor, h.Now, domain.EvolveSurvey, domain.DecideSurvey,
		func(domain.SurveyState) (domain.RecordSurvey, error) { return cmd, nil })
	if err != nil {
		return "", 0, err
	}
	return domain.SurveyName(c.Council, id), pos, nil
}
