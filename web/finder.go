package web

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// finderPage is how many petitions a finder page shows.
const finderPage = 20

// finderData is the page of petitions: the query, the choices its form
// offers and the petitions found.
type finderData struct {
	Scope     string // council resource name, "" for every council
	ScopeName string
	Action    string
	Query     finderQuery
	States    []option
	Sorts     []option
	Councils  []option
	Found     int
	Items     []finderItem
	Page      int
	Prev      string
	Next      string
}

// finderItem is one petition as the finder shows it.
type finderItem struct {
	P           *petitionsv1.Petition
	CouncilName string
	Progress    int
	// DaysLeft is the days until the council must decide, or -1 (the law
	// sets no signing period: a petition collects until its agent
	// deposits it).
	DaysLeft int
	Open     bool
	SignURL  string
	Share    shareLinks
}

// shareLinks are the addresses that share a petition (no script: plain
// links that the sites turn into a post, with the page's Open Graph
// preview).
type shareLinks struct {
	URL, WhatsApp, Facebook, X, Email string
}

func newShareLinks(pageURL, title string) shareLinks {
	text := url.QueryEscape(title + " " + pageURL)
	return shareLinks{URL: pageURL,
		WhatsApp: "https://wa.me/?text=" + text,
		Facebook: "https://www.facebook.com/sharer/sharer.php?u=" + url.QueryEscape(pageURL),
		X:        "https://x.com/intent/post?text=" + text,
		Email:    "mailto:?subject=" + url.PathEscape(title) + "&body=" + url.PathEscape(pageURL),
	}
}

// signURL is where the Sign button leads: the petition's form for a
// citizen, else sign-in and back to the petition (a path of this site).
func signURL(u *user, petition string) string {
	if u.IsCitizen() {
		return "/" + petition + "#sign"
	}
	return "/signin?next=" + url.QueryEscape("/"+petition)
}

// daysLeft is the whole days from now to t, at least 0; -1 for none.
func daysLeft(now time.Time, p *petitionsv1.Petition) int {
	if p.GetDecisionDeadline() == nil || p.GetDecision() != nil {
		return -1
	}
	return max(0, int(math.Ceil(p.GetDecisionDeadline().AsTime().Sub(now).Hours()/24)))
}

// councilIndex is every council by resource name, with its children.
type councilIndex struct {
	byName   map[string]*territoryv1.Council
	children map[string][]string
	order    []string
}

func (h *handler) councils(ctx context.Context) (*councilIndex, error) {
	idx := &councilIndex{byName: map[string]*territoryv1.Council{}, children: map[string][]string{}}
	req := &territoryv1.ListCouncilsRequest{PageSize: 500}
	for {
		resp, err := h.territory.ListCouncils(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, c := range resp.GetCouncils() {
			idx.byName[c.GetName()] = c
			idx.order = append(idx.order, c.GetName())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	for _, n := range idx.order {
		if p := idx.byName[n].GetParent(); p != "" {
			idx.children[p] = append(idx.children[p], n)
		}
	}
	return idx, nil
}

// within lists a council and every council under it ("" for all).
func (idx *councilIndex) within(scope string) []string {
	if scope == "" {
		return idx.order
	}
	out := []string{scope}
	for i := 0; i < len(out); i++ {
		out = append(out, idx.children[out[i]]...)
	}
	return out
}

// scopePetitions lists the public petitions of the councils named, a few
// councils at a time; state narrows the API's list where it can.
func (h *handler) scopePetitions(q *rq, councils []string, state string) ([]*petitionsv1.Petition, error) {
	filter := ""
	switch {
	case state == "" || state == "open":
		filter = "state=COLLECTING"
	case state != "all":
		filter = "state=" + state
	}
	// The log's head: a council's listing taken at this position (or a
	// moment ago, if the reader asks for no later one) is reused.
	want := minPosition(q.r)
	info, err := h.eventlog.GetLogInfo(q.ctx, &eventlogv1.GetLogInfoRequest{})
	if err != nil {
		return nil, err
	}
	head, now := max(info.GetHeadPosition(), want), time.Now()
	var (
		mu  sync.Mutex
		all []*petitionsv1.Petition
	)
	// The public's view, whoever asks: listings are shared between
	// readers (the reader's own acts come from the petition's page).
	g, ctx := errgroup.WithContext(outgoing(q.r, nil))
	g.SetLimit(8)
	for _, c := range councils {
		key := c + "|" + filter
		if list, ok := h.listings.get(key, head, want, now); ok {
			all = append(all, list...)
			continue
		}
		g.Go(func() error {
			var got []*petitionsv1.Petition
			req := &petitionsv1.ListPetitionsRequest{Parent: c, PageSize: 500, Filter: filter, MinPosition: head}
			for {
				resp, err := h.petitions.ListPetitions(ctx, req)
				if err != nil {
					return err
				}
				got = append(got, resp.GetPetitions()...)
				if resp.GetNextPageToken() == "" {
					break
				}
				req.PageToken = resp.GetNextPageToken()
			}
			h.listings.put(key, head, now, got)
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return all, nil
}

// readFinderQuery reads the finder's form; unknown values fall back to
// the defaults (open petitions, most signed first).
func readFinderQuery(r *http.Request) (finderQuery, int) {
	v := r.URL.Query()
	fq := finderQuery{Text: strings.TrimSpace(v.Get("q")), State: v.Get("state"), Council: v.Get("council"), Sort: v.Get("sort")}
	if len(fq.Text) > 200 {
		fq.Text = fq.Text[:200]
	}
	known := fq.State == "open" || fq.State == "all"
	for _, s := range stateOrder {
		known = known || fq.State == s
	}
	if !known {
		fq.State = "open"
	}
	switch fq.Sort {
	case sortSignatures, sortRecent, sortClosing:
	default:
		fq.Sort = sortSignatures
	}
	if fq.Council != "" && !caseCouncil.MatchString(fq.Council) {
		fq.Council = ""
	}
	page, _ := strconv.Atoi(v.Get("page"))
	return fq, max(page, 1)
}

// find runs a finder query over a scope.
func (h *handler) find(q *rq, scope string, fq finderQuery) (*councilIndex, []*petitionsv1.Petition, error) {
	idx, err := h.councils(q.ctx)
	if err != nil {
		return nil, nil, err
	}
	councils := idx.within(scope)
	if fq.Council != "" {
		councils = []string{fq.Council}
	}
	list, err := h.scopePetitions(q, councils, fq.State)
	if err != nil {
		return nil, nil, err
	}
	fq.Names = map[string]string{}
	for _, n := range councils {
		if c := idx.byName[n]; c != nil {
			fq.Names[n] = c.GetNameFr() + " " + c.GetNameAr()
		}
	}
	fq.Doc = h.folded.doc
	return idx, findPetitions(list, fq), nil
}

// items shows found petitions.
func (h *handler) items(q *rq, idx *councilIndex, found []*petitionsv1.Petition) []finderItem {
	now := h.now()
	out := make([]finderItem, 0, len(found))
	for _, p := range found {
		it := finderItem{P: p, CouncilName: p.GetCouncil(), DaysLeft: daysLeft(now, p),
			Open:    p.GetState() == petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING,
			SignURL: signURL(q.user, p.GetName()), Share: newShareLinks(absoluteURL(q.r, "/"+p.GetName()), p.GetTitle())}
		if c := idx.byName[p.GetCouncil()]; c != nil {
			it.CouncilName = displayName(q.L, c)
		}
		if t := p.GetSignatureThreshold(); t > 0 {
			it.Progress = min(100, int(p.GetSignatures().GetValid())*100/int(t))
		}
		out = append(out, it)
	}
	return out
}

// finderPage serves /petitions and /{level}/{code}/petitions.
func (h *handler) finderPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	scope := ""
	if r.PathValue("code") != "" {
		name, ok := councilName(r)
		if !ok {
			h.notFound(w, r)
			return
		}
		scope = name
	}
	fq, page := readFinderQuery(r)
	idx, found, err := h.find(q, scope, fq)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := &finderData{Scope: scope, Action: "/petitions", Query: fq, Found: len(found), Page: page}
	if scope != "" {
		c := idx.byName[scope]
		if c == nil {
			h.notFound(w, r)
			return
		}
		d.ScopeName, d.Action = displayName(q.L, c), "/"+scope+"/petitions"
	}
	d.States = append([]option{{"open", q.L.T("finder.state.open")}, {"all", q.L.T("finder.state.all")}}, stateOptions(q.L)...)
	d.Sorts = []option{{sortSignatures, q.L.T("finder.sort.signatures")}, {sortRecent, q.L.T("finder.sort.recent")}, {sortClosing, q.L.T("finder.sort.closing")}}
	for _, n := range idx.within(scope) {
		if c := idx.byName[n]; c != nil && n != scope {
			d.Councils = append(d.Councils, option{n, displayName(q.L, c)})
		}
	}
	start := min((page-1)*finderPage, len(found))
	end := min(start+finderPage, len(found))
	d.Items = h.items(q, idx, found[start:end])
	link := func(p int) string {
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		v.Del("lang")
		return d.Action + "?" + v.Encode()
	}
	if start > 0 {
		d.Prev = link(page - 1)
	}
	if end < len(found) {
		d.Next = link(page + 1)
	}
	title := q.L.T("finder.title")
	if d.ScopeName != "" {
		title = q.L.T("finder.title.in", d.ScopeName)
	}
	h.render(q, http.StatusOK, "finder", h.newPage(q, title, d))
}

// stateOptions are the public petition states, named.
func stateOptions(l *Locale) []option {
	var out []option
	for _, s := range stateOrder {
		out = append(out, option{s, l.StateName(s)})
	}
	return out
}

// caseCouncil is a council resource name the finder's form may pick.
var caseCouncil = regexp.MustCompile(`^(communes|provinces|regions)/[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)
