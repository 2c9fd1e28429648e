package status

import (
	"context"
	"slices"
	"sort"
	"time"

	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	programmesrm "github.com/tasharuk/tasharuk/services/programmes/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Dashboard implements statusv1.DashboardService: the regional
// programme's figures across the contexts, per region and province, with
// the communes behind each (issue 21).
type Dashboard struct {
	statusv1.UnimplementedDashboardServiceServer
	Model *ReadModels
	Now   func() time.Time
}

// DashboardFigures are the figures of a set of communes, with the sums
// their rates are divided from, so that sets add up exactly.
type DashboardFigures struct {
	Communes, WithProgramme                  int
	weighted, planned                        float64
	rates                                    []float64 // execution rates of programmes with no cost
	Workshops                                int
	Participants, Women, Youth, Disability   int64
	SurveyResponses                          int64
	Forms                                    programmesrm.Tally
	PetitionsDeposited, PetitionsOverdue     int32
	PetitionsByState                         map[string]int32
	OpinionsAdopted, OpinionsAnswered        int
	responseMedians                          []float64
	ProgrammeCodes, WorkshopCodes, FormCodes []string
}

func newFigures() DashboardFigures {
	return DashboardFigures{Forms: programmesrm.NewTally(), PetitionsByState: map[string]int32{}}
}

// communeFigures returns one commune's figures as of a, and its latest
// programme's name ("" if none).
func (m *ReadModels) communeFigures(code string, a projections.AsOf) (DashboardFigures, string) {
	f := newFigures()
	f.Communes = 1
	var programme string
	if st, ok := m.Programmes.Latest(code, a); ok {
		programme = st.Name()
		if st.Adopted {
			f.WithProgramme = 1
			f.ProgrammeCodes = []string{code}
			x := st.Execution()
			if x.Planned > 0 {
				f.weighted, f.planned = x.Weighted, float64(x.Planned)
			} else {
				f.rates = []float64{x.Rate}
			}
		}
	}
	c := m.Consultations.FiguresAt(code, a)
	f.Workshops, f.Participants = c.Workshops, int64(c.Participants)
	f.Women, f.Youth, f.Disability = int64(c.PWomen), int64(c.PYouth), int64(c.PDisability)
	f.SurveyResponses = int64(c.SurveyResponses)
	if c.Workshops > 0 {
		f.WorkshopCodes = []string{code}
	}
	f.Forms = m.Programmes.Forms(code, a)
	if f.Forms.Forms > 0 {
		f.FormCodes = []string{code}
	}
	p := m.Petitions.PetitionFiguresAt(code, a)
	f.PetitionsDeposited, f.PetitionsOverdue = p.DepositedTotal, p.Overdue
	for k, v := range p.ByState {
		f.PetitionsByState[k] += v
	}
	adv := m.Advisory.FiguresAt(code, a)
	f.OpinionsAdopted, f.OpinionsAnswered = adv.OpinionsAdopted, adv.OpinionsAnswered
	if adv.OpinionsAnswered > 0 {
		f.responseMedians = []float64{adv.MedianDaysToResponse}
	}
	return f, programme
}

// Merge adds another set's figures.
func (f *DashboardFigures) Merge(o DashboardFigures) {
	f.Communes += o.Communes
	f.WithProgramme += o.WithProgramme
	f.weighted += o.weighted
	f.planned += o.planned
	f.rates = append(f.rates, o.rates...)
	f.Workshops += o.Workshops
	f.Participants += o.Participants
	f.Women += o.Women
	f.Youth += o.Youth
	f.Disability += o.Disability
	f.SurveyResponses += o.SurveyResponses
	f.Forms.Merge(o.Forms)
	f.PetitionsDeposited += o.PetitionsDeposited
	f.PetitionsOverdue += o.PetitionsOverdue
	for k, v := range o.PetitionsByState {
		f.PetitionsByState[k] += v
	}
	f.OpinionsAdopted += o.OpinionsAdopted
	f.OpinionsAnswered += o.OpinionsAnswered
	f.responseMedians = append(f.responseMedians, o.responseMedians...)
	f.ProgrammeCodes = append(f.ProgrammeCodes, o.ProgrammeCodes...)
	f.WorkshopCodes = append(f.WorkshopCodes, o.WorkshopCodes...)
	f.FormCodes = append(f.FormCodes, o.FormCodes...)
}

// ExecutionRate is the cost-weighted progress of the adopted programmes'
// projects kept; programmes without costs count by their own rate.
func (f DashboardFigures) ExecutionRate() float64 {
	if f.planned > 0 && len(f.rates) == 0 {
		return f.weighted / f.planned
	}
	n := len(f.rates)
	sum := 0.0
	for _, r := range f.rates {
		sum += r
	}
	if f.planned > 0 {
		sum += f.weighted / f.planned
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// MedianDaysToResponse is the median of the communes' medians.
func (f DashboardFigures) MedianDaysToResponse() float64 {
	if len(f.responseMedians) == 0 {
		return 0
	}
	d := slices.Clone(f.responseMedians)
	sort.Float64s(d)
	if n := len(d); n%2 == 1 {
		return d[n/2]
	} else {
		return (d[n/2-1] + d[n/2]) / 2
	}
}

func rate(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// groups are the respondents' groups the dashboard breaks satisfaction
// down by, "" first (everyone).
func groups() []string {
	g := []string{""}
	for _, v := range []int32{1, 2} {
		g = append(g, "sex="+programmeseventsv1.Sex(v).String())
	}
	for _, v := range []int32{1, 2, 3, 4} {
		g = append(g, "age_band="+programmeseventsv1.AgeBand(v).String())
	}
	for _, v := range []int32{1, 2} {
		g = append(g, "disability="+programmeseventsv1.Disability(v).String())
	}
	return g
}

// Proto returns the figures as the API gives them.
func (f DashboardFigures) Proto() *statusv1.DashboardFigures {
	out := &statusv1.DashboardFigures{
		Communes: int32(f.Communes), CommunesWithProgramme: int32(f.WithProgramme), ExecutionRate: f.ExecutionRate(),
		Workshops: int32(f.Workshops), Participants: f.Participants, Women: f.Women, Youth: f.Youth, Disability: f.Disability,
		WomenRate: rate(f.Women, f.Participants), YouthRate: rate(f.Youth, f.Participants), DisabilityRate: rate(f.Disability, f.Participants),
		SurveyForms: f.Forms.Forms, SurveyResponses: f.SurveyResponses,
		PetitionsDeposited: f.PetitionsDeposited, PetitionsByState: f.PetitionsByState, PetitionsOverdue: f.PetitionsOverdue,
		OpinionsAdopted: int32(f.OpinionsAdopted), OpinionsAnswered: int32(f.OpinionsAnswered), MedianDaysToResponse: f.MedianDaysToResponse(),
		CommunesWithProgrammeCodes: sorted(f.ProgrammeCodes), CommunesWithWorkshopsCodes: sorted(f.WorkshopCodes), CommunesWithFormsCodes: sorted(f.FormCodes),
	}
	for _, g := range groups() {
		for s := int32(1); s < int32(len(programmeseventsv1.Service_name)); s++ {
			n, mean, sat := f.Forms.Rated(g, s)
			if n == 0 {
				continue
			}
			out.Satisfaction = append(out.Satisfaction, &statusv1.ServiceSatisfaction{Service: programmeseventsv1.Service(s).String(), Group: g,
				Forms: n, MeanScore: mean, SatisfiedRate: sat})
		}
	}
	return out
}

func sorted(codes []string) []string {
	out := slices.Clone(codes)
	sort.Strings(out)
	return out
}

// CommuneRow is one commune on the dashboard.
type CommuneRow struct {
	Council   tdomain.Council
	Programme string
	Figures   DashboardFigures
}

// ProvinceRow is one province on the dashboard and its communes.
type ProvinceRow struct {
	Council  tdomain.Council
	Figures  DashboardFigures
	Communes []CommuneRow
}

// RegionalDashboard returns the dashboard of a region or a province as of
// a: its provinces (itself, for a province), their communes, and the
// totals.
func (m *ReadModels) RegionalDashboard(code string, a projections.AsOf) (tdomain.Council, []ProvinceRow, DashboardFigures, bool) {
	top, ok := m.Territory.Council(code)
	if !ok || top.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		return tdomain.Council{}, nil, DashboardFigures{}, false
	}
	var provinces []tdomain.Council
	if top.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE {
		provinces = []tdomain.Council{top}
	} else {
		for _, c := range m.Territory.Below(code) {
			if c.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE {
				provinces = append(provinces, c)
			}
		}
	}
	sort.Slice(provinces, func(i, j int) bool { return provinces[i].Code < provinces[j].Code })
	total := newFigures()
	var rows []ProvinceRow
	for _, p := range provinces {
		row := ProvinceRow{Council: p, Figures: newFigures()}
		for _, c := range m.Territory.Below(p.Code) {
			if c.Level != territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
				continue
			}
			f, programme := m.communeFigures(c.Code, a)
			row.Figures.Merge(f)
			row.Communes = append(row.Communes, CommuneRow{Council: c, Programme: programme, Figures: f})
		}
		sort.Slice(row.Communes, func(i, j int) bool { return row.Communes[i].Council.Code < row.Communes[j].Council.Code })
		total.Merge(row.Figures)
		rows = append(rows, row)
	}
	return top, rows, total, true
}

// GetRegionalDashboard implements DashboardService.
func (s *Dashboard) GetRegionalDashboard(ctx context.Context, r *statusv1.GetRegionalDashboardRequest) (*statusv1.GetRegionalDashboardResponse, error) {
	level, code, err := tdomain.ParseResourceName(r.GetName())
	if err != nil {
		return nil, fault.Field("name", "%v", err)
	}
	if level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		return nil, fault.Field("name", "a dashboard is a region's or a province's: regions/{code} or provinces/{code}")
	}
	a, err := s.Model.QueryAsOf(ctx, s.Now(), r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	top, rows, total, ok := s.Model.RegionalDashboard(code, a)
	if !ok || top.Level != level {
		return nil, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", r.GetName())
	}
	resp := &statusv1.GetRegionalDashboardResponse{Council: tdomain.ResourceName(top.Level, top.Code), NameFr: top.NameFR, NameAr: top.NameAR,
		Figures: total.Proto(), LogPosition: s.Model.AnswerPosition(a)}
	for _, p := range rows {
		pr := &statusv1.ProvinceFigures{Council: tdomain.ResourceName(p.Council.Level, p.Council.Code), NameFr: p.Council.NameFR, NameAr: p.Council.NameAR, Figures: p.Figures.Proto()}
		for _, c := range p.Communes {
			pr.Communes = append(pr.Communes, &statusv1.CommuneFigures{Council: tdomain.ResourceName(c.Council.Level, c.Council.Code), NameFr: c.Council.NameFR,
				NameAr: c.Council.NameAR, Programme: c.Programme, Figures: c.Figures.Proto()})
		}
		resp.Provinces = append(resp.Provinces, pr)
	}
	return resp, nil
}
