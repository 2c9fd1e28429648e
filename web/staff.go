package web

import (
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// maxSheet is the largest signature sheet the import form takes.
const maxSheet = 5 << 20

// deskData is a council staff's work list.
type deskData struct {
	Council     string
	CouncilName string
	// ToRegister are collecting signatures: a paper deposit may come in.
	ToRegister []*petitionsv1.Petition
	// ToDecide await the bureau's decision, soonest deadline first.
	ToDecide []*petitionsv1.Petition
	// Overdue passed their deadline without a notified decision.
	Overdue []*petitionsv1.Petition
	// ToNotify have a decision or an outcome not yet notified to the agent.
	ToNotify []*petitionsv1.Petition
	// ToSchedule may be put on an agenda (admissible, not yet scheduled).
	ToSchedule []*petitionsv1.Petition
	// InSession await a committee referral, its report or the deliberation.
	InSession []*petitionsv1.Petition
	// ToClose may be closed: deliberated or found inadmissible, and the
	// agent told (until then they are in ToNotify).
	ToClose []*petitionsv1.Petition
}

func (h *handler) deskPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	council, ok := councilName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: council})
	if err != nil {
		h.fail(q, err)
		return
	}
	all, err := h.allPetitions(q, council, nil)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &deskData{Council: council, CouncilName: displayName(q.L, c.GetCouncil())}
	for _, p := range all {
		if p.GetOverdue() {
			d.Overdue = append(d.Overdue, p)
		}
		if allows(p, petitionsv1.PetitionAct_PETITION_ACT_NOTIFY_AGENT) {
			d.ToNotify = append(d.ToNotify, p)
		}
		// The queues follow the acts the API lists for this caller
		// (allowed_acts), not a copy of the states each act needs; only
		// "to register" is a phase (collecting signatures: a paper deposit
		// may come in), since drafts allow a staff deposit too but are not
		// yet public.
		switch {
		case p.GetState() == petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING:
			d.ToRegister = append(d.ToRegister, p)
		case allows(p, petitionsv1.PetitionAct_PETITION_ACT_REFER_TO_BUREAU, petitionsv1.PetitionAct_PETITION_ACT_DECIDE_ADMISSIBILITY):
			d.ToDecide = append(d.ToDecide, p)
		case allows(p, petitionsv1.PetitionAct_PETITION_ACT_SCHEDULE):
			d.ToSchedule = append(d.ToSchedule, p)
		case allows(p, petitionsv1.PetitionAct_PETITION_ACT_REFER_TO_COMMITTEE, petitionsv1.PetitionAct_PETITION_ACT_RECORD_COMMITTEE_REPORT, petitionsv1.PetitionAct_PETITION_ACT_RECORD_DELIBERATION):
			d.InSession = append(d.InSession, p)
		case allows(p, petitionsv1.PetitionAct_PETITION_ACT_CLOSE):
			d.ToClose = append(d.ToClose, p)
		}
	}
	sort.SliceStable(d.ToDecide, func(i, j int) bool {
		return d.ToDecide[i].GetDecisionDeadline().AsTime().Before(d.ToDecide[j].GetDecisionDeadline().AsTime())
	})
	p := h.newPage(q, q.L.T("desk.title"), d)
	if !q.user.StaffOf(council) {
		p.Err = &viewError{Heading: q.L.T("error.PermissionDenied"), Message: q.L.T("desk.notstaff"), HTTP: http.StatusOK}
	}
	h.render(q, http.StatusOK, "desk", p)
}

// allows reports whether the API lists one of the acts for the caller.
func allows(p *petitionsv1.Petition, acts ...petitionsv1.PetitionAct) bool {
	for _, a := range acts {
		if slices.Contains(p.GetAllowedActs(), a) {
			return true
		}
	}
	return false
}

// allPetitions lists every petition of a council, page by page.
func (h *handler) allPetitions(q *rq, council string, asOf *timestamppb.Timestamp) ([]*petitionsv1.Petition, error) {
	var all []*petitionsv1.Petition
	req := &petitionsv1.ListPetitionsRequest{Parent: council, PageSize: 500, MinPosition: minPosition(q.r), AsOfTime: asOf}
	for {
		resp, err := h.petitions.ListPetitions(q.ctx, req)
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetPetitions()...)
		if resp.GetNextPageToken() == "" {
			return all, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// manageData is the staff's page for one petition: its procedure's forms.
type manageData struct {
	*petitionData
	Blank       []checkItem
	Outcomes    []option
	Subjects    []option
	Report      *petitionsv1.ImportSignaturesResponse
	Association bool
	// Evidence: for an association's petition, one choice per condition
	// the bureau checks against a document, among the attached ones.
	Evidence []evidenceRow
}

// evidenceRow is one condition of the checklist tied to a document, and
// the attached documents that may prove it.
type evidenceRow struct {
	Condition string
	Label     string
	Documents []option
}

// evidenceConditions are the association's conditions the bureau checks
// against a document (decree 2.16.403), with their labels' keys.
var evidenceConditions = []struct{ condition, key string }{
	{"association_constituted", "evidence.association_constituted"},
	{"association_statutes", "evidence.association_statutes"},
	{"association_seat", "evidence.association_seat"},
	{"governing_body_decision", "evidence.governing_body_decision"},
}

func evidenceRows(l *Locale, p *petitionsv1.Petition) []evidenceRow {
	var docs []option
	for _, d := range p.GetDocuments() {
		id := d.GetDocumentId()
		docs = append(docs, option{Value: id, Label: d.GetFileName() + " (" + strings.TrimPrefix(d.GetKind().String(), "DOCUMENT_KIND_") + ", " + id[:min(8, len(id))] + ")"})
	}
	rows := make([]evidenceRow, len(evidenceConditions))
	for i, c := range evidenceConditions {
		rows[i] = evidenceRow{Condition: c.condition, Label: l.T(c.key), Documents: docs}
	}
	return rows
}

// option is one choice of a select or radio group.
type option struct {
	Value string
	Label string
}

func enumOptions(l *Locale, values ...protoreflect.Enum) []option {
	var out []option
	for _, v := range values {
		out = append(out, option{Value: enumKey(v)[len("enum."):], Label: l.E(v)})
	}
	return out
}

func (h *handler) managePage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := petitionOf(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showManage(q, name, nil, nil)
}

func (h *handler) showManage(q *rq, name string, verr *viewError, report *petitionsv1.ImportSignaturesResponse) {
	h.showManageWith(q, name, verr, report, nil)
}

// showManageWith shows the management page with, after a refused upload,
// what its form sent.
func (h *handler) showManageWith(q *rq, name string, verr *viewError, report *petitionsv1.ImportSignaturesResponse, upload *docUpload) {
	pd, err := h.loadPetition(q, name, nil)
	if err != nil {
		h.fail(q, err)
		return
	}
	assoc := pd.P.GetKind() == petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION
	d := &manageData{petitionData: pd, Report: report, Association: assoc,
		Blank: checklistItems(q.L, nil, assoc),
		Outcomes: enumOptions(q.L, petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED,
			petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_PARTLY_APPROVED, petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_REJECTED),
		Subjects: enumOptions(q.L, petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY,
			petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME),
	}
	if assoc {
		d.Evidence = evidenceRows(q.L, pd.P)
	}
	documentsView(q, pd, true, upload)
	p := h.newPage(q, q.L.T("manage.title", pd.P.GetTitle()), d)
	p.Err = verr
	if verr == nil && !pd.IsStaff {
		p.Err = &viewError{Heading: q.L.T("error.PermissionDenied"), Message: q.L.T("desk.notstaff"), HTTP: http.StatusOK}
	}
	h.render(q, http.StatusOK, "manage", p)
}

// dayField reads a date field: nil for empty or today (the API then takes
// now), else midnight UTC of that day.
func (h *handler) dayField(q *rq, key string) (*timestamppb.Timestamp, *viewError) {
	s := strings.TrimSpace(q.r.FormValue(key))
	if s == "" || s == today(h.now()) {
		return nil, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, fieldError(q.L, key, "form.baddate")
	}
	return timestamppb.New(d), nil
}

// manageAct records one step of the council's procedure.
func (h *handler) manageAct(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := petitionOf(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if r.PathValue("act") == "import" {
		_ = r.ParseMultipartForm(maxSheet)
	}
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	form := func(k string) string { return strings.TrimSpace(r.FormValue(k)) }
	type positioned interface{ GetLogPosition() uint64 }
	var (
		resp positioned
		err  error
	)
	switch r.PathValue("act") {
	case "deposit":
		received, verr := h.dayField(q, "received")
		if verr != nil {
			h.showManage(q, name, verr, nil)
			return
		}
		var docs []string
		for _, l := range strings.Split(form("documents"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				docs = append(docs, l)
			}
		}
		resp, err = h.petitions.DepositPetition(q.ctx, &petitionsv1.DepositPetitionRequest{Name: name,
			Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: received, Documents: docs})
	case "refer-bureau":
		resp, err = h.petitions.ReferPetitionToBureau(q.ctx, &petitionsv1.ReferPetitionToBureauRequest{Name: name})
	case "decide":
		req := &petitionsv1.DecideAdmissibilityRequest{Name: name, Reasons: form("reasons"), Checklist: &petitionseventsv1.Checklist{
			ThresholdMet: r.FormValue("threshold_met") != "", SignatoriesEligible: r.FormValue("signatories_eligible") != "",
			AgentDesignated: r.FormValue("agent_designated") != "", WithinCouncilPowers: r.FormValue("within_council_powers") != "",
			NoExcludedSubject: r.FormValue("no_excluded_subject") != "", AssociationConditionsMet: r.FormValue("association_conditions_met") != "",
		}}
		for _, c := range evidenceConditions {
			if id := form("evidence_" + c.condition); id != "" {
				req.Checklist.Evidence = append(req.Checklist.Evidence, &petitionseventsv1.ConditionEvidence{Condition: c.condition, DocumentId: id})
			}
		}
		switch form("admissibility") {
		case "admissible":
			req.Admissibility = petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE
		case "inadmissible":
			req.Admissibility = petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE
		}
		resp, err = h.petitions.DecideAdmissibility(q.ctx, req)
	case "notify":
		at, verr := h.dayField(q, "date")
		if verr != nil {
			h.showManage(q, name, verr, nil)
			return
		}
		subject := petitionseventsv1.NotificationSubject(petitionseventsv1.NotificationSubject_value[form("subject")])
		resp, err = h.petitions.NotifyAgent(q.ctx, &petitionsv1.NotifyAgentRequest{Name: name, Subject: subject,
			Channel: form("channel"), Reference: form("reference"), NotifyTime: at})
	case "schedule":
		resp, err = h.petitions.SchedulePetition(q.ctx, &petitionsv1.SchedulePetitionRequest{Name: name, Session: form("session")})
	case "committee":
		resp, err = h.petitions.ReferPetitionToCommittee(q.ctx, &petitionsv1.ReferPetitionToCommitteeRequest{Name: name, Committee: form("committee")})
	case "report":
		resp, err = h.petitions.RecordCommitteeReport(q.ctx, &petitionsv1.RecordCommitteeReportRequest{Name: name, Summary: form("summary")})
	case "deliberate":
		outcome := petitionseventsv1.DeliberationOutcome(petitionseventsv1.DeliberationOutcome_value[form("outcome")])
		resp, err = h.petitions.RecordDeliberation(q.ctx, &petitionsv1.RecordDeliberationRequest{Name: name, Outcome: outcome,
			Summary: form("summary"), Reference: form("reference")})
	case "close":
		resp, err = h.petitions.ClosePetition(q.ctx, &petitionsv1.ClosePetitionRequest{Name: name, Note: form("note")})
	case "strike":
		resp, err = h.petitions.StrikeSignature(q.ctx, &petitionsv1.StrikeSignatureRequest{Name: name, SignatureRef: form("signature_ref"), Reason: form("reason")})
	case "import":
		f, _, ferr := r.FormFile("csv")
		if ferr != nil {
			h.showManage(q, name, localError(q.L, "import.nofile"), nil)
			return
		}
		b, ferr := io.ReadAll(io.LimitReader(f, maxSheet+1))
		f.Close()
		if ferr != nil || len(b) > maxSheet {
			h.showManage(q, name, localError(q.L, "import.toolarge"), nil)
			return
		}
		rep, err := h.petitions.ImportSignatures(q.ctx, &petitionsv1.ImportSignaturesRequest{Name: name, Csv: b})
		if err != nil {
			h.showManage(q, name, errorView(q.L, err), nil)
			return
		}
		// The report is the answer: show it at once, after the import.
		q.r.URL.RawQuery = "at=" + uitoa(rep.GetLogPosition())
		h.showManage(q, name, nil, rep)
		return
	default:
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.showManage(q, name, errorView(q.L, err), nil)
		return
	}
	redirect(q, "/"+name+"/manage", "recorded", resp.GetLogPosition(), "")
}
