package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The decider harness: given past events (folded with domain.Evolve from
// the zero State), when a command (domain.Decide), then new events or an
// error. No storage is involved.

const (
	beniMellal     = "communes/50910101"
	zaouiatCheikh  = "communes/50910311"
	beniMellalProv = "provinces/beni-mellal"
	beniMellalReg  = "regions/beni-mellal-khenifra"
	petitionID     = "0193c4b2-0000-7000-8000-000000000001"
	receiptNumber  = "BM-2026-0001"
	validReasons   = "the subject lies outside the council's powers (art. 77)"
	historyOrigin  = "2026-01-10T09:00:00Z"
	historyStepHrs = 24
)

var (
	// now is the fixed clock of every decision unless a test says otherwise.
	now = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

	agent     = eventstore.Actor{Subject: "agent-1", Role: "citizen"}
	otherCitz = eventstore.Actor{Subject: "agent-2", Role: "citizen"}
	clerk     = eventstore.Actor{Subject: "clerk-1", Role: "staff", Council: "50910101"}

	asAgent = domain.Context{Now: now, Actor: agent}
	asOther = domain.Context{Now: now, Actor: otherCitz}
	asClerk = domain.Context{Now: now, Actor: clerk}

	// communeSessions are the months communes sit in ordinary session
	// (law 113-14 art. 33): February, May, October.
	communeSessions = []time.Month{time.February, time.May, time.October}

	// received is when the council received the petition in the standard
	// history; with 3 months the decision deadline is 2026-04-15.
	received = time.Date(2026, 1, 15, 11, 30, 0, 0, time.UTC)
	deadline = time.Date(2026, 4, 15, 11, 30, 0, 0, time.UTC)
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// scenario is a petition's past, folded.
type scenario struct {
	t      *testing.T
	events []domain.Recorded
	state  domain.State
}

// given folds past events with domain.Evolve from domain.State{}. Events
// without an id get "ev-N"; without a recorded time, one a day from
// 2026-01-10; without an occurred time, the recorded time (what the store
// does with a zero OccurredAt).
func given(t *testing.T, events ...domain.Recorded) *scenario {
	t.Helper()
	sc := &scenario{t: t}
	origin := date(historyOrigin)
	for i, e := range events {
		if e.ID == "" {
			e.ID = fmt.Sprintf("ev-%d", i+1)
		}
		if e.RecordedAt.IsZero() {
			e.RecordedAt = origin.Add(time.Duration(i*historyStepHrs) * time.Hour)
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = e.RecordedAt
		}
		if e.Actor == (eventstore.Actor{}) {
			e.Actor = clerk
		}
		sc.events = append(sc.events, e)
		sc.state = domain.Evolve(sc.state, e)
	}
	return sc
}

// outcome is what Decide answered.
type outcome struct {
	t      *testing.T
	level  domain.Level
	events []domain.Event
	err    error
}

// when decides cmd against the folded state.
func (sc *scenario) when(cmd domain.Command, ctx domain.Context) *outcome {
	sc.t.Helper()
	level := sc.state.Level()
	if d, ok := cmd.(domain.Draft); ok && !sc.state.Exists {
		level = domain.LevelOf(d.Council)
	}
	evs, err := domain.Decide(sc.state, cmd, ctx)
	return &outcome{t: sc.t, level: level, events: evs, err: err}
}

// then checks the produced events: payloads with proto.Equal and, when the
// expected OccurredAt is not zero, the time the fact happened.
func (o *outcome) then(want ...domain.Event) []domain.Event {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("Decide returned error %v, want %d event(s)", o.err, len(want))
	}
	if len(o.events) != len(want) {
		o.t.Fatalf("Decide returned %d event(s), want %d: %v", len(o.events), len(want), o.events)
	}
	for i := range want {
		if !proto.Equal(o.events[i].Payload, want[i].Payload) {
			o.t.Errorf("event %d payload = %v, want %v", i, o.events[i].Payload, want[i].Payload)
		}
		if !o.events[i].OccurredAt.Equal(want[i].OccurredAt) {
			o.t.Errorf("event %d OccurredAt = %v, want %v", i, o.events[i].OccurredAt, want[i].OccurredAt)
		}
	}
	return o.events
}

// thenOne checks that exactly one event of type T came out and returns its
// payload, for tests that check only some fields.
func thenOne[T proto.Message](o *outcome) T {
	o.t.Helper()
	var zero T
	if o.err != nil {
		o.t.Fatalf("Decide returned error %v, want one %T", o.err, zero)
	}
	if len(o.events) != 1 {
		o.t.Fatalf("Decide returned %d event(s), want one %T", len(o.events), zero)
	}
	p, ok := o.events[0].Payload.(T)
	if !ok {
		o.t.Fatalf("Decide returned %T, want %T", o.events[0].Payload, zero)
	}
	return p
}

// thenRule checks a *fault.RuleError: its rule, kind, and that its article
// is the rulebook's for the petition's level (and, for communes, named).
func (o *outcome) thenRule(rule string, kind fault.Kind) *fault.RuleError {
	o.t.Helper()
	var re *fault.RuleError
	if !errors.As(o.err, &re) {
		o.t.Fatalf("Decide = (%v, %v), want rule error %s", o.events, o.err, rule)
	}
	if re.Rule != rule {
		o.t.Fatalf("rule = %s (%v), want %s", re.Rule, re, rule)
	}
	if re.Kind != kind {
		o.t.Errorf("rule %s: kind = %v, want %v", rule, re.Kind, kind)
	}
	if want := domain.Article(o.level, rule); re.Article != want {
		o.t.Errorf("rule %s: article = %q, want %q", rule, re.Article, want)
	}
	if o.level == domain.Commune && re.Article == "" {
		o.t.Errorf("rule %s: a commune's rule names no article", rule)
	}
	if o.events != nil {
		o.t.Errorf("events returned with an error: %v", o.events)
	}
	return re
}

// thenField checks a *fault.FieldError naming field.
func (o *outcome) thenField(field string) *fault.FieldError {
	o.t.Helper()
	var fe *fault.FieldError
	if !errors.As(o.err, &fe) {
		o.t.Fatalf("Decide = (%v, %v), want a field error on %s", o.events, o.err, field)
	}
	if fe.Field != field {
		o.t.Fatalf("field error on %q (%v), want %q", fe.Field, fe, field)
	}
	if k, _, _ := fault.Classify(o.err); k != fault.Invalid {
		o.t.Errorf("kind = %v, want Invalid", k)
	}
	return fe
}

// thenError checks a *fault.Error of a kind and reason.
func (o *outcome) thenError(kind fault.Kind, reason string) *fault.Error {
	o.t.Helper()
	var e *fault.Error
	if !errors.As(o.err, &e) {
		o.t.Fatalf("Decide = (%v, %v), want %s", o.events, o.err, reason)
	}
	if e.Reason != reason || e.Kind != kind {
		o.t.Fatalf("error = (%v, %s: %v), want (%v, %s)", e.Kind, e.Reason, e, kind, reason)
	}
	return e
}

// detailNames fails unless msg mentions every part.
func detailNames(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q does not name %q", msg, p)
		}
	}
}

// Past events of the standard history.

func rec(p proto.Message) domain.Recorded { return domain.Recorded{Payload: p} }

func by(actor eventstore.Actor, p proto.Message) domain.Recorded {
	return domain.Recorded{Payload: p, Actor: actor}
}

func draftedIn(council string) domain.Recorded {
	return by(agent, &petitionseventsv1.PetitionDrafted{
		PetitionId: petitionID, Council: council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage public, quartier Ouled Hamdane", Request: "Inscrire l'éclairage public du quartier à l'ordre du jour",
		Reasons: "Les rues ne sont pas éclairées la nuit", Agent: agent.Subject,
	})
}

func drafted() domain.Recorded { return draftedIn(beniMellal) }

func associationDrafted() domain.Recorded {
	return by(agent, &petitionseventsv1.PetitionDrafted{
		PetitionId: petitionID, Council: beniMellal, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION,
		Title: "Espace vert", Request: "Aménager un espace vert", Reasons: "Aucun jardin dans le quartier",
		Association: goodAssociation(), Agent: agent.Subject,
	})
}

// opened is a petition opened straight to signatures, as logs from before
// moderation have it (and as a cleared one stands).
func opened() domain.Recorded { return by(agent, &petitionseventsv1.PetitionOpenedForSignatures{}) }

// moderator screens the petitions of Béni Mellal.
var (
	moderator   = eventstore.Actor{Subject: "moderator-1", Role: "moderator", Council: "50910101"}
	asModerator = domain.Context{Now: now, Actor: moderator}
)

func submitted() domain.Recorded {
	return by(agent, &petitionseventsv1.PetitionSubmittedForModeration{ModerationDeadline: timestamppb.New(now.AddDate(0, 0, 5))})
}

func cleared() domain.Recorded { return by(moderator, &petitionseventsv1.PetitionModerationCleared{}) }

func moderationRefused() domain.Recorded {
	return by(moderator, &petitionseventsv1.PetitionModerationRefused{Ground: petitionseventsv1.ModerationGround_MODERATION_GROUND_INSULTING_OR_PERSONAL,
		Reasons: "Le texte nomme un agent communal et l'accuse sans preuve.", Article: "law 09-08 (personal data); the council's moderation policy"})
}

func depositedOn(at time.Time, months int) domain.Recorded {
	return domain.Recorded{
		Payload: &petitionseventsv1.PetitionDeposited{
			ReceiptNumber: receiptNumber, ReceivedAt: timestamppb.New(at),
			Channel:          petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER,
			DecisionDeadline: timestamppb.New(at.AddDate(0, months, 0)), ValidSignatures: 250,
		},
		OccurredAt: at, RecordedAt: at.Add(2 * time.Hour), Actor: clerk,
	}
}

func deposited() domain.Recorded { return depositedOn(received, 3) }

func referred() domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.PetitionReferredToBureau{}, RecordedAt: date("2026-01-20T09:00:00Z")}
}

func fullChecklist() *petitionseventsv1.Checklist {
	return &petitionseventsv1.Checklist{
		ThresholdMet: true, SignatoriesEligible: true, AgentDesignated: true,
		WithinCouncilPowers: true, NoExcludedSubject: true,
	}
}

func decided(d petitionseventsv1.Admissibility, at string) domain.Recorded {
	p := &petitionseventsv1.AdmissibilityDecided{Decision: d, Checklist: fullChecklist(), ValidSignatures: 250, Threshold: 200}
	if d == petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE {
		p.Reasons = validReasons
	}
	return domain.Recorded{Payload: p, RecordedAt: date(at)}
}

func admissible() domain.Recorded {
	return decided(petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, "2026-02-02T09:00:00Z")
}

func inadmissible() domain.Recorded {
	return decided(petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, "2026-02-02T09:00:00Z")
}

func scheduled(session string) domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.PetitionScheduled{Session: session}, RecordedAt: date("2026-02-03T09:00:00Z")}
}

func withCommittee() domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.PetitionReferredToCommittee{Committee: "Commission des services publics"}, RecordedAt: date("2026-02-04T09:00:00Z")}
}

func reported() domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.CommitteeReportRecorded{Summary: "Favorable, sous réserve du budget"}, RecordedAt: date("2026-04-20T09:00:00Z")}
}

func deliberated() domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.PetitionDeliberated{
		Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "Approuvée", Reference: "PV-2026-05-07",
	}, RecordedAt: date("2026-05-07T16:00:00Z")}
}

func notified(subject petitionseventsv1.NotificationSubject, at string) domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.AgentNotified{Subject: subject, Channel: "letter", Reference: "L-1"}, RecordedAt: date(at)}
}

func decisionNotified() domain.Recorded {
	return notified(petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, "2026-02-10T09:00:00Z")
}

func outcomeNotified() domain.Recorded {
	return notified(petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME, "2026-05-12T09:00:00Z")
}

func withdrawn() domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.PetitionWithdrawn{Reason: "résolu à l'amiable"}, Actor: agent, RecordedAt: date("2026-03-01T09:00:00Z")}
}

func closed() domain.Recorded {
	return domain.Recorded{Payload: &petitionseventsv1.PetitionClosed{Note: "clôturée"}, RecordedAt: date("2026-06-01T09:00:00Z")}
}

// Histories, each a prefix of the next.

func hDeposited() []domain.Recorded { return []domain.Recorded{drafted(), opened(), deposited()} }

func hReview() []domain.Recorded { return append(hDeposited(), referred()) }

func hAdmissible() []domain.Recorded { return append(hReview(), admissible()) }

func hInadmissible() []domain.Recorded { return append(hReview(), inadmissible()) }

func hScheduled() []domain.Recorded { return append(hAdmissible(), scheduled("2026-05")) }

func hWithCommittee() []domain.Recorded { return append(hScheduled(), withCommittee()) }

func hReported() []domain.Recorded { return append(hWithCommittee(), reported()) }

func hDeliberated() []domain.Recorded { return append(hReported(), deliberated()) }

// Commands used by many tests.

func citizensDraft() domain.Draft {
	return domain.Draft{
		ID: petitionID, Council: beniMellal, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage public, quartier Ouled Hamdane", Request: "Inscrire l'éclairage public du quartier à l'ordre du jour",
		Reasons: "Les rues ne sont pas éclairées la nuit",
	}
}

func goodAssociation() *petitionseventsv1.Association {
	return &petitionseventsv1.Association{
		Name: "Association Tadla pour l'environnement", RegistrationRef: "RD-2019-114", ConstitutedOn: "2019-03-02",
		DemocraticGovernance: true, InGoodStanding: true, SeatInTerritory: true, ActivityLinkedToSubject: true,
	}
}

func associationDraft(a *petitionseventsv1.Association) domain.Draft {
	return domain.Draft{
		ID: petitionID, Council: beniMellal, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION,
		Title: "Espace vert", Request: "Aménager un espace vert", Reasons: "Aucun jardin dans le quartier",
		Association: a,
	}
}

func admit(valid, threshold int) domain.DecideAdmissibility {
	return domain.DecideAdmissibility{
		Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist(),
		Signatures: domain.Tally{Valid: valid}, Threshold: threshold,
	}
}

func refuse(valid, threshold int, reasons string) domain.DecideAdmissibility {
	return domain.DecideAdmissibility{
		Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Checklist: fullChecklist(), Reasons: reasons,
		Signatures: domain.Tally{Valid: valid}, Threshold: threshold,
	}
}

func notify(subject petitionseventsv1.NotificationSubject) domain.NotifyAgent {
	return domain.NotifyAgent{Subject: subject, Channel: "letter", Reference: "L-2", At: now.Add(-time.Hour)}
}

func deliberate() domain.RecordDeliberation {
	return domain.RecordDeliberation{
		Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_PARTLY_APPROVED,
		Summary: "Approuvée en partie", Reference: "PV-2027-02-03", At: now.Add(-24 * time.Hour),
	}
}
