package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// signInByEmailCode registers (or signs in) the browser's reader from the
// petition page: "Sign" leads to the sign-in page, the code is read from
// Mailpit, and the reader lands back on the petition.
func signInByEmailCode(t *testing.T, s *signinEnv, b *browser, path, email string) {
	t.Helper()
	b.open(path + "?lang=" + b.lang)
	b.noViolations("petition-visitor")
	b.submit("follow Sign", "#sign-signin")
	b.noViolations("signin")
	b.do("type the address", chromedp.SendKeys(chromedp.ID("email"), email))
	b.submit("ask a code", "#email-submit")
	b.noViolations("signin_code")
	code := s.mp.Code(t, email, 0)
	if !sixDigitCode.MatchString(code) {
		t.Fatalf("code for %s: %q", email, code)
	}
	b.do("type the code", chromedp.SendKeys(chromedp.ID("code"), code))
	b.submit("enter the code", "#code-submit")
	if loc := b.location(); loc != path {
		t.Fatalf("%s after signing in: at %s, want back on %s", email, loc, path)
	}
	if got := b.text("li.who bdi"); !strings.HasPrefix(got, "email:") {
		t.Fatalf("%s signed in as %q", email, got)
	}
}

// TestSignaturesInBrowserBelongToTheirAccount (issue 16, acceptance 1) in
// two Chromium profiles, one per account, each registered by an email code
// read from Mailpit: A (in Arabic) signs an open petition with ID number X
// and its check says the signature counts; A signing again with ID Y is
// refused with the page's message in Arabic, the count and the log
// unchanged; B (in French) signing with X is refused with the "contact the
// council" message in French, count and log unchanged; B's check says B
// has no signature, B's withdrawal is refused and leaves A's signature
// counted, and no check or withdraw form asks for an ID number; A
// withdraws and the count goes down. Counts are read on the page and from
// the API; axe-core finds no violation on any page visited.
func TestSignaturesInBrowserBelongToTheirAccount(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	agent := s.token(access.RoleCitizen, "", "agent-bound")
	cr, err := s.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113",
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "Ombrage de la place du souk",
		Request: "Planter des arbres sur la place du souk.", Reasons: "La place est brûlante en été."})
	if err != nil {
		t.Fatal(err)
	}
	name := cr.GetPetition().GetName()
	if _, err := s.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, s.env, nil, name)
	path := "/" + name
	const (
		idX = "WB300001"
		idY = "WB300002"
	)

	// valid is the petition's valid count from the API, read after pos,
	// and the same figure on the browser's page.
	valid := func(b *browser, pos uint64) (api int64, page string) {
		t.Helper()
		got, err := s.petitions.GetPetition(s.ctxBG(), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: pos})
		if err != nil {
			t.Fatal(err)
		}
		return int64(got.GetPetition().GetSignatures().GetValid()), b.text("#signatures-valid")
	}
	wantCount := func(b *browser, when string, pos uint64, want int64) {
		t.Helper()
		api, page := valid(b, pos)
		if api != want || page != strconv.FormatInt(want, 10) {
			t.Fatalf("%s: valid signatures %d by the API, %q on the page; want %d", when, api, page, want)
		}
	}
	// count is how many elements match sel on the browser's page.
	count := func(b *browser, sel string) int {
		t.Helper()
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// refused clicks a form's button and wants the page back with the
	// HTTP status and the reason, its message in the reader's language,
	// the log not moved.
	refused := func(b *browser, msg map[string]string, what, button string, status int, reason string) {
		t.Helper()
		head := s.head()
		resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Status != int64(status) {
			t.Fatalf("%s: HTTP %d, want %d", what, resp.Status, status)
		}
		if got := b.text("#error > p"); got != msg["reason."+reason] {
			t.Fatalf("%s: the page says %q, want %q (reason.%s in %s)", what, got, msg["reason."+reason], reason, b.lang)
		}
		shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#error code").textContent`))
		if err != nil || shown != reason {
			t.Fatalf("%s: reason code %q (%v), want %s", what, shown, err, reason)
		}
		if h := s.head(); h != head {
			t.Fatalf("%s moved the log from %d to %d", what, head, h)
		}
		b.noViolations(what)
	}

	msgA, msgB := catalogue(t, "ar"), catalogue(t, "fr")
	a := newBrowser(t, s.base, shots, axe, "ar")
	signInByEmailCode(t, s, a, path, "citoyenne.a@example.ma")
	b := newBrowser(t, s.base, shots, axe, "fr")
	signInByEmailCode(t, s, b, path, "citoyen.b@example.ma")

	// A signs with X from the petition page.
	a.open(path)
	wantCount(a, "before any signature", s.head(), 0)
	a.noViolations("petition-signed-in")
	a.do("fill the signature",
		chromedp.SendKeys(chromedp.ID("national_id"), idX),
		chromedp.SendKeys(chromedp.ID("full_name"), "Amina Secretname"))
	a.submit("A signs with X", "#sign-form button[type=submit]")
	signed := s.head()
	wantCount(a, "after A signed", signed, 1)
	if got := a.text("#flash"); !strings.HasPrefix(got, strings.SplitN(msgA["flash.signed"], "{0}", 2)[0]) {
		t.Fatalf("A's flash after signing: %q", got)
	}
	a.noViolations("petition-signed")

	// A's check: the signature counts.
	a.submit("A checks", "#check-form button[type=submit]")
	if got := a.text("#signature-status"); !strings.HasPrefix(got, msgA["enum.SIGNATURE_STATUS_VALID"]) {
		t.Fatalf("A's check says %q, want %q", got, msgA["enum.SIGNATURE_STATUS_VALID"])
	}
	a.noViolations("signature-check-valid")
	a.shot("bound-a-checked")

	// A again, with another ID number: one account is one person.
	a.open(path)
	a.do("fill a second signature",
		chromedp.SendKeys(chromedp.ID("national_id"), idY),
		chromedp.SendKeys(chromedp.ID("full_name"), "Amina Othername"))
	refused(a, msgA, "A signs again with Y", "#sign-form button[type=submit]", http.StatusUnprocessableEntity, "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID")
	wantCount(a, "after A's second number", signed, 1)
	a.shot("bound-a-second-number")

	// B, with A's number: refused, telling B to contact the council.
	b.open(path)
	wantCount(b, "B's page", signed, 1)
	b.do("fill B's signature with A's number",
		chromedp.SendKeys(chromedp.ID("national_id"), idX),
		chromedp.SendKeys(chromedp.ID("full_name"), "Brahim Secretname"))
	refused(b, msgB, "B signs with A's number", "#sign-form button[type=submit]", http.StatusUnprocessableEntity, "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT")
	if !strings.Contains(msgB["reason.NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT"], "contactez le conseil") {
		t.Fatalf("the French message does not send the reader to the council: %q", msgB["reason.NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT"])
	}
	if html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err != nil || strings.Contains(html, idX) {
		t.Fatalf("the refusal echoes the ID number it refused (%v)", err)
	}
	wantCount(b, "after B used A's number", signed, 1)
	b.shot("bound-b-other-number")

	// B's check and withdraw act on B's own signature only: no form there
	// asks for an ID number, and B has none.
	b.open(path)
	if n := count(b, "#mysignature input[name=national_id], #mysignature input[name=full_name], #mysignature input[name=ref]"); n != 0 {
		t.Fatalf("the check/withdraw section asks for %d ID fields", n)
	}
	if n := count(b, "#mysignature input:not([type=hidden])"); n != 1 || count(b, "#mysignature input#wd_reason") != 1 {
		t.Fatalf("the check/withdraw section has %d visible fields, want only the withdrawal's reason", n)
	}
	head := s.head()
	b.submit("B checks", "#check-form button[type=submit]")
	if got := b.text("#signature-status"); got != msgB["enum.SIGNATURE_STATUS_UNSPECIFIED"] {
		t.Fatalf("B's check says %q, want %q", got, msgB["enum.SIGNATURE_STATUS_UNSPECIFIED"])
	}
	if h := s.head(); h != head {
		t.Fatalf("B's check moved the log from %d to %d", head, h)
	}
	b.noViolations("signature-check-none")
	b.do("open the withdrawal", chromedp.Click(chromedp.CSS("#mysignature details summary")))
	refused(b, msgB, "B withdraws", "#mysignature details button[type=submit]", http.StatusNotFound, "SIGNATURE_NOT_FOUND")
	wantCount(b, "after B's withdrawal", signed, 1)
	a.open(path)
	a.submit("A checks after B's tries", "#check-form button[type=submit]")
	if got := a.text("#signature-status"); !strings.HasPrefix(got, msgA["enum.SIGNATURE_STATUS_VALID"]) {
		t.Fatalf("A's check after B's tries says %q", got)
	}

	// A withdraws: the count goes down, and A's check says so.
	a.do("open the withdrawal", chromedp.Click(chromedp.CSS("#mysignature details summary")))
	a.submit("A withdraws", "#mysignature details button[type=submit]")
	if got := a.text("#flash"); got != msgA["flash.signature_withdrawn"] {
		t.Fatalf("A's flash after withdrawing: %q", got)
	}
	withdrawn := s.head()
	if withdrawn <= signed {
		t.Fatalf("A's withdrawal did not move the log (%d → %d)", signed, withdrawn)
	}
	wantCount(a, "after A withdrew", withdrawn, 0)
	a.noViolations("petition-withdrawn")
	a.submit("A checks after withdrawing", "#check-form button[type=submit]")
	if got := a.text("#signature-status"); !strings.HasPrefix(got, msgA["enum.SIGNATURE_STATUS_WITHDRAWN"]) {
		t.Fatalf("A's check after withdrawing says %q", got)
	}
	a.shot("bound-a-withdrawn")
}
