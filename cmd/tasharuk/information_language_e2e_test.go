package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// TestInformationRequesterLanguage (issue 20: a per-person language): a
// requester is written to in the language the request was filed in — the
// page's on the site, the API's language field — read back from Mailpit;
// a request filed without one is answered in Arabic; a language the
// service does not write in is refused (INVALID_ARGUMENT) and writes
// nothing, not even a receipt number.
func TestInformationRequesterLanguage(t *testing.T) {
	clock := &testClock{}
	infoAt(t, clock, "2026-06-02") // a Tuesday
	s := startSigninEnv(t, clock)
	const council = "communes/50910113"
	const pageEmail, apiEmail = "requester.fr@example.ma", "requester.api@example.ma"
	signIn := func(email string) *browserless {
		t.Helper()
		b := newBrowserless(t, s.base)
		if code, _, body := b.codeAsk("email", email, ""); code != http.StatusSeeOther {
			t.Fatalf("asking a code for %s: %d\n%s", email, code, body)
		}
		if code, _, body := b.codeEnter(s.mp.Code(t, email, 0)); code != http.StatusSeeOther {
			t.Fatalf("entering the code for %s: %d\n%s", email, code, body)
		}
		return b
	}
	// On the site, in French: the form page chosen with ?lang=fr, the
	// request posted from it.
	b := signIn(pageEmail)
	form := "/" + council + "/informationRequests/new?lang=fr"
	code, loc, body := b.do("POST", "/"+council+"/informationRequests", url.Values{"csrf": {b.csrf(form)}, "requester_kind": {"person"},
		"requester_name": {"Salma Requérante"}, "requester_contact": {pageEmail}, "subject": {"Le budget des routes 2025"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "/informationRequests/") {
		t.Fatalf("filing on the French page: %d to %q, want a redirect to the request\n%s", code, loc, body)
	}
	// Over the API: one in English, one without a language.
	signIn(apiEmail) // records the account's contact detail
	keys, err := privacy.LoadKeys(keysOf(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	citizen := s.token(access.RoleCitizen, "", keys.ContactSubject(privacy.ContactEmail, apiEmail))
	info := informationv1.NewInformationServiceClient(s.conn)
	file := func(subject, lang string) (*informationv1.CreateInformationRequestResponse, error) {
		return info.CreateInformationRequest(as(citizen), &informationv1.CreateInformationRequestRequest{Parent: council, RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON,
			RequesterName: "Youssef Demandeur", RequesterContact: apiEmail, Subject: subject, Language: lang})
	}
	before := s.head()
	if _, err := file("Les marchés de 2025", "de"); err == nil {
		t.Fatal(`a request in language "de" was accepted: want INVALID_ARGUMENT`)
	} else if c, r := reason(err); c != codes.InvalidArgument || !strings.Contains(err.Error(), "language") {
		t.Errorf(`a request in language "de": %v (%s), want INVALID_ARGUMENT naming the language`, err, r)
	}
	if after := s.head(); after != before {
		t.Errorf("the refused request wrote %d event(s)", after-before)
	}
	en, err := file("Road works awarded in 2025", "en")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := file("ميزانية الإنارة العمومية", "")
	if err != nil {
		t.Fatal(err)
	}
	// The receipt numbers follow each other: the refused one took none.
	if en.GetInformationRequest().GetReceiptNumber() != "2026/0002" || ar.GetInformationRequest().GetReceiptNumber() != "2026/0003" {
		t.Errorf("receipt numbers %q and %q, want 2026/0002 and 2026/0003 (the refused request takes none)",
			en.GetInformationRequest().GetReceiptNumber(), ar.GetInformationRequest().GetReceiptNumber())
	}

	// Mailpit: the sign-in code, then the receipts, each in its language.
	receipts := func(to string, want int) []signintest.Mail {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var out []signintest.Mail
			for _, m := range s.mp.Messages(t, to) { // newest first
				if strings.Contains(m.Subject, "2026/") {
					out = append([]signintest.Mail{m}, out...)
				}
			}
			if len(out) >= want || time.Now().After(deadline) {
				return out
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if ms := receipts(pageEmail, 1); len(ms) != 1 || ms[0].Subject != "Demande d'information reçue : 2026/0001" || !strings.Contains(ms[0].Text, "Le budget des routes 2025") {
		t.Errorf("the requester who filed on the French page got %v, want one receipt \"Demande d'information reçue : 2026/0001\" naming the subject", mailSubjects(ms))
	}
	ms := receipts(apiEmail, 2)
	want := []string{"Request for information received: 2026/0002", "تم استلام طلب الحصول على المعلومات: 2026/0003"}
	if len(ms) != 2 || ms[0].Subject != want[0] || ms[1].Subject != want[1] {
		t.Errorf("the API requester got %v, want %q (language en) then %q (none: Arabic)", mailSubjects(ms), want[0], want[1])
	}
	// Nothing more: each receipt once.
	time.Sleep(time.Second)
	if n := len(receipts(pageEmail, 1)) + len(receipts(apiEmail, 2)); n != 3 {
		t.Errorf("Mailpit holds %d receipts, want 3", n)
	}
}

func mailSubjects(ms []signintest.Mail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}
