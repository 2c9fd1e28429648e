package command

import (
	"context"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// RecordPublication adds an entry to the council's register of proactive
// publication (law 31-13 art. 10).
type RecordPublication struct {
	Parent      string
	Publication *ieventsv1.PublicationRecorded
}

// RecordPublicationHandler runs RecordPublication.
type RecordPublicationHandler struct{ Deps }

// Handle records the entry and returns the log position written.
func (h RecordPublicationHandler) Handle(ctx context.Context, actor eventstore.Actor, c RecordPublication) (uint64, error) {
	code, err := ParseCouncil(h.Councils, c.Parent)
	if err != nil {
		return 0, err
	}
	p := &ieventsv1.PublicationRecorded{Category: c.Publication.GetCategory(), Title: c.Publication.GetTitle(), PublishedOn: c.Publication.GetPublishedOn(),
		Url: c.Publication.GetUrl(), DocumentSha256: c.Publication.GetDocumentSha256()}
	if err := domain.CheckPublication(p, domain.DayOf(h.Now())); err != nil {
		return 0, err
	}
	return es.Execute(ctx, h.Store, h.Registry, domain.PublicationStream(code), actor, h.Now,
		func(n int, _ *eventstore.Event, _ proto.Message) int { return n + 1 },
		func(int) ([]es.Decided, error) { return []es.Decided{{Payload: p}}, nil })
}

// CorrectHoliday records the announced date of a public holiday (admin).
type CorrectHoliday struct {
	Year      int
	Holiday   string
	Date      string
	Reference string
}

// CorrectHolidayHandler runs CorrectHoliday.
type CorrectHolidayHandler struct{ Deps }

// Handle records the correction and returns the log position written.
func (h CorrectHolidayHandler) Handle(ctx context.Context, actor eventstore.Actor, c CorrectHoliday) (uint64, error) {
	ev, err := domain.CorrectHoliday(h.Model.Calendar(0), c.Year, c.Holiday, c.Date, "", c.Reference)
	if err != nil {
		return 0, err
	}
	return es.Execute(ctx, h.Store, h.Registry, domain.CalendarStream(c.Year), actor, h.Now,
		func(n int, _ *eventstore.Event, _ proto.Message) int { return n + 1 },
		func(int) ([]es.Decided, error) { return []es.Decided{{Payload: ev}}, nil })
}
