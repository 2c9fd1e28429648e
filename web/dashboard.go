package web

import (
	"net/http"
	"strings"

	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
)

// dashboardRow is one line of the dashboard's tables, its labels resolved.
type dashboardRow struct {
	Name, Link string
	Programme  string
	F          *statusv1.DashboardFigures
}

// satisfactionRow is one service's mean score, for everyone and per group.
type satisfactionRow struct {
	Service string
	Cells   []satisfactionCell
}

type satisfactionCell struct {
	Forms int64
	Mean  float64
}

// codeList is the communes behind one figure.
type codeList struct {
	ID, Label string
	Communes  []dashboardRow
}

// dashboardData is the regional dashboard's page.
type dashboardData struct {
	Name      string
	Total     *statusv1.DashboardFigures
	Provinces []dashboardRow
	Communes  []dashboardRow
	Groups    []string
	Services  []satisfactionRow
	Behind    []codeList
	OpenData  string
}

// dashboardGroups are the columns of the satisfaction table.
var dashboardGroups = []string{"", "sex=SEX_FEMALE", "sex=SEX_MALE", "age_band=AGE_BAND_18_34", "disability=DISABILITY_YES"}

func groupLabel(l *Locale, g string) string {
	if g == "" {
		return l.T("pac.group.all")
	}
	_, v, _ := strings.Cut(g, "=")
	return l.T("pac.group." + v)
}

func (h *handler) dashboardPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := councilName(r)
	if !ok || strings.HasPrefix(name, "communes/") {
		h.notFound(w, r)
		return
	}
	asOf, asOfDay, verr := h.asOf(q)
	got, err := h.dashboard.GetRegionalDashboard(q.ctx, &statusv1.GetRegionalDashboardRequest{Name: name, MinPosition: minPosition(q.r), AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	pick := func(fr, ar string) string {
		if q.L.Lang == "ar" && ar != "" {
			return ar
		}
		return fr
	}
	d := &dashboardData{Name: pick(got.GetNameFr(), got.GetNameAr()), Total: got.GetFigures(), OpenData: "/v1/" + name + "/dashboard"}
	byCode := map[string]dashboardRow{}
	for _, p := range got.GetProvinces() {
		d.Provinces = append(d.Provinces, dashboardRow{Name: pick(p.GetNameFr(), p.GetNameAr()), Link: "/" + p.GetCouncil() + "/dashboard", F: p.GetFigures()})
		for _, c := range p.GetCommunes() {
			row := dashboardRow{Name: pick(c.GetNameFr(), c.GetNameAr()), Link: "/" + c.GetCouncil(), F: c.GetFigures()}
			if c.GetProgramme() != "" {
				row.Programme = "/" + c.GetProgramme()
			}
			byCode[strings.TrimPrefix(c.GetCouncil(), "communes/")] = row
			d.Communes = append(d.Communes, row)
		}
	}
	for _, g := range dashboardGroups {
		d.Groups = append(d.Groups, groupLabel(q.L, g))
	}
	cells := map[string]*statusv1.ServiceSatisfaction{}
	for _, s := range got.GetFigures().GetSatisfaction() {
		cells[s.GetGroup()+"|"+s.GetService()] = s
	}
	for v := int32(1); v < int32(len(programmeseventsv1.Service_name)); v++ {
		svc := programmeseventsv1.Service(v).String()
		if cells["|"+svc] == nil {
			continue
		}
		row := satisfactionRow{Service: q.L.T("pac.service." + svc)}
		for _, g := range dashboardGroups {
			c := cells[g+"|"+svc]
			row.Cells = append(row.Cells, satisfactionCell{Forms: c.GetForms(), Mean: c.GetMeanScore()})
		}
		d.Services = append(d.Services, row)
	}
	for _, b := range []struct {
		id, label string
		codes     []string
	}{
		{"with-programme", q.L.T("dash.with_programme"), got.GetFigures().GetCommunesWithProgrammeCodes()},
		{"with-workshops", q.L.T("dash.workshops"), got.GetFigures().GetCommunesWithWorkshopsCodes()},
		{"with-forms", q.L.T("dash.forms"), got.GetFigures().GetCommunesWithFormsCodes()},
	} {
		l := codeList{ID: b.id, Label: b.label}
		for _, c := range b.codes {
			l.Communes = append(l.Communes, byCode[c])
		}
		d.Behind = append(d.Behind, l)
	}
	p := h.newPage(q, q.L.T("dash.title", d.Name), d)
	p.AsOf, p.Err = asOfDay, verr
	h.render(q, http.StatusOK, "dashboard", p)
}
