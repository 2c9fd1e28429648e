package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/internal/service"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/notifications"
	nports "github.com/tasharuk/tasharuk/services/notifications/ports"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/status"
	"github.com/tasharuk/tasharuk/web/signin"
)

// notifyConfig configures the outbox (DESIGN.md "Notifications: an outbox
// fed by the log"). It sends through the sign-in's --smtp-url/--smtp-from
// and --sms-gateway-url.
type notifyConfig struct {
	// PublicURL is the site's public address, for the links the messages
	// carry (confirm a follow, unsubscribe).
	PublicURL   string
	MaxAttempts int
	// Lease is how long a replica's claim on a message holds before
	// another replica may take it over (a replica that died mid-send).
	Lease time.Duration
	// DigestEvery is how often the outbox checks whether the day changed
	// and the staff digests are due.
	DigestEvery time.Duration
	// SnapshotEvery is how many events apart the planner's snapshots are.
	SnapshotEvery int
}

func (nc *notifyConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&nc.PublicURL, "public-url", "", "this site's public address (https://tasharuk.commune.ma), for the confirm and unsubscribe links of notification emails")
	fs.IntVar(&nc.MaxAttempts, "notify-attempts", 5, "attempts at sending a notification before it is a dead letter for admins")
	fs.DurationVar(&nc.Lease, "notify-lease", 2*time.Minute, "how long a replica's claim on a notification holds before another may send it (after a crash)")
	fs.IntVar(&nc.SnapshotEvery, "notify-snapshot-every", 10000, "events between snapshots of the notifications planner (a restart reads the log from the last)")
	fs.DurationVar(&nc.DigestEvery, "notify-digest-check", 10*time.Minute, "how often to check whether the day's staff digests are due (sent once a day, UTC)")
}

// notifications builds the outbox and the follows, adds the outbox to the
// parts and returns NotificationService.
func (a *App) notifications(ctx context.Context, cfg config, ns *natsstore.Store, store eventstore.Store, reg *es.Registry, tokenKey []byte,
	keys *privacy.Keys, persons *privacy.KeyStore, petitions *papp.Service, model *status.ReadModels, now func() time.Time, logger *slog.Logger) (*nports.Server, *notifications.Metrics, error) {
	conn, err := ns.Connect("tasharuk-outbox")
	if err != nil {
		return nil, nil, fmt.Errorf("connect the outbox: %w", err)
	}
	a.OnClose(conn.Close)
	js, err := jetstream.New(conn)
	if err != nil {
		return nil, nil, err
	}
	kv, err := notifications.Bucket(ctx, js, "TASHARUK_OUTBOX", ns.Replicas())
	if err != nil {
		return nil, nil, fmt.Errorf("outbox bucket: %w", err)
	}
	snaps, err := notifications.SnapshotStore(ctx, js, "TASHARUK_OUTBOX_PLANNER", ns.Replicas())
	if err != nil {
		return nil, nil, fmt.Errorf("outbox planner snapshots: %w", err)
	}
	base := cfg.Notify.PublicURL
	if base == "" {
		base = "http://localhost:8080"
	}
	links := &notifications.Links{Base: base, Key: derive(tokenKey, "notifications/links/v1")}
	planner := notifications.NewPlanner()
	follows := &notifications.Follows{Store: store, Registry: reg, Keys: persons, Planner: planner, Links: links,
		Exists: func(target string) bool {
			if strings.Contains(target, "/petitions/") {
				_, ok := model.Petitions.Petition(target)
				return ok
			}
			_, code, _ := strings.Cut(target, "/")
			_, ok := model.Territory.Council(code)
			return ok
		}}
	o := &notifications.Outbox{KV: kv, Store: store, Registry: reg, Planner: planner, Followers: follows, Links: links,
		RecipientKey: derive(tokenKey, "notifications/recipient/v1"), MaxAttempts: cfg.Notify.MaxAttempts, Lease: cfg.Notify.Lease, Now: now, Logger: logger,
		// Agents, requesters, staff: the contact details the identity
		// context records (sealed, erasable), opened when sending.
		Contacts: &notifications.IdentityContacts{Planner: planner, Keys: persons, UserKey: keys.UserKey},
		Told:     agentTold(petitions),
		// A council's staff get its daily digest, and the council's
		// advisory members (the secretaries: grants name a council, not
		// a body) the consultations addressed to its bodies; the
		// identity read model knows them by user key.
		Staff: func(code string) []string { return userRecipients(a.Roles.Holders(string(access.RoleStaff), code)) },
		Secretaries: func(body string) []string {
			// "communes/<code>/advisoryBodies/<id>"
			parts := strings.Split(body, "/")
			if len(parts) < 2 {
				return nil
			}
			return userRecipients(a.Roles.Holders(string(access.RoleAdvisory), parts[1]))
		},
		DigestEvery: cfg.Notify.DigestEvery,
		// The planner's state every --notify-snapshot-every events: a
		// restart reads the log from there, not from its first event.
		Snapshots: snaps, SnapshotEvery: cfg.Notify.SnapshotEvery}
	sc := cfg.SignIn
	if sc.SMTPURL != "" {
		s, err := signin.NewSMTP(sc.SMTPURL, sc.SMTPFrom)
		if err != nil {
			return nil, nil, err
		}
		o.Mail, o.From = s, sc.SMTPFrom
	}
	if sc.SMSGatewayURL != "" {
		g, err := signin.NewSMSGateway(sc.SMSGatewayURL)
		if err != nil {
			return nil, nil, err
		}
		o.SMS = g
	}
	o.Metrics = notifications.NewMetrics()
	a.Parts = append(a.Parts, service.Part{Name: "notifications", Run: o.Run})
	return &nports.Server{Outbox: o, Follows: follows}, o.Metrics, nil
}

// agentTold records on the petition that its agent was told of the
// decision or the outcome, with the channel and the message's event, once
// the outbox has sent it (law 113-14 art. 125: the agent is informed of
// the decision). A notification recorded already (by letter, at the
// counter) stands.
func agentTold(petitions *papp.Service) notifications.Told {
	return func(ctx context.Context, m notifications.Message, ch notifications.Channel, at time.Time) error {
		var subject petitionseventsv1.NotificationSubject
		switch m.Kind {
		case notifications.KindDecided:
			subject = petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY
		case notifications.KindDeliberated:
			subject = petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME
		default:
			return nil
		}
		_, code, _ := strings.Cut(m.Council, "/")
		actor := eventstore.Actor{Subject: "system:notifications", Role: "staff", Council: code}
		_, _, err := petitions.Act(ctx, actor, m.Petition, pdomain.NotifyAgent{Subject: subject, Channel: string(ch), Reference: "event " + m.EventID, At: at})
		if _, reason, ok := fault.Classify(err); ok && reason == "ALREADY_NOTIFIED" {
			return nil
		}
		return err
	}
}

func userRecipients(userKeys []string) []string {
	out := make([]string, len(userKeys))
	for i, k := range userKeys {
		out[i] = notifications.UserRecipient + k
	}
	return out
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}
