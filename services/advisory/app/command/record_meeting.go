package command

import (
	"context"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// RecordMeeting records a meeting of the body and who attended.
type RecordMeeting struct {
	Body Body
	domain.RecordMeeting
}

// RecordMeetingHandler runs RecordMeeting.
type RecordMeetingHandler struct{ Deps }

// Handle decides the command on the body and returns the log position
// written.
func (h RecordMeetingHandler) Handle(ctx context.Context, actor eventstore.Actor, c RecordMeeting) (uint64, error) {
	return h.run(ctx, actor, c.Body, "name", c.RecordMeeting)
}
