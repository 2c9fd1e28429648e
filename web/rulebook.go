package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// rulebookData is the rulebook page: the petition rules in force for a
// council on a day, each with the article it comes from, and the recorded
// versions (DESIGN.md "Rulebooks are data").
type rulebookData struct {
	Council     string
	CouncilName string
	Day         string
	Rulebook    *territoryv1.Rulebook
	Rules       []ruleRow
}

// ruleRow is one rule of the page.
type ruleRow struct {
	Key, Value, Article string
}

// rulebookPage shows GET {council}/rulebook?on=DAY (today by default).
func (h *handler) rulebookPage(w http.ResponseWriter, r *http.Request) {
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
	day := strings.TrimSpace(r.URL.Query().Get("on"))
	var verr *viewError
	if day != "" {
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			verr = &viewError{Heading: q.L.T("rules.on.invalid"), Message: q.L.T("rules.on.invalid"), HTTP: http.StatusOK}
			day = ""
		}
	}
	resp, err := h.territory.GetRulebook(q.ctx, &territoryv1.GetRulebookRequest{Name: council + "/rulebook", AsOfDate: day, MinPosition: minPosition(r)})
	if err != nil {
		h.fail(q, err)
		return
	}
	rb := resp.GetRulebook()
	d := &rulebookData{Council: council, CouncilName: displayName(q.L, c.GetCouncil()), Day: rb.GetAsOfDate(), Rulebook: rb}
	add := func(key, value string) {
		d.Rules = append(d.Rules, ruleRow{Key: key, Value: value, Article: rb.GetArticles()[key]})
	}
	add("signature_threshold", strconv.Itoa(int(rb.GetSignatureThreshold())))
	if rb.GetPerProvinceSharePercent() > 0 {
		add("per_province_share", q.L.T("rules.percent", rb.GetPerProvinceSharePercent()))
	}
	add("decision_deadline", q.L.T("rules.months", rb.GetDecisionDeadlineMonths()))
	var months []string
	for _, m := range rb.GetOrdinarySessionMonths() {
		months = append(months, q.L.T("month."+strconv.Itoa(int(m))))
	}
	add("ordinary_sessions", strings.Join(months, q.L.T("fmt.sep")))
	add("session_margin", q.L.T("rules.days", rb.GetSessionMarginDays()))
	p := h.newPage(q, q.L.T("rules.title", d.CouncilName), d)
	p.Err = verr
	h.render(q, http.StatusOK, "rulebook", p)
}
