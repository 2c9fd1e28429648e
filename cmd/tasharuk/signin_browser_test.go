package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// underReview files an association's petition in council (by API) with
// its supporting documents and has the council's staff deposit it and
// refer it to the bureau, so that it waits for the admissibility
// decision.
func underReview(t *testing.T, e *env, council, title string) string {
	t.Helper()
	agent := e.token(access.RoleCitizen, "", "agent-"+council)
	staff := e.token(access.RoleStaff, council, "clerk-setup-"+council)
	cr, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/" + council,
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION, Title: title,
		Request: "Ouvrir une bibliothèque dans l'ancien foyer.", Reasons: "Aucune bibliothèque à moins de 10 km.",
		Association: &petitionseventsv1.Association{Name: "Association Lecture Pour Tous", RegistrationRef: "RD-2018-0101", ConstitutedOn: "2018-02-01",
			DemocraticGovernance: true, InGoodStanding: true, SeatInTerritory: true, ActivityLinkedToSubject: true}})
	if err != nil {
		t.Fatal(err)
	}
	name := cr.GetPetition().GetName()
	attachAssociationDocuments(t, e.petitions, agent, name)
	if _, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.ReferPetitionToBureau(as(staff), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	return name
}

// noViolations runs axe-core and fails on any violation at all, minor
// ones included: the sign-in pages are new and start clean.
func (b *browser) noViolations(page string) {
	b.t.Helper()
	for _, v := range b.accessible(page) {
		b.t.Errorf("%s (%s): axe %s violation %s: %s at %v", page, b.lang, v.Impact, v.ID, v.Help, v.Nodes)
	}
}

// TestSignInBrowserClerkOIDC (issue 16, acceptance 2) in Chromium: a
// clerk on a petition page of their commune follows "Sign in", chooses the
// council's account, signs in on the OpenID provider's own login page,
// lands back on the petition, and decides it; the same clerk is refused
// another commune's petition, even with a form forged in the page.
func TestSignInBrowserClerkOIDC(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	own := underReview(t, s.env, "50910113", "Bibliothèque de quartier")
	other := underReview(t, s.env, "50910101", "Bibliothèque du centre")
	msg := catalogue(t, "fr")
	b := newBrowser(t, s.base, shots, axe, "fr")

	path := "/" + own
	b.open(path + "?lang=fr")
	b.submit("follow Sign in", `nav.main-nav a[href^="/signin"]`)
	if loc := b.location(); loc != "/signin" {
		t.Fatalf("the sign-in link led to %s", loc)
	}
	b.shot("signin-oidc")
	b.noViolations("signin")
	b.submit("choose the council's account", "#oidc-submit")
	at, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(at, s.op.Issuer+"/login/") {
		t.Fatalf("after choosing the provider: at %q (%v), want the provider's login page", at, err)
	}
	b.do("sign in at the provider",
		chromedp.SendKeys(chromedp.ID("username"), "clerk-zc"),
		chromedp.SendKeys(chromedp.ID("password"), "clerk-zc-pass"))
	b.submit("submit the provider's login", `button[type=submit]`)
	if loc := b.location(); loc != path {
		t.Fatalf("after the provider: at %s, want back on %s", loc, path)
	}
	if got := b.text("#flash"); got != msg["flash.signed_in"] {
		t.Fatalf("flash %q", got)
	}
	if got := b.text("li.who bdi"); got != "sub-clerk-zc" {
		t.Fatalf("signed in as %q", got)
	}
	// The session cookie: HttpOnly (scripts cannot read it), SameSite=Lax.
	if c, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.cookie`)); err != nil || strings.Contains(c, "tasharuk_session") {
		t.Fatalf("document.cookie = %q (%v): the session cookie is readable by scripts", c, err)
	}

	// Decides the petition of their commune.
	b.open(path + "/manage")
	b.do("fill the decision",
		chromedp.Click(chromedp.ID("chk-agent_designated")),
		chromedp.Click(chromedp.ID("chk-within_council_powers")),
		chromedp.Click(chromedp.ID("chk-no_excluded_subject")),
		chromedp.Click(chromedp.ID("chk-association_conditions_met")),
		// Each condition tied to a document names the attached one that
		// proves it (the first of each select's documents of that kind).
		chromedp.Evaluate[chromedp.Void](`for (const [c, kind] of [["association_constituted", "LEGAL_DEPOSIT_RECEIPT"], ["association_statutes", "STATUTES"],
			["association_seat", "LEGAL_DEPOSIT_RECEIPT"], ["governing_body_decision", "GOVERNING_BODY_DECISION"]]) {
			const s = document.getElementById("ev-" + c);
			s.value = [...s.options].find(o => o.text.includes("(" + kind + ",")).value;
		}`),
		chromedp.Click(chromedp.ID("adm-admissible")))
	b.submit("decide", "#decide-submit")
	if got := b.text("#state"); got != msg["enum.PETITION_STATE_ADMISSIBLE"] {
		t.Fatalf("state after the decision: %q", got)
	}

	// Another commune's petition: no decision form is offered…
	b.open("/" + other + "/manage")
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#decide-form").length`))
	if err != nil || n != 0 {
		t.Fatalf("another commune's petition offers %d decision forms (%v)", n, err)
	}
	// …and one forged in the page, with the session's own CSRF token, is
	// refused by the API.
	head := s.head()
	forge := `(() => {
		const f = document.createElement("form");
		f.method = "post"; f.action = "/` + other + `/manage/decide";
		const add = (k, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i); };
		add("csrf", document.querySelector('input[name=csrf]').value);
		for (const k of ["agent_designated", "within_council_powers", "no_excluded_subject", "association_conditions_met"]) add(k, "1");
		add("admissibility", "admissible");
		document.body.appendChild(f); f.submit();
	})()`
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](forge))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden && resp.Status != http.StatusNotFound {
		t.Fatalf("a forged decision on another commune's petition: HTTP %d, want 403 or 404", resp.Status)
	}
	if got := b.text("#error h2"); got == "" {
		t.Fatal("the refusal shows no error")
	}
	got, err := s.petitions.GetPetition(s.ctxBG(), &petitionsv1.GetPetitionRequest{Name: other, MinPosition: head})
	if err != nil || got.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW {
		t.Fatalf("the other commune's petition: %v %v, want still under review", got.GetPetition().GetState(), err)
	}
	if s.head() != head {
		t.Fatalf("the refused decision moved the log from %d to %d", head, s.head())
	}
	b.shot("refused-other-council")
}

var sixDigitCode = regexp.MustCompile(`^[0-9]{6}$`)

// TestSignInBrowserEmailCode (issue 16, acceptance 1, registration) in
// Chromium, in Arabic, French and English: a citizen on a commune page
// follows "Sign in", asks a code by email, mistypes it (the error is next
// to the field, in the reader's language), types the code read from
// Mailpit and lands back on the commune page, signed in. axe-core finds no
// violation at all on the sign-in page, the code page and both in their
// error states.
func TestSignInBrowserEmailCode(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	for _, lang := range []string{"ar", "fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			email := "citizen." + lang + "@example.ma"
			b := newBrowser(t, s.base, shots, axe, lang)
			b.open("/communes/50910113?lang=" + lang)
			b.submit("follow Sign in", `nav.main-nav a[href^="/signin"]`)
			b.shot("signin")
			b.noViolations("signin")
			if got := b.text("#signin-oidc-h"); got != msg["signin.oidc.title"] {
				t.Fatalf("provider section %q", got)
			}

			// A malformed address: the error next to the field.
			b.do("type a bad address", chromedp.SendKeys(chromedp.ID("email"), "not-an-address"))
			resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("#email-submit")))
			if err != nil || resp.Status != http.StatusBadRequest {
				t.Fatalf("a bad address: %v %v, want 400", resp, err)
			}
			if got := b.text("#email-error"); got != msg["signin.code.address"] {
				t.Fatalf("error next to the email field %q, want %q", got, msg["signin.code.address"])
			}
			b.noViolations("signin-error")

			b.do("type the address", chromedp.SetValue(chromedp.ID("email"), email))
			b.submit("ask a code", "#email-submit")
			if loc := b.location(); loc != "/signin/code" {
				t.Fatalf("after asking a code: at %s", loc)
			}
			b.shot("signin-code")
			b.noViolations("signin_code")
			code := s.mp.Code(t, email, 0)
			if !sixDigitCode.MatchString(code) {
				t.Fatalf("code %q", code)
			}
			mails := s.mp.Messages(t, email)
			want := strings.NewReplacer("{0}", code, "{1}", "10").Replace(msg["signin.mail.body"])
			if !strings.Contains(mails[0].Text, want) {
				t.Errorf("the mail is not in the reader's language: %q", mails[0].Text)
			}

			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			b.do("mistype the code", chromedp.SendKeys(chromedp.ID("code"), wrong))
			resp, err = chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("#code-submit")))
			if err != nil || resp.Status != http.StatusUnauthorized {
				t.Fatalf("a wrong code: %v %v, want 401", resp, err)
			}
			if got := b.text("#code-error"); got != msg["signin.code.wrong"] {
				t.Fatalf("error next to the code field %q, want %q", got, msg["signin.code.wrong"])
			}
			b.noViolations("signin_code-error")

			b.do("type the code", chromedp.SetValue(chromedp.ID("code"), code))
			b.submit("enter the code", "#code-submit")
			if loc := b.location(); loc != "/communes/50910113" {
				t.Fatalf("after the code: at %s, want back on the commune page", loc)
			}
			if got := b.text("#flash"); got != msg["flash.signed_in"] {
				t.Fatalf("flash %q", got)
			}
			if got := b.text("li.who bdi"); !strings.HasPrefix(got, "email:") || strings.Contains(got, "citizen") {
				t.Fatalf("signed in as %q, want email:<hash>", got)
			}
		})
	}
}

// TestSignInBrowserVisitorSigns (issue 16, acceptance 1, the way in) in
// Chromium: a visitor on a petition open to signatures is shown "Sign",
// which leads through sign-in by email code and straight back to the
// petition, where the signature form is offered and the signature counts.
func TestSignInBrowserVisitorSigns(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	agent := s.token(access.RoleCitizen, "", "agent-open")
	cr, err := s.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113",
		Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "Éclairage de la rue des Orangers",
		Request: "Installer l'éclairage public rue des Orangers.", Reasons: "La rue est plongée dans le noir la nuit."})
	if err != nil {
		t.Fatal(err)
	}
	name := cr.GetPetition().GetName()
	if _, err := s.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, s.env, nil, name) // moderation before collection (issue 18)
	msg := catalogue(t, "fr")
	b := newBrowser(t, s.base, shots, axe, "fr")
	path := "/" + name
	b.open(path + "?lang=fr")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#sign-form").length`)); err != nil || n != 0 {
		t.Fatalf("a visitor is offered the signature form itself (%d, %v)", n, err)
	}
	if got := b.text("#sign-signin"); got != msg["sign.visitor.button"] {
		t.Fatalf("the visitor's Sign button reads %q", got)
	}
	b.noViolations("petition-visitor")
	b.submit("follow Sign", "#sign-signin")
	const email = "visiteur@example.ma"
	b.do("type the address", chromedp.SendKeys(chromedp.ID("email"), email))
	b.submit("ask a code", "#email-submit")
	b.do("type the code", chromedp.SendKeys(chromedp.ID("code"), s.mp.Code(t, email, 0)))
	b.submit("enter the code", "#code-submit")
	if loc := b.location(); loc != path {
		t.Fatalf("after signing in: at %s, want back on the petition %s", loc, path)
	}
	b.do("fill the signature",
		chromedp.SendKeys(chromedp.ID("national_id"), "WV100001"),
		chromedp.SendKeys(chromedp.ID("full_name"), "Visiteur Secretname"))
	b.submit("sign", "#sign-form button[type=submit]")
	if got := b.text("#signatures-valid"); got != "1" {
		t.Fatalf("valid signatures after signing: %q", got)
	}
	b.shot("visitor-signed")
}
