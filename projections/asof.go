package projections

import (
	"errors"
	"sort"
	"time"

	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// AsOf chooses the past a query looks at.
//
// Position (or a recorded time turned into one with PositionAt) gives what
// the system knew then: only events recorded at or before it count.
// ValidTime gives what was true in the world then: only facts that
// occurred at or before it count, however late they were keyed in (a paper
// deposit recorded a week after it was received). Now is the clock against
// which deadlines are judged; for a look into the past it is the past date.
//
// The model keeps each case's stored events and each petition's signature
// changes, so an as-of answer folds only the cases involved instead of
// replaying the whole log from a snapshot.
type AsOf struct {
	Position  uint64
	ValidTime time.Time
	Now       time.Time
}

// Latest reports whether a looks at the present.
func (a AsOf) Latest() bool { return a.Position == 0 && a.ValidTime.IsZero() }

// PositionAt returns the last position recorded at or before t (0 if
// none).
func (m *Model) PositionAt(t time.Time) uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := t.UnixNano()
	i := sort.Search(len(m.recorded), func(i int) bool { return m.recorded[i].MaxNanos > n })
	if i == 0 {
		return 0
	}
	return m.recorded[i-1].Position
}

// foldAt rebuilds a petition as the log held it at a.Position and as the
// world stood at a.ValidTime. Lock held.
func (m *Model) foldAt(p *Petition, a AsOf) (Petition, bool) {
	if a.Latest() {
		return p.copy(), true
	}
	out := Petition{ByProvince: map[string]int32{}}
	for _, h := range p.History {
		if a.Position > 0 && h.Position > a.Position {
			break
		}
		if !a.ValidTime.IsZero() && h.OccurredAt.After(a.ValidTime) {
			continue
		}
		payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
		if err != nil {
			continue
		}
		out.State = pdomain.Evolve(out.State, pdomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
		out.Revision = uint64(len(out.History))
		out.History = append(out.History, h)
		out.Timeline = append(out.Timeline, TimelineEntry{EventID: h.ID, Type: h.Type, Summary: summarize(payload), OccurredAt: h.OccurredAt,
			RecordedAt: h.RecordedAt, ActorRole: h.Actor.Role, Actor: h.Actor.Subject, Position: h.Position, StateAfter: out.State.Status})
	}
	if !out.State.Exists {
		return Petition{}, false
	}
	vt := a.ValidTime.UnixNano()
	for _, c := range p.Signatures {
		if a.Position > 0 && c.Position > a.Position {
			break
		}
		if !a.ValidTime.IsZero() && c.OccurredAt > vt {
			continue
		}
		out.Valid += int32(c.Delta)
		if c.Province != "" {
			out.ByProvince[c.Province] += int32(c.Delta)
		}
	}
	// Hashes of the timeline come from the full timeline.
	for i := range out.Timeline {
		for _, full := range p.Timeline {
			if full.EventID == out.Timeline[i].EventID {
				out.Timeline[i].Hash = full.Hash
			}
		}
	}
	return out, true
}

// PetitionAt returns a petition, by its whole resource name, as of a.
func (m *Model) PetitionAt(name string, a AsOf) (Petition, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.petitions[name]
	if !ok {
		return Petition{}, false
	}
	return m.foldAt(p, a)
}

// PetitionsAt returns the council's petitions as of a that match f
// (f.Now is ignored: a.Now judges deadlines), newest first.
func (m *Model) PetitionsAt(councilCode string, f PetitionFilter, a AsOf) []Petition {
	if a.Latest() {
		f.Now = a.Now
		return m.Petitions(councilCode, f)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	list := m.byCouncil[councilCode]
	var out []Petition
	for i := len(list) - 1; i >= 0; i-- {
		p, ok := m.foldAt(list[i], a)
		if !ok {
			continue
		}
		if f.State != 0 && p.State.Status != f.State {
			continue
		}
		if f.Overdue && !p.State.Overdue(a.Now) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// figuresAt computes a council's figures as of a. Lock held.
func (m *Model) figuresAt(code string, a AsOf) Figures {
	if a.Latest() {
		return m.figures(code, a.Now)
	}
	f := Figures{ByState: map[string]int32{}}
	for _, p := range m.byCouncil[code] {
		if past, ok := m.foldAt(p, a); ok {
			f.add(&past, a.Now)
		}
	}
	return f
}

// PetitionFiguresAt computes a council's figures as of a.
func (m *Model) PetitionFiguresAt(code string, a AsOf) Figures {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f := m.figuresAt(code, a)
	f.finish()
	return f
}

// RollupAt is Rollup as of a.
func (m *Model) RollupAt(code string, a AsOf) (parent CouncilFigures, children []CouncilFigures, total Figures, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.councils[code]
	if !ok {
		return CouncilFigures{}, nil, Figures{}, false
	}
	parent = CouncilFigures{Council: *c, Figures: m.figuresAt(code, a)}
	total = Figures{ByState: map[string]int32{}}
	total.merge(parent.Figures)
	m.walk(code, func(ch *tdomain.Council) {
		f := m.figuresAt(ch.Code, a)
		total.merge(f)
		f.finish()
		children = append(children, CouncilFigures{Council: *ch, Figures: f})
	})
	parent.Figures.finish()
	total.finish()
	sort.Slice(children, func(i, j int) bool { return children[i].Council.Code < children[j].Council.Code })
	return parent, children, total, true
}

// RecordedAt returns when the event at position pos was recorded (the
// running maximum up to it); zero if unknown.
func (m *Model) RecordedAt(pos uint64) time.Time {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := sort.Search(len(m.recorded), func(i int) bool { return m.recorded[i].Position >= pos })
	if i == len(m.recorded) || m.recorded[i].Position != pos {
		return time.Time{}
	}
	return time.Unix(0, m.recorded[i].MaxNanos).UTC()
}

// ErrAsOf: the as-of fields of a query do not go together.
var ErrAsOf = errors.New("projections: give as_of_position or as_of_time, not both")

// Resolve turns a query's as-of fields into an AsOf: the position (from
// as_of_position, or as_of_time's last recorded position) and the clock
// deadlines are judged against (valid_time, else as_of_time, else the
// recording time of as_of_position, else now).
func (m *Model) Resolve(position uint64, asOfTime, validTime, now time.Time) (AsOf, error) {
	if position > 0 && !asOfTime.IsZero() {
		return AsOf{}, ErrAsOf
	}
	a := AsOf{Position: position, ValidTime: validTime, Now: now}
	if !asOfTime.IsZero() {
		a.Position = m.PositionAt(asOfTime)
		a.Now = asOfTime
		if a.Position == 0 {
			// Before the first event: nothing was known.
			a.Position = ^uint64(0) >> 1
			a.ValidTime = time.Unix(0, 0)
		}
	} else if position > 0 {
		if t := m.RecordedAt(position); !t.IsZero() {
			a.Now = t
		}
	}
	if !validTime.IsZero() {
		a.Now = validTime
	}
	return a, nil
}
