package web

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/access"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/internal/session"
	"github.com/tasharuk/tasharuk/web/signin"
)

// signinData is the sign-in page: the council's provider (if configured),
// the one-time code by email or SMS (if configured), and, for operators
// when the installation allows it, a pasted API token.
type signinData struct {
	Next                    string
	OIDC, Email, SMS, Token bool
	// EmailValue and PhoneValue give back what was typed; EmailErr,
	// PhoneErr and TokenErr are shown next to their field.
	EmailValue, PhoneValue       string
	EmailErr, PhoneErr, TokenErr string
	// IdleMinutes and MaxHours are the session lifetimes, as configured.
	IdleMinutes, MaxHours int
}

func (h *handler) signinData(next string) *signinData {
	return &signinData{Next: next, OIDC: h.oidc != nil, Email: h.codes.Offers(signin.Email),
		SMS: h.codes.Offers(signin.SMS), Token: h.tokenSignIn,
		IdleMinutes: int(h.sessions.Idle().Minutes()), MaxHours: int(h.sessions.Absolute().Hours())}
}

func (h *handler) signinPage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	h.render(q, http.StatusOK, "signin", h.newPage(q, q.L.T("signin.title"), h.signinData(safeNext(r.URL.Query().Get("next")))))
}

// signinAgain shows the sign-in page with an error (next to a field when
// d names one, else at the top).
func (h *handler) signinAgain(q *rq, code int, d *signinData, v *viewError) {
	p := h.newPage(q, q.L.T("signin.title"), d)
	if v != nil {
		v.HTTP = code
		p.Err = v
	}
	h.render(q, code, "signin", p)
}

// startSession signs the browser in as id: a new session under a new id
// (any session it had is ended first, so an id planted before sign-in is
// worth nothing after), then back to next or the role's home.
func (h *handler) startSession(q *rq, s session.Session, next string) {
	if q.user != nil {
		h.sessions.Delete(q.user.sid)
	}
	s = h.sessions.Create(s)
	setSessionCookie(q.w, q.r, sessionName, s.ID, 0)
	// Never the subject: a provider's "sub" may be an address.
	h.log.Info("web: signed in", "via", string(s.Method), "role", s.Role, "council", s.Council)
	if next == "" {
		next = homeOf(&user{Role: s.Role, Council: s.Council})
	}
	redirect(q, next, "signed_in", 0, "")
}

// identitySession is the session of an account established here: the
// pages act for it with a token of the installation's own issuer, valid as
// long as a session can live.
func (h *handler) identitySession(id signin.Identity) (session.Session, error) {
	tok, err := h.tokens.Issue(id.Principal(), h.sessions.Absolute(), h.now())
	if err != nil {
		return session.Session{}, err
	}
	return session.Session{Subject: id.Subject, Method: id.Method, Role: string(id.Role), Council: id.Council, Token: tok}, nil
}

// oidcStart sends the browser to the provider. It is a POST with a CSRF
// token, so another site cannot start a sign-in in the reader's browser;
// the state is also kept in a cookie, so that the callback is accepted only
// in the browser that started it.
func (h *handler) oidcStart(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if h.oidc == nil {
		h.notFound(w, r)
		return
	}
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	now := h.now()
	a, to := h.oidc.Start(safeNext(r.FormValue("next")), now)
	if !h.pending.Put(a, now) {
		h.signinAgain(q, http.StatusServiceUnavailable, h.signinData(a.Next), localError(q.L, "signin.busy"))
		return
	}
	setSessionCookie(w, r, oidcName, a.State, int((10 * time.Minute).Seconds()))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// oidcCallback finishes a provider sign-in: the state must be the one this
// browser started (cookie) and still pending (taken once); the code is
// redeemed with the PKCE verifier and the ID token's nonce checked.
func (h *handler) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if h.oidc == nil {
		h.notFound(w, r)
		return
	}
	setSessionCookie(w, r, oidcName, "", -1)
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(sessionCookie(r, oidcName))
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		h.signinAgain(q, http.StatusBadRequest, h.signinData(""), localError(q.L, "signin.oidc.state"))
		return
	}
	a, ok := h.pending.Take(state, h.now())
	if !ok {
		h.signinAgain(q, http.StatusBadRequest, h.signinData(""), localError(q.L, "signin.oidc.state"))
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		h.signinAgain(q, http.StatusUnauthorized, h.signinData(a.Next), localError(q.L, "signin.oidc.denied"))
		return
	}
	id, err := h.oidc.Finish(r.Context(), a, r.URL.Query().Get("code"))
	if err != nil {
		h.log.Warn("web: OpenID sign-in refused", "err", err)
		key := "signin.oidc.failed"
		if errors.Is(err, signin.ErrClaims) {
			key = "signin.oidc.claims"
		}
		h.signinAgain(q, http.StatusUnauthorized, h.signinData(a.Next), localError(q.L, key))
		return
	}
	s, err := h.identitySession(id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.startSession(q, s, a.Next)
}

// clientIP is the browser's address, for the code limits, read as the API
// reads it (server/ratelimit.go): the peer, unless it is a reverse proxy on
// this host (loopback), then the rightmost X-Forwarded-For hop that is not
// loopback — a hop the browser wrote itself further left is not believed.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	nearest := host
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(hops[i])
		if ip == nil {
			break
		}
		nearest = ip.String()
		if !ip.IsLoopback() {
			break
		}
	}
	return nearest
}

// codeErrorKey is the catalogue key of a code refusal.
func codeErrorKey(err error) string {
	switch {
	case errors.Is(err, signin.ErrAddress):
		return "signin.code.address"
	case errors.Is(err, signin.ErrTooMany):
		return "signin.code.toomany"
	case errors.Is(err, signin.ErrLocked):
		return "signin.code.locked"
	case errors.Is(err, signin.ErrWrongCode):
		return "signin.code.wrong"
	case errors.Is(err, signin.ErrNoTicket):
		return "signin.code.noticket"
	case errors.Is(err, signin.ErrUndelivered):
		return "signin.code.undelivered"
	}
	return "signin.code.unavailable"
}

func codeErrorStatus(err error) int {
	switch {
	case errors.Is(err, signin.ErrTooMany), errors.Is(err, signin.ErrLocked):
		return http.StatusTooManyRequests
	case errors.Is(err, signin.ErrUndelivered):
		return http.StatusBadGateway
	case errors.Is(err, signin.ErrWrongCode), errors.Is(err, signin.ErrNoTicket):
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// codeSend asks for a one-time code by email or SMS, then shows the form
// to type it. The form's ticket is kept in a cookie: the address is never
// in a URL.
func (h *handler) codeSend(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if h.codes == nil {
		h.notFound(w, r)
		return
	}
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	next := safeNext(r.FormValue("next"))
	ch, raw := signin.Email, q.form("email")
	if r.FormValue("channel") == "sms" {
		ch, raw = signin.SMS, q.form("phone")
	}
	msg := func(code string, ttl time.Duration) (string, string) {
		return q.L.T("signin.mail.subject", code), q.L.T("signin.mail.body", code, int(ttl.Minutes()))
	}
	ticket, err := h.codes.Send(r.Context(), ch, raw, clientIP(r), msg)
	if err != nil {
		if errors.Is(err, signin.ErrUndelivered) {
			// The cause may be the server's answer: logged without the
			// address (the senders never quote it).
			h.log.Warn("web: sign-in code not delivered", "channel", string(ch), "err", err)
		}
		d := h.signinData(next)
		text := q.L.T(codeErrorKey(err))
		if ch == signin.SMS {
			d.PhoneValue, d.PhoneErr = raw, text
		} else {
			d.EmailValue, d.EmailErr = raw, text
		}
		h.signinAgain(q, codeErrorStatus(err), d, nil)
		return
	}
	setSessionCookie(w, r, codeTicketName, ticket, int(h.codes.TTL().Seconds()))
	to := "/signin/code?channel=" + string(ch)
	if next != "" {
		to += "&next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// codeData is the code-entry page.
type codeData struct {
	Next    string
	SMS     bool
	Minutes int
	CodeErr string
}

func (h *handler) codePage(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if h.codes == nil {
		h.notFound(w, r)
		return
	}
	d := &codeData{Next: safeNext(r.URL.Query().Get("next")), SMS: r.URL.Query().Get("channel") == "sms", Minutes: int(h.codes.TTL().Minutes())}
	h.render(q, http.StatusOK, "signin_code", h.newPage(q, q.L.T("signin.code.title"), d))
}

// codeVerify checks the typed code and signs in.
func (h *handler) codeVerify(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if h.codes == nil {
		h.notFound(w, r)
		return
	}
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	next := safeNext(r.FormValue("next"))
	var ticket string
	if c, err := r.Cookie(sessionCookie(r, codeTicketName)); err == nil {
		ticket = c.Value
	}
	id, err := h.codes.Verify(r.Context(), ticket, q.form("code"), clientIP(r))
	if err != nil {
		d := &codeData{Next: next, SMS: r.FormValue("channel") == "sms", Minutes: int(h.codes.TTL().Minutes()), CodeErr: q.L.T(codeErrorKey(err))}
		h.render(q, codeErrorStatus(err), "signin_code", h.newPage(q, q.L.T("signin.code.title"), d))
		return
	}
	setSessionCookie(w, r, codeTicketName, "", -1)
	s, err := h.identitySession(id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.startSession(q, s, next)
}

// tokenSignin signs in with a pasted API token, when the installation
// offers it (operators; the CLI and machine clients send the token with
// each call instead). The API must accept the token first.
func (h *handler) tokenSignin(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if !h.tokenSignIn {
		h.notFound(w, r)
		return
	}
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	next := safeNext(r.FormValue("next"))
	again := func(v *viewError) {
		d := h.signinData(next)
		d.TokenErr = v.Message
		h.signinAgain(q, http.StatusOK, d, v)
	}
	tok := strings.Join(strings.Fields(r.FormValue("token")), "")
	tok = strings.TrimPrefix(strings.TrimPrefix(tok, "Bearer"), "bearer")
	u, ok := readToken(tok)
	if !ok {
		again(localError(q.L, "signin.malformed"))
		return
	}
	if !u.Expires.IsZero() && !u.Expires.After(h.now()) {
		again(localError(q.L, "signin.expired"))
		return
	}
	// Ask the API whether it accepts the token: CheckSignature without a
	// petition is refused after authentication (InvalidArgument or
	// PermissionDenied) and before it (Unauthenticated) for a token that
	// is forged, expired or from another installation. It reads nothing.
	_, err := h.petitions.CheckSignature(outgoing(r, u), &petitionsv1.CheckSignatureRequest{})
	if status.Code(err) == codes.Unauthenticated {
		again(errorView(q.L, err))
		return
	}
	if _, err := access.ParseRole(u.Role); err != nil {
		again(localError(q.L, "signin.malformed"))
		return
	}
	h.startSession(q, session.Session{Subject: u.Subject, Method: session.MethodBearer, Role: u.Role, Council: u.Council,
		Token: tok, NotAfter: u.Expires}, next)
}

// homeOf is where a role starts after signing in.
func homeOf(u *user) string {
	switch {
	case u.IsStaff():
		return "/desk"
	case u.IsAdvisory():
		return "/bodies"
	case u.IsAuditor():
		return "/audit"
	case u.IsCitizen():
		return "/my"
	}
	return "/"
}

// signout ends the session on the server (its cookie is worth nothing
// after, even if kept) and clears the cookie.
func (h *handler) signout(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	if !h.checkCSRF(r) {
		h.badForm(q)
		return
	}
	if q.user != nil {
		h.sessions.Delete(q.user.sid)
	}
	setSessionCookie(w, r, sessionName, "", -1)
	redirect(q, "/", "signed_out", 0, "")
}
