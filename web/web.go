// Package web serves tasharuk's web pages: the public status pages of
// every council (with server-drawn SVG charts and open-data exports), the
// citizen's petition pages, the staff desk, the advisory bodies' records
// and the auditor's history and checkpoint pages, in Arabic (right to
// left), French and English.
//
// The pages hold no business logic: every fact comes from the tasharuk API
// through its generated gRPC clients, and every act is an API call made
// with the token of the signed-in user's server-side session (see
// signin_pages.go: OpenID Connect or a one-time code). They are plain HTML
// forms built with html/template, so they work without JavaScript; a
// little script (static/app.js) only enhances them.
package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/internal/session"
	"github.com/tasharuk/tasharuk/web/signin"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config is what the pages need.
type Config struct {
	// Conn reaches the tasharuk API (the service's own port).
	Conn *grpc.ClientConn
	// Logger receives request failures (never personal data).
	Logger *slog.Logger
	// Now is the clock (default time.Now): "as of" dates are capped at it
	// and form dates default to its day.
	Now func() time.Time
	// Secret is the key the CSRF key is derived from: the same on every
	// replica, so a form served by one is accepted by another (serve gives
	// the installation's token key). Random when empty: forms then last
	// as long as the process.
	Secret []byte

	// Sessions keeps the sign-in sessions (default: in memory, 30 minutes
	// idle, 12 hours at most).
	Sessions *session.Store
	// Tokens mints the API token a session acts with (the installation's
	// own issuer). Without it, people cannot sign in through OIDC or codes.
	Tokens *access.Issuer
	// OIDC, if set, offers sign-in with the council's OpenID provider.
	OIDC *signin.OIDC
	// Codes, if set, offers sign-in with a one-time code by email or SMS.
	Codes *signin.Codes
	// TokenSignIn offers the form that signs in with a pasted API bearer
	// token (operators and tests; never needed by people).
	TokenSignIn bool
	// Grants, if set, lists the grants in force for the administrator's
	// page (the identity read model: user keys, never addresses), once it
	// has applied minPosition (the administrator's own grant); an error
	// says it has not, and the list shown may be behind.
	Grants func(ctx context.Context, minPosition uint64) ([]Grant, error)
	// Position, if set, is the log position the read models have applied:
	// a petition's public page is then rendered once per position (and
	// second) and served from that render, with an ETag (pagecache.go).
	Position func() uint64
}

// handler serves the pages.
type handler struct {
	mux    *http.ServeMux
	pages  map[string]*template.Template
	cat    catalogues
	log    *slog.Logger
	now    func() time.Time
	secret []byte

	sessions    *session.Store
	tokens      *access.Issuer
	oidc        *signin.OIDC
	codes       *signin.Codes
	tokenSignIn bool
	pending     signin.Pending
	grants      func(context.Context, uint64) ([]Grant, error)

	petitions     petitionsv1.PetitionServiceClient
	territory     territoryv1.TerritoryServiceClient
	status        statusv1.StatusServiceClient
	advisory      advisoryv1.AdvisoryServiceClient
	consultations consultationsv1.ConsultationServiceClient
	audit         auditv1.AuditServiceClient
	information   informationv1.InformationServiceClient
	programmes    programmesv1.ProgrammeServiceClient
	dashboard     statusv1.DashboardServiceClient
	notify        notificationsv1.NotificationServiceClient
	eventlog      eventlogv1.EventLogServiceClient
	identity      identityv1.IdentityServiceClient

	// The finder's caches: councils' listings by log position, and the
	// petitions' folded texts by revision.
	listings listingCache
	folded   foldCache
	// cache keeps petitions' public pages (nil without Config.Position).
	cache *pageCache
}

// New returns the web pages' handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Conn == nil {
		return nil, errors.New("web: no API connection")
	}
	h := &handler{log: cfg.Logger, now: cfg.Now, sessions: cfg.Sessions, tokens: cfg.Tokens,
		oidc: cfg.OIDC, codes: cfg.Codes, tokenSignIn: cfg.TokenSignIn, grants: cfg.Grants}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.sessions == nil {
		h.sessions = session.New(session.Options{Now: h.now})
	}
	if (h.oidc != nil || h.codes != nil) && h.tokens == nil {
		return nil, errors.New("web: sign-in needs the token issuer the sessions act with")
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("web: secret: %w", err)
		}
	}
	// A key of its own, so CSRF tokens can never stand for anything the
	// secret signs elsewhere.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tasharuk web CSRF key"))
	h.secret = m.Sum(nil)
	var err error
	if h.cat, err = loadCatalogues(); err != nil {
		return nil, err
	}
	if h.pages, err = parseTemplates(); err != nil {
		return nil, err
	}
	h.petitions = petitionsv1.NewPetitionServiceClient(cfg.Conn)
	h.territory = territoryv1.NewTerritoryServiceClient(cfg.Conn)
	h.status = statusv1.NewStatusServiceClient(cfg.Conn)
	h.advisory = advisoryv1.NewAdvisoryServiceClient(cfg.Conn)
	h.consultations = consultationsv1.NewConsultationServiceClient(cfg.Conn)
	h.audit = auditv1.NewAuditServiceClient(cfg.Conn)
	h.information = informationv1.NewInformationServiceClient(cfg.Conn)
	h.programmes = programmesv1.NewProgrammeServiceClient(cfg.Conn)
	h.dashboard = statusv1.NewDashboardServiceClient(cfg.Conn)
	h.notify = notificationsv1.NewNotificationServiceClient(cfg.Conn)
	h.eventlog = eventlogv1.NewEventLogServiceClient(cfg.Conn)
	h.identity = identityv1.NewIdentityServiceClient(cfg.Conn)
	h.cache = newPageCache(cfg.Position, h.now)
	h.routes()
	return h, nil
}

func (h *handler) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	files := http.FileServerFS(static)
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(files, time.Hour)))
	m.HandleFunc("GET /{$}", h.home)
	m.HandleFunc("GET /signin", h.signinPage)
	m.HandleFunc("POST /signin", h.tokenSignin)
	m.HandleFunc("POST /signin/oidc", h.oidcStart)
	m.HandleFunc("GET /signin/oidc/callback", h.oidcCallback)
	m.HandleFunc("POST /signin/code", h.codeSend)
	m.HandleFunc("GET /signin/code", h.codePage)
	m.HandleFunc("POST /signin/code/verify", h.codeVerify)
	m.HandleFunc("POST /signout", h.signout)
	m.HandleFunc("GET /my", h.myPetitions)
	m.HandleFunc("GET /petitions", h.finderPage)
	m.HandleFunc("GET /desk", h.ownCouncil)
	m.HandleFunc("GET /bodies", h.ownCouncil)
	for _, level := range []string{"communes", "provinces", "regions"} {
		base := "/" + level + "/{code}"
		m.HandleFunc("GET "+base, h.councilPage)
		m.HandleFunc("GET "+base+"/petitions/new", h.newPetitionPage)
		m.HandleFunc("POST "+base+"/petitions", h.createPetition)
		m.HandleFunc("GET "+base+"/petitions", h.finderPage)
		m.HandleFunc("GET "+base+"/petitions/{id}", h.petitionPage)
		m.HandleFunc("POST "+base+"/petitions/{id}/{act}", h.petitionAct)
		m.HandleFunc("POST "+base+"/petitions/{id}/documents", h.attachDocument(false))
		m.HandleFunc("POST "+base+"/petitions/{id}/manage/documents", h.attachDocument(true))
		m.HandleFunc("GET "+base+"/petitions/{id}/documents/{doc}", h.documentFile)
		m.HandleFunc("GET "+base+"/petitions/{id}/manage", h.managePage)
		m.HandleFunc("POST "+base+"/petitions/{id}/manage/{act}", h.manageAct)
		m.HandleFunc("GET "+base+"/desk", h.deskPage)
		m.HandleFunc("GET "+base+"/rulebook", h.rulebookPage)
		m.HandleFunc("GET "+base+"/advisoryBodies", h.bodiesPage)
		m.HandleFunc("POST "+base+"/advisoryBodies", h.createBody)
		m.HandleFunc("GET "+base+"/advisoryBodies/{body}", h.bodyPage)
		m.HandleFunc("POST "+base+"/advisoryBodies/{body}/{act}", h.bodyAct)
		h.programmeRoutes(m, base)
	}
	h.informationRoutes(m)
	m.HandleFunc("GET /audit", h.auditPage)
	m.HandleFunc("GET /audit/history", h.historyPage)
	m.HandleFunc("GET /audit/checkpoints", h.checkpointsPage)
	m.HandleFunc("GET /open-data", h.openDataPage)
	h.notifyRoutes(m)
	h.adminRoutes(m)
	m.HandleFunc("GET /open-data/{level}/{code}/{file}", h.openData)
	m.HandleFunc("GET /open-data/{level}/{code}/petitions/{id}/{file}", h.openTimeline)
	m.HandleFunc("/", h.notFound)
	h.mux = m
}

func cacheFor(next http.Handler, d time.Duration) http.Handler {
	v := "public, max-age=" + strconv.Itoa(int(d.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", v)
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the pages.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// parseTemplates builds one template set per page: the layout, the shared
// partials and the page's own "content".
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

var funcs = template.FuncMap{
	"path": func(name string) string { return "/" + name },
	"last": func(name string) string { return name[strings.LastIndex(name, "/")+1:] },
	// dict passes several values to a partial template.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: key is not a string")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

// Resource names the pages accept from paths and forms.
var (
	codePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	petitionName = regexp.MustCompile(`^(communes|provinces|regions)/[A-Za-z0-9-]{1,64}/petitions/[A-Za-z0-9_-]{1,128}$`)
	caseName     = regexp.MustCompile(`^(communes|provinces|regions)/[A-Za-z0-9-]{1,64}/(petitions|advisoryBodies|consultations)/[A-Za-z0-9_-]{1,128}(/opinions/[A-Za-z0-9_-]{1,128})?$`)
)

// councilCode is the code of a council resource name ("communes/50910113"
// and "communes/50910113/petitions/x" give "50910113").
func councilCode(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// councilName is the council resource name of a request path.
func councilName(r *http.Request) (string, bool) {
	level := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	code := r.PathValue("code")
	if !codePattern.MatchString(code) {
		return "", false
	}
	switch level {
	case "communes", "provinces", "regions":
		return level + "/" + code, true
	}
	return "", false
}

// rq is one request being served.
type rq struct {
	w     http.ResponseWriter
	r     *http.Request
	L     *Locale
	user  *user
	csrf  string
	start time.Time
	ctx   context.Context
}

// begin reads the request's language and user; a ?lang= choice is kept
// in a cookie.
func (h *handler) begin(w http.ResponseWriter, r *http.Request) *rq {
	start := time.Now()
	lang, fromQuery := pickLanguage(r)
	if fromQuery {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	u := h.userFrom(r)
	return &rq{w: w, r: r, L: h.cat[lang], user: u, csrf: h.csrfToken(w, r, u), start: start, ctx: outgoing(r, u)}
}

// page is what the layout needs; Data is the page's own.
type page struct {
	L     *Locale
	Title string
	User  *user
	CSRF  string
	Langs []langLink
	Flash string
	Err   *viewError
	// Path is the page's path, the target of its "as of" form.
	Path string
	// AsOf is the "as of" date shown ("" for now).
	AsOf string
	// Today is the clock's day, the default of date fields.
	Today string
	// Meta is the page's link preview (Open Graph), for pages worth
	// sharing; nil for others.
	Meta *linkPreview
	// Form is what a refused form sent, so the page shows it again as it
	// was typed (never a national ID number: the templates refill only
	// the fields they name).
	Form url.Values
	Data any
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

// newPage fills the layout's part of a page.
func (h *handler) newPage(q *rq, title string, data any) *page {
	p := &page{L: q.L, Title: title, User: q.user, CSRF: q.csrf, Path: q.r.URL.Path, Data: data,
		Today: today(h.now())}
	if q.r.Method == http.MethodPost {
		p.Form = q.r.PostForm
	}
	for _, l := range languages {
		v := url.Values{}
		for k, vs := range q.r.URL.Query() {
			if k == "lang" || k == "ok" || k == "ref" {
				continue
			}
			v[k] = vs
		}
		v.Set("lang", l.Code)
		p.Langs = append(p.Langs, langLink{Code: l.Code, Name: l.Name, URL: q.r.URL.Path + "?" + v.Encode(), Current: l.Code == q.L.Lang})
	}
	if ok := q.r.URL.Query().Get("ok"); flashes[ok] {
		p.Flash = q.L.T("flash."+ok, q.r.URL.Query().Get("ref"))
	}
	return p
}

// flashes are the confirmations a redirect may ask a page to show.
var flashes = map[string]bool{
	"created": true, "opened": true, "signed": true, "signature_withdrawn": true, "deposited": true,
	"withdrawn": true, "followed": true, "recorded": true, "signed_in": true, "signed_out": true,
	"info_filed": true, "granted": true, "revoked": true, "attached": true,
}

// render writes a page. The page is rendered to a buffer first, so a
// template failure gives a clean 500, and Server-Timing tells the render
// time (the figure the performance test reads).
func (h *handler) render(q *rq, code int, name string, p *page) {
	if p.Err != nil && code == http.StatusOK {
		code = p.Err.HTTP
	}
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("web: render", "page", name, "err", err)
		http.Error(q.w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := q.w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", q.L.Lang)
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Cookie, Accept-Language") // beside Accept-Encoding (server/compress.go)
	hd.Set("Server-Timing", fmt.Sprintf("app;dur=%.2f", float64(time.Since(q.start).Microseconds())/1000))
	if p.Err != nil && p.Err.RetryAfter != "" {
		hd.Set("Retry-After", p.Err.RetryAfter)
	}
	q.w.WriteHeader(code)
	_, _ = q.w.Write(buf.Bytes())
}

// fail shows an API error as a page of its own.
func (h *handler) fail(q *rq, err error) {
	v := errorView(q.L, err)
	if v.HTTP >= 500 {
		h.log.Warn("web: API call failed", "path", q.r.URL.Path, "err", err)
	}
	p := h.newPage(q, v.Heading, nil)
	p.Err = v
	h.render(q, v.HTTP, "error", p)
}

// badForm answers a POST whose CSRF token does not match.
func (h *handler) badForm(q *rq) {
	p := h.newPage(q, q.L.T("error.csrf.title"), nil)
	p.Err = &viewError{Heading: q.L.T("error.csrf.title"), Message: q.L.T("error.csrf"), HTTP: http.StatusForbidden}
	h.render(q, http.StatusForbidden, "error", p)
}

// redirect sends the browser to path after a successful act (POST,
// redirect, GET), with a confirmation and the log position to wait for.
func redirect(q *rq, path, ok string, at uint64, ref string) {
	v := url.Values{}
	if ok != "" {
		v.Set("ok", ok)
	}
	if at > 0 {
		v.Set("at", strconv.FormatUint(at, 10))
	}
	if ref != "" {
		v.Set("ref", ref)
	}
	if len(v) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&" // a sign-in's next may carry a query of its own
		}
		path += sep + v.Encode()
	}
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
}

// minPosition is the log position a page must reflect (?at=, set by the
// redirect after an act), so the reader sees their own act.
func minPosition(r *http.Request) uint64 {
	n, _ := strconv.ParseUint(r.URL.Query().Get("at"), 10, 64)
	return n
}

// asOf reads the "as of" date picker: the end of that day (Morocco), capped at
// now; nil for now.
func (h *handler) asOf(q *rq) (*timestamppb.Timestamp, string, *viewError) {
	s := q.r.URL.Query().Get("as_of")
	if s == "" {
		return nil, "", nil
	}
	// The end of that day in Morocco, where the reader's days are.
	d, err := time.ParseInLocation("2006-01-02", s, casablanca)
	if err != nil {
		return nil, "", localError(q.L, "asof.invalid")
	}
	end := d.Add(24*time.Hour - time.Nanosecond)
	if now := h.now(); end.After(now) {
		end = now
	}
	return timestamppb.New(end), s, nil
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	p := h.newPage(q, q.L.T("error.NotFound"), nil)
	p.Err = &viewError{Heading: q.L.T("error.NotFound"), Message: q.L.T("error.nopage"), HTTP: http.StatusNotFound}
	h.render(q, http.StatusNotFound, "error", p)
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

// formPost starts a form submission on the resource its path names: the
// page is not found if it names none, and the form is refused if the CSRF
// check fails; ok reports whether to go on.
func (h *handler) formPost(w http.ResponseWriter, r *http.Request, resource func(*http.Request) (string, bool)) (q *rq, name string, ok bool) {
	q = h.begin(w, r)
	if name, ok = resource(r); !ok {
		h.notFound(w, r)
		return q, "", false
	}
	if !h.checkCSRF(r) {
		h.badForm(q)
		return q, "", false
	}
	return q, name, true
}

// form is a submitted field, trimmed.
func (q *rq) form(k string) string { return strings.TrimSpace(q.r.FormValue(k)) }
