package readmodel

import (
	"slices"
	"sort"
	"strings"
	"time"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// AsOf chooses the past a query looks at: Position 0 is now. Today is the
// day deadlines are judged on (for a look into the past, that day).
// ValidTime, if set, leaves out the events that occurred after it (what was
// true in the world then, projections.AsOf's valid time).
type AsOf struct {
	Position  uint64
	Today     domain.Day
	ValidTime time.Time
}

// At turns the runner's as-of (projections.Runner.QueryAsOf, which status
// and the other contexts resolve) into the model's: the same position and
// valid time, deadlines judged on the day of its clock. A time before the
// log's first event comes as a position past any and a valid time of the
// epoch: nothing occurred by then, so nothing is counted.
func At(a projections.AsOf) AsOf {
	return AsOf{Position: a.Position, ValidTime: a.ValidTime, Today: domain.DayOf(a.Now)}
}

// counts says whether a record is part of what is known as of a, and
// whether no later record of the same list can be (they are in log order).
func (a AsOf) counts(r record) (include, stop bool) {
	if a.Position != 0 && r.Position > a.Position {
		return false, true
	}
	if a.ValidTime.IsZero() {
		return true, false
	}
	at := r.OccurredAt
	if at.IsZero() {
		at = r.RecordedAt
	}
	return !at.After(a.ValidTime), false
}

// Request is a request as known at one position, with its clock judged on
// the calendar known then; an answered request keeps the due date of the
// calendar known when it was answered.
type Request struct {
	State domain.State
	// DueOn is the last day to answer.
	DueOn domain.Day
	// Overdue: no answer and DueOn passed by AsOf.Today.
	Overdue bool
	// OnTime: answered by DueOn.
	OnTime bool
	// WorkingDays from receipt to the answer (answered requests).
	WorkingDays int
}

// fold rebuilds a request at a. Lock held.
func (m *Model) fold(rs []record, a AsOf) (Request, bool) {
	var s domain.State
	var answeredAt uint64
	for _, r := range rs {
		include, stop := a.counts(r)
		if stop {
			break
		}
		if !include {
			continue
		}
		s = domain.Evolve(s, es.Recorded{Payload: r.Payload, RecordedAt: r.RecordedAt, OccurredAt: r.OccurredAt})
		if _, ok := r.Payload.(*ieventsv1.RequestAnswered); ok {
			answeredAt = r.Position
		}
	}
	if !s.Exists {
		return Request{}, false
	}
	calPos := a.Position
	if s.Answered {
		// Judged on the calendar known when it was answered: a later
		// correction does not rewrite a deadline already met or missed.
		calPos = answeredAt
	}
	cal := m.calendarAt(calPos)
	out := Request{State: s, DueOn: s.DueOn(cal, m.rules)}
	if s.Answered {
		out.OnTime = !s.Answer.On.After(out.DueOn)
		out.WorkingDays = cal.WorkingDaysBetween(s.ReceivedOn, s.Answer.On)
	} else {
		out.Overdue = a.Today.After(out.DueOn)
	}
	return out, true
}

// Request returns the request with this resource name at a.
func (m *Model) Request(name string, a AsOf) (Request, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rs, ok := m.requests[name]
	if !ok {
		return Request{}, false
	}
	r, ok := m.fold(rs, a)
	if !ok || r.State.Name != name {
		return Request{}, false
	}
	return r, true
}

// Requests returns the requests of a council ("communes/{c}") at a, those
// of requesterKey only when it is not empty, due soonest first.
func (m *Model) Requests(council, requesterKey string, a AsOf) []Request {
	m.mu.RLock()
	defer m.mu.RUnlock()
	prefix := council + "/informationRequests/"
	var out []Request
	for _, name := range m.names {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		r, ok := m.fold(m.requests[name], a)
		if !ok || (requesterKey != "" && r.State.RequesterKey != requesterKey) {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(x, y Request) int {
		if x.State.Answered != y.State.Answered {
			if x.State.Answered {
				return 1
			}
			return -1
		}
		if c := x.DueOn.Compare(y.DueOn); c != 0 {
			return c
		}
		return strings.Compare(x.State.ReceiptNumber, y.State.ReceiptNumber)
	})
	return out
}

// Publication is one entry of a council's register.
type Publication struct {
	Position uint64
	*ieventsv1.PublicationRecorded
}

// Publications returns the council code's register at position pos (0:
// now), newest first, and the categories of art. 10 still missing.
func (m *Model) Publications(code string, pos uint64) ([]Publication, []ieventsv1.PublicationCategory) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.publicationsAt(code, AsOf{Position: pos})
}

func (m *Model) publicationsAt(code string, a AsOf) ([]Publication, []ieventsv1.PublicationCategory) {
	var out []Publication
	have := map[ieventsv1.PublicationCategory]bool{}
	for _, r := range m.registers[code] {
		include, stop := a.counts(r)
		if stop {
			break
		}
		if !include {
			continue
		}
		p := r.Payload.(*ieventsv1.PublicationRecorded)
		out = append(out, Publication{Position: r.Position, PublicationRecorded: p})
		have[p.GetCategory()] = true
	}
	slices.SortStableFunc(out, func(a, b Publication) int { return strings.Compare(b.GetPublishedOn(), a.GetPublishedOn()) })
	var missing []ieventsv1.PublicationCategory
	for _, c := range domain.Categories() {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	return out, missing
}

// ClockAt returns the service's clock at the last of the context's events
// at or before pos (zero if none).
func (m *Model) ClockAt(pos uint64) time.Time {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := sort.Search(len(m.recorded), func(i int) bool { return m.recorded[i].Position > pos })
	if i == 0 {
		return time.Time{}
	}
	return m.recorded[i-1].At
}

// PositionAt returns the last position of the context's events stamped at
// or before t by the service's clock (0 if none).
func (m *Model) PositionAt(t time.Time) uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := sort.Search(len(m.recorded), func(i int) bool { return m.recorded[i].At.After(t) })
	if i == 0 {
		return 0
	}
	return m.recorded[i-1].Position
}
