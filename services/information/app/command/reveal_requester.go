package command

import (
	"context"
	"errors"
	"strings"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// RevealRequester opens a request's sealed identity for the council's
// designated official (to send the answer); the read is recorded first.
type RevealRequester struct {
	Name    string
	Purpose string
}

// RevealRequesterHandler runs RevealRequester.
type RevealRequesterHandler struct{ Deps }

// Handle records the read and returns the requester's name and contact
// with the log position written. An erased person's identity fails with
// PERSON_ERASED; nothing is opened that was not recorded as read.
func (h RevealRequesterHandler) Handle(ctx context.Context, actor eventstore.Actor, c RevealRequester) (name, contact string, pos uint64, err error) {
	r, err := ParseRequest(c.Name)
	if err != nil {
		return "", "", 0, err
	}
	// The identity is read from the request's own stream, as the act was
	// decided on it.
	var st domain.State
	pos, err = h.run(ctx, actor, r, func(s domain.State) error { st = s; return nil }, domain.Reveal{Purpose: c.Purpose})
	if err != nil {
		return "", "", 0, err
	}
	key, err := h.Persons.NameKey(ctx, Person(h.Requesters, r.Code, r.ID, st.RequesterKey), st.IdentityKeyID)
	if errors.Is(err, privacy.ErrErased) {
		return "", "", pos, fault.New(fault.FailedPrecondition, "PERSON_ERASED", "the requester's data was erased at their request")
	}
	if err != nil {
		return "", "", pos, err
	}
	plain, err := privacy.OpenName(key, st.IdentitySealed)
	if err != nil {
		return "", "", pos, err
	}
	name, contact, _ = strings.Cut(plain, "\n")
	return name, contact, pos, nil
}
