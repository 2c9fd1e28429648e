package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// petitionAct runs a citizen's act on a petition (its agent's or a
// signer's), then shows the petition again.
func (h *handler) petitionAct(w http.ResponseWriter, r *http.Request) {
	q, name, ok := h.formPost(w, r, petitionOf)
	if !ok {
		return
	}
	path := "/" + name
	form := q.form
	var err error
	switch r.PathValue("act") {
	case "open":
		var resp *petitionsv1.OpenPetitionForSignaturesResponse
		if resp, err = h.petitions.OpenPetitionForSignatures(q.ctx, &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err == nil {
			redirect(q, path, "opened", resp.GetLogPosition(), "")
			return
		}
	case "amend":
		var resp *petitionsv1.AmendPetitionResponse
		if resp, err = h.petitions.AmendPetition(q.ctx, &petitionsv1.AmendPetitionRequest{Name: name, Title: form("title"), Request: form("request"), Reasons: form("reasons")}); err == nil {
			redirect(q, path, "recorded", resp.GetLogPosition(), "")
			return
		}
	case "moderate":
		// The council's staff or moderator: the API checks who may.
		req := &petitionsv1.ModeratePetitionRequest{Name: name, Clear: form("decision") == "clear", Reasons: form("reasons")}
		if !req.Clear {
			if g, ok := petitionseventsv1.ModerationGround_value[form("ground")]; ok {
				req.Ground = petitionseventsv1.ModerationGround(g)
			}
		}
		var resp *petitionsv1.ModeratePetitionResponse
		if resp, err = h.petitions.ModeratePetition(q.ctx, req); err == nil {
			redirect(q, path, "recorded", resp.GetLogPosition(), "")
			return
		}
	case "sign":
		var resp *petitionsv1.SignPetitionResponse
		if resp, err = h.petitions.SignPetition(q.ctx, &petitionsv1.SignPetitionRequest{Name: name,
			NationalId: form("national_id"), FullName: form("full_name"), Province: form("province")}); err == nil {
			follow(w, r, name)
			redirect(q, path, "signed", resp.GetLogPosition(), resp.GetSignatureRef())
			return
		}
		fullName := form("full_name")
		h.showPetition(q, name, errorView(q.L, err), func(d *petitionData) { d.FullName = fullName })
		return
	case "check-signature":
		var resp *petitionsv1.CheckSignatureResponse
		if resp, err = h.petitions.CheckSignature(q.ctx, &petitionsv1.CheckSignatureRequest{Name: name, MinPosition: minPosition(r)}); err == nil {
			h.showPetition(q, name, nil, func(d *petitionData) { d.SigStatus = resp })
			return
		}
	case "withdraw-signature":
		var resp *petitionsv1.WithdrawSignatureResponse
		if resp, err = h.petitions.WithdrawSignature(q.ctx, &petitionsv1.WithdrawSignatureRequest{Name: name, Reason: form("reason")}); err == nil {
			redirect(q, path, "signature_withdrawn", resp.GetLogPosition(), "")
			return
		}
	case "deposit":
		// Below the threshold, the agent is told first what will follow
		// (law 113-14 art. 123 for communes: too few valid signatures make
		// the petition inadmissible) and deposits only on confirming.
		if form("confirm") != "yes" {
			got, gerr := h.petitions.GetPetition(q.ctx, &petitionsv1.GetPetitionRequest{Name: name})
			if gerr == nil && got.GetPetition().GetSignatures().GetValid() < got.GetPetition().GetSignatureThreshold() {
				h.showPetition(q, name, nil, func(d *petitionData) { d.ConfirmDeposit = true })
				return
			}
		}
		var resp *petitionsv1.DepositPetitionResponse
		if resp, err = h.petitions.DepositPetition(q.ctx, &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}); err == nil {
			redirect(q, path, "deposited", resp.GetLogPosition(), resp.GetReceiptNumber())
			return
		}
	case "withdraw":
		var resp *petitionsv1.WithdrawPetitionResponse
		if resp, err = h.petitions.WithdrawPetition(q.ctx, &petitionsv1.WithdrawPetitionRequest{Name: name, Reason: form("reason")}); err == nil {
			redirect(q, path, "withdrawn", resp.GetLogPosition(), "")
			return
		}
	case "follow":
		follow(w, r, name)
		redirect(q, path, "followed", 0, "")
		return
	default:
		h.notFound(w, r)
		return
	}
	h.showPetition(q, name, errorView(q.L, err), nil)
}

// draftForm is the "file a petition" form and what was typed in it.
type draftForm struct {
	Council     *territoryv1.Council
	CouncilName string
	Action      string
	RequestID   string
	// Kind is "citizens" or "association" once chosen; the form starts
	// with neither (the kind is public: no default may choose for the
	// filer).
	Kind        string
	Association bool
	Title       string
	Request     string
	Reasons     string
	AssocName   string
	AssocRef    string
	AssocDate   string
}

func (h *handler) newPetitionPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := councilName(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showDraft(q, name, &draftForm{RequestID: uuid.NewString()}, nil)
}

func (h *handler) showDraft(q *rq, council string, f *draftForm, verr *viewError) {
	c, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: council})
	if err != nil {
		h.fail(q, err)
		return
	}
	f.Council, f.CouncilName, f.Action = c.GetCouncil(), displayName(q.L, c.GetCouncil()), "/"+council+"/petitions"
	p := h.newPage(q, q.L.T("draft.title"), f)
	p.Err = verr
	h.render(q, http.StatusOK, "draft", p)
}

// createPetition files a draft; its author is the agent.
func (h *handler) createPetition(w http.ResponseWriter, r *http.Request) {
	q, council, ok := h.formPost(w, r, councilName)
	if !ok {
		return
	}
	form := q.form
	f := &draftForm{RequestID: form("request_id"), Kind: form("kind"), Association: form("kind") == "association",
		Title: form("title"), Request: form("request"), Reasons: form("reasons"),
		AssocName: form("assoc_name"), AssocRef: form("assoc_ref"), AssocDate: form("assoc_date")}
	if _, err := uuid.Parse(f.RequestID); err != nil {
		f.RequestID = uuid.NewString()
	}
	if f.Kind != "citizens" && f.Kind != "association" {
		f.Kind = ""
		h.showDraft(q, council, f, fieldError(q.L, "kind", "draft.kind.required"))
		return
	}
	req := &petitionsv1.CreatePetitionRequest{Parent: council, Title: f.Title, Request: f.Request, Reasons: f.Reasons,
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, RequestId: f.RequestID, Language: q.L.Lang}
	if f.Association {
		req.Kind = petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION
		req.Association = &petitionseventsv1.Association{Name: f.AssocName, RegistrationRef: f.AssocRef, ConstitutedOn: f.AssocDate,
			DemocraticGovernance: r.FormValue("assoc_democratic") != "", InGoodStanding: r.FormValue("assoc_standing") != "",
			SeatInTerritory: r.FormValue("assoc_seat") != "", ActivityLinkedToSubject: r.FormValue("assoc_activity") != ""}
	}
	resp, err := h.petitions.CreatePetition(q.ctx, req)
	if err != nil {
		h.showDraft(q, council, f, errorView(q.L, err))
		return
	}
	follow(w, r, resp.GetPetition().GetName())
	redirect(q, "/"+resp.GetPetition().GetName(), "created", resp.GetLogPosition(), "")
}

// myData lists the petitions this browser follows.
type myData struct {
	Petitions []*petitionsv1.Petition
}

func (h *handler) myPetitions(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	d := &myData{}
	for _, n := range followed(r) {
		got, err := h.petitions.GetPetition(q.ctx, &petitionsv1.GetPetitionRequest{Name: n})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			h.fail(q, err)
			return
		}
		d.Petitions = append(d.Petitions, got.GetPetition())
	}
	h.render(q, http.StatusOK, "my", h.newPage(q, q.L.T("my.title"), d))
}

// safeNext keeps a post-sign-in destination only if it is a path of this
// site, and otherwise returns "" (the role's home page). A browser drops
// tabs and newlines from a URL, reads a backslash as "/" and "//host" as
// another site, and a proxy may percent-decode the path once more, so
// "/%09/evil.example" or "/%2F/evil.example" could leave the site: the
// value must start with one "/" then neither "/" nor a backslash, in its
// text and once decoded, with no control character, space or backslash
// anywhere, and parse as a bare path (no scheme, no host).
func safeNext(s string) string {
	if !localPath(s) {
		return ""
	}
	decoded, err := url.PathUnescape(s)
	if err != nil || !localPath(decoded) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return s
}

// localPath: "/" alone, or "/" followed by a character other than "/" and
// backslash, with no backslash, control character, white space, format
// character (such as U+200B) or invalid UTF-8 anywhere.
func localPath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	for _, r := range s {
		if r == '\\' || r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// ownCouncil sends staff to their council's desk (/desk) and a body's
// secretary to its bodies (/bodies): the token names the council by code,
// so its level is looked up.
func (h *handler) ownCouncil(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	u := q.user
	if u == nil || u.Council == "" || !codePattern.MatchString(u.Council) {
		http.Redirect(w, r, "/signin?next="+r.URL.Path, http.StatusSeeOther)
		return
	}
	suffix := "/desk"
	if r.URL.Path == "/bodies" {
		suffix = "/advisoryBodies"
	}
	var lastErr error
	for _, level := range []string{"communes", "provinces", "regions"} {
		_, err := h.territory.GetCouncil(q.ctx, &territoryv1.GetCouncilRequest{Name: level + "/" + u.Council})
		if err == nil {
			http.Redirect(w, r, "/"+level+"/"+u.Council+suffix, http.StatusSeeOther)
			return
		}
		lastErr = err
		if !isNotFound(err) {
			break
		}
	}
	h.fail(q, lastErr)
}
