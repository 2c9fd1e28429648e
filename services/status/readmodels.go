package status

import (
	"sort"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	advisoryrm "github.com/tasharuk/tasharuk/services/advisory/readmodel"
	auditrm "github.com/tasharuk/tasharuk/services/audit/readmodel"
	consultationsrm "github.com/tasharuk/tasharuk/services/consultations/readmodel"
	informationrm "github.com/tasharuk/tasharuk/services/information/readmodel"
	petitionsrm "github.com/tasharuk/tasharuk/services/petitions/readmodel"
	programmesrm "github.com/tasharuk/tasharuk/services/programmes/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
	territoryrm "github.com/tasharuk/tasharuk/services/territory/readmodel"
)

// ReadModels are the contexts' read models on one runner: what the
// service builds at start (and replay, audit and the benches build to
// rebuild from the log). Status is a query service, not a context: it
// composes them for the figures that cross contexts (a council's
// petitions and mechanisms, roll-ups over the council tree).
type ReadModels struct {
	*projections.Runner
	Territory     *territoryrm.Councils
	Petitions     *petitionsrm.Petitions
	Advisory      *advisoryrm.Bodies
	Consultations *consultationsrm.Consultations
	// Information is the access-to-information requests (law 31-13).
	Information *informationrm.Model
	// Programmes are the communes' action programmes and the tallies of
	// their satisfaction forms.
	Programmes *programmesrm.Programmes
	// Rulebooks is the versions of the petition rules (rulebook
	// amendments and councils' internal rules, DESIGN.md "Rulebooks are
	// data").
	Rulebooks *territoryrm.Rulebooks
	// History is the audit trail of any case, over the three models that
	// keep case events.
	History *auditrm.History
}

// NewReadModels returns empty read models registered on a new runner, in
// the order their digests are combined (territory, petitions, advisory,
// consultations: the pre-split model's order; information, programmes and
// the rulebooks, which keep no digest, after them), then extra, read models
// of other contexts the runner feeds too (the identity context's Roles).
func NewReadModels(reg *es.Registry, extra ...projections.ReadModel) *ReadModels {
	m := &ReadModels{
		Territory:     territoryrm.New(),
		Petitions:     petitionsrm.New(reg),
		Advisory:      advisoryrm.New(reg),
		Consultations: consultationsrm.New(reg),
		Information:   informationrm.New(reg),
		Programmes:    programmesrm.New(reg),
		Rulebooks:     territoryrm.NewRulebooks(),
	}
	m.History = auditrm.New(m.Petitions, m.Advisory, m.Consultations)
	m.Runner = projections.New(reg, append([]projections.ReadModel{m.Territory, m.Petitions, m.Advisory, m.Consultations, m.Information, m.Programmes, m.Rulebooks}, extra...)...)
	return m
}

// CouncilFigures is one council and its petition figures.
type CouncilFigures struct {
	Council tdomain.Council
	Figures petitionsrm.Figures
}

// PetitionRollup returns the petition figures of every council under code
// (ordered by code), the parent's own figures, and their sum, as of a.
func (m *ReadModels) PetitionRollup(code string, a projections.AsOf) (parent CouncilFigures, children []CouncilFigures, total petitionsrm.Figures, ok bool) {
	c, ok := m.Territory.Council(code)
	if !ok {
		return CouncilFigures{}, nil, petitionsrm.Figures{}, false
	}
	parent = CouncilFigures{Council: c, Figures: m.Petitions.PetitionFiguresAt(code, a)}
	total = petitionsrm.Figures{ByState: map[string]int32{}}
	total.Merge(parent.Figures)
	for _, ch := range m.Territory.Below(code) {
		f := m.Petitions.PetitionFiguresAt(ch.Code, a)
		total.Merge(f)
		children = append(children, CouncilFigures{Council: ch, Figures: f})
	}
	total.Finish()
	sort.Slice(children, func(i, j int) bool { return children[i].Council.Code < children[j].Council.Code })
	return parent, children, total, true
}

// MechanismFigures are a council's advisory and consultation figures.
type MechanismFigures struct {
	Advisory      advisoryrm.Figures
	Consultations consultationsrm.Figures
}

// Merge adds another council's figures.
func (f *MechanismFigures) Merge(o MechanismFigures) {
	f.Advisory.Merge(o.Advisory)
	f.Consultations.Merge(o.Consultations)
}

// MechanismFiguresAt returns a council's advisory and consultation
// figures as of a.
func (m *ReadModels) MechanismFiguresAt(code string, a projections.AsOf) MechanismFigures {
	return MechanismFigures{Advisory: m.Advisory.FiguresAt(code, a), Consultations: m.Consultations.FiguresAt(code, a)}
}

// MechanismRollup returns the figures of code and of every council under
// it, keyed by code, and their sum.
func (m *ReadModels) MechanismRollup(code string, a projections.AsOf) (map[string]MechanismFigures, MechanismFigures) {
	out := map[string]MechanismFigures{code: m.MechanismFiguresAt(code, a)}
	total := out[code]
	for _, c := range m.Territory.Below(code) {
		f := m.MechanismFiguresAt(c.Code, a)
		out[c.Code] = f
		total.Merge(f)
	}
	return out, total
}

// InformationFiguresAt returns a council's access-to-information figures
// as of a: a commune's own; a province's or a region's summed over the
// communes under it (the information context takes requests to communes),
// the median over all their answered requests.
func (m *ReadModels) InformationFiguresAt(c tdomain.Council, a projections.AsOf) informationrm.Figures {
	at := informationrm.At(a)
	if c.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		return m.Information.Figures(c.Code, at)
	}
	var communes []string
	for _, b := range m.Territory.Below(c.Code) {
		if b.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
			communes = append(communes, b.Code)
		}
	}
	_, total := m.Information.Rollup(communes, at)
	return total
}
