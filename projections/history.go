package projections

import (
	"fmt"
	"strings"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// HistoryEntry is one event of a case with the case's state after it.
type HistoryEntry struct {
	StoredEvent
	StateAfter string
	Summary    string
}

// petitionNamed returns the petition whose full resource name is
// council+"/petitions/"+id, resolving the whole name: the id must be the
// petition's and the council its council. Lock held.
func (m *Model) petitionNamed(council, id string) (*Petition, bool) {
	p, ok := m.petitions[council+"/petitions/"+id]
	if !ok || p.State.Council != council || p.State.ID != id {
		return nil, false
	}
	return p, true
}

// Exists reports whether name is the full resource name of a case the
// read model knows: a petition, an advisory body, an opinion, a
// consultation or a survey. A name that puts one council's id under
// another council (or another level) is not one.
func (m *Model) Exists(name string) bool {
	parts := strings.Split(name, "/")
	m.mu.RLock()
	defer m.mu.RUnlock()
	switch {
	case len(parts) == 4 && parts[2] == "petitions":
		_, ok := m.petitionNamed(parts[0]+"/"+parts[1], parts[3])
		return ok
	case len(parts) == 4 && parts[2] == "advisoryBodies":
		_, ok := m.mech.Bodies[name]
		return ok
	case len(parts) == 6 && parts[2] == "advisoryBodies" && parts[4] == "opinions":
		b, ok := m.mech.Bodies[strings.Join(parts[:4], "/")]
		if !ok {
			return false
		}
		_, ok = b.State.Opinions[parts[5]]
		return ok
	case len(parts) == 4 && parts[2] == "consultations":
		_, ok := m.mech.Consultations[name]
		return ok
	case len(parts) == 4 && parts[2] == "surveys":
		_, ok := m.mech.Surveys[name]
		return ok
	}
	return false
}

// CaseHistory returns the events of a case, named by its full resource
// name — a petition, an advisory body, an opinion (its body's events about
// it), a consultation or a survey — with the state after each. It reports
// false for an unknown case, and for a name that puts a case's id under
// another council.
func (m *Model) CaseHistory(name string) ([]HistoryEntry, bool) {
	parts := strings.Split(name, "/")
	m.mu.RLock()
	defer m.mu.RUnlock()
	switch {
	case len(parts) == 4 && parts[2] == "petitions":
		p, ok := m.petitionNamed(parts[0]+"/"+parts[1], parts[3])
		if !ok {
			return nil, false
		}
		var out []HistoryEntry
		var st pdomain.State
		for _, h := range p.History {
			payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
			if err != nil {
				continue
			}
			st = pdomain.Evolve(st, pdomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
			out = append(out, HistoryEntry{StoredEvent: h, StateAfter: pdomain.StateName(st.Status), Summary: summarize(payload)})
		}
		return out, true
	case (len(parts) == 4 || len(parts) == 6) && parts[2] == "advisoryBodies":
		b, ok := m.mech.Bodies[strings.Join(parts[:4], "/")]
		if !ok || b.State.Council != parts[0]+"/"+parts[1] {
			return nil, false
		}
		opinion := ""
		if len(parts) == 6 {
			if parts[4] != "opinions" {
				return nil, false
			}
			opinion = parts[5]
			if _, ok := b.State.Opinions[opinion]; !ok {
				return nil, false
			}
		}
		var out []HistoryEntry
		var st adomain.State
		for _, h := range b.History {
			payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
			if err != nil {
				continue
			}
			st = adomain.Evolve(st, adomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
			if opinion != "" {
				if opinionOf(payload) != opinion {
					continue
				}
				out = append(out, HistoryEntry{StoredEvent: h, StateAfter: adomain.OpinionStateName(st.Opinions[opinion].State), Summary: h.Type})
				continue
			}
			members, _, _, _, _, _, _ := adomain.Composition(st)
			out = append(out, HistoryEntry{StoredEvent: h, StateAfter: fmt.Sprintf("%d members, %d meetings, %d opinions", members, len(st.Meetings), len(st.Opinions)), Summary: h.Type})
		}
		return out, true
	case len(parts) == 4 && parts[2] == "consultations":
		c, ok := m.mech.Consultations[name]
		if !ok || c.State.Council != parts[0]+"/"+parts[1] {
			return nil, false
		}
		var out []HistoryEntry
		var st cdomain.State
		for _, h := range c.History {
			payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
			if err != nil {
				continue
			}
			st = cdomain.Evolve(st, cdomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
			out = append(out, HistoryEntry{StoredEvent: h, StateAfter: cdomain.StateName(st.StateAt(h.RecordedAt)), Summary: h.Type})
		}
		return out, true
	case len(parts) == 4 && parts[2] == "surveys":
		s, ok := m.mech.Surveys[name]
		if !ok || s.State.Council != parts[0]+"/"+parts[1] {
			return nil, false
		}
		var out []HistoryEntry
		for _, h := range s.History {
			out = append(out, HistoryEntry{StoredEvent: h, StateAfter: fmt.Sprintf("%d responses", s.State.Responses), Summary: h.Type})
		}
		return out, true
	}
	return nil, false
}

// opinionOf returns the opinion an advisory event is about, if any.
func opinionOf(p any) string {
	switch e := p.(type) {
	case *advisoryeventsv1.OpinionDrafted:
		return e.GetOpinionId()
	case *advisoryeventsv1.OpinionAdopted:
		return e.GetOpinionId()
	case *advisoryeventsv1.OpinionTransmitted:
		return e.GetOpinionId()
	case *advisoryeventsv1.CouncilResponded:
		return e.GetOpinionId()
	}
	return ""
}
