package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
)

// MailSender hands one built RFC 5322 message to an SMTP server
// (web/signin.SMTP).
type MailSender interface {
	SendRaw(ctx context.Context, to string, msg []byte) error
}

// CommitMailSender is a MailSender that runs commit once the message is
// written and before the end of DATA, the point past which the SMTP
// server may have taken the message (web/signin.SMTP.SendRawCommit). An
// error from commit aborts the transaction: the server drops the
// message. With it the outbox's "sending" mark is written at the last
// moment, and only the server's answer to the end of DATA can be
// uncertain; with a plain MailSender "sending" is marked before the
// connection opens.
type CommitMailSender interface {
	MailSender
	SendRawCommit(ctx context.Context, to string, msg []byte, commit func() error) error
}

// SMSSender posts one text to an SMS gateway (web/signin.SMSGateway).
type SMSSender interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Told records, once an agent's message about a decision or an outcome is
// sent, that the agent was told (the petition's NotifyAgent): wired by
// the binary to the petitions context, which this package does not
// import.
type Told func(ctx context.Context, m Message, ch Channel, at time.Time) error

// Record states in the outbox bucket.
const (
	stateClaimed = "claimed" // a replica is sending it until Until; not past the point of no return
	stateSending = "sending" // past it: the end of DATA is being sent; if the claim lapses, the outcome is uncertain
	stateFailed  = "failed"  // waiting for its next attempt at NextAt
	stateSent    = "sent"
	stateDead    = "dead"    // every attempt failed; an admin may resend
	stateDropped = "dropped" // erased, no contact, unsubscribed
)

// record is one message's delivery state: the value of key "m.<key>" in
// the bucket. It holds the message as planned (facts of the log, no
// address), so a resend needs nothing else.
type record struct {
	State     string    `json:"state"`
	Owner     string    `json:"owner,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Channel   Channel   `json:"channel"`
	At        time.Time `json:"at,omitzero"`
	// MessageID is the email's RFC 5322 Message-ID (MessageID(key)), the
	// same on every attempt; First is the first attempt's time, the
	// email's Date, so every attempt sends the same bytes.
	MessageID string    `json:"message_id,omitempty"`
	First     time.Time `json:"first,omitzero"`
	// Uncertain counts the attempts whose outcome is unknown: the replica
	// died in state "sending", or the connection broke after the end of
	// DATA. A later attempt may then repeat a message the receiver has;
	// it carries the same Message-ID, so a receiver that keeps ids drops
	// the repeat.
	Uncertain int     `json:"uncertain,omitempty"`
	Message   Message `json:"message"`
}

// Outbox delivers the planned messages at least once and, by a claim in a
// JetStream key-value bucket, at most once per (event id, recipient,
// channel) — across restarts and replicas — except for the one window
// below, where a repeat carries the same Message-ID.
//
// Why a KV claim: the key "m.<key>" is created with create-only semantics
// (the bucket's stream refuses a second first write), so of two replicas
// planning the same message exactly one sends it; the key never expires,
// so the deduplication window is the bucket's whole life, not the two
// minutes of a stream's Nats-Msg-Id window.
//
// The delivery guarantee. SMTP has no idempotency of its own and no way
// to ask a server afterwards whether it took a message, so no sender
// alone can be exactly once (a sender that dies between the server's 250
// and its own record cannot know which happened). The outbox makes the
// uncertain moment as short as it can and names it:
//   - the claim ("claimed") covers connecting, MAIL, RCPT, DATA and the
//     whole message; a replica that dies there never sent the end of DATA,
//     the server dropped the transaction (RFC 5321 §4.1.1.4), and the next
//     attempt is not a repeat;
//   - just before the end of DATA the claim becomes "sending" (a
//     compare-and-set on the claim's revision: a replica whose claim was
//     taken over aborts there, without the end of DATA);
//   - right after the server's 250 it becomes "sent".
//
// Only a replica that dies (or loses its connection) between "sending"
// and "sent" — the end of DATA, the server's answer, the MessageSent
// append and one KV update —
// leaves an uncertain message; the next attempt sends it again with the
// same Message-ID and the same bytes, counts it in
// tasharuk_notifications_uncertain_attempts_total and records
// uncertain_repeat on its MessageSent. A receiver that deduplicates by
// Message-ID (RFC 5322 §3.6.4; Mailpit's --ignore-duplicate-ids, which
// the kill -9 test runs) then holds every message exactly once; one that
// does not may show that one message twice.
//
// An SMS has no Message-ID: "sending" is marked before the gateway's
// request, a takeover from it is counted as uncertain, and a repeat there
// reaches the phone twice.
//
// The durable position is the key "position": every event up to it has
// all its messages settled (sent, dead or dropped). A restart replays the
// log to rebuild the planner and queues only the messages of later events.
type Outbox struct {
	KV       jetstream.KeyValue
	Store    eventstore.Store
	Registry *es.Registry
	Planner  *Planner
	Contacts Contacts
	// Followers opens a follower's contact ("follow:<id>" recipients).
	Followers Contacts
	Mail      MailSender
	From      string
	SMS       SMSSender
	Links     *Links
	// RecipientKey keys the recipient hashes of the outbox's events.
	RecipientKey []byte
	// Owner names this replica in its claims (random when empty).
	Owner       string
	MaxAttempts int // default 5
	Backoff     func(attempt int) time.Duration
	Lease       time.Duration // default 2 min
	Workers     int           // default 8
	Now         func() time.Time
	Logger      *slog.Logger
	Told        Told
	Metrics     *Metrics
	// Staff lists the subjects of a council's staff (identity's grants),
	// who get the daily digest; nil sends none.
	Staff func(council string) []string
	// Secretaries lists the subjects of an advisory body's secretaries
	// (body resource name); nil sends them nothing.
	Secretaries func(body string) []string
	// Snapshots, if set, keeps the planner's state every SnapshotEvery
	// events (default 10,000), so a restart reads the log from there
	// (snapshot.go).
	Snapshots     jetstream.ObjectStore
	SnapshotEvery int
	// DigestSoon is how near a deadline must be to be listed as due soon
	// (default 14 days); DigestEvery how often the day is checked
	// (default 10 minutes).
	DigestSoon, DigestEvery time.Duration

	mu       sync.Mutex
	queue    []queued
	wake     chan struct{}
	pending  map[uint64]int // outstanding messages by event position
	inflight map[string]int // messages being sent, by recipient
	planned  uint64         // last event planned
	saved    uint64
	active   map[uint64]Message // messages being sent, by a sequence number
	activeN  uint64
	snapped  uint64 // position of the last snapshot saved
	// plannerStart is where the planner began reading the log.
	plannerStart uint64
}

type queued struct {
	m   Message
	due time.Time
	id  uint64 // its entry in active while it is being sent
}

// ErrNotDeadLetter is Resend's answer for a key that is not a dead letter.
var ErrNotDeadLetter = errors.New("notifications: no such dead letter")

// DeadLetter is a message every attempt of which failed.
type DeadLetter struct {
	Key       string
	Kind      string
	Council   string
	Petition  string
	Channel   Channel
	Attempts  int
	LastError string
	At        time.Time
	EventID   string
}

// Bucket opens (or creates) the outbox's key-value bucket.
func Bucket(ctx context.Context, js jetstream.JetStream, name string, replicas int) (jetstream.KeyValue, error) {
	if replicas < 1 {
		replicas = 1
	}
	return js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: name, Description: "tasharuk notifications outbox: delivery state per (event, recipient, channel)",
		Storage: jetstream.FileStorage, Replicas: replicas, History: 1,
	})
}

func (o *Outbox) init() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration {
			d := 2 * time.Second << min(n, 10)
			return min(d, 10*time.Minute)
		}
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Owner == "" {
		o.Owner = randomHex(8)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.Planner == nil {
		o.Planner = NewPlanner()
	}
	o.wake = make(chan struct{}, 1)
	o.pending = map[uint64]int{}
	o.inflight = map[string]int{}
	o.active = map[uint64]Message{}
	if o.SnapshotEvery <= 0 {
		o.SnapshotEvery = 10000
	}
	o.Metrics.outbox = o
}

// Run follows the log and delivers until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	from, err := o.position(ctx)
	if err != nil {
		return err
	}
	o.saved = from
	start := uint64(1)
	if o.Snapshots != nil {
		pos, pending, err := o.loadSnapshot(ctx)
		if err != nil {
			return err
		}
		if pos > 0 {
			start = pos + 1
			o.mu.Lock()
			o.planned, o.snapped = pos, pos
			for _, m := range pending {
				o.pending[m.Position]++
				o.queue = append(o.queue, queued{m: m, due: o.Now()})
			}
			o.mu.Unlock()
			o.Logger.Info("notifications planner restored from its snapshot", "position", pos, "pending", len(pending))
		}
	}
	o.mu.Lock()
	o.plannerStart = start
	o.mu.Unlock()
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() { defer wg.Done(); o.work(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); o.keepPosition(ctx) }()
	if o.Staff != nil {
		wg.Add(1)
		go func() { defer wg.Done(); o.digests(ctx) }()
	}
	err = o.Store.Subscribe(ctx, start, func(e eventstore.Event) error {
		payload, err := o.Registry.DecodeEvent(&e)
		if err != nil {
			return nil // not ours to read (another version's type)
		}
		msgs := o.expand(o.Planner.Plan(&e, payload))
		o.mu.Lock()
		o.planned = e.Position
		if e.Position > from {
			for _, m := range msgs {
				o.pending[m.Position]++
				o.queue = append(o.queue, queued{m: m, due: o.Now()})
			}
		}
		o.mu.Unlock()
		if len(msgs) > 0 {
			o.signal()
		}
		return nil
	})
	wg.Wait()
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// next takes the earliest due message, or says how long to wait. One
// recipient's messages go one at a time and in log order (a decision never
// overtakes the receipt), so a message waits while an earlier one to the
// same recipient is queued or being sent.
func (o *Outbox) next() (queued, time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	first := map[string]uint64{}
	for _, q := range o.queue {
		if p, ok := first[q.m.Recipient]; !ok || q.m.Position < p {
			first[q.m.Recipient] = q.m.Position
		}
	}
	now := o.Now()
	best, wait := -1, time.Second
	for i, q := range o.queue {
		if o.inflight[q.m.Recipient] > 0 || q.m.Position != first[q.m.Recipient] {
			continue
		}
		if d := q.due.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		if best < 0 || q.m.Position < o.queue[best].m.Position {
			best = i
		}
	}
	if best < 0 {
		return queued{}, wait, false
	}
	q := o.queue[best]
	o.queue = append(o.queue[:best], o.queue[best+1:]...)
	o.inflight[q.m.Recipient]++
	o.activeN++
	q.id = o.activeN
	o.active[q.id] = q.m
	return q, 0, true
}

func (o *Outbox) work(ctx context.Context) {
	for ctx.Err() == nil {
		q, wait, ok := o.next()
		if !ok {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-o.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		retry, err := o.deliver(ctx, q.m)
		if err != nil && ctx.Err() == nil {
			o.Logger.Warn("notification delivery step failed", "kind", q.m.Kind, "event", q.m.EventID, "err", err)
			retry = o.Now().Add(time.Second)
		}
		o.mu.Lock()
		o.inflight[q.m.Recipient]--
		delete(o.active, q.id)
		if !retry.IsZero() && ctx.Err() == nil {
			o.queue = append(o.queue, queued{m: q.m, due: retry})
		} else if ctx.Err() == nil {
			o.pending[q.m.Position]--
			if o.pending[q.m.Position] <= 0 {
				delete(o.pending, q.m.Position)
			}
		}
		o.mu.Unlock()
		if !retry.IsZero() {
			o.signal()
		}
	}
}

// resolve returns how to reach a message's recipient.
func (o *Outbox) resolve(m Message) (Contact, bool) {
	if id, ok := cutFollow(m.Recipient); ok {
		if o.Followers == nil {
			return Contact{}, false
		}
		return o.Followers.Contact("follow:" + id)
	}
	if o.Contacts == nil {
		return Contact{}, false
	}
	return o.Contacts.Contact(m.Recipient)
}

// deliver takes one message as far as it goes now. A non-zero retry time
// means "look again then" (a failed attempt's backoff, or another
// replica's live claim).
func (o *Outbox) deliver(ctx context.Context, m Message) (retry time.Time, err error) {
	if o.Contacts == nil && !isFollow(m.Recipient) {
		// No contact directory wired: the message waits (and the durable
		// position with it) rather than being dropped for want of one.
		return o.Now().Add(time.Minute), nil
	}
	c, ok := o.resolve(m)
	if !ok {
		return time.Time{}, o.drop(ctx, m, o.whyNoContact(m))
	}
	if m.Language != "" {
		c.Language = m.Language
	}
	key := m.Key(c.Channel)
	rec, rev, err := o.get(ctx, key)
	if err != nil {
		return time.Time{}, err
	}
	now := o.Now()
	claim := record{State: stateClaimed, Owner: o.Owner, Until: now.Add(o.Lease), Channel: c.Channel, Message: m}
	switch {
	case rec == nil:
		rev, err = o.KV.Create(ctx, "m."+key, mustJSON(claim))
		if errors.Is(err, jetstream.ErrKeyExists) {
			return now, nil // another replica got there first: look again
		}
	case rec.State == stateSent || rec.State == stateDead || rec.State == stateDropped:
		return time.Time{}, nil
	case (rec.State == stateClaimed || rec.State == stateSending) && rec.Until.After(now):
		return rec.Until, nil
	case rec.State == stateFailed && rec.NextAt.After(now):
		return rec.NextAt, nil
	default: // a lapsed claim, or a failure due for another attempt
		claim.Attempts, claim.First, claim.Uncertain = rec.Attempts, rec.First, rec.Uncertain
		if rec.State == stateSending {
			// The replica that held it died past the point of no return:
			// the server may have the message. It goes again, the same.
			claim.Uncertain++
		}
		rev, err = o.KV.Update(ctx, "m."+key, mustJSON(claim), rev)
		if isConflict(err) {
			return now, nil
		}
		if err == nil && rec.State == stateSending {
			// Counted once the takeover is this replica's: of two
			// replicas racing for the lapsed claim only the winner counts.
			o.Metrics.uncertain()
			o.Logger.Warn("notification taken over after an uncertain attempt: it may reach the receiver twice (same Message-ID)", "kind", m.Kind, "event", m.EventID, "key", key)
		}
	}
	if err != nil {
		return time.Time{}, err
	}
	// From here this replica holds the claim. The steps after the send
	// run to their end even if ctx ends: a message handed to SMTP must be
	// marked, or it goes again.
	done := context.WithoutCancel(ctx)
	if claim.First.IsZero() {
		claim.First = now
	}
	if c.Channel == Email {
		claim.MessageID = MessageID(key)
	}
	committed, lost := false, false
	commit := func() error {
		s := claim
		s.State, s.Until = stateSending, o.Now().Add(o.Lease)
		r, err := o.KV.Update(done, "m."+key, mustJSON(s), rev)
		if err != nil {
			lost = isConflict(err)
			return fmt.Errorf("mark sending: %w", err)
		}
		rev, committed = r, true
		return nil
	}
	sendErr := o.send(ctx, m, c, key, claim.First, commit)
	if lost {
		// Another replica took the lapsed claim over before the end of
		// DATA: this attempt was aborted and is not ours to record.
		return now, nil
	}
	claim.Attempts++
	at := o.Now()
	if sendErr != nil && committed && c.Channel == Email && !isSMTPReply(sendErr) {
		// Past the end of DATA without the server's answer (a broken
		// connection, a timeout): the server may have the message.
		claim.Uncertain++
		o.Metrics.uncertain()
	}
	if sendErr == nil {
		// The log's record of the sending (MessageSent, and NotifyAgent
		// for a decision) comes before the bucket's "sent": a replica that
		// dies in between leaves the claim in "sending", the message goes
		// again as an uncertain repeat and is recorded again, flagged
		// uncertain_repeat. The other order would lose the record for
		// good, and the auditor would not see that the agent was told.
		o.Metrics.sent(c.Channel) // the server took it
		o.append(done, key, &nevents.MessageSent{MessageKey: key, EventId: m.EventID, Kind: m.Kind, RecipientKey: RecipientKey(o.RecipientKey, m.Recipient),
			Channel: string(c.Channel), Attempts: int32(claim.Attempts), Petition: m.Petition, MessageId: claim.MessageID, UncertainRepeat: claim.Uncertain > 0})
		if o.Told != nil && !isFollow(m.Recipient) {
			if err := o.Told(done, m, c.Channel, at); err != nil {
				o.Logger.Warn("recording that the agent was told failed", "kind", m.Kind, "event", m.EventID, "err", err)
			}
		}
		claim.State, claim.At, claim.Owner, claim.Until = stateSent, at, "", time.Time{}
		if _, err := o.KV.Update(done, "m."+key, mustJSON(claim), rev); err != nil {
			return time.Time{}, fmt.Errorf("mark sent: %w", err)
		}
		return time.Time{}, nil
	}
	o.Metrics.failed(c.Channel)
	claim.LastError, claim.Owner, claim.Until = sendErr.Error(), "", time.Time{}
	if claim.Attempts >= o.MaxAttempts {
		claim.State, claim.At = stateDead, at
		if _, err := o.KV.Update(done, "m."+key, mustJSON(claim), rev); err != nil {
			return time.Time{}, fmt.Errorf("mark dead: %w", err)
		}
		_, _ = o.KV.Put(done, "d."+key, []byte(key))
		o.Logger.Warn("notification dead-lettered", "kind", m.Kind, "event", m.EventID, "channel", c.Channel, "attempts", claim.Attempts, "err", sendErr)
		o.append(done, key, &nevents.MessageDeadLettered{MessageKey: key, EventId: m.EventID, Kind: m.Kind, RecipientKey: RecipientKey(o.RecipientKey, m.Recipient),
			Channel: string(c.Channel), Attempts: int32(claim.Attempts), Error: sendErr.Error()})
		return time.Time{}, nil
	}
	claim.State, claim.NextAt = stateFailed, at.Add(o.Backoff(claim.Attempts))
	if _, err := o.KV.Update(done, "m."+key, mustJSON(claim), rev); err != nil {
		return time.Time{}, fmt.Errorf("mark failed: %w", err)
	}
	return claim.NextAt, nil
}

// send renders and sends one message. commit marks the point of no
// return ("sending"): run by a CommitMailSender just before the end of
// DATA, else here just before the channel is called; its error aborts.
func (o *Outbox) send(ctx context.Context, m Message, c Contact, key string, date time.Time, commit func() error) error {
	var links MessageLinks
	if o.Links != nil {
		links = o.Links.For(m)
	}
	r, err := Render(m, c.Language, links)
	if err != nil {
		return err
	}
	switch c.Channel {
	case Email:
		if o.Mail == nil {
			return errors.New("no SMTP server configured (--smtp-url)")
		}
		msg := Mail(o.From, c.Address, key, r, links.Unsubscribe, date)
		if cm, ok := o.Mail.(CommitMailSender); ok {
			return cm.SendRawCommit(ctx, c.Address, msg, commit)
		}
		if err := commit(); err != nil {
			return err
		}
		return o.Mail.SendRaw(ctx, c.Address, msg)
	case SMS:
		if o.SMS == nil {
			return errors.New("no SMS gateway configured (--sms-gateway-url)")
		}
		// An SMS gateway has no idempotency key either: "sending" is
		// marked before the request.
		if err := commit(); err != nil {
			return err
		}
		return o.SMS.Send(ctx, c.Address, "", r.Subject+"\n"+r.Text)
	}
	return fmt.Errorf("unknown channel %q", c.Channel)
}

// drop records that a message will not be sent.
func (o *Outbox) drop(ctx context.Context, m Message, reason string) error {
	key := m.Key("")
	_, err := o.KV.Create(ctx, "m."+key, mustJSON(record{State: stateDropped, LastError: reason, Message: m, At: o.Now()}))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	o.Metrics.dropped()
	if reason == "no_contact" {
		// Someone who never gave a contact detail: nothing to audit, and
		// no event for every such message.
		return nil
	}
	o.append(ctx, key, &nevents.MessageDropped{MessageKey: key, EventId: m.EventID, RecipientKey: RecipientKey(o.RecipientKey, m.Recipient), Reason: reason})
	return nil
}

// append records one of the outbox's own acts in the log.
func (o *Outbox) append(ctx context.Context, key string, payload proto.Message) {
	p, err := o.Registry.Propose(payload, es.Meta{ID: newEventID(), Actor: eventstore.Actor{Subject: "system:notifications", Role: "system"}})
	if err == nil {
		_, err = o.Store.Append(ctx, ndomain.NotificationStream(key), eventstore.Any, []eventstore.Proposed{p})
	}
	if err != nil {
		o.Logger.Warn("recording a notification act failed", "key", key, "err", err)
	}
}

func (o *Outbox) get(ctx context.Context, key string) (*record, uint64, error) {
	e, err := o.KV.Get(ctx, "m."+key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("outbox record %s: %w", key, err)
	}
	return &r, e.Revision(), nil
}

// DeadLetters lists the dead letters, oldest first.
func (o *Outbox) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	lister, err := o.KV.ListKeysFiltered(ctx, "d.>")
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for k := range lister.Keys() {
		key := k[2:]
		r, _, err := o.get(ctx, key)
		if err != nil {
			return nil, err
		}
		if r == nil || r.State != stateDead {
			continue
		}
		out = append(out, DeadLetter{Key: key, Kind: r.Message.Kind, Council: r.Message.Council, Petition: r.Message.Petition, Channel: r.Channel,
			Attempts: r.Attempts, LastError: r.LastError, At: r.At, EventID: r.Message.EventID})
	}
	sortDead(out)
	return out, nil
}

// Resend puts a dead letter back in the queue for a fresh round of
// attempts and records who asked (actor).
func (o *Outbox) Resend(ctx context.Context, key string, actor eventstore.Actor) error {
	r, rev, err := o.get(ctx, key)
	if err != nil {
		return err
	}
	if r == nil || r.State != stateDead {
		return ErrNotDeadLetter
	}
	r.State, r.Attempts, r.NextAt, r.LastError = stateFailed, 0, time.Time{}, ""
	if _, err := o.KV.Update(ctx, "m."+key, mustJSON(*r), rev); err != nil {
		if isConflict(err) {
			return ErrNotDeadLetter
		}
		return err
	}
	_ = o.KV.Delete(ctx, "d."+key)
	p, err := o.Registry.Propose(&nevents.MessageResent{MessageKey: key}, es.Meta{ID: newEventID(), Actor: actor})
	if err == nil {
		_, err = o.Store.Append(ctx, ndomain.NotificationStream(key), eventstore.Any, []eventstore.Proposed{p})
	}
	if err != nil {
		o.Logger.Warn("recording a resend failed", "key", key, "err", err)
	}
	o.mu.Lock()
	o.pending[r.Message.Position]++
	o.queue = append(o.queue, queued{m: r.Message, due: o.Now()})
	o.mu.Unlock()
	o.signal()
	return nil
}

// position reads the durable position.
func (o *Outbox) position(ctx context.Context) (uint64, error) {
	e, err := o.KV.Get(ctx, "position")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var p uint64
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return 0, fmt.Errorf("outbox position: %w", err)
	}
	return p, nil
}

// settled is the last position every message of which, and of every
// event before, is settled.
func (o *Outbox) settled() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.planned
	for pos := range o.pending {
		if pos-1 < s {
			s = pos - 1
		}
	}
	return s
}

// keepPosition saves the durable position every half second it moved. It
// only moves forward: two replicas may save, and the slower must not move
// it back past messages the faster settled — a position too low only
// costs look-ups, never a duplicate.
func (o *Outbox) keepPosition(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s := o.settled(); s > o.saved {
			if _, err := o.KV.Put(ctx, "position", mustJSON(s)); err == nil {
				o.saved = s
			}
		}
		if o.Snapshots != nil {
			o.saveSnapshot(ctx)
		}
	}
}

// Depth is the number of messages not yet settled, and the recorded time
// of the oldest.
func (o *Outbox) Depth() (int, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var oldest time.Time
	for _, q := range o.queue {
		if oldest.IsZero() || q.m.RecordedAt.Before(oldest) {
			oldest = q.m.RecordedAt
		}
	}
	n := 0
	for _, c := range o.pending {
		n += c
	}
	return n, oldest
}

// isSMTPReply is whether err is the server's answer (a refusal with its
// code), as opposed to a broken connection after which the outcome is
// unknown.
func isSMTPReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}

func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs: a programming error
	}
	return b
}

func cutFollow(recipient string) (string, bool) {
	if len(recipient) > 7 && recipient[:7] == "follow:" {
		return recipient[7:], true
	}
	return "", false
}

func isFollow(recipient string) bool { _, ok := cutFollow(recipient); return ok }

func sortDead(d []DeadLetter) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j].At.Before(d[j-1].At); j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// digests queues each council's staff digest once a day (UTC). Every
// replica does it; the message's id is the council and the day, so the
// claim sends each staff member one digest a day.
func (o *Outbox) digests(ctx context.Context) {
	every, soon := o.DigestEvery, o.DigestSoon
	if every <= 0 {
		every = 10 * time.Minute
	}
	if soon <= 0 {
		soon = 14 * 24 * time.Hour
	}
	// The first digest waits for the planner to have read the log as it
	// stood at start: a digest of half the log would list half the cases.
	if head, err := o.Store.LastPosition(ctx); err == nil {
		for ctx.Err() == nil {
			o.mu.Lock()
			caught := o.planned >= head
			o.mu.Unlock()
			if caught {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	last := ""
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if day := o.Now().UTC().Format(dateFormat); day != last {
			last = day
			o.QueueDigests(o.Now(), soon)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// QueueDigests queues the digest of every council with cases due soon or
// overdue, to that council's staff only.
func (o *Outbox) QueueDigests(now time.Time, soon time.Duration) int {
	day := now.UTC().Format(dateFormat)
	n := 0
	for council, lists := range o.Planner.Due(now, soon) {
		list := func(items []DueItem) string {
			var b []string
			for _, it := range items {
				b = append(b, "- "+it.Receipt+" "+it.Title+" ("+it.Deadline.Format(dateFormat)+")")
			}
			if len(b) == 0 {
				return "-"
			}
			return "\n" + strings.Join(b, "\n")
		}
		_, code, _ := strings.Cut(council, "/")
		o.mu.Lock()
		pos := o.planned
		for _, s := range o.Staff(code) {
			m := Message{EventID: "digest-" + code + "-" + day, Position: pos, Recipient: s, Kind: KindStaffDigest, Council: council,
				Params: map[string]string{"date": day, "due": list(lists[0]), "overdue": list(lists[1])}, RecordedAt: now}
			o.pending[pos]++
			o.queue = append(o.queue, queued{m: m, due: now})
			n++
		}
		o.mu.Unlock()
	}
	o.signal()
	return n
}

// expand turns a message for an advisory body into one per secretary.
func (o *Outbox) expand(msgs []Message) []Message {
	var out []Message
	for _, m := range msgs {
		body, ok := strings.CutPrefix(m.Recipient, BodyRecipient)
		if !ok {
			out = append(out, m)
			continue
		}
		if o.Secretaries == nil {
			continue
		}
		for _, s := range o.Secretaries(body) {
			c := m
			c.Recipient, c.Params = s, clone(m.Params)
			out = append(out, c)
		}
	}
	return out
}

// Eraser is implemented by a Contacts that knows whom it erased.
type Eraser interface {
	Erased(subject string) bool
}

// whyNoContact says why a recipient cannot be reached: a follow that
// ended, a person erased, or no contact detail ever given.
func (o *Outbox) whyNoContact(m Message) string {
	if isFollow(m.Recipient) {
		return "follow_ended"
	}
	if e, ok := o.Contacts.(Eraser); ok && e.Erased(m.Recipient) {
		return "erased"
	}
	return "no_contact"
}
