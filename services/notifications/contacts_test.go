package notifications_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	idevents "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	pevents "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/privacy"
	iddomain "github.com/tasharuk/tasharuk/services/identity/domain"
	"github.com/tasharuk/tasharuk/services/notifications"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
)

// The agent's address comes from the identity context's sealed contact
// detail (ContactRecorded); once identity erases it (ContactErased, key
// destroyed) the agent's pending messages are dropped and the drop is
// recorded as an erasure.
func TestIdentityContactsReachTheAgentUntilErased(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	keys, err := privacy.NewKeys(master)
	if err != nil {
		t.Fatal(err)
	}
	planner := notifications.NewPlanner()
	o := f.outbox(f.store, nil, planner)
	o.Contacts = &notifications.IdentityContacts{Planner: planner, Keys: f.keys, UserKey: keys.UserKey, Language: "fr"}
	run(t, o)
	subject := keys.ContactSubject(privacy.ContactEmail, "agent.id@example.ma")
	uk := keys.UserKey(subject)
	keyID, dataKey, err := f.keys.SealingKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := privacy.SealContact(dataKey, "agent.id@example.ma")
	if err != nil {
		t.Fatal(err)
	}
	f.append(iddomain.UserStream(uk), &idevents.ContactRecorded{UserKey: uk, Kind: idevents.ContactKind_CONTACT_KIND_EMAIL, ContactCiphertext: sealed, ContactKeyId: keyID})
	stream, _ := f.petition(subject, "Piste cyclable")
	f.deposit(stream, "PET-2026-0200")
	if ms := f.mails("agent.id@example.ma", 1); len(ms) != 1 || !strings.Contains(ms[0].Subject, "PET-2026-0200") {
		t.Fatalf("agent via identity: %v", subjects(ms))
	}

	f.smtp.isDown.Store(true)
	f.append(stream, &pevents.PetitionReferredToBureau{})
	waitFor(t, "a failed attempt", func() bool { return o.Metrics.Failures() >= 1 })
	if err := f.keys.Destroy(ctx, keyID); err != nil {
		t.Fatal(err)
	}
	f.append(iddomain.UserStream(uk), &idevents.ContactErased{UserKey: uk, KeysDestroyed: 1})
	f.smtp.isDown.Store(false)
	waitFor(t, "the pending message dropped", func() bool { n, _ := o.Depth(); return n == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := len(f.mail.Messages(t, "agent.id@example.ma")); n != 1 {
		t.Errorf("erased agent got %d messages, want 1", n)
	}
	var reasons []string
	for _, m := range f.events(ndomain.NotificationCategory) {
		if d, ok := m.(*nevents.MessageDropped); ok {
			reasons = append(reasons, d.GetReason())
		}
	}
	if strings.Join(reasons, ",") != "erased" {
		t.Errorf("drops recorded: %v, want one erasure", reasons)
	}
}
