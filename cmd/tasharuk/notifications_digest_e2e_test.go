package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// TestStaffDigestThroughTheServer (issue 20): serve wires the staff
// digest to identity's grants. Council A's clerk (granted by email, the
// contact sealed by identity) gets one digest a day listing A's petition
// overdue and A's petition due within two weeks, and nothing of council
// B; B's clerk gets B's only; a clerk of A whose grant was revoked gets
// nothing. No address appears in the service's logs.
func TestStaffDigestThroughTheServer(t *testing.T) {
	mp := signintest.StartMailpit(t)
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := &testClock{t: t0}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{
		SignIn: signinConfig{SMTPURL: "smtp://" + mp.SMTPAddr, SMTPFrom: "tasharuk <no-reply@zaouiat-cheikh.ma>"},
		Notify: notifyConfig{DigestEvery: 100 * time.Millisecond}})
	admin := e.token(access.RoleAdmin, "", "admin-1")
	ids := identityv1.NewIdentityServiceClient(e.conn)
	const a, b = "50910113", "50910107"
	const clerkA, clerkB, gone = "clerk.a@example.ma", "clerk.b@example.ma", "former.a@example.ma"
	for _, g := range []struct{ email, council string }{{clerkA, a}, {clerkB, b}, {gone, a}} {
		if _, err := ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: g.email}, Role: "staff", Council: g.council}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ids.RevokeRole(as(admin), &identityv1.RevokeRoleRequest{Account: &identityv1.Account{Email: gone}, Role: "staff", Council: a, Reason: "mutée"})
	if err != nil {
		t.Fatal(err)
	}
	// The grants' read model has applied the revocation.
	if code, body := e.rest(http.MethodGet, fmt.Sprintf("/v1/communes/%s/status?minPosition=%d", a, r.GetLogPosition()), "", nil, nil); code != http.StatusOK {
		t.Fatalf("waiting for the revocation: %d %s", code, body)
	}

	deposit := func(council, title string, n int) time.Time {
		t.Helper()
		staff := e.token(access.RoleStaff, council, "clerk-"+council)
		agent := e.token(access.RoleCitizen, "", "agent-"+title)
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/" + council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: title, Request: "Une demande.", Reasons: "Des raisons."})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		for i := range 3 {
			id, full := signer("DG", n*10+i)
			if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
				t.Fatal(err)
			}
		}
		d, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		return d.GetPetition().GetDecisionDeadline().AsTime()
	}
	overdueA := deposit(a, "Éclairage public", 1)
	deposit(b, "Marché couvert", 2)
	clock.Advance(10 * 24 * time.Hour)
	dueA := deposit(a, "Jardin d'enfants", 3)
	deposit(a, "Stade municipal", 4) // deposited the same day: due on the same day as the garden
	if dueA.Sub(overdueA) != 10*24*time.Hour {
		t.Fatalf("deadlines %v and %v: want 10 days apart", overdueA, dueA)
	}
	// The day the first deadline has passed by 3 days and the second is a
	// week away.
	time.Sleep(500 * time.Millisecond)
	before := len(mp.Messages(t, clerkA))
	if before != 0 {
		t.Fatalf("council A's clerk got %d messages before any case was due", before)
	}
	clock.Advance(overdueA.Add(3 * 24 * time.Hour).Sub(clock.Now()))
	mailsTo(t, mp, clerkA, before+1)
	time.Sleep(time.Second) // anything more would be a second digest the same day
	msA := mailsTo(t, mp, clerkA, before+1)
	if len(msA) != before+1 {
		t.Fatalf("council A's clerk got %d digests that day, want 1", len(msA)-before)
	}
	digest := msA[len(msA)-1]
	due, overdue, ok := strings.Cut(digest.Text, "متأخرة:")
	if !ok || !strings.Contains(due, "Jardin d'enfants") || !strings.Contains(due, "Stade municipal") || !strings.Contains(overdue, "Éclairage public") || strings.Contains(due, "Éclairage public") {
		t.Errorf("council A's digest does not list A's cases as due and overdue:\n%s", digest.Text)
	}
	if strings.Contains(digest.Text, "Marché couvert") {
		t.Errorf("council A's digest lists council B's petition:\n%s", digest.Text)
	}
	msB := mailsTo(t, mp, clerkB, 1)
	if len(msB) != 1 || !strings.Contains(msB[0].Text, "Marché couvert") || strings.Contains(msB[0].Text, "Jardin") || strings.Contains(msB[0].Text, "Éclairage") {
		t.Errorf("council B's clerk: %d messages: %v", len(msB), msB)
	}
	if n := len(mp.Messages(t, gone)); n != 0 {
		t.Errorf("the clerk whose grant was revoked got %d messages", n)
	}
	for _, addr := range []string{clerkA, clerkB, gone} {
		if strings.Contains(e.logs.String(), addr) {
			t.Errorf("the service's logs name %s", addr)
		}
	}
}

// TestAgentWrittenToInTheFilingLanguage (issue 20): the agent's language
// is recorded when the petition is filed — the page's language on the
// site, or the API's language field — and the agent's messages use it. An
// agent filing on the French pages gets French mails; one filing through
// the API in English gets English; an unknown language is refused
// (INVALID_ARGUMENT) and writes nothing.
func TestAgentWrittenToInTheFilingLanguage(t *testing.T) {
	mp := signintest.StartMailpit(t)
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{
		SignIn: signinConfig{SMTPURL: "smtp://" + mp.SMTPAddr, SMTPFrom: "tasharuk <no-reply@zaouiat-cheikh.ma>"}})
	admin := e.token(access.RoleAdmin, "", "admin-1")
	keys, err := privacy.LoadKeys(keysOf(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	const frAgent, enAgent = "agent.fr@example.ma", "agent.en@example.ma"
	tokens := map[string]string{}
	for _, addr := range []string{frAgent, enAgent} {
		// A grant by email is how an account's contact is recorded today.
		if _, err := identityv1.NewIdentityServiceClient(e.conn).GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: addr}, Role: "staff", Council: "50910113"}); err != nil {
			t.Fatal(err)
		}
		tokens[addr] = e.token(access.RoleStaff, "50910113", keys.ContactSubject(privacy.ContactEmail, addr))
	}

	// Filed on the French pages.
	web := newWebClient(t, e.base, "fr")
	if code, body, _ := web.post("/signin", "/signin", url.Values{"token": {tokens[frAgent]}}); code != 200 {
		t.Fatalf("sign-in: %d\n%s", code, body)
	}
	code, body, path := web.post("/communes/50910113/petitions/new", "/communes/50910113/petitions", url.Values{
		"kind": {"citizens"}, "title": {"Bibliothèque de quartier"}, "request": {"Ouvrir une bibliothèque."}, "reasons": {"Aucun lieu pour lire."}})
	if code != 200 || !strings.HasPrefix(path, "/communes/50910113/petitions/") {
		t.Fatalf("filing on the French pages: %d %s\n%s", code, path, body)
	}
	frName := strings.TrimPrefix(path, "/")

	// Filed through the API in English.
	created, err := e.petitions.CreatePetition(as(tokens[enAgent]), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Street lights", Request: "Light the main street.", Reasons: "It is dark.", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	enName := created.GetPetition().GetName()

	// A language the templates do not speak is refused and writes nothing.
	head := e.head()
	_, err = e.petitions.CreatePetition(as(tokens[enAgent]), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "t", Request: "r", Reasons: "r", Language: "de"})
	if c, r := reason(err); c != codes.InvalidArgument || r != "INVALID_ARGUMENT" {
		t.Errorf("language de: %v (%s), want INVALID_ARGUMENT", err, r)
	}
	if e.head() != head {
		t.Error("a refused language changed the log")
	}

	staff := e.token(access.RoleStaff, "50910113", "clerk-zc")
	for n, name := range []string{frName, enName} {
		if _, err := e.petitions.OpenPetitionForSignatures(as(map[int]string{0: tokens[frAgent], 1: tokens[enAgent]}[n]), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		for i := range 3 {
			id, full := signer("LG", n*10+i)
			if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(clock.Now())}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.petitions.ReferPetitionToBureau(as(staff), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	for addr, want := range map[string][]string{
		frAgent: {"Pétition reçue : Bibliothèque de quartier", "Pétition transmise au bureau : Bibliothèque de quartier"},
		enAgent: {"Petition received: Street lights", "Petition referred to the bureau: Street lights"},
	} {
		ms := mailsTo(t, mp, addr, 2)
		if len(ms) != 2 {
			t.Fatalf("%s: %d messages", addr, len(ms))
		}
		for i := range want {
			if !strings.HasPrefix(ms[i].Subject, want[i]) {
				t.Errorf("%s message %d: %q, want %q…", addr, i+1, ms[i].Subject, want[i])
			}
		}
	}
}

// TestSecretariesToldOfAConsultationThroughTheServer (issue 20): serve
// wires the secretaries to identity's grants: a consultation addressed to
// an advisory body of council A reaches A's advisory account (granted by
// email) with its title and deadline, and not B's advisory account.
func TestSecretariesToldOfAConsultationThroughTheServer(t *testing.T) {
	mp := signintest.StartMailpit(t)
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{
		SignIn: signinConfig{SMTPURL: "smtp://" + mp.SMTPAddr, SMTPFrom: "tasharuk <no-reply@zaouiat-cheikh.ma>"}})
	admin := e.token(access.RoleAdmin, "", "admin-1")
	const secA, secB = "sec.a@example.ma", "sec.b@example.ma"
	for _, g := range []struct{ email, council string }{{secA, "50910113"}, {secB, "50910107"}} {
		if _, err := identityv1.NewIdentityServiceClient(e.conn).GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: g.email}, Role: "advisory", Council: g.council}); err != nil {
			t.Fatal(err)
		}
	}
	staff := e.token(access.RoleStaff, "50910113", "clerk-zc")
	b, err := advisoryv1.NewAdvisoryServiceClient(e.conn).CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: "communes/50910113", Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		DisplayName: "IEECAG", DecisionDate: "2026-02-01", DecisionReference: "d-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := consultationsv1.NewConsultationServiceClient(e.conn).CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: "communes/50910113",
		Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT, Body: b.GetBody().GetName(), SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET,
		Title: "Budget 2027", Deadline: "2026-12-15"}); err != nil {
		t.Fatal(err)
	}
	ms := mailsTo(t, mp, secA, 1)
	if len(ms) != 1 || !strings.Contains(ms[0].Subject, "Budget 2027") || !strings.Contains(ms[0].Subject, "2026-12-15") {
		t.Fatalf("A's secretary: %d messages %v", len(ms), ms)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(mp.Messages(t, secB)); n != 0 {
		t.Errorf("council B's advisory account got %d messages", n)
	}
}
