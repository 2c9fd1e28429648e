package command

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
)

// ImportSurveyForms imports a file of satisfaction forms for a commune;
// the handler gives the import its id.
type ImportSurveyForms struct {
	domain.ImportForms
}

// ImportSurveyFormsHandler runs ImportSurveyForms.
type ImportSurveyFormsHandler struct{ Deps }

// Handle parses the file and appends its forms, in parts, in one append
// to a new stream: the whole file or nothing. It returns the import's
// name, the rows and the log position written.
func (h ImportSurveyFormsHandler) Handle(ctx context.Context, actor eventstore.Actor, c ImportSurveyForms) (string, []domain.ImportedRow, uint64, error) {
	if _, err := h.council(c.Council); err != nil {
		return "", nil, 0, err
	}
	id, err := h.newID()
	if err != nil {
		return "", nil, 0, err
	}
	cmd := c.ImportForms
	cmd.ID = id
	var rows []domain.ImportedRow
	pos, err := es.Execute(ctx, h.Store, h.Registry, domain.SurveyFormsStream(domain.CouncilCode(c.Council), id), actor, h.Now,
		func(bool, *eventstore.Event, proto.Message) bool { return true },
		func(seen bool) ([]es.Decided, error) {
			if seen {
				return nil, nil // a retry after a lost answer: already imported
			}
			evs, r, err := domain.DecideImport(cmd, es.Context{Now: h.Now(), Actor: actor})
			rows = r
			return evs, err
		})
	if err != nil {
		return "", nil, 0, err
	}
	return domain.ImportName(c.Council, id), rows, pos, nil
}
