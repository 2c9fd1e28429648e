package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/access"
	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// TestNotificationsTwoReplicasKill9 (issue 20, acceptance 2, the cluster
// case) runs two replicas of the built binary against a real 3-node
// nats-server cluster, both sending the outbox (the shared
// TASHARUK_OUTBOX bucket, R3) to a real Mailpit, and kills one with
// SIGKILL while the batch of n follow confirmations is being sent, then
// starts it again:
//   - Mailpit (deduplicating by Message-ID, as a mailbox does) holds each
//     of the n messages exactly once, none missing, no other;
//   - every sender-side repeat (counted per Message-ID by an SMTP proxy
//     in front of Mailpit, which also holds each end of DATA's reply a
//     little, as a slow server does) is a message the outbox recorded as
//     uncertain: its MessageSent in the log says uncertain_repeat, its
//     record in the bucket counts the uncertain attempts, and the
//     replicas' uncertain-attempt metric covers them all;
//   - the log holds one MessageSent per message (a second only for an
//     uncertain repeat, flagged so);
//   - the bucket holds each message "sent", nothing claimed, failed or
//     dead, and both replicas agree: queue depth 0, no oldest pending,
//     the same (empty) dead-letter list.
func TestNotificationsTwoReplicasKill9(t *testing.T) {
	began := time.Now()
	bin := filepath.Join(t.TempDir(), "tasharuk")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	cluster := natstest.Start(t, 3)
	keys := t.TempDir()
	var out, errOut strings.Builder
	if err := runTerritory(context.Background(), []string{"import", sharedData(t, "bmk_communes_2024.csv"), "--nats-url", cluster.URLs(), "--replicas", "3"}, &out, &errOut); err != nil {
		t.Fatalf("import into the cluster: %v %s", err, errOut.String())
	}
	mp := signintest.StartMailpit(t, "--ignore-duplicate-ids")
	proxy := startSMTPCounterDelayed(t, mp.SMTPAddr, 40*time.Millisecond)

	ports := natstest.FreePorts(t, 2)
	reps := make([]*replica, 2)
	for i := range reps {
		r := &replica{name: fmt.Sprintf("tasharuk-%d", i+1), addr: fmt.Sprintf("127.0.0.1:%d", ports[i])}
		r.args = []string{"serve", "--addr", r.addr, "--nats-url", cluster.URLs(), "--keys-dir", keys, "--data-dir", t.TempDir(), "--log-level", "warn",
			"--smtp-url", "smtp://" + proxy.addr, "--smtp-from", "no-reply@zaouiat-cheikh.ma",
			// A claim of the killed replica lapses after 2 s; the planner
			// snapshots often, so the restart resumes from one taken
			// mid-batch.
			"--notify-lease", "2s", "--notify-snapshot-every", "100"}
		r.logs, _ = os.Create(filepath.Join(t.TempDir(), r.name+".log"))
		reps[i] = r
	}
	logTails := func() string {
		var b strings.Builder
		for _, r := range reps {
			data, _ := os.ReadFile(r.logs.Name())
			fmt.Fprintf(&b, "\n--- end of %s's log ---\n%s", r.name, data[max(0, len(data)-3000):])
		}
		return b.String()
	}
	for _, r := range reps {
		r.start(t, bin)
		t.Cleanup(r.kill)
	}
	for _, r := range reps {
		waitFor(t, 60*time.Second, r.name+" to know the council communes/50910113", func() (bool, string) {
			resp, err := httpClient.Get("http://" + r.addr + "/v1/communes/50910113")
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status
		})
	}
	setup := time.Since(began)

	// n follows, posted from 16 clients to both replicas in turn. Once a
	// quarter of the batch is accepted by the server, the posting moves
	// to tasharuk-2 alone, the posts in flight to tasharuk-1 finish, and
	// tasharuk-1 is killed: no follow is left half-posted, and the kill
	// comes with messages being sent by both.
	const n = 400
	email := func(i int) string { return fmt.Sprintf("c%d@example.ma", i) }
	var (
		toFirst   sync.RWMutex // held for reading by a post to tasharuk-1
		firstDown atomic.Bool
		wg        sync.WaitGroup
	)
	errs := make(chan error, n)
	poster := &http.Client{Timeout: 30 * time.Second} // a loaded machine
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				b, _ := json.Marshal(map[string]string{"target": "communes/50910113", "email": email(i), "language": "fr"})
				toFirst.RLock()
				r := reps[i%2]
				if firstDown.Load() {
					r = reps[1]
				}
				resp, err := poster.Post("http://"+r.addr+"/v1/follows", "application/json", bytes.NewReader(b))
				toFirst.RUnlock()
				if err != nil {
					errs <- fmt.Errorf("follow %d on %s: %v", i, r.name, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("follow %d on %s: %s", i, r.name, resp.Status)
				}
			}
		}()
	}
	waitFor(t, 60*time.Second, "a quarter of the batch accepted by the SMTP server before the kill", func() (bool, string) {
		a, _ := proxy.counts()
		return a >= n/4, fmt.Sprintf("%d accepted", a)
	})
	toFirst.Lock()
	firstDown.Store(true)
	reps[0].kill() // SIGKILL
	toFirst.Unlock()
	atKill, _ := proxy.counts()
	wg.Wait()
	posted := time.Now()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if atKill >= n {
		t.Fatalf("the SMTP server had accepted %d of %d messages when tasharuk-1 was killed: want the kill mid-batch", atKill, n)
	}
	reps[0].start(t, bin)

	// Both replicas settle everything: every message sent (a claim of the
	// killed replica taken over once its lease lapsed), none pending.
	depth := func(r *replica) float64 {
		return metricValue(t, "http://"+r.addr+"/metrics", "tasharuk_notifications_queue_depth")
	}
	waitFor(t, 90*time.Second, "both replicas to settle the batch (queue depth 0)", func() (bool, string) {
		d0, d1 := depth(reps[0]), depth(reps[1])
		a, _ := proxy.counts()
		return d0 == 0 && d1 == 0 && a >= n, fmt.Sprintf("queue depths %v and %v, %d accepted by the SMTP server", d0, d1, a)
	}, logTails)
	drained := time.Since(posted)

	// The receiver: each message exactly once, none other.
	held := mailpitMessages(t, mp.APIURL)
	perAddr := map[string]int{}
	perID := map[string]int{}
	for _, m := range held {
		for _, a := range m.To {
			perAddr[strings.ToLower(a.Address)]++
		}
		perID[bareID(m.MessageID)]++
	}
	var missing, repeated []string
	for i := range n {
		switch k := perAddr[email(i)]; {
		case k == 0:
			missing = append(missing, email(i))
		case k > 1:
			repeated = append(repeated, fmt.Sprintf("%s×%d", email(i), k))
		}
		delete(perAddr, email(i))
	}
	if len(held) != n || len(missing) != 0 || len(repeated) != 0 || len(perAddr) != 0 {
		t.Errorf("Mailpit holds %d messages: want each of the %d exactly once; missing %v, repeated %v, unexpected recipients %v", len(held), n, missing, repeated, perAddr)
	}
	if len(perID) != n {
		t.Errorf("Mailpit holds %d distinct Message-IDs, want %d (one per message)", len(perID), n)
	}

	// The outbox's own record: the bucket's state of each message and
	// the log's MessageSent.
	records := outboxRecords(t, cluster.URLs())
	states := map[string]int{}
	uncertainByID := map[string]int{}
	bucketUncertain := 0
	for _, r := range records {
		states[r.State]++
		bucketUncertain += r.Uncertain
		if r.MessageID != "" {
			uncertainByID[bareID(r.MessageID)] = r.Uncertain
		}
	}
	if states["sent"] != n || len(records) != n {
		t.Errorf("the outbox bucket holds %d message records by state %v: want %d, all sent", len(records), states, n)
	}
	sentEvents := map[string][]*nevents.MessageSent{} // by Message-ID
	loggedUncertain := 0
	reg := newRegistry()
	for _, e := range readClusterLog(t, cluster.URLs()) {
		if e.Type != "notifications.MessageSent" {
			continue
		}
		p, err := reg.DecodeEvent(&e)
		if err != nil {
			t.Fatalf("decode MessageSent at %d: %v", e.Position, err)
		}
		ms := p.(*nevents.MessageSent)
		id := bareID(ms.GetMessageId())
		sentEvents[id] = append(sentEvents[id], ms)
		if ms.GetUncertainRepeat() {
			loggedUncertain++
		}
	}
	// One MessageSent per message, and one more only for a message the
	// server accepted again (a replica died between its record and the
	// bucket's "sent"), flagged uncertain_repeat.
	accepted, senderRepeats := proxy.counts()
	byID := proxy.byMessageID()
	var noEvent, extra []string
	for id := range perID {
		ev := sentEvents[id]
		if len(ev) == 0 {
			noEvent = append(noEvent, id)
			continue
		}
		if k := byID["<"+id+">"]; len(ev) > 1 && (len(ev) > k || !ev[len(ev)-1].GetUncertainRepeat()) {
			extra = append(extra, fmt.Sprintf("%s: %d MessageSent (last uncertain_repeat=%v), accepted %d times", id, len(ev), ev[len(ev)-1].GetUncertainRepeat(), k))
		}
	}
	if len(noEvent) != 0 || len(extra) != 0 || len(sentEvents) != n {
		sort.Strings(noEvent)
		t.Errorf("the log holds MessageSent for %d Message-IDs: want one for each of the %d messages, a second only for a repeat flagged uncertain; none for %v; unexplained extra %v", len(sentEvents), n, noEvent, extra)
	}

	// Every repeat the sender made is one the outbox counted uncertain.
	var uncounted []string
	for id, k := range byID {
		id = bareID(id)
		if k < 2 {
			continue
		}
		ev := sentEvents[id]
		if len(ev) == 0 || !ev[len(ev)-1].GetUncertainRepeat() || uncertainByID[id] < k-1 {
			uncounted = append(uncounted, fmt.Sprintf("%s sent %d times, bucket counts %d uncertain attempts, MessageSent %v", id, k, uncertainByID[id], ev))
		}
	}
	if len(uncounted) != 0 {
		t.Errorf("sender-side repeats the outbox did not count as uncertain:\n%s", strings.Join(uncounted, "\n"))
	}
	if accepted != n+senderRepeats {
		t.Errorf("the proxy counted %d accepted transactions, want %d (%d messages + %d repeats)", accepted, n+senderRepeats, n, senderRepeats)
	}
	metricUncertain := 0.0
	for _, r := range reps {
		metricUncertain += metricValue(t, "http://"+r.addr+"/metrics", "tasharuk_notifications_uncertain_attempts_total")
	}
	if float64(senderRepeats) > metricUncertain {
		t.Errorf("the sender repeated %d messages, the live replicas' tasharuk_notifications_uncertain_attempts_total add up to %v: a repeat outside the named window", senderRepeats, metricUncertain)
	}

	// Both replicas agree on the outbox: nothing pending, no dead letter.
	key, err := access.LoadKey(keys)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := access.NewIssuer(key, access.DefaultIssuer).Issue(access.Principal{Subject: "admin-cluster", Role: access.RoleAdmin}, time.Hour, time.Now())
	var views []string
	for _, r := range reps {
		dead := deadLetters(t, "http://"+r.addr, admin)
		oldest := metricValue(t, "http://"+r.addr+"/metrics", "tasharuk_notifications_oldest_pending_seconds")
		views = append(views, fmt.Sprintf("queue depth %v, oldest pending %vs, dead letters %v", depth(r), oldest, dead))
	}
	if want := "queue depth 0, oldest pending 0s, dead letters []"; views[0] != want || views[1] != want {
		t.Errorf("the replicas' view of the outbox: tasharuk-1 %q, tasharuk-2 %q; want both %q", views[0], views[1], want)
	}
	plannerStart := metricValue(t, "http://"+reps[0].addr+"/metrics", "tasharuk_notifications_planner_start_position")
	t.Logf("setup %v; kill -9 of tasharuk-1 after %d of %d accepted; restarted planner from log position %v; drained %v after the last follow; Mailpit holds %d; sender side: %d accepted, %d repeats; uncertain: %d MessageSent flagged, %d in the bucket's records, %v by the live replicas' metric; total %v",
		setup.Round(time.Millisecond), atKill, n, plannerStart, drained.Round(time.Millisecond), len(held), accepted, senderRepeats, loggedUncertain, bucketUncertain, metricUncertain, time.Since(began).Round(time.Millisecond))
}

// bareID is a Message-ID without its angle brackets (Mailpit lists it so).
func bareID(id string) string { return strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">") }

// waitFor polls cond every 100 ms until it holds or d passes; the failure
// says what was awaited and what cond saw last.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string), more ...func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			for _, m := range more {
				seen += m()
			}
			t.Fatalf("waited %v for %s; last seen: %s", d, what, seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type mailpitSummary struct {
	MessageID string
	To        []struct{ Address string }
}

// mailpitMessages lists every message Mailpit holds.
func mailpitMessages(t *testing.T, api string) []mailpitSummary {
	t.Helper()
	resp, err := httpClient.Get(api + "/api/v1/messages?limit=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Total    int
		Messages []mailpitSummary
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if v.Total != len(v.Messages) {
		t.Fatalf("Mailpit listed %d of its %d messages", len(v.Messages), v.Total)
	}
	return v.Messages
}

// outboxRecord is the part of a record in TASHARUK_OUTBOX the test reads
// (services/notifications.record).
type outboxRecord struct {
	State     string `json:"state"`
	MessageID string `json:"message_id"`
	Uncertain int    `json:"uncertain"`
}

// outboxRecords reads every message record ("m.<key>") of the outbox
// bucket.
func outboxRecords(t *testing.T, urls string) []outboxRecord {
	t.Helper()
	nc, err := nats.Connect(urls)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, "TASHARUK_OUTBOX")
	if err != nil {
		t.Fatal(err)
	}
	lister, err := kv.ListKeysFiltered(ctx, "m.>")
	if err != nil {
		t.Fatal(err)
	}
	var out []outboxRecord
	for k := range lister.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatalf("outbox %s: %v", k, err)
		}
		var r outboxRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			t.Fatalf("outbox %s: %v", k, err)
		}
		out = append(out, r)
	}
	return out
}

// readClusterLog returns every event of the cluster's log.
func readClusterLog(t *testing.T, urls string) []eventstore.Event {
	t.Helper()
	return readStore(t, storeConfig{NATSURL: urls, Stream: "TASHARUK_LOG"})
}

// deadLetters lists a replica's dead letters by key (GET /v1/deadLetters).
func deadLetters(t *testing.T, base, token string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/deadLetters", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/v1/deadLetters: %s", base, resp.Status)
	}
	var v struct{ DeadLetters []struct{ Name string } }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, d := range v.DeadLetters {
		out = append(out, d.Name)
	}
	return out
}
