package notifications_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	pevents "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/services/notifications"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
	"github.com/tasharuk/tasharuk/web/signin"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// Acceptance 1: a petition's whole lifecycle tells its agent exactly the
// expected messages, in order, in the agent's language, the decision
// naming its reasons; each sending is recorded without the address.
func TestAgentIsToldOfEveryStepOfTheLifecycle(t *testing.T) {
	f := newFixture(t)
	const agent, agentAR = "code-email-agent-fr", "code-email-agent-ar"
	f.dir.set(agent, notifications.Contact{Address: "agent.fr@example.ma", Channel: notifications.Email, Language: "fr"})
	f.dir.set(agentAR, notifications.Contact{Address: "agent.ar@example.ma", Channel: notifications.Email, Language: "ar"})
	o := f.outbox(f.store, nil, nil)
	run(t, o)

	stream, _ := f.petition(agent, "Éclairage de la rue Tadla")
	f.append(stream, &pevents.PetitionOpenedForSignatures{})
	f.deposit(stream, "PET-2026-0007")
	f.append(stream, &pevents.PetitionReferredToBureau{})
	const reasons = "Le seuil de 300 signatures est atteint et l'objet relève des compétences de la commune (art. 77)."
	f.append(stream, &pevents.AdmissibilityDecided{Decision: pevents.Admissibility_ADMISSIBILITY_ADMISSIBLE, Reasons: reasons, ValidSignatures: 412, Threshold: 300})
	f.append(stream, &pevents.PetitionScheduled{Session: "2026-05"})
	f.append(stream, &pevents.PetitionReferredToCommittee{Committee: "Travaux"})
	f.append(stream, &pevents.CommitteeReportRecorded{Summary: "La commission propose 40 lampadaires."})
	f.append(stream, &pevents.PetitionDeliberated{Outcome: pevents.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "Adopté à l'unanimité.", Reference: "DEL-2026-31"})
	f.append(stream, &pevents.PetitionClosed{Note: "Travaux programmés."})
	arStream, _ := f.petition(agentAR, "إنارة شارع تادلة")
	f.deposit(arStream, "PET-2026-0008")

	f.mails("agent.fr@example.ma", 7)
	want := []string{
		"Pétition reçue : Éclairage de la rue Tadla (récépissé PET-2026-0007)",
		"Pétition transmise au bureau : Éclairage de la rue Tadla",
		"Décision sur votre pétition : recevable",
		"Pétition inscrite à l'ordre du jour : session 2026-05",
		"Rapport de commission sur votre pétition",
		"Le conseil a délibéré : approuvée",
		"Pétition clôturée : Éclairage de la rue Tadla",
	}
	time.Sleep(time.Second) // anything more would be a duplicate
	got := f.mails("agent.fr@example.ma", 7)
	if len(got) != len(want) {
		t.Fatalf("agent got %d messages, want %d: %v", len(got), len(want), subjects(got))
	}
	for i, w := range want {
		if got[i].Subject != w {
			t.Errorf("message %d: subject %q, want %q", i+1, got[i].Subject, w)
		}
	}
	if !strings.Contains(got[0].Text, "2026-03-02") || !strings.Contains(got[0].Text, "2026-06-02") || !strings.Contains(got[0].Text, "PET-2026-0007") {
		t.Errorf("receipt lacks its date, deadline or number:\n%s", got[0].Text)
	}
	if !strings.Contains(got[2].Text, reasons) || !strings.Contains(got[2].Text, "412") {
		t.Errorf("decision does not name its reasons and count:\n%s", got[2].Text)
	}
	ar := f.mails("agent.ar@example.ma", 1)
	if len(ar) != 1 || !strings.HasPrefix(ar[0].Subject, "تم استلام العريضة") {
		t.Fatalf("Arabic agent: %v", subjects(ar))
	}
	var full struct{ HTML string }
	f.getJSON("/api/v1/message/"+ar[0].ID, &full)
	if !strings.Contains(full.HTML, `dir="rtl"`) || !strings.Contains(full.HTML, "<bdi>PET-2026-0008</bdi>") {
		t.Errorf("Arabic HTML part is not RTL with isolated values:\n%s", full.HTML)
	}
	h := f.headers(got[0].ID)
	if len(h["Content-Language"]) != 1 || h["Content-Language"][0] != "fr" || len(h["List-Unsubscribe"]) != 0 {
		t.Errorf("agent headers: %v", h)
	}

	// The sendings are in the log: eight MessageSent, recipient as a keyed
	// hash; the address is nowhere in the log.
	var sent []*nevents.MessageSent
	for _, m := range f.events(ndomain.NotificationCategory) {
		if s, ok := m.(*nevents.MessageSent); ok {
			sent = append(sent, s)
		}
	}
	if len(sent) != 8 {
		t.Fatalf("%d MessageSent events, want 8", len(sent))
	}
	wantKey := notifications.RecipientKey(f.recKey, agent)
	n := 0
	for _, s := range sent {
		if s.GetRecipientKey() == wantKey {
			n++
		}
		if s.GetChannel() != "email" || s.GetAttempts() != 1 {
			t.Errorf("sent event: %v", s)
		}
	}
	if n != 7 || strings.Contains(wantKey, agent) {
		t.Errorf("%d events name the agent by its key %s", n, wantKey)
	}
	if log := f.logBytes(); bytes.Contains(log, []byte("agent.fr@example.ma")) || bytes.Contains(log, []byte("agent.ar@example.ma")) {
		t.Error("an address is in the log in clear")
	}
	f.toldMu.Lock()
	told := strings.Join(f.told, ",")
	f.toldMu.Unlock()
	if !strings.Contains(told, "petition-decided/email") || !strings.Contains(told, "petition-deliberated/email") {
		t.Errorf("the agent's being told was not passed on to NotifyAgent: %s", told)
	}
	if v := o.Metrics.Sends(); v != 8 {
		t.Errorf("sent metric %v, want 8", v)
	}
}

// Acceptance 2: an outbox stopped abruptly in the middle of a batch and
// started again (a new replica, a new planner, from its durable position)
// delivers every message exactly once.
func TestStoppedMidBatchThenRestartedSendsEachOnce(t *testing.T) {
	f := newFixture(t)
	const n = 150
	for i := range n {
		subject := fmt.Sprintf("code-email-%d", i)
		f.dir.set(subject, notifications.Contact{Address: agentEmail(i), Channel: notifications.Email, Language: "en"})
		stream, _ := f.petition(subject, fmt.Sprintf("Petition %d", i))
		f.deposit(stream, fmt.Sprintf("R-%d", i))
	}
	stop := run(t, f.outbox(f.store, nil, nil))
	waitFor(t, "a first part of the batch", func() bool { return f.total() >= 20 })
	stop()
	first := f.total()
	if first >= n {
		t.Fatalf("all %d were sent before the stop: not a stop mid-batch", first)
	}
	run(t, f.outbox(f.store, nil, nil))
	waitFor(t, "every message", func() bool { return f.total() >= n })
	time.Sleep(2 * time.Second) // past the lease: a lapsed claim would go again now
	if got := f.total(); got != n {
		t.Fatalf("Mailpit holds %d messages, want exactly %d (first run sent %d)", got, n, first)
	}
	for i := range n {
		if ms := f.mail.Messages(t, agentEmail(i)); len(ms) != 1 {
			t.Fatalf("%s got %d messages", agentEmail(i), len(ms))
		}
	}
	t.Logf("stopped after %d of %d; the restarted outbox sent the other %d, none twice", first, n, n-first)
}

// Acceptance 2 (cluster): two replicas on one log of a 3-node NATS
// cluster, each with its own connection, send each message exactly once.
func TestTwoReplicasOnAClusterSendEachOnce(t *testing.T) {
	c := natstest.Start(t, 3)
	ctx := context.Background()
	open := func() *natsstore.Store {
		s, err := natsstore.Open(ctx, natsstore.Config{URL: c.URLs(), Replicas: 3})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	f := newFixtureOn(t, s1, 3)
	g := newFixtureOn(t, s2, 3) // its own connection and bucket handle
	g.mail, g.smtp, g.dir = f.mail, f.smtp, f.dir
	const n = 120
	for i := range n {
		subject := fmt.Sprintf("code-email-%d", i)
		f.dir.set(subject, notifications.Contact{Address: agentEmail(i), Channel: notifications.Email, Language: "fr"})
		stream, _ := f.petition(subject, fmt.Sprintf("Pétition %d", i))
		f.deposit(stream, fmt.Sprintf("R-%d", i))
	}
	a, b := f.outbox(s1, nil, nil), g.outbox(s2, nil, nil)
	// Healthy replicas never send one message both: a claim is taken over
	// only once its lease lapsed (the kill tests cover that case, and its
	// repeats are flagged). The fixture's 1 s lease lapsed under a loaded
	// CI machine (a send and its mark took over a second on the 3-node
	// cluster under -race), so this test gives the claims a lease a healthy
	// send keeps.
	a.Lease, b.Lease = 5*time.Second, 5*time.Second
	run(t, a)
	run(t, b)
	waitFor(t, "every message", func() bool { return f.total() >= n })
	time.Sleep(6 * time.Second) // past the lease: a lapsed claim would go again now
	if got := f.total(); got != n {
		t.Fatalf("Mailpit holds %d messages, want exactly %d", got, n)
	}
	for i := range n {
		if ms := f.mail.Messages(t, agentEmail(i)); len(ms) != 1 {
			t.Fatalf("%s got %d messages", agentEmail(i), len(ms))
		}
	}
	sa, sb := a.Metrics.Sends(), b.Metrics.Sends()
	if sa+sb != n {
		t.Errorf("replicas sent %v + %v, want %d in all", sa, sb, n)
	}
	if u := a.Metrics.Uncertains() + b.Metrics.Uncertains(); u != 0 {
		t.Errorf("%d sends were taken over as uncertain between two healthy replicas", u)
	}
	t.Logf("replica A sent %v, replica B %v, Mailpit %d", sa, sb, f.total())
}

// Acceptance 3: with SMTP down, messages wait (queue depth and age on the
// metrics), then go when it is back; past the retry limit they are dead
// letters, which a resend delivers once.
func TestSMTPDownMessagesWaitThenDeadLettersAndResend(t *testing.T) {
	f := newFixture(t)
	f.smtp.isDown.Store(true)
	o := f.outbox(f.store, nil, nil)
	o.MaxAttempts = 4
	run(t, o)
	for i := range 5 {
		subject := fmt.Sprintf("code-email-%d", i)
		f.dir.set(subject, notifications.Contact{Address: agentEmail(i), Channel: notifications.Email, Language: "fr"})
		stream, _ := f.petition(subject, fmt.Sprintf("Pétition %d", i))
		f.deposit(stream, fmt.Sprintf("R-%d", i))
	}
	waitFor(t, "failed attempts", func() bool { return o.Metrics.Failures() >= 5 })
	if depth, oldest := o.Depth(); depth != 5 || oldest.IsZero() {
		t.Fatalf("queue depth %d oldest %v while SMTP is down, want 5 waiting", depth, oldest)
	}
	if f.total() != 0 {
		t.Fatal("a message went while SMTP was down")
	}
	f.smtp.isDown.Store(false)
	waitFor(t, "the waiting messages", func() bool { return f.total() >= 5 })
	// A message is marked sent just after the SMTP server accepts it: the
	// queue empties a moment after the last one arrives.
	waitFor(t, "an empty queue after delivery", func() bool { depth, _ := o.Depth(); return depth == 0 })

	// Down for longer than the retries.
	f.smtp.isDown.Store(true)
	for i := 5; i < 8; i++ {
		subject := fmt.Sprintf("code-email-%d", i)
		f.dir.set(subject, notifications.Contact{Address: agentEmail(i), Channel: notifications.Email, Language: "en"})
		stream, _ := f.petition(subject, fmt.Sprintf("Petition %d", i))
		f.deposit(stream, fmt.Sprintf("R-%d", i))
	}
	var dead []notifications.DeadLetter
	waitFor(t, "three dead letters", func() bool {
		var err error
		dead, err = o.DeadLetters(context.Background())
		return err == nil && len(dead) == 3
	})
	for _, d := range dead {
		if d.Attempts != 4 || d.Kind != notifications.KindDeposited || d.Channel != notifications.Email || d.LastError == "" {
			t.Errorf("dead letter %+v", d)
		}
		if strings.Contains(d.LastError, "@") {
			t.Errorf("dead letter error names an address: %s", d.LastError)
		}
	}
	nDead := 0
	for _, m := range f.events(ndomain.NotificationCategory) {
		if _, ok := m.(*nevents.MessageDeadLettered); ok {
			nDead++
		}
	}
	if nDead != 3 {
		t.Errorf("%d MessageDeadLettered events, want 3", nDead)
	}
	f.smtp.isDown.Store(false)
	time.Sleep(500 * time.Millisecond)
	if f.total() != 5 {
		t.Fatalf("a dead letter went without a resend: %d", f.total())
	}
	admin := eventstore.Actor{Subject: "admin-1", Role: "admin"}
	for _, d := range dead {
		if err := o.Resend(context.Background(), d.Key, admin); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the resent messages", func() bool { return f.total() >= 8 })
	for _, d := range dead {
		if err := o.Resend(context.Background(), d.Key, admin); !errors.Is(err, notifications.ErrNotDeadLetter) {
			t.Errorf("second resend of %s: %v, want ErrNotDeadLetter", d.Key, err)
		}
	}
	if err := o.Resend(context.Background(), "not-a-key", admin); !errors.Is(err, notifications.ErrNotDeadLetter) {
		t.Errorf("resend of a crafted key: %v", err)
	}
	time.Sleep(time.Second)
	if got := f.total(); got != 8 {
		t.Fatalf("Mailpit holds %d, want 8 (each resent once)", got)
	}
	for i := 5; i < 8; i++ {
		if ms := f.mail.Messages(t, agentEmail(i)); len(ms) != 1 {
			t.Errorf("%s got %d messages", agentEmail(i), len(ms))
		}
	}
	if left, _ := o.DeadLetters(context.Background()); len(left) != 0 {
		t.Errorf("%d dead letters left after resending", len(left))
	}
}

func subjects(ms []signintest.Mail) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Subject)
	}
	return s
}

// The SMS channel: a recipient who prefers SMS gets the text through the
// gateway (a loopback HTTP receiver), not by email; and without a
// contact directory wired, an agent's message waits instead of being
// dropped.
func TestSMSChannelAndMessagesWaitForADirectory(t *testing.T) {
	f := newFixture(t)
	sms := signintest.StartSMSReceiver(t)
	gw, err := signin.NewSMSGateway(sms.URL)
	if err != nil {
		t.Fatal(err)
	}
	const agent = "code-phone-agent"
	f.dir.set(agent, notifications.Contact{Address: "+212612345678", Channel: notifications.SMS, Language: "fr"})
	o := f.outbox(f.store, nil, nil)
	o.SMS = gw
	run(t, o)
	stream, _ := f.petition(agent, "Marché couvert")
	f.deposit(stream, "PET-2026-0042")
	waitFor(t, "the SMS", func() bool { return len(sms.Messages()) == 1 })
	m := sms.Messages()[0]
	if m.To != "+212612345678" || !strings.Contains(m.Message, "PET-2026-0042") || !strings.Contains(m.Message, "Pétition reçue") {
		t.Errorf("SMS %+v", m)
	}
	if f.total() != 0 {
		t.Error("an SMS recipient was emailed")
	}

	g := newFixture(t)
	held := g.outbox(g.store, nil, nil)
	held.Contacts = nil
	run(t, held)
	s2, _ := g.petition(agent, "Marché couvert")
	g.deposit(s2, "PET-2026-0043")
	waitFor(t, "the message planned", func() bool { n, _ := held.Depth(); return n == 1 })
	time.Sleep(500 * time.Millisecond)
	if n, _ := held.Depth(); n != 1 {
		t.Errorf("queue depth %d, want the agent's message waiting", n)
	}
	if len(g.events(ndomain.NotificationCategory)) != 0 {
		t.Error("a message without a directory was recorded as dropped or sent")
	}
}

// Acceptance 2, the uncertain window named: a replica that dies before
// the end of DATA (its claim "claimed") left nothing at the server, and
// the replica that takes the lapsed claim over sends the message once,
// not counted as uncertain; a replica that dies after the end of DATA
// (its claim "sending", the server has the message) leaves an uncertain
// message, which the next replica sends again with the same Message-ID
// and the same bytes, counts in the uncertain metric and records as an
// uncertain repeat. Mailpit here keeps duplicates, so the sender's
// repeat is visible: two copies, one Message-ID.
func TestDyingReplicaBeforeAndAfterTheEndOfDATA(t *testing.T) {
	f := newFixture(t)
	type hookFn = func(ctx context.Context, up *signin.SMTP, to string, msg []byte, commit func() error) error
	for _, c := range []struct {
		name      string
		afterDATA bool
	}{{"before the end of DATA", false}, {"after the end of DATA", true}} {
		subject := "code-" + strings.ReplaceAll(c.name, " ", "-")
		to := subject + "@example.ma"
		f.dir.set(subject, notifications.Contact{Address: to, Channel: notifications.Email, Language: "en"})
		dead := make(chan struct{})
		var dying hookFn = func(ctx context.Context, up *signin.SMTP, to string, msg []byte, commit func() error) error {
			if !c.afterDATA {
				// Dies with the message written, before commit and the
				// end of DATA: the connection closes without it.
				err := up.SendRawCommit(ctx, to, msg, func() error { return errors.New("replica died") })
				<-dead
				return err
			}
			if err := up.SendRawCommit(ctx, to, msg, commit); err != nil {
				return err
			}
			<-dead // the server answered 250; the replica dies before "sent"
			return errors.New("replica died")
		}
		f.smtp.hook.Store(&dying)
		a := f.outbox(f.store, nil, nil)
		stopA := run(t, a)
		stream, _ := f.petition(subject, "Petition "+c.name)
		f.deposit(stream, "R-"+subject)
		if c.afterDATA {
			waitFor(t, "the dying replica's message at the server", func() bool { return len(f.mail.Messages(t, to)) == 1 })
		} else {
			waitFor(t, "the dying replica's attempt", func() bool { return f.smtp.calls.Load() > 0 })
			time.Sleep(300 * time.Millisecond)
			if n := len(f.mail.Messages(t, to)); n != 0 {
				t.Fatalf("%s: an aborted DATA delivered %d messages", c.name, n)
			}
		}
		f.smtp.hook.Store(nil)
		b := f.outbox(f.store, nil, nil)
		stopB := run(t, b)
		want := 1
		if c.afterDATA {
			want = 2
		}
		f.mails(to, want)                   // wait for them
		time.Sleep(1500 * time.Millisecond) // past the 1 s lease: nothing more comes
		ms := f.mails(to, want)
		if len(ms) != want {
			t.Fatalf("%s: Mailpit holds %d messages to %s, want %d", c.name, len(ms), to, want)
		}
		ids := map[string]bool{}
		for _, m := range ms {
			ids[f.headers(m.ID)["Message-Id"][0]] = true
		}
		if len(ids) != 1 {
			t.Errorf("%s: the copies have Message-IDs %v, want one", c.name, ids)
		}
		if got, wantU := b.Metrics.Uncertains(), int64(want-1); got != wantU {
			t.Errorf("%s: uncertain attempts %d, want %d", c.name, got, wantU)
		}
		var sent *nevents.MessageSent
		for _, e := range f.events(ndomain.NotificationCategory) {
			if s, ok := e.(*nevents.MessageSent); ok && s.GetRecipientKey() == notifications.RecipientKey(f.recKey, subject) {
				sent = s
			}
		}
		if sent == nil || sent.GetMessageId() == "" || sent.GetUncertainRepeat() != c.afterDATA {
			t.Errorf("%s: last MessageSent %v, want a Message-ID and uncertain_repeat=%v", c.name, sent, c.afterDATA)
		}
		if sent != nil && sent.GetMessageId() != notifications.MessageID(sent.GetMessageKey()) {
			t.Errorf("%s: MessageSent records Message-ID %q for key %s", c.name, sent.GetMessageId(), sent.GetMessageKey())
		}
		stopB()
		// The dead replica is stopped, then released: its late return
		// finds its claim taken over and records nothing.
		go func() { time.Sleep(100 * time.Millisecond); close(dead) }()
		stopA()
		f.smtp.calls.Store(0)
	}
}

// The planner snapshot: a restarted outbox reads the log from its
// snapshot, not from the first event, and loses nothing — the messages
// pending when it was taken (SMTP down) are delivered after the restart,
// each once, and an event after the restart that needs what the planner
// learnt before the snapshot (the agent of a petition drafted before it)
// reaches that agent.
func TestPlannerSnapshotRestartLosesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	snaps, err := notifications.SnapshotStore(ctx, f.js, "TASHARUK_OUTBOX_PLANNER", 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	streams := make([]string, n)
	for i := range n {
		subject := fmt.Sprintf("code-email-%d", i)
		f.dir.set(subject, notifications.Contact{Address: agentEmail(i), Channel: notifications.Email, Language: "en"})
		streams[i], _ = f.petition(subject, fmt.Sprintf("Petition %d", i))
		f.deposit(streams[i], fmt.Sprintf("R-%d", i))
	}
	head := f.position()
	f.smtp.isDown.Store(true)
	a := f.outbox(f.store, nil, nil)
	a.Snapshots, a.SnapshotEvery, a.MaxAttempts = snaps, 1, 1000
	stopA := run(t, a)
	waitFor(t, "a snapshot at the head", func() bool { return a.Snapshotted() == head })
	stopA()
	if got := f.total(); got != 0 {
		t.Fatalf("Mailpit holds %d messages with SMTP down", got)
	}
	f.smtp.isDown.Store(false)
	b := f.outbox(f.store, nil, nil) // a new planner, empty
	b.Snapshots = snaps
	run(t, b)
	waitFor(t, "every pending message", func() bool { return f.total() >= n })
	if got := b.PlannerStart(); got != head+1 {
		t.Fatalf("the restarted planner read the log from %d, want %d (the snapshot's position + 1)", got, head+1)
	}
	f.append(streams[0], &pevents.AdmissibilityDecided{Decision: pevents.Admissibility_ADMISSIBILITY_ADMISSIBLE, Reasons: "Recevable."})
	ms := f.mails(agentEmail(0), 2)
	time.Sleep(1500 * time.Millisecond) // past the lease: nothing more comes
	if got := f.total(); got != n+1 {
		t.Fatalf("Mailpit holds %d messages, want %d", got, n+1)
	}
	if len(ms) != 2 || !strings.Contains(ms[1].Text, "Recevable.") {
		t.Fatalf("the agent of a petition drafted before the snapshot: %v", subjects(ms))
	}
	for i := range n {
		if k := len(f.mail.Messages(t, agentEmail(i))); k != 1+map[bool]int{true: 1}[i == 0] {
			t.Fatalf("%s got %d messages", agentEmail(i), k)
		}
	}
}
