package command

import (
	"context"
	"strings"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// CreateConsultation records a council's consultation request. The
// Request's Council is the parent; its ID is given by the handler.
type CreateConsultation struct {
	domain.Request
}

// CreateConsultationHandler runs CreateConsultation.
type CreateConsultationHandler struct{ Deps }

// Handle records the request under a new id and returns its name and the
// log position written. The council must be registered at its level; the
// body asked must be an existing body of this council; a petition the
// request is about, if it is one of this council's, must exist under its
// whole name.
func (h CreateConsultationHandler) Handle(ctx context.Context, actor eventstore.Actor, c CreateConsultation) (Consultation, uint64, error) {
	if _, err := h.council(c.Council); err != nil {
		return Consultation{}, 0, err
	}
	if b := c.Body; b != "" {
		parts := strings.Split(b, "/")
		if len(parts) != 4 || parts[0]+"/"+parts[1] != c.Council || parts[2] != "advisoryBodies" {
			return Consultation{}, 0, fault.Field("body", "an advisory body of %s: %s/advisoryBodies/{body}", c.Council, c.Council)
		}
		if _, ok := h.Facts.Body(b); !ok {
			return Consultation{}, 0, fault.New(fault.NotFound, "BODY_NOT_FOUND", "no advisory body %s", b)
		}
	}
	if c.SubjectKind == consultationseventsv1.SubjectKind_SUBJECT_KIND_PETITION {
		ref := strings.TrimSpace(c.SubjectRef)
		if ref != "" && strings.HasPrefix(ref, c.Council+"/petitions/") && !h.Facts.Exists(ref) {
			return Consultation{}, 0, fault.New(fault.NotFound, "PETITION_NOT_FOUND", "no petition %s", ref)
		}
	}
	id, err := h.newID()
	if err != nil {
		return Consultation{}, 0, err
	}
	n := Consultation{Council: c.Council, ID: id}
	cmd := c.Request
	cmd.ID = id
	pos, err := h.run(ctx, actor, n, cmd)
	return n, pos, err
}
