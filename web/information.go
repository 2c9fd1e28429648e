package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// The pages of access to information (law 31-13): a commune's public
// register and figures, the citizen's request form and "my requests" with
// their due dates, the designated official's desk (due soonest first) and
// a request's page with the acts the API allows its reader.

func (h *handler) informationRoutes(m *http.ServeMux) {
	base := "/communes/{code}"
	m.HandleFunc("GET "+base+"/information", h.informationPage)
	m.HandleFunc("GET "+base+"/informationRequests", h.informationRequestsPage)
	m.HandleFunc("GET "+base+"/informationRequests/new", h.newInformationRequestPage)
	m.HandleFunc("POST "+base+"/informationRequests", h.createInformationRequest)
	m.HandleFunc("GET "+base+"/informationRequests/{id}", h.informationRequestPage)
	m.HandleFunc("POST "+base+"/informationRequests/{id}/{act}", h.informationRequestAct)
	m.HandleFunc("GET /open-data/communes/{code}/information/{file}", h.informationOpenData)
}

var (
	publicationHeader = []string{"category", "title", "published_on", "url", "document_sha256"}
	infoFiguresHeader = []string{"council", "as_of_day", "received", "answered_on_time", "answered_late", "overdue_now", "open", "extended",
		"median_working_days", "complaints_to_head", "complaints_to_commission", "complaints_upheld", "complaints_rejected", "complaints_pending",
		"register_categories_published", "register_categories", "refusals_by_exception"}
)

// informationOpenData serves the commune's register (publications.csv,
// .json, with the missing categories in JSON) and figures (figures.csv,
// .json; ?as_of=YYYY-MM-DD as on the pages) as open data.
func (h *handler) informationOpenData(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	q.ctx = outgoing(r, nil) // open data is what the public sees, whoever downloads it
	council, ok := communeName(r)
	view, format, _ := strings.Cut(r.PathValue("file"), ".")
	if !ok || (format != "csv" && format != "json") {
		h.notFound(w, r)
		return
	}
	var (
		msg    proto.Message
		header []string
		rows   [][]string
	)
	switch view {
	case "publications":
		resp, err := h.information.ListPublications(q.ctx, &informationv1.ListPublicationsRequest{Parent: council})
		if err != nil {
			h.dataError(w, q, err)
			return
		}
		msg, header = resp, publicationHeader
		for _, p := range resp.GetPublications() {
			rows = append(rows, []string{short(p.GetCategory().String(), "PUBLICATION_CATEGORY_"), text(p.GetTitle()), p.GetPublishedOn(), text(p.GetUrl()), p.GetDocumentSha256()})
		}
	case "figures":
		asOf, _, verr := h.asOf(q)
		if verr != nil {
			http.Error(w, verr.Message, http.StatusBadRequest)
			return
		}
		resp, err := h.information.GetInformationFigures(q.ctx, &informationv1.GetInformationFiguresRequest{Name: council + "/informationFigures", AsOfTime: asOf})
		if err != nil {
			h.dataError(w, q, err)
			return
		}
		f := resp.GetFigures()
		i := func(n int32) string { return strconv.Itoa(int(n)) }
		var refusals []string
		for _, e := range f.GetRefusalsByException() {
			refusals = append(refusals, short(e.GetException().String(), "EXCEPTION_")+":"+i(e.GetCount()))
		}
		msg, header = resp, infoFiguresHeader
		rows = [][]string{{f.GetCouncil(), f.GetAsOfDay(), i(f.GetReceived()), i(f.GetAnsweredOnTime()), i(f.GetAnsweredLate()), i(f.GetOverdueNow()), i(f.GetOpen()),
			i(f.GetExtended()), strconv.FormatFloat(f.GetMedianWorkingDays(), 'f', 1, 64), i(f.GetComplaintsToHead()), i(f.GetComplaintsToCommission()),
			i(f.GetComplaintsUpheld()), i(f.GetComplaintsRejected()), i(f.GetComplaintsPending()), i(f.GetRegisterCategoriesPublished()), i(f.GetRegisterCategories()),
			strings.Join(refusals, " ")}}
	default:
		h.notFound(w, r)
		return
	}
	writeData(w, format, councilCode(council)+"-information-"+view, msg, header, rows)
}

// communeName is "communes/{code}" of the path.
func communeName(r *http.Request) (string, bool) {
	code := r.PathValue("code")
	if !codePattern.MatchString(code) {
		return "", false
	}
	return "communes/" + code, true
}

// informationRequestOf is the request's resource name of the path.
func informationRequestOf(r *http.Request) (string, bool) {
	c, ok := communeName(r)
	id := r.PathValue("id")
	if !ok || uuid.Validate(id) != nil {
		return "", false
	}
	return c + "/informationRequests/" + id, true
}

// informationData is what the information pages show.
type informationData struct {
	Council     string
	CouncilName string
	Figures     *informationv1.InformationFigures
	Register    *informationv1.ListPublicationsResponse
	Requests    []*informationv1.InformationRequest
	Request     *informationv1.InformationRequest
	Official    bool
	RequestID   string
	Subject     string
	Exceptions  []ieventsv1.Exception
	Levels      []ieventsv1.ComplaintLevel
	Outcomes    []ieventsv1.ComplaintOutcome
	Today       string
}

// Can reports whether the API allows act on the shown request.
func (d *informationData) Can(act string) bool {
	if d.Request == nil {
		return false
	}
	for _, a := range d.Request.GetAllowedActs() {
		if a == act {
			return true
		}
	}
	return false
}

func (h *handler) informationBase(q *rq, council string) (*informationData, bool) {
	c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: council})
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	d := &informationData{Council: council, CouncilName: displayName(q.L, c.GetCouncil()), Today: h.now().UTC().Format("2006-01-02")}
	d.Official = q.user != nil && q.user.Role == "information" && q.user.Council == councilCode(council)
	for v := range ieventsv1.Exception_name {
		if v != 0 {
			d.Exceptions = append(d.Exceptions, ieventsv1.Exception(v))
		}
	}
	sortEnums(d.Exceptions)
	d.Levels = []ieventsv1.ComplaintLevel{ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD, ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION}
	d.Outcomes = []ieventsv1.ComplaintOutcome{ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_UPHELD, ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_PARTLY_UPHELD, ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_REJECTED}
	return d, true
}

func sortEnums[E ~int32](es []E) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j] < es[j-1]; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// informationPage is the commune's public page: figures and register.
func (h *handler) informationPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	council, ok := communeName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	d, ok := h.informationBase(q, council)
	if !ok {
		return
	}
	f, err := h.information.GetInformationFigures(q.ctx, &informationv1.GetInformationFiguresRequest{Name: council + "/informationFigures", MinPosition: minPosition(r)})
	if err != nil {
		h.fail(q, err)
		return
	}
	reg, err := h.information.ListPublications(q.ctx, &informationv1.ListPublicationsRequest{Parent: council})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Figures, d.Register = f.GetFigures(), reg
	h.render(q, http.StatusOK, "information", h.newPage(q, q.L.T("info.title"), d))
}

// informationRequestsPage lists the requests its reader may see: their
// own for a citizen, the commune's for its official, due soonest first.
func (h *handler) informationRequestsPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	council, ok := communeName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if q.user == nil {
		http.Redirect(w, r, "/signin?next="+r.URL.Path, http.StatusSeeOther)
		return
	}
	d, ok := h.informationBase(q, council)
	if !ok {
		return
	}
	list, err := h.information.ListInformationRequests(q.ctx, &informationv1.ListInformationRequestsRequest{Parent: council, MinPosition: minPosition(r)})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Requests = list.GetInformationRequests()
	title := q.L.T("info.mine.title")
	if d.Official {
		title = q.L.T("info.desk.title")
	}
	h.render(q, http.StatusOK, "inforequests", h.newPage(q, title, d))
}

func (h *handler) newInformationRequestPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	council, ok := communeName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	d, ok := h.informationBase(q, council)
	if !ok {
		return
	}
	d.RequestID = uuid.NewString()
	h.render(q, http.StatusOK, "inforequestnew", h.newPage(q, q.L.T("info.new.title"), d))
}

// createInformationRequest files a citizen's request online.
func (h *handler) createInformationRequest(w http.ResponseWriter, r *http.Request) {
	q, council, ok := h.formPost(w, r, communeName)
	if !ok {
		return
	}
	id := q.form("request_id")
	if uuid.Validate(id) != nil {
		id = uuid.NewString()
	}
	kind := ieventsv1.RequesterKind_REQUESTER_KIND_PERSON
	if q.form("requester_kind") == "legal_entity" {
		kind = ieventsv1.RequesterKind_REQUESTER_KIND_LEGAL_ENTITY
	}
	resp, err := h.information.CreateInformationRequest(q.ctx, &informationv1.CreateInformationRequestRequest{Parent: council, RequestId: strings.ToLower(id),
		RequesterKind: kind, RequesterName: q.form("requester_name"), RequesterContact: q.form("requester_contact"), Subject: q.form("subject"),
		Urgent: q.form("urgent") != "", UrgentReason: q.form("urgent_reason"), Language: q.L.Lang})
	if err != nil {
		d, ok := h.informationBase(q, council)
		if !ok {
			return
		}
		d.RequestID, d.Subject = id, q.form("subject")
		p := h.newPage(q, q.L.T("info.new.title"), d)
		p.Err = errorView(q.L, err)
		h.render(q, http.StatusOK, "inforequestnew", p)
		return
	}
	redirect(q, "/"+resp.GetInformationRequest().GetName(), "info_filed", resp.GetLogPosition(), resp.GetInformationRequest().GetReceiptNumber())
}

func (h *handler) informationRequestPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := informationRequestOf(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showInformationRequest(q, name, nil)
}

func (h *handler) showInformationRequest(q *rq, name string, verr *viewError) {
	if q.user == nil {
		http.Redirect(q.w, q.r, "/signin?next="+q.r.URL.Path, http.StatusSeeOther)
		return
	}
	d, ok := h.informationBase(q, name[:strings.Index(name, "/informationRequests/")])
	if !ok {
		return
	}
	got, err := h.information.GetInformationRequest(q.ctx, &informationv1.GetInformationRequestRequest{Name: name, MinPosition: minPosition(q.r)})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Request = got.GetInformationRequest()
	p := h.newPage(q, q.L.T("info.request.title", d.Request.GetReceiptNumber()), d)
	p.Err = verr
	h.render(q, http.StatusOK, "inforequest", p)
}

// informationRequestAct runs the official's or the requester's act.
func (h *handler) informationRequestAct(w http.ResponseWriter, r *http.Request) {
	q, name, ok := h.formPost(w, r, informationRequestOf)
	if !ok {
		return
	}
	var pos uint64
	var err error
	exceptions := func() []ieventsv1.Exception {
		var out []ieventsv1.Exception
		for _, v := range r.Form["exceptions"] {
			if n, ok := ieventsv1.Exception_value[v]; ok {
				out = append(out, ieventsv1.Exception(n))
			}
		}
		return out
	}
	level := ieventsv1.ComplaintLevel(ieventsv1.ComplaintLevel_value[q.form("level")])
	switch r.PathValue("act") {
	case "answer":
		kind := ieventsv1.AnswerKind_ANSWER_KIND_FULL
		if q.form("kind") == "partial" {
			kind = ieventsv1.AnswerKind_ANSWER_KIND_PARTIAL
		}
		var resp *informationv1.AnswerInformationRequestResponse
		if resp, err = h.information.AnswerInformationRequest(q.ctx, &informationv1.AnswerInformationRequestRequest{Name: name, Kind: kind,
			Exceptions: exceptions(), Reasons: q.form("reasons"), Information: q.form("information"), Link: q.form("link")}); err == nil {
			pos = resp.GetLogPosition()
		}
	case "refuse":
		var resp *informationv1.RefuseInformationRequestResponse
		if resp, err = h.information.RefuseInformationRequest(q.ctx, &informationv1.RefuseInformationRequestRequest{Name: name,
			Exceptions: exceptions(), Reasons: q.form("reasons")}); err == nil {
			pos = resp.GetLogPosition()
		}
	case "extend":
		var resp *informationv1.ExtendInformationRequestResponse
		if resp, err = h.information.ExtendInformationRequest(q.ctx, &informationv1.ExtendInformationRequestRequest{Name: name, Reasons: q.form("reasons")}); err == nil {
			pos = resp.GetLogPosition()
		}
	case "complain":
		var resp *informationv1.ComplainInformationRequestResponse
		if resp, err = h.information.ComplainInformationRequest(q.ctx, &informationv1.ComplainInformationRequestRequest{Name: name, Level: level, Grounds: q.form("grounds")}); err == nil {
			pos = resp.GetLogPosition()
		}
	case "decide":
		var resp *informationv1.DecideInformationComplaintResponse
		if resp, err = h.information.DecideInformationComplaint(q.ctx, &informationv1.DecideInformationComplaintRequest{Name: name, Level: level,
			Outcome: ieventsv1.ComplaintOutcome(ieventsv1.ComplaintOutcome_value[q.form("outcome")]), Reasons: q.form("reasons")}); err == nil {
			pos = resp.GetLogPosition()
		}
	default:
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.showInformationRequest(q, name, errorView(q.L, err))
		return
	}
	redirect(q, "/"+name, "recorded", pos, "")
}
