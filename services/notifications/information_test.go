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
