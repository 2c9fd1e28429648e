package query

import (
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/app/command"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

func complaintLevel(l int32) ieventsv1.ComplaintLevel { return ieventsv1.ComplaintLevel(l) }

// GetRequestHandler answers GetRequest.
type GetRequestHandler struct{ Deps }

// Handle returns the request named, as of position asOf (0: now), if the
// actor may read it; anyone else's is not found.
func (h GetRequestHandler) Handle(actor eventstore.Actor, name string, asOf uint64) (View, error) {
	r, err := command.ParseRequest(name)
	if err != nil {
		return View{}, err
	}
	a, err := h.asOf(asOf, zeroTime)
	if err != nil {
		return View{}, err
	}
	got, ok := h.Model.Request(r.Name(), a)
	if !ok || !h.visible(actor, r.Code, got) {
		return View{}, fault.New(fault.NotFound, domain.ReasonRequestNotFound, "no request for information %s", r.Name())
	}
	return h.view(actor, got, a), nil
}

// ListRequestsHandler answers ListRequests.
type ListRequestsHandler struct{ Deps }

// Handle lists the council's requests the actor may read, due soonest
// first (the official's desk; a citizen's "my requests").
func (h ListRequestsHandler) Handle(actor eventstore.Actor, parent string, openOnly bool) ([]View, error) {
	code, err := command.ParseCouncil(h.Councils, parent)
	if err != nil {
		return nil, err
	}
	key := ""
	if !command.Official(actor) {
		key = command.RequesterKey(h.Requesters, code, actor.Subject)
	}
	a, _ := h.asOf(0, zeroTime)
	var out []View
	for _, r := range h.Model.Requests(parent, key, a) {
		if openOnly && r.State.Answered {
			continue
		}
		out = append(out, h.view(actor, r, a))
	}
	return out, nil
}
