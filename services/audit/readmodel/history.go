// Package readmodel is the audit context's read side: the history of any
// case, named by its full resource name, with the state after each event.
// The cases belong to other contexts, whose read models keep their events
// (the events of a case are folded by its own context's Evolve, so the
// state after each is that context's); this package holds no state of its
// own and takes them through the small Cases interface, so the audit
// context imports no other context.
package readmodel

import "github.com/tasharuk/tasharuk/projections"

// Cases is a context read model that keeps the events of its cases
// (petitions, advisory bodies and their opinions, consultations,
// surveys). A name it does not own is neither found nor an error.
type Cases interface {
	Exists(name string) bool
	CaseHistory(name string) ([]projections.HistoryEntry, bool)
}

// HistoryEntry is one event of a case with the case's state after it.
type HistoryEntry = projections.HistoryEntry

// History answers for the cases of every context given to it.
type History struct {
	sources []Cases
}

// New returns the history over the contexts' read models.
func New(sources ...Cases) *History { return &History{sources: sources} }

// Exists reports whether name is the full resource name of a case some
// context knows. A name that puts one council's id under another council
// (or another level) is not one.
func (h *History) Exists(name string) bool {
	for _, s := range h.sources {
		if s.Exists(name) {
			return true
		}
	}
	return false
}

// CaseHistory returns the events of a case, named by its full resource
// name — a petition, an advisory body, an opinion (its body's events about
// it), a consultation or a survey — with the state after each. It reports
// false for an unknown case, and for a name that puts a case's id under
// another council.
func (h *History) CaseHistory(name string) ([]HistoryEntry, bool) {
	for _, s := range h.sources {
		if out, ok := s.CaseHistory(name); ok {
			return out, true
		}
	}
	return nil, false
}
