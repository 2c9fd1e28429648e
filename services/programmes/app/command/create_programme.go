package command

import (
	"context"
	"strings"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
)

// CreateProgramme starts a commune's programme for a mandate; Preparation
// is filled in by the handler from the consultations' read model.
type CreateProgramme struct {
	domain.Draft
	// Consultation is the resource name of the consultation that prepares
	// it.
	Consultation string
}

// CreateProgrammeHandler runs CreateProgramme.
type CreateProgrammeHandler struct{ Deps }

// Handle records the draft and returns the programme's name and the log
// position written. The commune must be registered; the consultation must
// be the commune's, named in full.
func (h CreateProgrammeHandler) Handle(ctx context.Context, actor eventstore.Actor, c CreateProgramme) (Programme, uint64, error) {
	if _, err := h.council(c.Council); err != nil {
		return Programme{}, 0, err
	}
	if len(c.MandateStart) < 4 {
		return Programme{}, 0, fault.Field("mandate_start", "the first day of the mandate, YYYY-MM-DD")
	}
	p := Programme{Council: c.Council, Year: c.MandateStart[:4]}
	cmd := c.Draft
	cmd.Preparation = domain.Preparation{Name: c.Consultation}
	if st, ok := h.Facts.Consultation(c.Consultation); ok && st.Council+"/consultations/"+st.ID == c.Consultation {
		cmd.Preparation.Exists = true
		cmd.Preparation.ActionProgramme = st.SubjectKind == consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME
	}
	if !strings.HasPrefix(c.Council, "communes/") {
		// Let the domain say why (PROGRAMME_NOT_COMMUNE) without touching
		// a stream of a name that is not a commune's.
		_, err := domain.Decide(domain.State{}, cmd, domain.Context{Now: h.Now(), Actor: actor})
		if err == nil {
			err = fault.Field("parent", "want communes/{code}")
		}
		return Programme{}, 0, err
	}
	pos, err := h.act(ctx, actor, p, cmd)
	return p, pos, err
}
