package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/grpc/status"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// programmeRoutes adds the action programme's pages (issue 21): the
// public accountability page of a commune's programme with the staff's
// project and progress forms, the staff's participation page (workshops,
// survey imports) and the regional dashboard.
func (h *handler) programmeRoutes(m *http.ServeMux, base string) {
	m.HandleFunc("GET "+base+"/programmes/{year}", h.programmePage)
	m.HandleFunc("POST "+base+"/programmes/{year}/{act}", h.programmeAct)
	m.HandleFunc("GET "+base+"/participation", h.participationPage)
	m.HandleFunc("POST "+base+"/participation/{act}", h.participationAct)
	m.HandleFunc("GET "+base+"/dashboard", h.dashboardPage)
}

var yearPattern = regexp.MustCompile(`^[0-9]{4}$`)

func programmeOf(r *http.Request) (string, bool) {
	council, ok := councilName(r)
	y := r.PathValue("year")
	return council + "/programmes/" + y, ok && yearPattern.MatchString(y) && strings.HasPrefix(council, "communes/")
}

// formState is a submitted form: its values, to fill it again, and the
// errors to show next to its fields.
type formState struct {
	Form   string
	Values map[string]string
	Errors map[string]string
	// Reasons are the reader's-language texts of the refusals placed on a
	// field, shown before the API's English message (in Errors).
	Reasons map[string]string
}

// V returns a submitted value of the form named form.
func (f *formState) V(form, field string) string {
	if f == nil || f.Form != form {
		return ""
	}
	return f.Values[field]
}

// E returns the error of a field of the form named form.
func (f *formState) E(form, field string) string {
	if f == nil || f.Form != form {
		return ""
	}
	return f.Errors[field]
}

// R returns the reader's-language text of the refusal of a field of the
// form named form.
func (f *formState) R(form, field string) string {
	if f == nil || f.Form != form {
		return ""
	}
	return f.Reasons[field]
}

// refuseField places a refusal of the API next to field: the reason's
// text in the reader's language, then the API's English message, which
// names the wrong values.
func (f *formState) refuseField(field string, v *viewError) {
	if f.Reasons == nil {
		f.Reasons = map[string]string{}
	}
	if v.Detail == "" {
		f.Errors[field] = v.Message
		return
	}
	f.Reasons[field], f.Errors[field] = v.Message, v.Detail
}

// status is the HTTP status of a page showing the form: 400 when a field
// is refused.
func (f *formState) status() int {
	if f != nil && len(f.Errors) > 0 {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// fieldProblem is the API's "field: problem" message of an invalid
// argument.
var fieldProblem = regexp.MustCompile(`^([a-z_]+(?:\.[a-z_]+)*(?:\[[0-9]+\])?(?:\.[a-z_]+)*): (.+)$`)

// formError places an API error next to its field when it names one of
// fields; otherwise it is the page's error.
func formError(q *rq, err error, form string, fields []string) (*formState, *viewError) {
	fs := &formState{Form: form, Values: map[string]string{}, Errors: map[string]string{}}
	for _, f := range fields {
		fs.Values[f] = q.form(f)
	}
	if st, ok := status.FromError(err); ok {
		if m := fieldProblem.FindStringSubmatch(st.Message()); m != nil {
			field := m[1]
			for _, prefix := range []string{"project.", "workshop.", "deliberation."} {
				field = strings.TrimPrefix(field, prefix)
			}
			if field == "title" || field == "title_fr" || field == "title_ar" {
				field = "title_fr"
			}
			for _, f := range fields {
				if f == field {
					fs.Errors[f] = m[2]
					return fs, nil
				}
			}
		}
	}
	return fs, errorView(q.L, err)
}

// programmeData is a programme's accountability page.
type programmeData struct {
	Programme   *programmesv1.Programme
	CouncilName string
	StaffHere   bool
	Draft       bool
	Statuses    []option
	Form        *formState
}

func (h *handler) programmePage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := programmeOf(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showProgramme(q, name, nil, nil)
}

func (h *handler) showProgramme(q *rq, name string, fs *formState, verr *viewError) {
	if fs == nil {
		fs = &formState{}
	}
	asOf, asOfDay, aerr := h.asOf(q)
	if verr == nil {
		verr = aerr
	}
	got, err := h.programmes.GetProgramme(q.ctx, &programmesv1.GetProgrammeRequest{Name: name, MinPosition: minPosition(q.r), AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	p := got.GetProgramme()
	d := &programmeData{Programme: p, CouncilName: p.GetCouncil(), StaffHere: q.user.StaffOf(p.GetCouncil()) && asOf == nil, Form: fs,
		Draft: p.GetState() == programmesv1.ProgrammeState_PROGRAMME_STATE_DRAFT,
		Statuses: []option{{"NOT_STARTED", q.L.T("pac.PROJECT_STATUS_NOT_STARTED")}, {"UNDER_WAY", q.L.T("pac.PROJECT_STATUS_UNDER_WAY")},
			{"DONE", q.L.T("pac.PROJECT_STATUS_DONE")}, {"DROPPED", q.L.T("pac.PROJECT_STATUS_DROPPED")}}}
	if c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: p.GetCouncil()}); err == nil {
		d.CouncilName = displayName(q.L, c.GetCouncil())
	}
	title := p.GetTitleFr()
	if q.L.Lang == "ar" && p.GetTitleAr() != "" || title == "" {
		title = p.GetTitleAr()
	}
	pg := h.newPage(q, title, d)
	pg.AsOf, pg.Err = asOfDay, verr
	h.render(q, fs.status(), "programme", pg)
}

var (
	projectFields  = []string{"project_id", "title_ar", "title_fr", "sector", "place", "priority_rank", "estimated_cost", "funding_partners", "planned_years"}
	progressFields = []string{"project_id", "date", "percent", "status", "spend", "reasons", "evidence_sha256"}
)

// programmeAct records a project (draft) or a progress update (adopted).
func (h *handler) programmeAct(w http.ResponseWriter, r *http.Request) {
	q, name, ok := h.formPost(w, r, programmeOf)
	if !ok {
		return
	}
	form := q.form
	var pos uint64
	var err error
	var fields []string
	act := r.PathValue("act")
	switch act {
	case "project":
		fields = projectFields
		rank, _ := strconv.Atoi(form("priority_rank"))
		cost, _ := strconv.ParseInt(form("estimated_cost"), 10, 64)
		p := &programmeseventsv1.Project{ProjectId: form("project_id"), TitleAr: form("title_ar"), TitleFr: form("title_fr"), Sector: form("sector"),
			Place: form("place"), PriorityRank: int32(rank), EstimatedCost: cost}
		for _, f := range strings.Split(form("funding_partners"), ",") {
			if f = strings.TrimSpace(f); f != "" {
				p.FundingPartners = append(p.FundingPartners, f)
			}
		}
		for _, y := range strings.Split(form("planned_years"), ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(y)); err == nil {
				p.PlannedYears = append(p.PlannedYears, int32(n))
			}
		}
		var resp *programmesv1.AddProjectResponse
		if resp, err = h.programmes.AddProject(q.ctx, &programmesv1.AddProjectRequest{Name: name, Project: p}); err == nil {
			pos = resp.GetLogPosition()
		}
	case "progress":
		fields = progressFields
		percent, perr := strconv.Atoi(form("percent"))
		spend, _ := strconv.ParseInt(form("spend"), 10, 64)
		req := &programmesv1.RecordProgressRequest{Name: name, ProjectId: form("project_id"), Date: form("date"), Percent: int32(percent),
			Status: programmeseventsv1.ProjectStatus(programmeseventsv1.ProjectStatus_value["PROJECT_STATUS_"+form("status")]), Spend: spend,
			Reasons: form("reasons"), EvidenceSha256: form("evidence_sha256")}
		if perr != nil {
			fs, _ := formError(q, nil, act, fields)
			fs.Errors["percent"] = q.L.T("pac.error.percent")
			h.showProgramme(q, name, fs, nil)
			return
		}
		var resp *programmesv1.RecordProgressResponse
		if resp, err = h.programmes.RecordProgress(q.ctx, req); err == nil {
			pos = resp.GetLogPosition()
		}
	default:
		h.notFound(w, r)
		return
	}
	if err != nil {
		fs, verr := formError(q, err, act, fields)
		h.showProgramme(q, name, fs, verr)
		return
	}
	redirect(q, "/"+name, "recorded", pos, "")
}

// participationData is the staff's page for workshops and survey imports.
type participationData struct {
	Council       string
	CouncilName   string
	StaffHere     bool
	Consultations []*consultationsv1.Consultation
	Programmes    []*programmesv1.Programme
	Form          *formState
	Report        *programmesv1.ImportSurveyFormsResponse
}

func (h *handler) participationPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	council, ok := councilName(r)
	if !ok || !strings.HasPrefix(council, "communes/") {
		h.notFound(w, r)
		return
	}
	h.showParticipation(q, council, nil, nil, nil)
}

func (h *handler) showParticipation(q *rq, council string, fs *formState, report *programmesv1.ImportSurveyFormsResponse, verr *viewError) {
	if fs == nil {
		fs = &formState{}
	}
	c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: council})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &participationData{Council: council, CouncilName: displayName(q.L, c.GetCouncil()), StaffHere: q.user.StaffOf(council), Form: fs, Report: report}
	cl, err := h.consultations.ListConsultations(q.ctx, &consultationsv1.ListConsultationsRequest{Parent: council, MinPosition: minPosition(q.r)})
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, con := range cl.GetConsultations() {
		if con.GetBody() == "" && (con.GetState() == consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED ||
			con.GetState() == consultationseventsv1.ConsultationState_CONSULTATION_STATE_ACKNOWLEDGED ||
			con.GetState() == consultationseventsv1.ConsultationState_CONSULTATION_STATE_IN_PROGRESS) {
			d.Consultations = append(d.Consultations, con)
		}
	}
	if pl, err := h.programmes.ListProgrammes(q.ctx, &programmesv1.ListProgrammesRequest{Parent: council, MinPosition: minPosition(q.r)}); err == nil {
		d.Programmes = pl.GetProgrammes()
	}
	p := h.newPage(q, q.L.T("pac.participation.title", d.CouncilName), d)
	p.Err = verr
	h.render(q, fs.status(), "participation", p)
}

var (
	workshopFields = []string{"consultation", "workshop_id", "date", "place", "theme", "participants", "women", "youth", "disability", "contributions"}
	importFields   = []string{"period", "format", "csv"}
)

// participationAct records a workshop or imports a file of forms.
func (h *handler) participationAct(w http.ResponseWriter, r *http.Request) {
	q, council, ok := h.formPost(w, r, councilName)
	if !ok {
		return
	}
	form := q.form
	act := r.PathValue("act")
	switch act {
	case "workshop":
		n := func(k string) int32 { v, _ := strconv.Atoi(form(k)); return int32(v) }
		consultation := form("consultation")
		if !strings.HasPrefix(consultation, council+"/consultations/") {
			fs, _ := formError(q, nil, act, workshopFields)
			fs.Errors["consultation"] = q.L.T("pac.error.consultation")
			h.showParticipation(q, council, fs, nil, nil)
			return
		}
		resp, err := h.consultations.RecordWorkshop(q.ctx, &consultationsv1.RecordWorkshopRequest{Name: consultation, Workshop: &consultationseventsv1.WorkshopHeld{
			WorkshopId: form("workshop_id"), Date: form("date"), Place: form("place"), Theme: form("theme"), Participants: n("participants"),
			Women: n("women"), Youth: n("youth"), Disability: n("disability"), Contributions: n("contributions")}})
		if err != nil {
			fs, verr := formError(q, err, act, workshopFields)
			if _, why := reasonOf(err); why == "PARTICIPANT_COUNTS_INCONSISTENT" {
				fs.refuseField("women", errorView(q.L, err))
				verr = nil
			}
			h.showParticipation(q, council, fs, nil, verr)
			return
		}
		redirect(q, "/"+council+"/participation", "recorded", resp.GetLogPosition(), "")
	case "import":
		resp, err := h.programmes.ImportSurveyForms(q.ctx, &programmesv1.ImportSurveyFormsRequest{Parent: council, Period: form("period"), Format: form("format"), Csv: q.r.FormValue("csv")})
		if err != nil {
			fs, verr := formError(q, err, act, importFields)
			fs.Values["csv"] = q.r.FormValue("csv")
			if _, why := reasonOf(err); why == "MALFORMED_SURVEY_CSV" {
				fs.refuseField("csv", errorView(q.L, err))
				verr = nil
			}
			h.showParticipation(q, council, fs, nil, verr)
			return
		}
		h.showParticipation(q, council, nil, resp, nil)
	default:
		h.notFound(w, r)
	}
}

// reasonOf is an API error's code name and ErrorInfo reason.
func reasonOf(err error) (string, string) {
	v := errorView(&Locale{msgs: map[string]string{}}, err)
	return v.Heading, v.Reason
}
