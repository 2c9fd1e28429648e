package readmodel

import (
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// foldAt rebuilds a petition as the log held it at a.Position and as the
// world stood at a.ValidTime. Lock held.
func (m *Petitions) foldAt(p *Petition, a AsOf) (Petition, bool) {
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
		out.countLevel(c.Assurance, int32(c.Delta))
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
func (m *Petitions) PetitionAt(name string, a AsOf) (Petition, bool) {
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
func (m *Petitions) PetitionsAt(councilCode string, f PetitionFilter, a AsOf) []Petition {
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
func (m *Petitions) figuresAt(code string, a AsOf) Figures {
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
func (m *Petitions) PetitionFiguresAt(code string, a AsOf) Figures {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f := m.figuresAt(code, a)
	f.Finish()
	return f
}
