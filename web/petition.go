package web

import (
	"net/http"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// petitionData is a petition's public page, with the forms its reader may
// use.
type petitionData struct {
	P           *petitionsv1.Petition
	Timeline    []*petitionsv1.TimelineEntry
	Lines       []timelineLine
	CouncilName string
	Checklist   []checkItem
	Progress    int
	ShareURL    string
	Share       shareLinks
	// SignURL leads a reader who may not sign here yet to sign-in and
	// back to this petition.
	SignURL string
	IsAgent bool
	CanSign bool
	// SignInToSign: a visitor on a petition open to signatures is shown
	// the way to sign, through sign-in and back.
	SignInToSign bool
	IsStaff      bool
	Region       bool
	Followed     bool
	// SigStatus is the answer to "does my signature count?", when asked.
	SigStatus *petitionsv1.CheckSignatureResponse
	// ConfirmDeposit asks the agent to confirm a deposit below the
	// signature threshold, saying what will follow.
	ConfirmDeposit bool
	// FullName is kept in the sign form after a refused signature (the
	// national ID number never is).
	FullName string
	// Grounds are the moderation refusal grounds, for the moderation form.
	Grounds []option
	// ShowDocuments: the reader is the agent or the council's staff, who
	// see the list of attached documents (Documents); Upload is the
	// attachment form where they may attach (documents.go).
	ShowDocuments bool
	Documents     []docLine
	Upload        *docUpload
	// docForm is what a refused upload sent, for the form.
	docForm *docUpload
}

// checkItem is one line of the admissibility checklist.
type checkItem struct {
	Field string
	Label string
	OK    bool
}

// checklistItems lists a checklist's lines in the reader's language.
func checklistItems(l *Locale, c *petitionseventsv1.Checklist, association bool) []checkItem {
	items := []checkItem{
		{"threshold_met", l.T("checklist.threshold_met"), c.GetThresholdMet()},
		{"signatories_eligible", l.T("checklist.signatories_eligible"), c.GetSignatoriesEligible()},
		{"agent_designated", l.T("checklist.agent_designated"), c.GetAgentDesignated()},
		{"within_council_powers", l.T("checklist.within_council_powers"), c.GetWithinCouncilPowers()},
		{"no_excluded_subject", l.T("checklist.no_excluded_subject"), c.GetNoExcludedSubject()},
	}
	if association {
		items = append(items, checkItem{"association_conditions_met", l.T("checklist.association_conditions_met"), c.GetAssociationConditionsMet()})
	}
	return items
}

// petitionOf is the petition resource name of a request path.
func petitionOf(r *http.Request) (string, bool) {
	council, ok := councilName(r)
	if !ok {
		return "", false
	}
	name := council + "/petitions/" + r.PathValue("id")
	return name, petitionName.MatchString(name)
}

func (h *handler) petitionPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := petitionOf(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if h.publicPetition(q, name) {
		return
	}
	h.showPetition(q, name, nil, nil)
}

// showPetition renders a petition's page, with an error from a refused act
// or the extra a form answered with.
func (h *handler) showPetition(q *rq, name string, verr *viewError, extra func(*petitionData)) {
	asOf, asOfDay, aerr := h.asOf(q)
	if verr == nil {
		verr = aerr
	}
	d, err := h.loadPetition(q, name, asOf)
	if err != nil {
		h.fail(q, err)
		return
	}
	if extra != nil {
		extra(d)
	}
	documentsView(q, d, false, d.docForm)
	h.render(q, http.StatusOK, "petition", h.petitionPageData(q, d, asOfDay, verr))
}

// petitionPageData is the page of a loaded petition.
func (h *handler) petitionPageData(q *rq, d *petitionData, asOfDay string, verr *viewError) *page {
	p := h.newPage(q, d.P.GetTitle(), d)
	p.AsOf, p.Err = asOfDay, verr
	p.Meta = &linkPreview{Title: d.P.GetTitle(), URL: d.ShareURL, Locale: ogLocale[q.L.Lang],
		Description: q.L.T("finder.count", q.L.Int(d.P.GetSignatures().GetValid()), q.L.Int(d.P.GetSignatureThreshold())) + " · " + clip(d.P.GetRequest(), 200)}
	return p
}

func (h *handler) loadPetition(q *rq, name string, asOf *timestamppb.Timestamp) (*petitionData, error) {
	at := minPosition(q.r)
	got, err := h.petitions.GetPetition(q.ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: at, AsOfTime: asOf})
	if err != nil {
		return nil, err
	}
	tl, err := h.petitions.GetPetitionTimeline(q.ctx, &petitionsv1.GetPetitionTimelineRequest{Name: name, MinPosition: at, AsOfTime: asOf})
	if err != nil {
		return nil, err
	}
	p := got.GetPetition()
	d := &petitionData{P: p, Timeline: tl.GetEntries(), Lines: timeline(q.L, p, tl.GetEntries()), CouncilName: p.GetCouncil()}
	if c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: p.GetCouncil()}); err == nil {
		d.CouncilName = displayName(q.L, c.GetCouncil())
	}
	if p.GetDecision() != nil {
		d.Checklist = checklistItems(q.L, p.GetDecision().GetChecklist(), p.GetKind() == petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION)
	}
	if t := p.GetSignatureThreshold(); t > 0 {
		d.Progress = min(100, int(p.GetSignatures().GetValid())*100/int(t))
	}
	d.ShareURL = absoluteURL(q.r, "/"+name)
	d.Share = newShareLinks(d.ShareURL, p.GetTitle())
	d.SignURL = signURL(q.user, name)
	d.IsAgent = q.user.IsCitizen() && q.user.Subject == p.GetAgent()
	d.CanSign = q.user.IsCitizen() && d.Can("SIGN")
	d.SignInToSign = q.user == nil && p.GetState() == petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING
	d.IsStaff = q.user.StaffOf(p.GetCouncil())
	d.Grounds = enumOptions(q.L, petitionseventsv1.ModerationGround_MODERATION_GROUND_EXCLUDED_SUBJECT,
		petitionseventsv1.ModerationGround_MODERATION_GROUND_OUTSIDE_COUNCIL_POWERS, petitionseventsv1.ModerationGround_MODERATION_GROUND_INSULTING_OR_PERSONAL)
	d.Region = strings.HasPrefix(name, "regions/")
	for _, n := range followed(q.r) {
		d.Followed = d.Followed || n == name
	}
	return d, nil
}

// absoluteURL is the page's address as the browser reached it.
func absoluteURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// Can reports whether the API lists the act (its short name, "WITHDRAW")
// among the caller's allowed_acts: the templates offer a form only for an
// act the domain would accept now, and never re-derive that from the
// state (a copy of the rules here once disagreed with the API on when a
// petition may be withdrawn). The API still decides each act.
func (d *petitionData) Can(act string) bool {
	want := petitionsv1.PetitionAct(petitionsv1.PetitionAct_value["PETITION_ACT_"+act])
	return want != petitionsv1.PetitionAct_PETITION_ACT_UNSPECIFIED && slices.Contains(d.P.GetAllowedActs(), want)
}

// SigValid reports a checked signature that counts.
func (d *petitionData) SigValid() bool {
	return d.SigStatus != nil && d.SigStatus.GetStatus() == petitionsv1.SignatureStatus_SIGNATURE_STATUS_VALID
}

// linkPreview is what a shared link shows (Open Graph).
type linkPreview struct {
	Title, Description, URL, Locale string
}

var ogLocale = map[string]string{"ar": "ar_MA", "fr": "fr_MA", "en": "en_GB"}

// clip shortens a text to at most n characters, at a word.
func clip(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	cut := string(r[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
