package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

var notifyLink = regexp.MustCompile(`/notifications/(confirm|unsubscribe)\?f=([0-9a-f-]+)&t=([A-Za-z0-9_-]+)`)

// mailsTo waits until Mailpit holds want messages to `to` (or 15 s), and
// returns them oldest first.
func mailsTo(t *testing.T, mp *signintest.Mailpit, to string, want int) []signintest.Mail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms := mp.Messages(t, to)
		if len(ms) >= want || time.Now().After(deadline) {
			for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
				ms[i], ms[j] = ms[j], ms[i]
			}
			return ms
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func linkIn(t *testing.T, text, purpose string) (f, tok string) {
	t.Helper()
	for _, m := range notifyLink.FindAllStringSubmatch(text, -1) {
		if m[1] == purpose {
			return m[2], m[3]
		}
	}
	t.Fatalf("no %s link in %q", purpose, text)
	return "", ""
}

// TestNotificationsEndToEnd (issue 20) through the real server: follow a
// petition and a council over REST, confirm through the email's link
// page, receive a milestone from Mailpit with RFC 8058 headers,
// unsubscribe in one click, and nothing more comes; the attacks (forged
// link, someone else's follow, a follow never confirmed, dead letters for
// a non-admin) are refused and change nothing; the outbox's figures are
// on /metrics.
func TestNotificationsEndToEnd(t *testing.T) {
	mp := signintest.StartMailpit(t)
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{
		SignIn: signinConfig{SMTPURL: "smtp://" + mp.SMTPAddr, SMTPFrom: "tasharuk <no-reply@zaouiat-cheikh.ma>"}})
	agent := e.token(access.RoleCitizen, "", "agent-notify")
	staff := e.token(access.RoleStaff, "50910113", "clerk-zc")
	admin := e.token(access.RoleAdmin, "", "admin-1")

	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Bibliothèque du douar", Request: "Ouvrir une bibliothèque.", Reasons: "Les élèves n'ont aucun lieu pour étudier."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)

	// Refused follows change nothing. The outbox records its own acts (a
	// message sent) a moment after the acts above: wait until the log is
	// quiet before taking the head, so only a follow could move it.
	head := e.quietHead()
	for _, c := range []struct {
		body   map[string]string
		status int
		reason string
	}{
		{map[string]string{"target": "communes/50910199", "email": "x@example.ma", "language": "fr"}, http.StatusNotFound, "FOLLOW_TARGET_NOT_FOUND"},
		{map[string]string{"target": name + "0", "email": "x@example.ma", "language": "fr"}, http.StatusNotFound, "FOLLOW_TARGET_NOT_FOUND"},
		{map[string]string{"target": name, "email": "not-an-email", "language": "fr"}, http.StatusBadRequest, "INVALID_ARGUMENT"},
	} {
		if code, body := e.rest(http.MethodPost, "/v1/follows", "", c.body, nil); code != c.status || !strings.Contains(body, c.reason) {
			t.Errorf("follow %v: %d %s, want %d %s", c.body, code, body, c.status, c.reason)
		}
	}
	if e.head() != head {
		t.Fatal("a refused follow changed the log")
	}
	for _, f := range []map[string]string{
		{"target": name, "email": "amina@example.ma", "language": "fr"},
		{"target": "communes/50910113", "email": "chama@example.ma", "language": "ar"},
		{"target": name, "email": "badr@example.ma", "language": "en"}, // never confirms
	} {
		if code, body := e.rest(http.MethodPost, "/v1/follows", "", f, nil); code != http.StatusOK {
			t.Fatalf("follow %v: %d %s", f, code, body)
		}
	}
	confirm := func(to string) (string, string) {
		ms := mailsTo(t, mp, to, 1)
		if len(ms) != 1 {
			t.Fatalf("%s: %d confirmation mails", to, len(ms))
		}
		f, tok := linkIn(t, ms[0].Text, "confirm")
		// The link's page asks; it does not act (mail scanners open links).
		resp, err := http.Get(e.base + "/notifications/confirm?f=" + f + "&t=" + tok)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("confirm page: %s", resp.Status)
		}
		resp, err = http.PostForm(e.base+"/notifications/confirm", url.Values{"f": {f}, "t": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("confirm: %s", resp.Status)
		}
		return f, tok
	}
	fA, _ := confirm("amina@example.ma")
	fC, _ := confirm("chama@example.ma")
	mailsTo(t, mp, "badr@example.ma", 1)

	for i := range 5 {
		id, full := signer("NT", i)
		if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(clock.Now())}); err != nil {
		t.Fatal(err)
	}
	msA := mailsTo(t, mp, "amina@example.ma", 2)
	if len(msA) != 2 || msA[1].Subject != "Pétition suivie déposée : Bibliothèque du douar" {
		t.Fatalf("follower A: %d mails, last %q", len(msA), msA[len(msA)-1].Subject)
	}
	if msC := mailsTo(t, mp, "chama@example.ma", 2); len(msC) != 2 || !strings.Contains(msC[1].Subject, "إيداع العريضة") {
		t.Fatalf("council follower C: %d mails", len(msC))
	}
	f, tok := linkIn(t, msA[1].Text, "unsubscribe")
	if f != fA {
		t.Fatal("the unsubscribe link names another follow")
	}

	// Attacks on unsubscribe: forged token, A's token on C's follow.
	head = e.head()
	for _, c := range []map[string]string{{"follow": fA, "token": tok + "x"}, {"follow": fC, "token": tok}, {"follow": "../" + fA, "token": tok}} {
		if code, body := e.rest(http.MethodPost, "/v1/follows:unsubscribe", "", c, nil); code != http.StatusBadRequest || !strings.Contains(body, "FOLLOW_LINK_INVALID") {
			t.Errorf("unsubscribe %v: %d %s", c, code, body)
		}
	}
	if e.head() != head {
		t.Fatal("a refused unsubscribe changed the log")
	}
	// RFC 8058 one-click: a POST of List-Unsubscribe=One-Click to the URL.
	resp, err := http.Post(e.base+"/notifications/unsubscribe?f="+f+"&t="+tok, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %s", resp.Status)
	}
	time.Sleep(500 * time.Millisecond) // the outbox applies the unsubscribe
	if _, err := e.petitions.ReferPetitionToBureau(as(staff), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.DecideAdmissibility(as(staff), &petitionsv1.DecideAdmissibilityRequest{Name: name,
		Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Reasons: "Le seuil de signatures n'est pas atteint."}); err != nil {
		t.Fatal(err)
	}
	if msC := mailsTo(t, mp, "chama@example.ma", 3); len(msC) != 3 {
		t.Fatalf("council follower C did not get the decision: %d mails", len(msC))
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(mp.Messages(t, "amina@example.ma")); n != 2 {
		t.Errorf("the unsubscribed follower got %d mails, want 2", n)
	}
	if n := len(mp.Messages(t, "badr@example.ma")); n != 1 {
		t.Errorf("the unconfirmed follower got %d mails, want only the confirmation", n)
	}

	// Dead letters are the admins'.
	for _, tk := range []string{"", agent, staff} {
		if code, _ := e.rest(http.MethodGet, "/v1/deadLetters", tk, nil, nil); code != http.StatusForbidden && code != http.StatusUnauthorized {
			t.Errorf("dead letters for a non-admin: %d", code)
		}
		if code, _ := e.rest(http.MethodPost, "/v1/deadLetters/0123456789abcdef0123456789abcdef01234567:resend", tk, map[string]string{}, nil); code != http.StatusForbidden && code != http.StatusUnauthorized {
			t.Errorf("resend by a non-admin: %d", code)
		}
	}
	if code, body := e.rest(http.MethodGet, "/v1/deadLetters", admin, nil, nil); code != http.StatusOK {
		t.Errorf("dead letters for an admin: %d %s", code, body)
	}
	if code, body := e.rest(http.MethodPost, "/v1/deadLetters/0123456789abcdef0123456789abcdef01234567:resend", admin, map[string]string{}, nil); code != http.StatusNotFound || !strings.Contains(body, "DEAD_LETTER_NOT_FOUND") {
		t.Errorf("resend of a crafted key: %d %s", code, body)
	}
	metrics := e.restBody("/metrics")
	for _, m := range []string{"tasharuk_notifications_queue_depth", "tasharuk_notifications_oldest_pending_seconds", `tasharuk_notifications_sent_total{channel="email"} 6`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// TestAgentToldThroughTheServer (issue 20, acceptance 1 through the
// server): an account granted with an email (identity's sealed contact)
// carries a petition; its deposit, referral and inadmissibility decision
// reach its address in Mailpit, in order, the decision naming its
// reasons; and the petition records that its agent was told by email (a
// second NotifyAgent is refused as ALREADY_NOTIFIED).
func TestAgentToldThroughTheServer(t *testing.T) {
	mp := signintest.StartMailpit(t)
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{
		SignIn: signinConfig{SMTPURL: "smtp://" + mp.SMTPAddr, SMTPFrom: "tasharuk <no-reply@zaouiat-cheikh.ma>"}})
	admin := e.token(access.RoleAdmin, "", "admin-1")
	const addr = "agent.zc@example.ma"
	if _, err := identityv1.NewIdentityServiceClient(e.conn).GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: addr}, Role: "staff", Council: "50910113"}); err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.LoadKeys(keysOf(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	agent := e.token(access.RoleStaff, "50910113", keys.ContactSubject(privacy.ContactEmail, addr))
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Terrain de sport", Request: "Aménager un terrain.", Reasons: "Aucun terrain au douar."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)
	for i := range 3 {
		id, full := signer("AT", i)
		if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(clock.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.ReferPetitionToBureau(as(agent), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	const reasons = "Le nombre de signatures est inférieur au seuil légal."
	if _, err := e.petitions.DecideAdmissibility(as(agent), &petitionsv1.DecideAdmissibilityRequest{Name: name,
		Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Reasons: reasons}); err != nil {
		t.Fatal(err)
	}
	mailsTo(t, mp, addr, 3)
	time.Sleep(time.Second) // anything more would be a repeat
	ms := mailsTo(t, mp, addr, 3)
	if len(ms) != 3 {
		t.Fatalf("agent got %d messages", len(ms))
	}
	for i, want := range []string{"تم استلام العريضة", "إحالة العريضة على المكتب", "قرار بشأن عريضتكم: غير مقبولة"} {
		if !strings.HasPrefix(ms[i].Subject, want) {
			t.Errorf("message %d: %q, want %q…", i+1, ms[i].Subject, want)
		}
	}
	if !strings.Contains(ms[2].Text, reasons) {
		t.Errorf("the decision does not name its reasons:\n%s", ms[2].Text)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.petitions.NotifyAgent(as(agent), &petitionsv1.NotifyAgentRequest{Name: name, Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter"})
		if err == nil {
			t.Fatal("a letter notification was accepted: the outbox had not recorded that the agent was told by email")
		}
		if _, r := reason(err); r == "ALREADY_NOTIFIED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox did not record that the agent was told: NotifyAgent answered %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
