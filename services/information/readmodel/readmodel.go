// Package readmodel is the information context's read model: requests for
// information with their clocks, the working-day calendar as known at each
// position, the publication register, and the figures per council, now or
// as of any past position. It implements the projections runner's
// ReadModel contract (Name, Apply, Snapshot, Restore; COORDINATION3.md):
// every event of the log is offered in order from one goroutine; it keeps
// its own categories and ignores the rest.
//
// It keeps every one of its events with its position, so an as-of answer
// folds them up to that position: what the system knew then, judged on the
// calendar known then.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"sort"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// record is one of the context's events as the model keeps it.
type record struct {
	Position   uint64
	RecordedAt time.Time
	OccurredAt time.Time
	Stream     string
	Payload    proto.Message
}

// Model is the read model. The zero value is not usable: use New.
type Model struct {
	reg   *es.Registry
	rules domain.Rulebook

	mu          sync.RWMutex
	position    uint64
	recorded    []posTime
	requests    map[string][]record // by resource name, in log order
	names       []string            // request names in the order received
	ids         map[string]string   // request id → name, across councils
	corrections []record            // HolidayCorrected, in log order
	registers   map[string][]record // PublicationRecorded by council code
}

type posTime struct {
	Position uint64
	At       time.Time
}

// New returns an empty model decoding with reg, judging deadlines with the
// default rulebook of law 31-13.
func New(reg *es.Registry) *Model {
	return &Model{reg: reg, rules: domain.DefaultRulebook(), requests: map[string][]record{}, ids: map[string]string{}, registers: map[string][]record{}}
}

// Name is the model's section in the runner's snapshot file.
func (m *Model) Name() string { return "information" }

// Rules returns the rulebook the model judges deadlines with.
func (m *Model) Rules() domain.Rulebook { return m.rules }

// Apply applies one event of the log; events of other contexts are
// ignored.
func (m *Model) Apply(e *eventstore.Event, payload proto.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Position != 0 && e.Position <= m.position {
		return nil
	}
	m.apply(record{Position: e.Position, RecordedAt: e.RecordedAt, OccurredAt: e.OccurredAt, Stream: e.Stream, Payload: payload})
	return nil
}

func (m *Model) apply(r record) {
	switch domain.Category(r.Stream) {
	case domain.RequestCategory:
		code, id, _ := domain.ParseRequestStream(r.Stream)
		name := "communes/" + code + "/informationRequests/" + id
		_, known := m.requests[name]
		if p, ok := r.Payload.(*ieventsv1.RequestReceived); ok && !known {
			// The name recorded must be the stream's own: a request is
			// only ever found under its council's name.
			if p.GetName() == name {
				m.names = append(m.names, name)
				m.ids[id] = name
				known = true
			}
		}
		if known {
			m.requests[name] = append(m.requests[name], r)
			m.stamp(r)
		}
	case domain.CalendarCategory:
		if _, ok := r.Payload.(*ieventsv1.HolidayCorrected); ok {
			m.corrections = append(m.corrections, r)
			m.stamp(r)
		}
	case domain.PublicationCategory:
		if _, ok := r.Payload.(*ieventsv1.PublicationRecorded); ok {
			code, _ := domain.ParsePublicationStream(r.Stream)
			m.registers[code] = append(m.registers[code], r)
			m.stamp(r)
		}
	}
	if r.Position != 0 {
		m.position = r.Position
	}
}

// stamp records when one of the context's own events happened by the
// service's clock (its occurred_at, which the service stamps when it
// decides; recorded_at if none): as of a time resolves to the last of them
// by then, and a past position's day is the day of the last of them up to
// it. Deadlines are judged against that clock (DESIGN.md "Time": an
// injected clock), which in production is the recording time.
func (m *Model) stamp(r record) {
	at := r.OccurredAt
	if at.IsZero() {
		at = r.RecordedAt
	}
	if r.Position != 0 {
		m.recorded = append(m.recorded, posTime{Position: r.Position, At: at})
	}
}

// Position returns the last position applied.
func (m *Model) Position() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.position
}

// calendarAt returns the working-day calendar as known at position pos (0:
// now). Lock held.
func (m *Model) calendarAt(pos uint64) *domain.Calendar {
	var cs []domain.Correction
	for _, r := range m.corrections {
		if pos != 0 && r.Position > pos {
			break
		}
		cs = append(cs, correctionOf(r))
	}
	return domain.NewCalendar(cs)
}

func correctionOf(r record) domain.Correction {
	p := r.Payload.(*ieventsv1.HolidayCorrected)
	year, _ := domain.ParseCalendarStream(r.Stream)
	c := domain.Correction{Year: year, Key: p.GetHoliday(), Name: p.GetName()}
	if d, err := domain.ParseDay(p.GetDate()); err == nil {
		c.Date = d
	} else {
		c.Removed = true
	}
	return c
}

// NameOfID returns the resource name of the request with this id, in any
// council: a client-chosen id never aliases another council's request.
func (m *Model) NameOfID(id string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.ids[id]
	return n, ok
}

// Calendar returns the working-day calendar as known at position pos (0:
// now).
func (m *Model) Calendar(pos uint64) *domain.Calendar {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.calendarAt(pos)
}

// snapshot is the gob form of the model: its records, payloads in their
// registered wire form.
type snapshot struct {
	Position uint64
	Records  []snapRecord
}

type snapRecord struct {
	Position               uint64
	RecordedAt, OccurredAt time.Time
	Stream, Type           string
	Version                uint32
	Payload                []byte
}

// Snapshot encodes the model.
func (m *Model) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var all []record
	for _, rs := range m.requests {
		all = append(all, rs...)
	}
	all = append(all, m.corrections...)
	for _, rs := range m.registers {
		all = append(all, rs...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Position < all[j].Position })
	s := snapshot{Position: m.position}
	for _, r := range all {
		name, v, b, err := m.reg.Encode(r.Payload)
		if err != nil {
			return nil, err
		}
		s.Records = append(s.Records, snapRecord{Position: r.Position, RecordedAt: r.RecordedAt, OccurredAt: r.OccurredAt, Stream: r.Stream, Type: name, Version: v, Payload: b})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Restore replaces the model with a snapshot. The recorded times of
// positions between the model's own events are not kept: as-of by time
// resolves to the runner's positions.
func (m *Model) Restore(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("information read model: %w", err)
	}
	fresh := New(m.reg)
	for _, r := range s.Records {
		p, err := m.reg.Decode(r.Type, r.Version, r.Payload)
		if err != nil {
			return fmt.Errorf("information read model: %w", err)
		}
		fresh.apply(record{Position: r.Position, RecordedAt: r.RecordedAt, OccurredAt: r.OccurredAt, Stream: r.Stream, Payload: p})
	}
	fresh.position = s.Position
	m.mu.Lock()
	defer m.mu.Unlock()
	m.position, m.recorded, m.requests, m.names, m.ids, m.corrections, m.registers =
		fresh.position, fresh.recorded, fresh.requests, fresh.names, fresh.ids, fresh.corrections, fresh.registers
	return nil
}
