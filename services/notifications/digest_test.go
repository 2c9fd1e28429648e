package notifications_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	cevents "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	pevents "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	"github.com/tasharuk/tasharuk/services/notifications"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The staff digest: once a day, each council's staff get the petitions
// due within two weeks and those overdue — their council's only (the
// attack: another council's staff see nothing of it), one digest a day
// even with a second replica.
func TestStaffDigestListsItsOwnCouncilOncePerDay(t *testing.T) {
	f := newFixture(t)
	day := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	start := time.Now()
	clock := func() time.Time { return day.Add(time.Since(start)) }
	deposit := func(code, title, receipt string, deadline time.Time) string {
		id := uuid.Must(uuid.NewV7()).String()
		stream := pdomain.PetitionStream(code, id)
		f.append(stream, &pevents.PetitionDrafted{PetitionId: id, Council: "communes/" + code, Title: title, Agent: "agent-" + receipt})
		f.append(stream, &pevents.PetitionDeposited{ReceiptNumber: receipt, ReceivedAt: timestamppb.New(deadline.AddDate(0, -3, 0)), DecisionDeadline: timestamppb.New(deadline)})
		return stream
	}
	deposit("50910113", "Éclairage", "A-1", day.AddDate(0, 0, 10))
	deposit("50910113", "Jardin", "A-2", day.AddDate(0, 0, -3))
	decided := deposit("50910113", "Piscine", "A-3", day.AddDate(0, 0, 5))
	f.append(decided, &pevents.AdmissibilityDecided{Decision: pevents.Admissibility_ADMISSIBILITY_ADMISSIBLE, Reasons: "ok"})
	deposit("50910113", "Stade", "A-4", day.AddDate(0, 2, 0)) // not due yet
	deposit("50910114", "Marché", "B-1", day.AddDate(0, 0, -20))
	f.dir.set("staff-a", notifications.Contact{Address: "staff.a@example.ma", Channel: notifications.Email, Language: "fr"})
	f.dir.set("staff-b", notifications.Contact{Address: "staff.b@example.ma", Channel: notifications.Email, Language: "fr"})
	staffOf := func(code string) []string {
		return map[string][]string{"50910113": {"staff-a"}, "50910114": {"staff-b"}}[code]
	}
	newReplica := func() *notifications.Outbox {
		o := f.outbox(f.store, nil, nil)
		o.Contacts = notifications.ContactsFunc(func(s string) (notifications.Contact, bool) {
			if strings.HasPrefix(s, "agent-") {
				return notifications.Contact{}, false
			}
			return f.dir.Contact(s)
		})
		o.Now, o.Staff, o.DigestEvery = clock, staffOf, 100*time.Millisecond
		return o
	}
	run(t, newReplica())
	run(t, newReplica())
	f.mails("staff.a@example.ma", 1)
	f.mails("staff.b@example.ma", 1)
	time.Sleep(time.Second)
	a, b := f.mails("staff.a@example.ma", 1), f.mails("staff.b@example.ma", 1)
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("digests: council A's staff %d, council B's %d, want one each", len(a), len(b))
	}
	if a[0].Subject != "Dossiers à échéance : 2026-06-01" {
		t.Errorf("subject %q", a[0].Subject)
	}
	due, overdue, _ := strings.Cut(a[0].Text, "En retard")
	if !strings.Contains(due, "A-1 Éclairage (2026-06-11)") || !strings.Contains(overdue, "A-2 Jardin (2026-05-29)") {
		t.Errorf("council A's digest lacks its cases:\n%s", a[0].Text)
	}
	for _, not := range []string{"A-3", "A-4", "B-1", "Marché"} {
		if strings.Contains(a[0].Text, not) {
			t.Errorf("council A's digest lists %s:\n%s", not, a[0].Text)
		}
	}
	if !strings.Contains(b[0].Text, "B-1 Marché") || strings.Contains(b[0].Text, "A-") {
		t.Errorf("council B's digest:\n%s", b[0].Text)
	}
}

// A consultation addressed to an advisory body tells that body's
// secretaries (and no one else) its title and deadline.
func TestConsultationTellsTheBodysSecretaries(t *testing.T) {
	f := newFixture(t)
	body := council + "/advisoryBodies/equity"
	f.dir.set("sec-1", notifications.Contact{Address: "sec1@example.ma", Channel: notifications.Email, Language: "fr"})
	f.dir.set("sec-2", notifications.Contact{Address: "sec2@example.ma", Channel: notifications.Email, Language: "ar"})
	f.dir.set("sec-other", notifications.Contact{Address: "other@example.ma", Channel: notifications.Email, Language: "fr"})
	o := f.outbox(f.store, nil, nil)
	o.Secretaries = func(b string) []string {
		return map[string][]string{body: {"sec-1", "sec-2"}, council + "/advisoryBodies/youth": {"sec-other"}}[b]
	}
	run(t, o)
	id := uuid.Must(uuid.NewV7()).String()
	f.append(cdomain.ConsultationStream("50910113", id), &cevents.ConsultationRequested{ConsultationId: id, Council: council, Body: body, Title: "Budget 2027", Deadline: "2026-07-15"})
	fr := f.mails("sec1@example.ma", 1)
	ar := f.mails("sec2@example.ma", 1)
	if len(fr) != 1 || fr[0].Subject != "Consultation de votre instance : Budget 2027 (avant le 2026-07-15)" {
		t.Fatalf("secretary 1: %v", subjects(fr))
	}
	if len(ar) != 1 || !strings.Contains(ar[0].Text, "2026-07-15") {
		t.Fatalf("secretary 2: %v", subjects(ar))
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(f.mail.Messages(t, "other@example.ma")); n != 0 {
		t.Errorf("another body's secretary got %d messages", n)
	}
}
