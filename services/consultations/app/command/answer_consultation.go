package command

import (
	"context"
	"strings"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// AnswerConsultation records the view given: a body's adopted opinion or
// the synthesis of a public consultation.
type AnswerConsultation struct {
	Consultation Consultation
	domain.Answer
}

// AnswerConsultationHandler runs AnswerConsultation.
type AnswerConsultationHandler struct{ Deps }

// Handle records the answer and returns the log position written. An
// opinion must be one of a body of the consultation's council (another
// council's is refused before it is looked up), exist under its whole
// name, and have been adopted; that it is the asked body's is the
// domain's rule.
func (h AnswerConsultationHandler) Handle(ctx context.Context, actor eventstore.Actor, c AnswerConsultation) (uint64, error) {
	if op := c.Opinion; op != "" {
		n := c.Consultation
		parts := strings.Split(op, "/")
		if len(parts) != 6 || parts[2] != "advisoryBodies" || parts[4] != "opinions" {
			return 0, fault.Field("opinion", "an opinion name {council}/advisoryBodies/{body}/opinions/{opinion}")
		}
		if parts[0]+"/"+parts[1] != n.Council {
			return 0, fault.Field("opinion", "an opinion of a body of %s: %s/advisoryBodies/{body}/opinions/{opinion}", n.Council, n.Council)
		}
		body, ok := h.Facts.Body(strings.Join(parts[:4], "/"))
		o, found := body.Opinions[parts[5]]
		if !ok || !found || body.Council != n.Council {
			return 0, fault.New(fault.NotFound, "OPINION_NOT_FOUND", "no opinion %s", op)
		}
		if o.AdoptedAt.IsZero() {
			return 0, fault.New(fault.FailedPrecondition, "WRONG_STATE", "opinion %s is not adopted yet", op)
		}
	}
	return h.run(ctx, actor, c.Consultation, c.Answer)
}
