package notifications_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pevents "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/privacy"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	iddomain "github.com/tasharuk/tasharuk/services/identity/domain"
	idomain "github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/notifications"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/web/signin"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

const council = "communes/50910113"

var staff = eventstore.Actor{Subject: "staff-1", Role: "staff", Council: council}

func registry() *es.Registry {
	return es.NewRegistry(pdomain.EventTypes, cdomain.EventTypes, idomain.EventTypes, iddomain.EventTypes, ndomain.EventTypes)
}

// directory stands for the identity context's contact read model (issue
// 16, not on main yet): subject → contact, erasable.
type directory struct {
	mu   sync.Mutex
	m    map[string]notifications.Contact
	gone map[string]bool
}

func (d *directory) Contact(subject string) (notifications.Contact, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.m[subject]
	return c, ok
}

func (d *directory) set(subject string, c notifications.Contact) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]notifications.Contact{}
	}
	d.m[subject] = c
}

func (d *directory) erase(subject string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, subject)
	if d.gone == nil {
		d.gone = map[string]bool{}
	}
	d.gone[subject] = true
}

func (d *directory) Erased(subject string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gone[subject]
}

// switchable is an SMTP sender the test can point at a closed port (SMTP
// down) and back.
type switchable struct {
	up, down *signin.SMTP
	isDown   atomic.Bool
	calls    atomic.Int64
	hook     atomic.Pointer[func(ctx context.Context, up *signin.SMTP, to string, msg []byte, commit func() error) error]
}

func (s *switchable) SendRaw(ctx context.Context, to string, msg []byte) error {
	return s.SendRawCommit(ctx, to, msg, nil)
}

// SendRawCommit makes the fixture's sender a CommitMailSender, as the
// binary's is, unless hook is set: then the test steps in around the end
// of DATA (a replica dying there).
func (s *switchable) SendRawCommit(ctx context.Context, to string, msg []byte, commit func() error) error {
	s.calls.Add(1)
	if s.isDown.Load() {
		return s.down.SendRawCommit(ctx, to, msg, commit)
	}
	if h := s.hook.Load(); h != nil {
		return (*h)(ctx, s.up, to, msg, commit)
	}
	return s.up.SendRawCommit(ctx, to, msg, commit)
}

type fixture struct {
	t      *testing.T
	store  *natsstore.Store
	reg    *es.Registry
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	mail   *signintest.Mailpit
	smtp   *switchable
	dir    *directory
	links  *notifications.Links
	keys   *privacy.KeyStore
	recKey []byte
	toldMu sync.Mutex
	told   []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newFixtureOn(t, store, 1)
}

func newFixtureOn(t *testing.T, store *natsstore.Store, replicas int) *fixture {
	t.Helper()
	ctx := context.Background()
	nc, err := store.Connect("notifications-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := notifications.Bucket(ctx, js, "TASHARUK_OUTBOX", replicas)
	if err != nil {
		t.Fatal(err)
	}
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	pk, err := privacy.NewKeys(master)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.OpenKeyStore(ctx, nc, js, "TASHARUK_PERSON_KEYS", replicas, pk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	mp := signintest.StartMailpit(t)
	closed := freeAddr(t)
	f := &fixture{t: t, store: store, reg: registry(), js: js, kv: kv, mail: mp, dir: &directory{}, keys: keys,
		smtp:   &switchable{up: &signin.SMTP{URL: "smtp://" + mp.SMTPAddr, From: "tasharuk <no-reply@commune.ma>"}, down: &signin.SMTP{URL: "smtp://" + closed, From: "x@y.ma", Timeout: time.Second}},
		links:  &notifications.Links{Base: "https://tasharuk.example.ma", Key: []byte("link-key-0123456789abcdef0123456")},
		recKey: []byte("recipient-key-0123456789abcdef01")}
	return f
}

// outbox returns a fresh replica on the fixture's log.
func (f *fixture) outbox(store eventstore.Store, follows *notifications.Follows, planner *notifications.Planner) *notifications.Outbox {
	o := &notifications.Outbox{KV: f.kv, Store: store, Registry: f.reg, Planner: planner, Contacts: f.dir, Mail: f.smtp, From: "tasharuk <no-reply@commune.ma>",
		Links: f.links, RecipientKey: f.recKey, Lease: time.Second, Backoff: func(int) time.Duration { return 200 * time.Millisecond },
		Told: func(_ context.Context, m notifications.Message, ch notifications.Channel, _ time.Time) error {
			f.toldMu.Lock()
			defer f.toldMu.Unlock()
			f.told = append(f.told, m.Kind+"/"+string(ch))
			return nil
		}}
	if follows != nil {
		o.Followers = follows
	}
	return o
}

// run starts o until the returned stop is called; stop waits for Run.
func run(t *testing.T, o *notifications.Outbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("outbox Run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("outbox did not stop within 20 s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func (f *fixture) append(stream string, payload proto.Message) eventstore.Event {
	f.t.Helper()
	p, err := f.reg.Propose(payload, es.Meta{ID: uuid.Must(uuid.NewV7()).String(), Actor: staff})
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.store.Append(context.Background(), stream, eventstore.Any, []eventstore.Proposed{p})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Events[0]
}

// petition drafts a petition of agent and deposits it; it returns its
// stream and resource name.
func (f *fixture) petition(agent, title string) (stream, name string) {
	f.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	stream = pdomain.PetitionStream("50910113", id)
	f.append(stream, &pevents.PetitionDrafted{PetitionId: id, Council: council, Title: title, Request: "r", Reasons: "r", Agent: agent})
	return stream, council + "/petitions/" + id
}

func (f *fixture) deposit(stream, receipt string) {
	f.t.Helper()
	received := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.append(stream, &pevents.PetitionDeposited{ReceiptNumber: receipt, ReceivedAt: timestamppb.New(received),
		DecisionDeadline: timestamppb.New(received.AddDate(0, 3, 0)), ValidSignatures: 412})
}

// mails waits until Mailpit holds want messages to `to` (or 15 s) and
// returns them oldest first.
func (f *fixture) mails(to string, want int) []signintest.Mail {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms := f.mail.Messages(f.t, to)
		if len(ms) >= want || time.Now().After(deadline) {
			slices.Reverse(ms)
			return ms
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// total is the number of messages Mailpit holds.
func (f *fixture) total() int {
	f.t.Helper()
	var info struct{ Total int }
	f.getJSON("/api/v1/messages?limit=1", &info)
	return info.Total
}

func (f *fixture) getJSON(path string, v any) {
	f.t.Helper()
	resp, err := http.Get(f.mail.APIURL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		f.t.Fatal(err)
	}
}

// headers returns a Mailpit message's headers.
func (f *fixture) headers(id string) map[string][]string {
	f.t.Helper()
	h := map[string][]string{}
	f.getJSON("/api/v1/message/"+id+"/headers", &h)
	return h
}

// events returns the log's events of a category, decoded.
func (f *fixture) events(category string) []proto.Message {
	f.t.Helper()
	evs, err := f.store.ReadAll(context.Background(), 1, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []proto.Message
	for i := range evs {
		if ndomain.Category(evs[i].Stream) != category {
			continue
		}
		m, err := f.reg.DecodeEvent(&evs[i])
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func (f *fixture) logBytes() []byte {
	f.t.Helper()
	evs, err := f.store.ReadAll(context.Background(), 1, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	var b []byte
	for _, e := range evs {
		b = append(b, e.Payload...)
		b = append(b, e.Stream...)
		b = append(b, e.Actor.Subject...)
	}
	return b
}

func (f *fixture) position() uint64 {
	f.t.Helper()
	p, err := f.store.LastPosition(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := (&netListen{}).listen()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func agentEmail(n int) string { return fmt.Sprintf("agent%d@example.ma", n) }

type netListen struct{}

func (netListen) listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func (f *fixture) appendAs(actor eventstore.Actor, stream string, payload proto.Message) {
	f.t.Helper()
	p, err := f.reg.Propose(payload, es.Meta{ID: uuid.Must(uuid.NewV7()).String(), Actor: actor})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.Append(context.Background(), stream, eventstore.Any, []eventstore.Proposed{p}); err != nil {
		f.t.Fatal(err)
	}
}
