package web

import (
	"net/http"

	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
)

// Grant is one role in force, as the administrator's page lists it: the
// account's user key (a keyed hash of its subject, never an address), the
// role and its council ("" for auditors and admins).
type Grant struct {
	UserKey string
	Role    string
	Council string
}

// grantRoles are the roles an administrator grants (citizens need none).
var grantRoles = []string{"staff", "advisory", "auditor", "admin"}

// adminData is the administrator's page of grants: the grant and
// revocation forms and the grants in force.
type adminData struct {
	Roles []option
	// Posted is the form a refusal answers ("grant" or "revoke"): only
	// that form is refilled.
	Posted string
	Grants []Grant
	// Listed is whether the installation gives the grants in force.
	Listed bool
}

// Refill is the value a refused form sent for field, for the posted form
// only.
func (d *adminData) Refill(p *page, form, field string) string {
	if d.Posted != form || p.Form == nil {
		return ""
	}
	return p.Form.Get(field)
}

func (h *handler) adminRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /admin/users", h.adminUsersPage)
	m.HandleFunc("POST /admin/users/{act}", h.adminUsersAct)
}

// adminOnly lets the signed-in administrator through: a visitor goes to
// sign-in and back, anybody else gets a 403 page. The page decides only
// what to show; the API checks the session's token on every grant.
func (h *handler) adminOnly(q *rq) bool {
	if q.user == nil {
		http.Redirect(q.w, q.r, "/signin?next=/admin/users", http.StatusSeeOther)
		return false
	}
	if q.user.Role != "admin" {
		p := h.newPage(q, q.L.T("error.PermissionDenied"), nil)
		p.Err = &viewError{Heading: q.L.T("error.PermissionDenied"), Message: q.L.T("admin.notadmin"), HTTP: http.StatusForbidden}
		h.render(q, http.StatusForbidden, "error", p)
		return false
	}
	return true
}

func (h *handler) adminUsersPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if !h.adminOnly(q) {
		return
	}
	h.showAdmin(q, "", nil)
}

func (h *handler) showAdmin(q *rq, posted string, verr *viewError) {
	d := &adminData{Posted: posted, Listed: h.grants != nil}
	for _, r := range grantRoles {
		d.Roles = append(d.Roles, option{Value: r, Label: q.L.Role(r)})
	}
	if h.grants != nil {
		var err error
		if d.Grants, err = h.grants(q.ctx, minPosition(q.r)); err != nil {
			// A crafted ?at= past the log, or a slow read model: the
			// list shown is what the model holds.
			h.log.Warn("web: grants in force behind", "err", err)
		}
	}
	p := h.newPage(q, q.L.T("admin.title"), d)
	p.Err = verr
	code := http.StatusOK
	if verr != nil {
		code = verr.HTTP
	}
	h.render(q, code, "admin_users", p)
}

// adminFields are the forms' fields the API's field violations name.
var adminFields = map[string]string{
	"account": "email", "account.email": "email", "account.phone": "phone", "account.subject": "email",
	"role": "role", "council": "council", "reason": "reason",
}

// adminReasonFields are the fields the identity refusals without a field
// concern.
var adminReasonFields = map[string]string{
	"COUNCIL_NOT_FOUND": "council", "ROLE_ALREADY_GRANTED": "role", "GRANT_NOT_FOUND": "role",
}

func (h *handler) adminUsersAct(w http.ResponseWriter, r *http.Request) {
	act := r.PathValue("act")
	q, _, ok := h.formPost(w, r, func(r *http.Request) (string, bool) {
		return act, act == "grant" || act == "revoke"
	})
	if !ok || !h.adminOnly(q) {
		return
	}
	acc := &identityv1.Account{Email: q.form("email"), Phone: q.form("phone")}
	role, council := q.form("role"), q.form("council")
	var (
		pos uint64
		err error
	)
	if act == "grant" {
		var resp *identityv1.GrantRoleResponse
		resp, err = h.identity.GrantRole(q.ctx, &identityv1.GrantRoleRequest{Account: acc, Role: role, Council: council})
		pos = resp.GetLogPosition()
	} else {
		var resp *identityv1.RevokeRoleResponse
		resp, err = h.identity.RevokeRole(q.ctx, &identityv1.RevokeRoleRequest{Account: acc, Role: role, Council: council, Reason: q.form("reason")})
		pos = resp.GetLogPosition()
	}
	if err != nil {
		v := errorView(q.L, err)
		f := adminFields[v.Field]
		if f == "" {
			f = adminReasonFields[v.Reason]
		}
		if f != "" {
			v.Field = act + "-" + f
		} else {
			v.Field = ""
		}
		h.showAdmin(q, act, v)
		return
	}
	done := "granted"
	if act == "revoke" {
		done = "revoked"
	}
	redirect(q, "/admin/users", done, pos, "")
}
