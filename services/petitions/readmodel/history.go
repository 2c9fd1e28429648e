package readmodel

import (
	"strings"

	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// petitionNamed returns the petition whose full resource name is
// council+"/petitions/"+id, resolving the whole name: the id must be the
// petition's and the council its council. Lock held.
func (m *Petitions) petitionNamed(council, id string) (*Petition, bool) {
	p, ok := m.petitions[council+"/petitions/"+id]
	if !ok || p.State.Council != council || p.State.ID != id {
		return nil, false
	}
	return p, true
}

// Exists reports whether name is the full resource name of a petition the
// model knows. A name that puts one council's id under another council
// (or another level) is not one.
func (m *Petitions) Exists(name string) bool {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[2] != "petitions" {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.petitionNamed(parts[0]+"/"+parts[1], parts[3])
	return ok
}

// CaseHistory returns the events of a petition, named in full, with the
// state after each. It reports false for any other name, and for one that
// puts a petition's id under another council.
func (m *Petitions) CaseHistory(name string) ([]projections.HistoryEntry, bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[2] != "petitions" {
		return nil, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.petitionNamed(parts[0]+"/"+parts[1], parts[3])
	if !ok {
		return nil, false
	}
	var out []projections.HistoryEntry
	var st pdomain.State
	for _, h := range p.History {
		payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
		if err != nil {
			continue
		}
		st = pdomain.Evolve(st, pdomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
		out = append(out, projections.HistoryEntry{StoredEvent: h, StateAfter: pdomain.StateName(st.Status), Summary: summarize(payload)})
	}
	return out, true
}
