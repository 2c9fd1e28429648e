package web

import (
	"net/http"
	"strconv"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// bodiesData lists a council's advisory bodies.
type bodiesData struct {
	Council     string
	CouncilName string
	Bodies      []*advisoryv1.Body
	Kinds       []option
	StaffHere   bool
}

func (h *handler) bodiesPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	council, ok := councilName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showBodies(q, council, nil)
}

func (h *handler) showBodies(q *rq, council string, verr *viewError) {
	asOf, asOfDay, aerr := h.asOf(q)
	if verr == nil {
		verr = aerr
	}
	c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: council})
	if err != nil {
		h.fail(q, err)
		return
	}
	bl, err := h.advisory.ListBodies(q.ctx, &advisoryv1.ListBodiesRequest{Parent: council, MinPosition: minPosition(q.r), AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &bodiesData{Council: council, CouncilName: displayName(q.L, c.GetCouncil()), Bodies: bl.GetBodies(), StaffHere: q.user.StaffOf(council),
		Kinds: enumOptions(q.L, advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, advisoryeventsv1.BodyKind_BODY_KIND_YOUTH, advisoryeventsv1.BodyKind_BODY_KIND_ECONOMIC)}
	p := h.newPage(q, q.L.T("bodies.title", d.CouncilName), d)
	p.AsOf, p.Err = asOfDay, verr
	h.render(q, http.StatusOK, "bodies", p)
}

// createBody records the council's decision setting a body up (staff).
func (h *handler) createBody(w http.ResponseWriter, r *http.Request) {
	q, council, ok := h.formPost(w, r, councilName)
	if !ok {
		return
	}
	form := q.form
	quorum, _ := strconv.Atoi(form("quorum"))
	resp, err := h.advisory.CreateBody(q.ctx, &advisoryv1.CreateBodyRequest{Parent: council,
		Kind:        advisoryeventsv1.BodyKind(advisoryeventsv1.BodyKind_value[form("kind")]),
		DisplayName: form("display_name"), DecisionDate: form("decision_date"), DecisionReference: form("decision_reference"),
		QuorumPercent: int32(quorum)})
	if err != nil {
		h.showBodies(q, council, errorView(q.L, err))
		return
	}
	redirect(q, "/"+resp.GetBody().GetName(), "recorded", resp.GetLogPosition(), "")
}

// bodyData is one body's page: members, meetings, opinions, votes and the
// council's responses, with the secretary's and the staff's forms.
type bodyData struct {
	Body          *advisoryv1.Body
	CouncilName   string
	SecretaryHere bool
	StaffHere     bool
	Active        []*advisoryv1.BodyMember
	Sexes         []option
	Ages          []option
	Roles         []option
	Responses     []option
}

func bodyOf(r *http.Request) (string, bool) {
	council, ok := councilName(r)
	b := r.PathValue("body")
	return council + "/advisoryBodies/" + b, ok && idPattern.MatchString(b)
}

func (h *handler) bodyPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := bodyOf(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showBody(q, name, nil)
}

func (h *handler) showBody(q *rq, name string, verr *viewError) {
	asOf, asOfDay, aerr := h.asOf(q)
	if verr == nil {
		verr = aerr
	}
	got, err := h.advisory.GetBody(q.ctx, &advisoryv1.GetBodyRequest{Name: name, MinPosition: minPosition(q.r), AsOfTime: asOf})
	if err != nil {
		h.fail(q, err)
		return
	}
	b := got.GetBody()
	d := &bodyData{Body: b, CouncilName: b.GetCouncil(), SecretaryHere: q.user.SecretaryOf(b.GetCouncil()), StaffHere: q.user.StaffOf(b.GetCouncil()),
		Sexes: enumOptions(q.L, advisoryeventsv1.Sex_SEX_FEMALE, advisoryeventsv1.Sex_SEX_MALE),
		Ages:  enumOptions(q.L, advisoryeventsv1.AgeBand_AGE_BAND_YOUTH, advisoryeventsv1.AgeBand_AGE_BAND_ADULT, advisoryeventsv1.AgeBand_AGE_BAND_SENIOR),
		Roles: enumOptions(q.L, advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT, advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT,
			advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR, advisoryeventsv1.BureauRole_BUREAU_ROLE_DEPUTY_RAPPORTEUR),
		Responses: enumOptions(q.L, advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY, advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY,
			advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_NOT)}
	if c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: b.GetCouncil()}); err == nil {
		d.CouncilName = displayName(q.L, c.GetCouncil())
	}
	for _, m := range b.GetMembers() {
		if m.GetActive() {
			d.Active = append(d.Active, m)
		}
	}
	p := h.newPage(q, b.GetDisplayName(), d)
	p.AsOf, p.Err = asOfDay, verr
	h.render(q, http.StatusOK, "body", p)
}

// bodyAct records a fact of the body (its secretary) or the council's
// response to an opinion (staff).
func (h *handler) bodyAct(w http.ResponseWriter, r *http.Request) {
	q, name, ok := h.formPost(w, r, bodyOf)
	if !ok {
		return
	}
	form := q.form
	num := func(k string) int32 { n, _ := strconv.Atoi(form(k)); return int32(n) }
	opinion := name + "/opinions/" + form("opinion")
	if !idPattern.MatchString(form("opinion")) {
		opinion = ""
	}
	type positioned interface{ GetLogPosition() uint64 }
	var (
		resp positioned
		err  error
	)
	switch r.PathValue("act") {
	case "add-member":
		resp, err = h.advisory.AddMember(q.ctx, &advisoryv1.AddMemberRequest{Name: name, Replaces: form("replaces"), Member: &advisoryeventsv1.Member{
			MemberId: form("member_id"), Sex: advisoryeventsv1.Sex(advisoryeventsv1.Sex_value[form("sex")]),
			AgeBand: advisoryeventsv1.AgeBand(advisoryeventsv1.AgeBand_value[form("age_band")]), Disability: r.FormValue("disability") != "",
			Affiliation: form("affiliation")}})
	case "remove-member":
		resp, err = h.advisory.RemoveMember(q.ctx, &advisoryv1.RemoveMemberRequest{Name: name, MemberId: form("member_id"), Reason: form("reason")})
	case "assign-role":
		resp, err = h.advisory.AssignBureauRole(q.ctx, &advisoryv1.AssignBureauRoleRequest{Name: name, MemberId: form("member_id"),
			Role: advisoryeventsv1.BureauRole(advisoryeventsv1.BureauRole_value[form("role")])})
	case "record-meeting":
		at, verr := h.dayField(q, "date")
		if verr != nil {
			h.showBody(q, name, verr)
			return
		}
		resp, err = h.advisory.RecordMeeting(q.ctx, &advisoryv1.RecordMeetingRequest{Name: name, MeetingId: form("meeting_id"),
			Attendees: r.Form["attendees"], MeetTime: at})
	case "create-opinion":
		resp, err = h.advisory.CreateOpinion(q.ctx, &advisoryv1.CreateOpinionRequest{Parent: name, Title: form("title"),
			Consultation: form("consultation"), Text: form("text")})
	case "adopt-opinion":
		resp, err = h.advisory.AdoptOpinion(q.ctx, &advisoryv1.AdoptOpinionRequest{Name: opinion, MeetingId: form("meeting_id"),
			VotesFor: num("votes_for"), VotesAgainst: num("votes_against"), Abstentions: num("abstentions")})
	case "transmit-opinion":
		resp, err = h.advisory.TransmitOpinion(q.ctx, &advisoryv1.TransmitOpinionRequest{Name: opinion})
	case "respond-opinion":
		resp, err = h.advisory.RespondToOpinion(q.ctx, &advisoryv1.RespondToOpinionRequest{Name: opinion,
			Response: advisoryeventsv1.CouncilResponse(advisoryeventsv1.CouncilResponse_value[form("response")]), Reasons: form("reasons")})
	default:
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.showBody(q, name, errorView(q.L, err))
		return
	}
	redirect(q, "/"+name, "recorded", resp.GetLogPosition(), "")
}
