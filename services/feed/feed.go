// Package feed publishes every recorded event, in its public form, on NATS
// subjects tasharuk.events.<council>.<type>, so that other systems
// (notification services, open-data portals) follow tasharuk without
// touching its store, whatever backend holds the log.
//
// Delivery is at least once: messages go through a JetStream stream
// (TASHARUK_EVENTS) with the event id as message id, so the stream drops a
// message sent twice within its duplicate window and subscribers can drop
// the rest by event id; each message carries its log position in the
// Tasharuk-Position header, and after a restart the publisher resumes from
// the position of the last message in the stream (on a single server the
// stream is flushed asynchronously, so after a crash its lost tail is
// published again, with the same ids and positions). Core NATS subscribers
// see the messages live; JetStream consumers can replay them.
//
// The log's signed checkpoints go out too, as the events they are
// (tasharuk.events._.audit.CheckpointRecorded, payload.signed_note a C2SP
// tlog-checkpoint note), and so do the witnesses' cosignatures of them
// (tasharuk.events._.audit.CheckpointCosigned, payload.cosigned_note); both
// carry the Tasharuk-Tree-Size header, so a monitor or a witness can follow
// the checkpoints alone with a subject filter and no decoding.
//
// The public form holds no personal data: a signature's encrypted name,
// data key id and signer key (also in its stream id) are removed, and a
// citizen's subject is not given.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	idomain "github.com/tasharuk/tasharuk/services/information/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Header names of a feed message.
const (
	HeaderPosition = "Tasharuk-Position"
	HeaderEventID  = "Tasharuk-Event-Id"
	// HeaderTreeSize is the tree size a checkpoint or a cosignature
	// covers.
	HeaderTreeSize = "Tasharuk-Tree-Size"
)

// Publisher follows the log and publishes it.
type Publisher struct {
	Store    eventstore.Store
	Registry *es.Registry
	Conn     *nats.Conn
	// Stream is the JetStream stream of the feed (default TASHARUK_EVENTS)
	// and Prefix its subjects' prefix (default "tasharuk.events").
	Stream, Prefix string
	Replicas       int
	Logger         *slog.Logger
}

// Message is an event's public form, the body of a feed message (JSON).
type Message struct {
	EventID       string          `json:"event_id"`
	Type          string          `json:"type"`
	SchemaVersion uint32          `json:"schema_version"`
	Stream        string          `json:"stream"`
	Position      uint64          `json:"position"`
	Council       string          `json:"council,omitempty"`
	OccurredAt    time.Time       `json:"occurred_at"`
	RecordedAt    time.Time       `json:"recorded_at"`
	ActorRole     string          `json:"actor_role"`
	Actor         string          `json:"actor,omitempty"`
	Payload       json.RawMessage `json:"payload"`
}

func (p *Publisher) defaults() {
	if p.Stream == "" {
		p.Stream = "TASHARUK_EVENTS"
	}
	if p.Prefix == "" {
		p.Prefix = "tasharuk.events"
	}
	if p.Replicas <= 0 {
		p.Replicas = 1
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
}

// Run publishes from where the feed stopped until ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	p.defaults()
	js, err := jetstream.New(p.Conn)
	if err != nil {
		return err
	}
	cfg := jetstream.StreamConfig{
		Name: p.Stream, Subjects: []string{p.Prefix + ".>"}, Storage: jetstream.FileStorage, Replicas: p.Replicas,
		Duplicates: 10 * time.Minute, Description: "tasharuk's public event feed",
	}
	// On a single server the feed's writes are flushed to disk in the
	// background rather than synced one by one: the feed is a copy of the
	// log, and a tail lost in a crash is published again on restart (the
	// publisher resumes after the last message that survived), so it need
	// not compete with the log and the key store for the disk. The mode is
	// fixed when the stream is created; an existing stream keeps its own.
	if p.Replicas == 1 {
		cfg.PersistMode = jetstream.AsyncPersistMode
	}
	if old, err := js.Stream(ctx, p.Stream); err == nil {
		cfg.PersistMode = old.CachedInfo().Config.PersistMode
	}
	st, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return fmt.Errorf("feed: stream %s: %w", p.Stream, err)
	}
	from, err := p.resumeFrom(ctx, st)
	if err != nil {
		return err
	}
	p.Logger.Info("integration feed", "subjects", p.Prefix+".>", "from_position", from)
	var pending []jetstream.PubAckFuture
	flush := func() error {
		for _, f := range pending {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("feed: publish: %w", err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		pending = pending[:0]
		return nil
	}
	err = p.Store.Subscribe(ctx, from, func(e eventstore.Event) error {
		msg, err := p.message(&e)
		if err != nil {
			return err
		}
		f, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(e.ID))
		if err != nil {
			return fmt.Errorf("feed: publish: %w", err)
		}
		pending = append(pending, f)
		if len(pending) >= 256 {
			return flush()
		}
		return nil
	})
	if ferr := flush(); ferr != nil && !errors.Is(ferr, context.Canceled) {
		p.Logger.Warn("feed: flushing on stop", "err", ferr)
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// resumeFrom returns the position after the last one published.
func (p *Publisher) resumeFrom(ctx context.Context, st jetstream.Stream) (uint64, error) {
	m, err := st.GetLastMsgForSubject(ctx, p.Prefix+".>")
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("feed: last published position: %w", err)
	}
	pos, err := strconv.ParseUint(m.Header.Get(HeaderPosition), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("feed: last message has no position: %w", err)
	}
	return pos + 1, nil
}

// message builds the feed message of an event.
func (p *Publisher) message(e *eventstore.Event) (*nats.Msg, error) {
	body, council, err := Public(p.Registry, e)
	if err != nil {
		return nil, err
	}
	typ := strings.ReplaceAll(e.Type, "*", "_")
	if council == "" {
		council = "_"
	}
	m := nats.NewMsg(p.Prefix + "." + council + "." + typ)
	m.Data = body
	m.Header.Set(HeaderPosition, strconv.FormatUint(e.Position, 10))
	m.Header.Set(HeaderEventID, e.ID)
	if size, ok := treeSize(p.Registry, e); ok {
		m.Header.Set(HeaderTreeSize, strconv.FormatUint(size, 10))
	}
	return m, nil
}

// Public returns an event's public form as JSON and the code of its
// council ("" if none).
func Public(reg *es.Registry, e *eventstore.Event) ([]byte, string, error) {
	msg := Message{EventID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Stream: publicStream(e.Stream), Position: e.Position,
		OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, ActorRole: e.Actor.Role, Council: councilOf(e)}
	// Staff act under their office; a citizen's identity is not published.
	if e.Actor.Role != "citizen" {
		msg.Actor = e.Actor.Subject
	}
	payload := json.RawMessage("null")
	if reg.Known(e.Type, e.SchemaVersion) {
		m, err := reg.DecodeEvent(e)
		if err != nil {
			return nil, "", err
		}
		redact(m)
		if sa, ok := m.(*petitionseventsv1.SignatureAdded); ok && msg.Council == "" {
			msg.Council = councilCode(sa.GetPetition())
		}
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
		if err != nil {
			return nil, "", err
		}
		payload = b
	}
	msg.Payload = payload
	b, err := msg.encode() // json.Marshal(msg), without reflection (encode.go)
	return b, msg.Council, err
}

// redact removes personal data from a payload: names (even encrypted),
// signer keys and data key ids.
func redact(m proto.Message) {
	switch p := m.(type) {
	case *petitionseventsv1.SignatureAdded:
		p.NameCiphertext = nil
		p.SignerKey = ""
		p.NameKeyId = ""
		p.SignerAccount = ""
	case *petitionseventsv1.PersonDataErased:
		p.SignerKey = ""
	case *ieventsv1.RequestReceived:
		p.IdentityCiphertext = nil
		p.IdentityKeyId = ""
		p.RequesterKey = ""
	case *petitionseventsv1.NationalIdBound:
		p.SignerKey, p.AccountKey = "", ""
	case *petitionseventsv1.AccountBound:
		p.SignerKey, p.AccountKey = "", ""
	case *identityeventsv1.ContactRecorded:
		p.ContactCiphertext = nil
		p.ContactKeyId = ""
	case *ieventsv1.RequesterErased:
		p.IdentityKeyId = ""
	}
}

// publicStream drops the signer key from a signature's stream id: the key
// is pseudonymous, but it would let anyone link one person's signatures
// across petitions.
func publicStream(stream string) string {
	return pdomain.PublicBindingStream(pdomain.PublicSignatureStream(stream))
}

// councilOf reads the council code from the stream id of the aggregates
// that carry it (petition, receipts, body, consultation, survey and council
// streams; the formats are each context's domain/streams.go).
func councilOf(e *eventstore.Event) string {
	for _, of := range []func(string) string{pdomain.StreamCouncil, adomain.StreamCouncil, cdomain.StreamCouncil, tdomain.StreamCouncil, idomain.StreamCouncil} {
		if code := of(e.Stream); code != "" {
			return code
		}
	}
	return ""
}

func councilCode(name string) string {
	parts := strings.Split(name, "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return ""
}

// treeSize returns the tree size of a checkpoint or cosignature event.
func treeSize(reg *es.Registry, e *eventstore.Event) (uint64, bool) {
	if e.Type != audit.CheckpointType && e.Type != audit.CosignatureType || !reg.Known(e.Type, e.SchemaVersion) {
		return 0, false
	}
	m, err := reg.DecodeEvent(e)
	if err != nil {
		return 0, false
	}
	switch c := m.(type) {
	case *auditeventsv1.CheckpointRecorded:
		return c.GetTreeSize(), true
	case *auditeventsv1.CheckpointCosigned:
		return c.GetTreeSize(), true
	}
	return 0, false
}
