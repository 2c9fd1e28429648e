package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// openDataPage lists the exports: every public view as CSV and JSON.
func (h *handler) openDataPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	q.ctx = outgoing(r, nil) // open data is what the public sees, whoever downloads it
	list, err := h.territory.ListCouncils(q.ctx, &territoryv1.ListCouncilsRequest{Filter: "level=REGION", PageSize: 100})
	if err != nil {
		h.fail(q, err)
		return
	}
	provinces, err := h.territory.ListCouncils(q.ctx, &territoryv1.ListCouncilsRequest{Filter: "level=PROVINCE", PageSize: 500})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &openData{Regions: list.GetCouncils(), Provinces: provinces.GetCouncils()}
	h.render(q, http.StatusOK, "opendata", h.newPage(q, q.L.T("opendata.title"), d))
}

type openData struct {
	Regions   []*territoryv1.Council
	Provinces []*territoryv1.Council
}

// statusHeader are the columns of a council status row.
var statusHeader = []string{"council", "name_fr", "population", "working_body",
	"deposited_total", "overdue", "decided", "acceptance_rate", "median_days_to_decision", "valid_signatures",
	"advisory_bodies", "advisory_members", "advisory_women_share", "advisory_youth_share", "advisory_disability_share",
	"advisory_meetings", "opinions_adopted", "opinions_answered",
	"consultations_open", "consultations_answered", "consultations_expired", "workshops", "participants",
	"women_rate", "youth_rate", "disability_rate", "survey_responses", "mean_satisfaction",
	"valid_signatures_paper_checked_by_staff", "valid_signatures_code_verified", "valid_signatures_provider_verified_id"}

func statusRow(s *statusv1.CouncilStatus) []string {
	f, a, c := s.GetPetitions(), s.GetAdvisory(), s.GetConsultations()
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	x := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	return []string{s.GetCouncil(), s.GetNameFr(), i(s.GetPopulation()), strconv.FormatBool(s.GetWorkingBody()),
		i(int64(f.GetDepositedTotal())), i(int64(f.GetOverdue())), i(int64(f.GetDecided())), x(f.GetAcceptanceRate()), x(f.GetMedianDaysToDecision()), i(f.GetValidSignatures()),
		i(int64(a.GetBodies())), i(int64(a.GetMembers())), x(a.GetWomenShare()), x(a.GetYouthShare()), x(a.GetDisabilityShare()),
		i(int64(a.GetMeetings())), i(int64(a.GetOpinionsAdopted())), i(int64(a.GetOpinionsAnswered())),
		i(int64(c.GetOpen())), i(int64(c.GetAnswered())), i(int64(c.GetExpired())), i(int64(c.GetWorkshops())), i(int64(c.GetParticipants())),
		x(c.GetWomenRate()), x(c.GetYouthRate()), x(c.GetDisabilityRate()), i(int64(c.GetSurveyResponses())), x(c.GetMeanSatisfaction()),
		i(f.GetValidSignaturesPaperCheckedByStaff()), i(f.GetValidSignaturesCodeVerified()), i(f.GetValidSignaturesProviderVerifiedId())}
}

var petitionHeader = []string{"name", "council", "title", "state", "valid_signatures", "signature_threshold",
	"receipt_number", "receive_time", "decision_deadline", "overdue", "admissibility", "decision_reasons",
	"session", "committee", "outcome", "outcome_summary", "create_time", "update_time",
	"signatures_paper_checked_by_staff", "signatures_code_verified", "signatures_provider_verified_id", "signatures_counted"}

func petitionRow(p *petitionsv1.Petition) []string {
	return []string{p.GetName(), p.GetCouncil(), text(p.GetTitle()), short(p.GetState().String(), "PETITION_STATE_"),
		strconv.Itoa(int(p.GetSignatures().GetValid())), strconv.Itoa(int(p.GetSignatureThreshold())),
		p.GetReceiptNumber(), rfc3339(p.GetReceiveTime()), rfc3339(p.GetDecisionDeadline()), strconv.FormatBool(p.GetOverdue()),
		short(p.GetDecision().GetAdmissibility().String(), "ADMISSIBILITY_"), text(p.GetDecision().GetReasons()),
		p.GetSession(), text(p.GetCommittee()), short(p.GetOutcome().String(), "DELIBERATION_OUTCOME_"), text(p.GetOutcomeSummary()),
		rfc3339(p.GetCreateTime()), rfc3339(p.GetUpdateTime()),
		strconv.Itoa(int(p.GetSignatures().GetPaperCheckedByStaff())), strconv.Itoa(int(p.GetSignatures().GetCodeVerified())),
		strconv.Itoa(int(p.GetSignatures().GetProviderVerifiedId())), strconv.Itoa(int(p.GetSignatures().GetCounted()))}
}

var timelineHeader = []string{"position", "type", "summary", "occur_time", "record_time", "actor_role", "actor", "state_after", "hash"}

// timelineRow is one line of a timeline's open data; its actor column
// names the office (agent, citizen, staff), never the account.
func timelineRow(e *petitionsv1.TimelineEntry, agent string) []string {
	return []string{strconv.FormatUint(e.GetPosition(), 10), e.GetType(), text(e.GetSummary()), rfc3339(e.GetOccurTime()), rfc3339(e.GetRecordTime()),
		e.GetActorRole(), office(e.GetActorRole(), e.GetActor(), agent), short(e.GetStateAfter().String(), "PETITION_STATE_"), e.GetHash()}
}

// openData serves a council's public views as CSV or JSON:
// statuses.{csv,json} (the councils under a region or province),
// status.{csv,json} and petitions.{csv,json}. ?as_of=YYYY-MM-DD works as
// on the pages.
func (h *handler) openData(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	q.ctx = outgoing(r, nil) // open data is what the public sees, whoever downloads it
	level, code := r.PathValue("level"), r.PathValue("code")
	view, format, _ := strings.Cut(r.PathValue("file"), ".")
	if !codePattern.MatchString(code) || (level != "communes" && level != "provinces" && level != "regions") || (format != "csv" && format != "json") {
		h.notFound(w, r)
		return
	}
	name := level + "/" + code
	asOf, _, verr := h.asOf(q)
	if verr != nil {
		http.Error(w, verr.Message, http.StatusBadRequest)
		return
	}
	var (
		msg    proto.Message
		header []string
		rows   [][]string
	)
	switch view {
	case "statuses":
		if level == "communes" {
			h.notFound(w, r)
			return
		}
		resp, err := h.status.ListCouncilStatuses(q.ctx, &statusv1.ListCouncilStatusesRequest{Parent: name, AsOfTime: asOf})
		if err != nil {
			h.dataError(w, q, err)
			return
		}
		msg, header = resp, statusHeader
		for _, s := range resp.GetCouncils() {
			rows = append(rows, statusRow(s))
		}
	case "status":
		resp, err := h.status.GetCouncilStatus(q.ctx, &statusv1.GetCouncilStatusRequest{Name: name + "/status", AsOfTime: asOf})
		if err != nil {
			h.dataError(w, q, err)
			return
		}
		msg, header, rows = resp, statusHeader, [][]string{statusRow(resp.GetStatus())}
	case "petitions":
		all, err := h.allPetitions(q, name, asOf)
		if err != nil {
			h.dataError(w, q, err)
			return
		}
		msg, header = &petitionsv1.ListPetitionsResponse{Petitions: all, TotalSize: int32(len(all))}, petitionHeader
		for _, p := range all {
			rows = append(rows, petitionRow(p))
		}
	default:
		h.notFound(w, r)
		return
	}
	writeData(w, format, code+"-"+view, msg, header, rows)
}

// openTimeline serves a petition's timeline as CSV or JSON.
func (h *handler) openTimeline(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	q.ctx = outgoing(r, nil) // open data is what the public sees, whoever downloads it
	level, code, id := r.PathValue("level"), r.PathValue("code"), r.PathValue("id")
	view, format, _ := strings.Cut(r.PathValue("file"), ".")
	name := level + "/" + code + "/petitions/" + id
	if !petitionName.MatchString(name) || view != "timeline" || (format != "csv" && format != "json") {
		h.notFound(w, r)
		return
	}
	asOf, _, verr := h.asOf(q)
	if verr != nil {
		http.Error(w, verr.Message, http.StatusBadRequest)
		return
	}
	resp, err := h.petitions.GetPetitionTimeline(q.ctx, &petitionsv1.GetPetitionTimelineRequest{Name: name, AsOfTime: asOf})
	if err != nil {
		h.dataError(w, q, err)
		return
	}
	pet, err := h.petitions.GetPetition(q.ctx, &petitionsv1.GetPetitionRequest{Name: name, AsOfTime: asOf})
	if err != nil {
		h.dataError(w, q, err)
		return
	}
	var rows [][]string
	for _, e := range resp.GetEntries() {
		rows = append(rows, timelineRow(e, pet.GetPetition().GetAgent()))
		// Public data names offices, never accounts (JSON as CSV).
		e.Actor = office(e.GetActorRole(), e.GetActor(), pet.GetPetition().GetAgent())
	}
	writeData(w, format, id+"-timeline", resp, timelineHeader, rows)
}

func (h *handler) dataError(w http.ResponseWriter, q *rq, err error) {
	v := errorView(q.L, err)
	if v.RetryAfter != "" {
		w.Header().Set("Retry-After", v.RetryAfter)
	}
	http.Error(w, v.Heading+": "+v.Message, v.HTTP)
}

var jsonOut = protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true}

func writeData(w http.ResponseWriter, format, file string, msg proto.Message, header []string, rows [][]string) {
	var buf bytes.Buffer
	if format == "json" {
		b, err := jsonOut.Marshal(msg)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		buf.Write(b)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	} else {
		cw := csv.NewWriter(&buf)
		_ = cw.Write(header)
		_ = cw.WriteAll(rows)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", `inline; filename="`+file+`.`+format+`"`)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(buf.Bytes())
}

// text guards a free-text cell against spreadsheet formula injection.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func rfc3339(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

func short(s, prefix string) string {
	s = strings.TrimPrefix(s, prefix)
	if s == "UNSPECIFIED" {
		return ""
	}
	return s
}
