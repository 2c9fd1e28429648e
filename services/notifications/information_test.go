package notifications_test

import (
	"strings"
	"testing"
	"time"

	ievents "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	idomain "github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/notifications"
)

// A request for information filed online tells its requester of the
// receipt, the extension and the refusal with the exceptions invoked and
// the reasons (law 31-13 arts 7, 16, 18); one registered at the counter
// has no account to write to and sends nothing.
func TestInformationRequesterIsTold(t *testing.T) {
	f := newFixture(t)
	const citizen = "code-email-requester"
	f.dir.set(citizen, notifications.Contact{Address: "requester@example.ma", Channel: notifications.Email, Language: "fr"})
	run(t, f.outbox(f.store, nil, nil))
	online := idomain.RequestStream("50910113", "r1")
	f.appendAs(eventstore.Actor{Subject: citizen, Role: "citizen"}, online, &ievents.RequestReceived{Name: council + "/informationRequests/r1", ReceiptNumber: "2026/0001",
		ReceivedOn: "2026-06-01", Subject: "Budget des routes 2025", RequesterKey: "k1"})
	f.append(online, &ievents.RequestExtended{Reasons: "Volume des documents.", NotifiedOn: "2026-06-20"})
	f.append(online, &ievents.RequestAnswered{Kind: ievents.AnswerKind_ANSWER_KIND_PARTIAL, Exceptions: []ievents.Exception{ievents.Exception_EXCEPTION_NATIONAL_DEFENCE},
		Reasons: "Les plans des ouvrages sensibles sont retenus.", Information: "Montants par route.", AnsweredOn: "2026-07-10"})
	counter := idomain.RequestStream("50910113", "r2")
	f.append(counter, &ievents.RequestReceived{Name: council + "/informationRequests/r2", ReceiptNumber: "2026/0002", ReceivedOn: "2026-06-02", Subject: "x", RequesterKey: "k2"})
	f.append(counter, &ievents.RequestAnswered{Kind: ievents.AnswerKind_ANSWER_KIND_FULL, AnsweredOn: "2026-06-10"})

	f.mails("requester@example.ma", 3)
	time.Sleep(500 * time.Millisecond)
	ms := f.mails("requester@example.ma", 3)
	if len(ms) != 3 {
		t.Fatalf("requester got %d messages: %v", len(ms), subjects(ms))
	}
	if ms[0].Subject != "Demande d'information reçue : 2026/0001" || !strings.Contains(ms[1].Text, "Volume des documents.") {
		t.Errorf("receipt/extension: %v\n%s", subjects(ms), ms[1].Text)
	}
	if !strings.Contains(ms[2].Text, "national_defence") || !strings.Contains(ms[2].Text, "Les plans des ouvrages sensibles sont retenus.") {
		t.Errorf("refusal does not name its exception and reasons:\n%s", ms[2].Text)
	}
	if f.total() != 3 {
		t.Errorf("Mailpit holds %d: the counter request sent something", f.total())
	}
}

// A requester is written to in the language the request records (the
// page's when filed on the site, or the API's language): receipt,
// extension and answer alike, whatever the contact's default; a request
// that records none gets the contact's (Arabic for identity's contacts).
func TestInformationRequesterLanguage(t *testing.T) {
	f := newFixture(t)
	const citizen, other = "code-email-requester-en", "code-email-requester-none"
	f.dir.set(citizen, notifications.Contact{Address: "english@example.ma", Channel: notifications.Email, Language: "ar"})
	f.dir.set(other, notifications.Contact{Address: "arabic@example.ma", Channel: notifications.Email, Language: "ar"})
	run(t, f.outbox(f.store, nil, nil))
	en := idomain.RequestStream("50910113", "r-en")
	f.appendAs(eventstore.Actor{Subject: citizen, Role: "citizen"}, en, &ievents.RequestReceived{Name: council + "/informationRequests/r-en", ReceiptNumber: "2026/0003",
		ReceivedOn: "2026-06-01", Subject: "Road budget", RequesterKey: "k3", RequesterLanguage: "en"})
	f.append(en, &ievents.RequestExtended{Reasons: "Many documents.", NotifiedOn: "2026-06-20"})
	f.append(en, &ievents.RequestAnswered{Kind: ievents.AnswerKind_ANSWER_KIND_FULL, Information: "Amounts per road.", AnsweredOn: "2026-07-10"})
	none := idomain.RequestStream("50910113", "r-none")
	f.appendAs(eventstore.Actor{Subject: other, Role: "citizen"}, none, &ievents.RequestReceived{Name: council + "/informationRequests/r-none", ReceiptNumber: "2026/0004",
		ReceivedOn: "2026-06-01", Subject: "ميزانية الطرق", RequesterKey: "k4"})

	ms := f.mails("english@example.ma", 3)
	want := []string{"Request for information received: 2026/0003", "Request 2026/0003: the deadline is extended", "Request 2026/0003: answered"}
	if len(ms) != 3 {
		t.Fatalf("the requester who filed in English got %d messages %v, want 3 in English", len(ms), subjects(ms))
	}
	for i, w := range want {
		if !strings.HasPrefix(ms[i].Subject, w) {
			t.Errorf("message %d to the English requester: subject %q, want %q…", i+1, ms[i].Subject, w)
		}
	}
	ar := f.mails("arabic@example.ma", 1)
	if len(ar) != 1 || ar[0].Subject != "تم استلام طلب الحصول على المعلومات: 2026/0004" {
		t.Errorf("the requester with no recorded language: %v, want the Arabic receipt", subjects(ar))
	}
}
