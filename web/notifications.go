package web

import (
	"net/http"

	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
)

// The links of notification emails (services/notifications): confirm a
// follow (double opt-in) and unsubscribe. A GET shows a button, never
// acts: mail scanners open links. The POST acts; it needs no CSRF token,
// the link's own signed token is the proof, and RFC 8058's one-click
// POST (body "List-Unsubscribe=One-Click") comes from a mail client
// without any cookie.

// notifyData is the page of a follow link.
type notifyData struct {
	Action, Follow, Token string
	Done                  bool
}

func (h *handler) notifyRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /notifications/confirm", h.notifyPage("confirm"))
	m.HandleFunc("POST /notifications/confirm", h.notifyAct("confirm"))
	m.HandleFunc("GET /notifications/unsubscribe", h.notifyPage("unsubscribe"))
	m.HandleFunc("POST /notifications/unsubscribe", h.notifyAct("unsubscribe"))
	m.HandleFunc("GET /admin/dead-letters", h.deadLettersPage)
	m.HandleFunc("POST /admin/deadLetters/{key}/resend", h.resendDeadLetter)
}

func (h *handler) notifyPage(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := h.begin(w, r)
		d := &notifyData{Action: action, Follow: r.URL.Query().Get("f"), Token: r.URL.Query().Get("t")}
		h.render(q, http.StatusOK, "notify", h.newPage(q, q.L.T("notify."+action+".title"), d))
	}
}

func (h *handler) notifyAct(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := h.begin(w, r)
		f, t := r.URL.Query().Get("f"), r.URL.Query().Get("t")
		if v := r.FormValue("f"); v != "" {
			f, t = v, r.FormValue("t")
		}
		var err error
		if action == "confirm" {
			_, err = h.notify.ConfirmFollow(q.ctx, &notificationsv1.ConfirmFollowRequest{Follow: f, Token: t})
		} else {
			_, err = h.notify.Unsubscribe(q.ctx, &notificationsv1.UnsubscribeRequest{Follow: f, Token: t})
		}
		if err != nil {
			h.fail(q, err)
			return
		}
		h.render(q, http.StatusOK, "notify", h.newPage(q, q.L.T("notify."+action+".title"), &notifyData{Action: action, Done: true}))
	}
}

// deadLettersData is the admins' page of dead letters.
type deadLettersData struct {
	Letters []*notificationsv1.DeadLetter
	Resent  bool
}

func (h *handler) deadLettersPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	resp, err := h.notify.ListDeadLetters(q.ctx, &notificationsv1.ListDeadLettersRequest{})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &deadLettersData{Letters: resp.GetDeadLetters(), Resent: r.URL.Query().Get("ok") == "resent"}
	h.render(q, http.StatusOK, "deadletters", h.newPage(q, q.L.T("deadletters.title"), d))
}

func (h *handler) resendDeadLetter(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	if _, err := h.notify.ResendDeadLetter(q.ctx, &notificationsv1.ResendDeadLetterRequest{Name: "deadLetters/" + r.PathValue("key")}); err != nil {
		h.fail(q, err)
		return
	}
	http.Redirect(w, r, "/admin/dead-letters?ok=resent", http.StatusSeeOther)
}
