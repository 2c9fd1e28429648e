package command

import (
	"context"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// Complain records a complaint to the head of the body (law 31-13 art.
// 19) or to the commission (art. 20): lodged by the requester online, or
// recorded by the official.
type Complain struct {
	Name     string
	Level    ieventsv1.ComplaintLevel
	Grounds  string
	LodgedOn string
}

// ComplainHandler runs Complain.
type ComplainHandler struct{ Deps }

// Handle records the complaint and returns the log position written. A
// citizen complains only of their own request; anyone else's is not found.
func (h ComplainHandler) Handle(ctx context.Context, actor eventstore.Actor, c Complain) (uint64, error) {
	r, err := ParseRequest(c.Name)
	if err != nil {
		return 0, err
	}
	on, err := optionalDay("lodged_on", c.LodgedOn)
	if err != nil {
		return 0, err
	}
	if !Official(actor) && !on.IsZero() {
		on = domain.Day{} // a requester lodges today
	}
	return h.run(ctx, actor, r, h.ownerOrOfficial(actor, r), domain.Complain{Level: c.Level, Grounds: c.Grounds, On: on})
}

// DecideComplaint records the head's or the commission's decision.
type DecideComplaint struct {
	Name      string
	Level     ieventsv1.ComplaintLevel
	Outcome   ieventsv1.ComplaintOutcome
	Reasons   string
	DecidedOn string
}

// DecideComplaintHandler runs DecideComplaint.
type DecideComplaintHandler struct{ Deps }

// Handle records the decision and returns the log position written.
func (h DecideComplaintHandler) Handle(ctx context.Context, actor eventstore.Actor, c DecideComplaint) (uint64, error) {
	r, err := ParseRequest(c.Name)
	if err != nil {
		return 0, err
	}
	on, err := optionalDay("decided_on", c.DecidedOn)
	if err != nil {
		return 0, err
	}
	return h.run(ctx, actor, r, nil, domain.DecideComplaint{Level: c.Level, Outcome: c.Outcome, Reasons: c.Reasons, On: on})
}
