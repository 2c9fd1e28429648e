package command

import (
	"context"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// AnswerRequest records a full or partial answer, or (Refuse) a refusal
// (law 31-13 arts 7, 16, 18).
type AnswerRequest struct {
	Name           string
	Kind           ieventsv1.AnswerKind
	Exceptions     []ieventsv1.Exception
	Reasons        string
	Information    string
	DocumentSHA256 string
	Link           string
	CostsCentimes  int64
	AnsweredOn     string
}

// AnswerRequestHandler runs AnswerRequest.
type AnswerRequestHandler struct{ Deps }

// Handle records the answer and returns the log position written.
func (h AnswerRequestHandler) Handle(ctx context.Context, actor eventstore.Actor, c AnswerRequest) (uint64, error) {
	r, err := ParseRequest(c.Name)
	if err != nil {
		return 0, err
	}
	on, err := optionalDay("answered_on", c.AnsweredOn)
	if err != nil {
		return 0, err
	}
	return h.run(ctx, actor, r, nil, domain.Give{Kind: c.Kind, Exceptions: c.Exceptions, Reasons: c.Reasons, Information: c.Information,
		DocumentSHA256: c.DocumentSHA256, Link: c.Link, CostsCentimes: c.CostsCentimes, On: on})
}

func optionalDay(field, s string) (domain.Day, error) {
	if s == "" {
		return domain.Day{}, nil
	}
	d, err := domain.ParseDay(s)
	if err != nil {
		return domain.Day{}, fault.Field(field, "%v", err)
	}
	return d, nil
}
