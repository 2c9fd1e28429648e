package web

import (
	"net/http"
	"strings"

	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
)

// auditData is the auditor's entry page: a case to replay.
type auditData struct {
	Name    string
	Entries []*auditv1.HistoryEntry
}

func (h *handler) auditPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	h.render(q, http.StatusOK, "audit", h.newPage(q, q.L.T("audit.title"), &auditData{}))
}

// historyPage replays a case: every event in order, with its actor, both
// times and its hash chain.
func (h *handler) historyPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name := strings.Trim(strings.TrimSpace(r.URL.Query().Get("name")), "/")
	d := &auditData{Name: name}
	if !caseName.MatchString(name) {
		p := h.newPage(q, q.L.T("audit.title"), d)
		p.Err = localError(q.L, "audit.badname")
		h.render(q, http.StatusBadRequest, "audit", p)
		return
	}
	hist, err := h.audit.GetCaseHistory(q.ctx, &auditv1.GetCaseHistoryRequest{Name: name, MinPosition: minPosition(r)})
	if err != nil {
		p := h.newPage(q, q.L.T("audit.title"), d)
		p.Err = errorView(q.L, err)
		h.render(q, http.StatusOK, "audit", p)
		return
	}
	d.Entries = hist.GetEntries()
	h.render(q, http.StatusOK, "history", h.newPage(q, q.L.T("history.title", name), d))
}

// checkpointsData is the verification page.
type checkpointsData struct {
	Key         string
	Origin      string
	Checkpoints []*auditv1.Checkpoint
	Latest      *auditv1.Checkpoint
	Address     string
	// Witnesses say how far each witness cosigned the log.
	Witnesses []*auditv1.WitnessStatus
}

func (h *handler) checkpointsPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	key, err := h.audit.GetPublicKey(q.ctx, &auditv1.GetPublicKeyRequest{})
	if err != nil {
		h.fail(q, err)
		return
	}
	cps, err := h.audit.ListCheckpoints(q.ctx, &auditv1.ListCheckpointsRequest{})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &checkpointsData{Key: key.GetVerifierKey(), Origin: key.GetOrigin(), Address: r.Host, Witnesses: cps.GetWitnesses()}
	list := cps.GetCheckpoints()
	if n := len(list); n > 0 {
		d.Latest = list[n-1]
		// Newest first, the last 50: the full list is in the API.
		for i := n - 1; i >= 0 && len(d.Checkpoints) < 50; i-- {
			d.Checkpoints = append(d.Checkpoints, list[i])
		}
	}
	h.render(q, http.StatusOK, "checkpoints", h.newPage(q, q.L.T("checkpoints.title"), d))
}
