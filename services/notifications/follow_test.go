package notifications_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	pevents "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/notifications"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
)

var linkRE = regexp.MustCompile(`https://tasharuk\.example\.ma/notifications/(confirm|unsubscribe)\?[^\s"<]+`)

// link returns the follow id and token of the link of purpose in a text.
func link(t *testing.T, text, purpose string) (id, token string) {
	t.Helper()
	for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
		if m[1] != purpose {
			continue
		}
		u, err := url.Parse(m[0])
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("f"), u.Query().Get("t")
	}
	t.Fatalf("no %s link in:\n%s", purpose, text)
	return "", ""
}

// Acceptance 4 and its attacks: double opt-in, signed one-click
// unsubscribe, erasure of a follower's and of an agent's contact.
func TestFollowersConfirmUnsubscribeAndErasure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	planner := notifications.NewPlanner()
	exists := map[string]bool{council: true}
	follows := &notifications.Follows{Store: f.store, Registry: f.reg, Keys: f.keys, Planner: planner, Links: f.links,
		Exists: func(target string) bool { return exists[target] }}
	o := f.outbox(f.store, follows, planner)
	run(t, o)
	const agent = "code-email-agent"
	f.dir.set(agent, notifications.Contact{Address: "agent@example.ma", Channel: notifications.Email, Language: "fr"})
	stream, name := f.petition(agent, "Jardin public")
	exists[name] = true

	// Bad requests change nothing.
	before := f.position()
	for _, c := range []struct{ target, email, lang string }{
		{"communes/50910199", "a@example.ma", "fr"}, // no such council
		{name + "x", "a@example.ma", "fr"},          // crafted name
		{name, "not an email", "fr"},                // bad email
		{name, "Someone <a@example.ma>", "fr"},      // display name
		{name, "a@example.ma", "de"},                // language
	} {
		if _, _, err := follows.Request(ctx, c.target, c.email, c.lang); err == nil {
			t.Errorf("follow %+v accepted", c)
		}
	}
	if f.position() != before {
		t.Fatal("a refused follow changed the log")
	}

	idA, _, err := follows.Request(ctx, name, "Amina@Example.ma", "fr")
	if err != nil {
		t.Fatal(err)
	}
	idB, _, err := follows.Request(ctx, name, "badr@example.ma", "en") // never confirms
	if err != nil {
		t.Fatal(err)
	}
	idC, _, err := follows.Request(ctx, council, "chama@example.ma", "ar") // follows the council
	if err != nil {
		t.Fatal(err)
	}
	confirmA := f.mails("amina@example.ma", 1)
	confirmB := f.mails("badr@example.ma", 1)
	confirmC := f.mails("chama@example.ma", 1)
	if len(confirmA) != 1 || len(confirmB) != 1 || len(confirmC) != 1 {
		t.Fatalf("confirmation mails: %d %d %d", len(confirmA), len(confirmB), len(confirmC))
	}
	gotA, tokA := link(t, confirmA[0].Text, "confirm")
	gotB, tokB := link(t, confirmB[0].Text, "confirm")
	gotC, tokC := link(t, confirmC[0].Text, "confirm")
	if gotA != idA || gotB != idB || gotC != idC {
		t.Fatal("confirmation links name other follows")
	}

	// Attacks: a forged token, A's token on B's follow, an unsubscribe
	// token used to confirm, a crafted id — all refused, log unchanged.
	before = f.position()
	_, unsubTokB := link(t, confirmB[0].Text, "unsubscribe")
	for _, c := range []struct{ id, tok string }{{idB, "forged"}, {idB, tokA}, {idB, unsubTokB}, {"../" + idB, tokB}, {idB, ""}} {
		if _, err := follows.Confirm(ctx, c.id, c.tok); !errors.Is(err, notifications.ErrBadLink) {
			t.Errorf("confirm %q with %q: %v, want ErrBadLink", c.id, c.tok, err)
		}
	}
	if f.position() != before {
		t.Fatal("a refused confirmation changed the log")
	}
	if _, err := follows.Confirm(ctx, idA, tokA); err != nil {
		t.Fatal(err)
	}
	if _, err := follows.Confirm(ctx, idC, tokC); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the confirmations applied", func() bool {
		_, _, _, _, a, _, _ := planner.Follow(idA)
		_, _, _, _, c, _, _ := planner.Follow(idC)
		return a && c
	})

	f.deposit(stream, "PET-2026-0100")
	depA := f.mails("amina@example.ma", 2)
	depC := f.mails("chama@example.ma", 2)
	if len(depA) != 2 || depA[1].Subject != "Pétition suivie déposée : Jardin public" {
		t.Fatalf("follower A: %v", subjects(depA))
	}
	if len(depC) != 2 || !strings.Contains(depC[1].Subject, "إيداع العريضة") {
		t.Fatalf("council follower C: %v", subjects(depC))
	}
	h := f.headers(depA[1].ID)
	unsubURL := ""
	if v := h["List-Unsubscribe"]; len(v) == 1 {
		unsubURL = strings.Trim(v[0], "<>")
	}
	if post := h["List-Unsubscribe-Post"]; len(post) != 1 || post[0] != "List-Unsubscribe=One-Click" || !strings.Contains(unsubURL, "f="+idA) {
		t.Fatalf("RFC 8058 headers: %v", h)
	}
	id, tok := link(t, depA[1].Text, "unsubscribe")
	if !strings.Contains(unsubURL, url.QueryEscape(tok)) && !strings.Contains(unsubURL, tok) {
		t.Errorf("header and body unsubscribe links differ: %s vs %s", unsubURL, tok)
	}
	// Unsubscribing someone else: A's token on C's follow.
	before = f.position()
	if _, err := follows.Unsubscribe(ctx, idC, tok); !errors.Is(err, notifications.ErrBadLink) {
		t.Errorf("unsubscribe of another's follow: %v", err)
	}
	if _, err := follows.Unsubscribe(ctx, idA, tok+"x"); !errors.Is(err, notifications.ErrBadLink) {
		t.Errorf("forged unsubscribe: %v", err)
	}
	if f.position() != before {
		t.Fatal("a refused unsubscribe changed the log")
	}
	if _, err := follows.Unsubscribe(ctx, id, tok); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unsubscribe applied", func() bool { _, _, _, _, _, ended, _ := planner.Follow(idA); return ended })

	// C's pending message is dropped once C is erased, and so is the
	// agent's once their contact is erased: SMTP down while they wait.
	f.smtp.isDown.Store(true)
	f.append(stream, &pevents.AdmissibilityDecided{Decision: pevents.Admissibility_ADMISSIBILITY_INADMISSIBLE, Reasons: "Hors compétences.", ValidSignatures: 10, Threshold: 300})
	waitFor(t, "attempts while SMTP is down", func() bool { return o.Metrics.Failures() >= 2 })
	_, _, keyC, _, _, _, _ := planner.Follow(idC)
	if _, err := follows.Erase(ctx, idC); err != nil {
		t.Fatal(err)
	}
	f.dir.erase(agent)
	waitFor(t, "the erasure applied", func() bool { _, _, _, _, _, ended, _ := planner.Follow(idC); return ended })
	f.smtp.isDown.Store(false)
	waitFor(t, "the pending messages dropped", func() bool { n, _ := o.Depth(); return n == 0 })
	time.Sleep(500 * time.Millisecond)
	if ms := f.mail.Messages(t, "amina@example.ma"); len(ms) != 2 {
		t.Errorf("unsubscribed follower got %d messages, want 2 (nothing after unsubscribing)", len(ms))
	}
	if ms := f.mail.Messages(t, "chama@example.ma"); len(ms) != 2 {
		t.Errorf("erased follower got %d messages, want 2", len(ms))
	}
	if ms := f.mail.Messages(t, "agent@example.ma"); len(ms) != 1 {
		t.Errorf("erased agent got %d messages, want 1 (the receipt, before erasure)", len(ms))
	}
	if ms := f.mail.Messages(t, "badr@example.ma"); len(ms) != 1 {
		t.Errorf("unconfirmed follower got %d messages, want only the confirmation", len(ms))
	}
	if _, ok := follows.Contact("follow:" + idC); ok {
		t.Error("an erased follower's contact still opens")
	}
	if _, err := f.keys.NameKey(ctx, "follow-"+idC, keyC); !errors.Is(err, privacy.ErrErased) {
		t.Errorf("erased follower's key: %v, want ErrErased", err)
	}
	dropped := map[string]bool{}
	for _, m := range f.events(ndomain.NotificationCategory) {
		if d, ok := m.(*nevents.MessageDropped); ok {
			dropped[d.GetRecipientKey()] = true
		}
	}
	if !dropped[notifications.RecipientKey(f.recKey, "follow:"+idC)] || !dropped[notifications.RecipientKey(f.recKey, agent)] {
		t.Errorf("drops not recorded: %v", dropped)
	}
	if log := f.logBytes(); strings.Contains(string(log), "amina@example.ma") || strings.Contains(string(log), "chama@example.ma") {
		t.Error("a follower's email is in the log in clear")
	}
}
