package web

import (
	"net/http"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// stateOrder is the order petition states are charted in (drafts are
// not public figures).
var stateOrder = []string{"COLLECTING", "DEPOSITED", "UNDER_REVIEW", "ADMISSIBLE", "INADMISSIBLE",
	"SCHEDULED", "WITH_COMMITTEE", "DELIBERATED", "CLOSED", "WITHDRAWN"}

// Name is a council's name in the reader's language where known.
func (l *Locale) Name(c *territoryv1.Council) string { return displayName(l, c) }

// displayName is a council's name in the reader's language where known.
func displayName(l *Locale, c *territoryv1.Council) string {
	if l.Lang == "ar" && c.GetNameAr() != "" {
		return c.GetNameAr()
	}
	return c.GetNameFr()
}

type homeData struct {
	// Finder is the search form the page leads with; Top the most signed
	// petitions open for signatures.
	Finder  *finderData
	Top     []finderItem
	Open    int
	Regions []*territoryv1.Council
}

// homeTop is how many open petitions the home page shows.
const homeTop = 6

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	fq := finderQuery{State: "open", Sort: sortSignatures}
	idx, found, err := h.find(q, "", fq)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &homeData{Finder: &finderData{Action: "/petitions", Query: fq}, Open: len(found),
		Top: h.items(q, idx, found[:min(homeTop, len(found))])}
	for _, n := range idx.order {
		if c := idx.byName[n]; c.GetLevel() == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION {
			d.Regions = append(d.Regions, c)
		}
	}
	h.render(q, http.StatusOK, "home", h.newPage(q, q.L.T("home.title"), d))
}

// councilData is a council's status page: a commune's mechanisms, or a
// region's or province's comparison of its communes as well.
type councilData struct {
	Council *territoryv1.Council
	Name    string
	Status  *statusv1.CouncilStatus
	// Figures and Consult are what the cards show: the council's own
	// for a commune, its communes' rollup for a province or region, the
	// same figures its charts draw.
	Figures       *statusv1.PetitionFigures
	Consult       *statusv1.ConsultationFigures
	Evaluated     *timestamppb.Timestamp
	Charts        []Chart
	Compare       *comparison
	Petitions     []*petitionsv1.Petition
	Bodies        []*advisoryv1.Body
	Consultations []*consultationsv1.Consultation
	StaffHere     bool
	SecretaryHere bool
	// Top are the most signed open petitions of the council and those
	// under it (Open of them in all); Names every council's name in the
	// reader's language, by resource name.
	Top   []finderItem
	Open  int
	Names map[string]string
}

// scopeTop is how many open petitions a council page shows.
const scopeTop = 5

// comparison sets a region's or province's councils side by side.
type comparison struct {
	Provinces []*statusv1.CouncilStatus
	Communes  []*statusv1.CouncilStatus
	Rollup    *statusv1.PetitionFigures
	Consult   *statusv1.ConsultationFigures
	Advisory  *statusv1.AdvisoryFigures
	// How many communes have each mechanism at work.
	WithBody, WithPetitions, WithOverdue, WithWorkshops int
	// Filter is the reader's filter on the communes' names ("" for
	// none) and Shown the communes the table lists: those whose name
	// holds it. The figures and charts stay those of every commune.
	Filter string
	Shown  []*statusv1.CouncilStatus
}

// maxFilter bounds the communes' filter (a name or two).
const maxFilter = 100

// filterCommunes keeps the communes whose Arabic or French name holds
// every word of text, folded as the finder folds (tashkeel, alef and hamza
// forms, taa marbuta; accents and case): "زاوية" and "zaouiat" both find
// Zaouiat Cheikh, however they are typed. An empty text keeps them all.
func filterCommunes(list []*statusv1.CouncilStatus, byName map[string]*territoryv1.Council, text string) []*statusv1.CouncilStatus {
	want := terms(text)
	if len(want) == 0 {
		return list
	}
	var kept []*statusv1.CouncilStatus
	for _, s := range list {
		names := []string{s.GetNameFr()}
		if c := byName[s.GetCouncil()]; c != nil {
			names = append(names, c.GetNameAr(), c.GetNameFr())
		}
		if matches(index(names...), want) {
			kept = append(kept, s)
		}
	}
	return kept
}

func (h *handler) councilPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := councilName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	asOf, asOfDay, verr := h.asOf(q)
	if verr != nil {
		asOf, asOfDay = nil, ""
	}
	at := minPosition(r)
	c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: name, MinPosition: at})
	if err != nil {
		h.fail(q, err)
		return
	}
	st, err := h.status.GetCouncilStatus(q.ctx, &statusv1.GetCouncilStatusRequest{Name: name + "/status", MinPosition: at, AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &councilData{Council: c.GetCouncil(), Name: displayName(q.L, c.GetCouncil()), Status: st.GetStatus(), Evaluated: st.GetEvaluateTime(),
		StaffHere: q.user.StaffOf(name), SecretaryHere: q.user.SecretaryOf(name)}
	rtl := q.L.Dir == "rtl"
	// The open petitions of the council and every council under it, and
	// every council's name in the reader's language.
	idx, found, err := h.find(q, name, finderQuery{State: "open", Sort: sortSignatures})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Open, d.Top = len(found), h.items(q, idx, found[:min(scopeTop, len(found))])
	d.Names = map[string]string{}
	for n, c := range idx.byName {
		d.Names[n] = displayName(q.L, c)
	}
	if c.GetCouncil().GetLevel() != territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		list, err := h.status.ListCouncilStatuses(q.ctx, &statusv1.ListCouncilStatusesRequest{Parent: name, MinPosition: at, AsOfTime: asOf})
		if err != nil {
			h.fail(q, err)
			return
		}
		d.Compare = compare(list)
		d.Compare.Filter = strings.TrimSpace(q.r.URL.Query().Get("commune"))
		if r := []rune(d.Compare.Filter); len(r) > maxFilter {
			d.Compare.Filter = string(r[:maxFilter])
		}
		d.Compare.Shown = filterCommunes(d.Compare.Communes, idx.byName, d.Compare.Filter)
		d.Figures, d.Consult = list.GetRollup(), list.GetConsultationsRollup()
		d.Charts = append(d.Charts, mechanismChart(q.L, rtl, d.Compare),
			stateChart(q.L, rtl, "chart-rollup", q.L.T("chart.rollup.title"), list.GetRollup()),
			participationChart(q.L, rtl, "chart-participation", list.GetConsultationsRollup()))
		if ch, ok := overdueChart(q.L, rtl, d.Compare.Communes, d.Names); ok {
			d.Charts = append(d.Charts, ch)
		}
	} else {
		d.Figures, d.Consult = st.GetStatus().GetPetitions(), st.GetStatus().GetConsultations()
		d.Charts = append(d.Charts, stateChart(q.L, rtl, "chart-states", q.L.T("chart.states.title"), st.GetStatus().GetPetitions()),
			participationChart(q.L, rtl, "chart-participation", st.GetStatus().GetConsultations()),
			compositionChart(q.L, rtl, st.GetStatus().GetAdvisory()))
	}
	pl, err := h.petitions.ListPetitions(q.ctx, &petitionsv1.ListPetitionsRequest{Parent: name, PageSize: 100, MinPosition: at, AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Petitions = pl.GetPetitions()
	bl, err := h.advisory.ListBodies(q.ctx, &advisoryv1.ListBodiesRequest{Parent: name, MinPosition: at, AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Bodies = bl.GetBodies()
	cl, err := h.consultations.ListConsultations(q.ctx, &consultationsv1.ListConsultationsRequest{Parent: name, MinPosition: at, AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Consultations = cl.GetConsultations()
	p := h.newPage(q, d.Name, d)
	p.AsOf, p.Err = asOfDay, verr
	h.render(q, http.StatusOK, "council", p)
}

func compare(list *statusv1.ListCouncilStatusesResponse) *comparison {
	cmp := &comparison{Rollup: list.GetRollup(), Consult: list.GetConsultationsRollup(), Advisory: list.GetAdvisoryRollup()}
	for _, s := range list.GetCouncils() {
		if councilLevel(s.GetCouncil()) != "communes" {
			cmp.Provinces = append(cmp.Provinces, s)
			continue
		}
		cmp.Communes = append(cmp.Communes, s)
		if s.GetWorkingBody() {
			cmp.WithBody++
		}
		if s.GetPetitions().GetDepositedTotal() > 0 {
			cmp.WithPetitions++
		}
		if s.GetPetitions().GetOverdue() > 0 {
			cmp.WithOverdue++
		}
		if s.GetConsultations().GetWorkshops() > 0 {
			cmp.WithWorkshops++
		}
	}
	return cmp
}

func councilLevel(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return name
}

func mechanismChart(l *Locale, rtl bool, c *comparison) Chart {
	n := len(c.Communes)
	bar := func(key string, v int) Bar {
		return Bar{Label: l.T(key), Value: float64(v), ValueText: l.T("chart.of", v, n)}
	}
	return newChart("chart-mechanisms", l.T("chart.mechanisms.title"), l.T("chart.mechanisms.desc", n), l.T("chart.head.communes"), rtl, float64(n), []Bar{
		bar("chart.mechanisms.body", c.WithBody),
		bar("chart.mechanisms.petitions", c.WithPetitions),
		bar("chart.mechanisms.overdue", c.WithOverdue),
		bar("chart.mechanisms.workshops", c.WithWorkshops),
	})
}

func stateChart(l *Locale, rtl bool, id, title string, f *statusv1.PetitionFigures) Chart {
	var bars []Bar
	total := 0
	for _, s := range stateOrder {
		v := int(f.GetByState()[s])
		total += v
		bars = append(bars, Bar{Label: l.StateName(s), Value: float64(v), ValueText: l.Int(v)})
	}
	bars = append(bars, Bar{Label: l.T("chart.states.overdue"), Value: float64(f.GetOverdue()), ValueText: l.Int(f.GetOverdue())})
	return newChart(id, title, l.T("chart.states.desc", total, f.GetOverdue()), l.T("chart.head.petitions"), rtl, 0, bars)
}

func participationChart(l *Locale, rtl bool, id string, f *statusv1.ConsultationFigures) Chart {
	bar := func(key string, v float64) Bar {
		return Bar{Label: l.T(key), Value: v, ValueText: l.PctOf(f.GetParticipants(), v)}
	}
	return newChart(id, l.T("chart.participation.title"), l.T("chart.participation.desc", f.GetParticipants(), f.GetWorkshops()), l.T("chart.head.share"), rtl, 1, []Bar{
		bar("chart.participation.women", f.GetWomenRate()),
		bar("chart.participation.youth", f.GetYouthRate()),
		bar("chart.participation.disability", f.GetDisabilityRate()),
	})
}

func compositionChart(l *Locale, rtl bool, f *statusv1.AdvisoryFigures) Chart {
	bar := func(key string, v float64) Bar {
		return Bar{Label: l.T(key), Value: v, ValueText: l.PctOf(f.GetMembers(), v)}
	}
	return newChart("chart-composition", l.T("chart.composition.title"), l.T("chart.composition.desc", f.GetMembers(), f.GetBodies()), l.T("chart.head.share"), rtl, 1, []Bar{
		bar("chart.participation.women", f.GetWomenShare()),
		bar("chart.participation.youth", f.GetYouthShare()),
		bar("chart.participation.disability", f.GetDisabilityShare()),
	})
}

// overdueChart charts the ten communes with most overdue petitions, if any.
func overdueChart(l *Locale, rtl bool, communes []*statusv1.CouncilStatus, names map[string]string) (Chart, bool) {
	var late []*statusv1.CouncilStatus
	for _, c := range communes {
		if c.GetPetitions().GetOverdue() > 0 {
			late = append(late, c)
		}
	}
	if len(late) == 0 {
		return Chart{}, false
	}
	sort.SliceStable(late, func(i, j int) bool { return late[i].GetPetitions().GetOverdue() > late[j].GetPetitions().GetOverdue() })
	if len(late) > 10 {
		late = late[:10]
	}
	var bars []Bar
	for _, c := range late {
		label := names[c.GetCouncil()]
		if label == "" {
			label = c.GetNameFr()
		}
		bars = append(bars, Bar{Label: label, Value: float64(c.GetPetitions().GetOverdue()), ValueText: l.Int(c.GetPetitions().GetOverdue())})
	}
	return newChart("chart-overdue", l.T("chart.overdue.title"), l.T("chart.overdue.desc", len(bars)), l.T("chart.head.petitions"), rtl, 0, bars), true
}
