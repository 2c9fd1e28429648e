package query

import (
	"strings"
	"time"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/app/command"
	"github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/information/readmodel"
)

var zeroTime time.Time

// FiguresHandler answers GetFigures.
type FiguresHandler struct{ Deps }

// Handle returns the figures named "communes/{c}/informationFigures", now
// or as of a position or a time.
func (h FiguresHandler) Handle(name string, asOfPosition uint64, asOfTime time.Time) (readmodel.Figures, error) {
	council, ok := strings.CutSuffix(name, "/informationFigures")
	if !ok {
		return readmodel.Figures{}, fault.Field("name", "figures are named communes/{commune}/informationFigures, got %q", name)
	}
	code, err := command.ParseCouncil(h.Councils, council)
	if err != nil {
		return readmodel.Figures{}, err
	}
	a, err := h.asOf(asOfPosition, asOfTime)
	if err != nil {
		return readmodel.Figures{}, err
	}
	return h.Model.Figures(code, a), nil
}

// PublicationsHandler answers ListPublications.
type PublicationsHandler struct{ Deps }

// Handle returns the council's register, newest first, and the categories
// of art. 10 still missing.
func (h PublicationsHandler) Handle(parent string) ([]readmodel.Publication, []ieventsv1.PublicationCategory, error) {
	code, err := command.ParseCouncil(h.Councils, parent)
	if err != nil {
		return nil, nil, err
	}
	pubs, missing := h.Model.Publications(code, 0)
	return pubs, missing, nil
}

// CalendarHandler answers GetWorkCalendar.
type CalendarHandler struct{ Deps }

// Handle returns the year's holidays as known now or as of a position.
func (h CalendarHandler) Handle(year int, asOf uint64) ([]domain.Holiday, error) {
	if year < 2000 || year > 2100 {
		return nil, fault.Field("year", "%d is not a year the calendar keeps", year)
	}
	return h.Model.Calendar(asOf).Holidays(year), nil
}
