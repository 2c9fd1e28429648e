package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// The decider harness: given past events (folded with domain.Evolve from
// the zero State), when a command (domain.Decide), then new events or an
// error. No storage is involved.

const (
	beniMellal     = "communes/50910101"
	beniMellalProv = "provinces/beni-mellal"
	beniMellalReg  = "regions/beni-mellal-khenifra"
	ieecag         = beniMellal + "/advisoryBodies/ieecag"
	youthBody      = beniMellal + "/advisoryBodies/youth"
	consultationID = "0193c4b2-0000-7000-8000-00000000c001"
	// deadlineDay is the standard deadline: the request lapses at
	// 2026-12-02T00:00Z.
	deadlineDay    = "2026-12-01"
	historyOrigin  = "2026-11-01T09:00:00Z"
	historyStepHrs = 24
)

// Shorter names for the enums.
const (
	requested   = consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED
	acknowledgd = consultationseventsv1.ConsultationState_CONSULTATION_STATE_ACKNOWLEDGED
	inProgress  = consultationseventsv1.ConsultationState_CONSULTATION_STATE_IN_PROGRESS
	answered    = consultationseventsv1.ConsultationState_CONSULTATION_STATE_ANSWERED
	expired     = consultationseventsv1.ConsultationState_CONSULTATION_STATE_EXPIRED
	withdrawnSt = consultationseventsv1.ConsultationState_CONSULTATION_STATE_WITHDRAWN

	president = consultationseventsv1.Requester_REQUESTER_PRESIDENT
	bureau    = consultationseventsv1.Requester_REQUESTER_BUREAU
	committee = consultationseventsv1.Requester_REQUESTER_COMMITTEE

	actionProgramme = consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME
	budget          = consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET
	petition        = consultationseventsv1.SubjectKind_SUBJECT_KIND_PETITION
	other           = consultationseventsv1.SubjectKind_SUBJECT_KIND_OTHER

	launch      = consultationseventsv1.Phase_PHASE_LAUNCH
	diagnosis   = consultationseventsv1.Phase_PHASE_DIAGNOSIS
	priorities  = consultationseventsv1.Phase_PHASE_PRIORITIES
	programming = consultationseventsv1.Phase_PHASE_PROGRAMMING
	adoption    = consultationseventsv1.Phase_PHASE_ADOPTION
)

var (
	// now is the fixed clock of every decision unless a test says
	// otherwise: two days before the standard deadline ends.
	now = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	// afterDeadline is one second after the standard deadline day ended.
	afterDeadline = time.Date(2026, 12, 2, 0, 0, 1, 0, time.UTC)

	clerk   = eventstore.Actor{Subject: "clerk-1", Role: "staff", Council: "50910101"}
	asClerk = domain.Context{Now: now, Actor: clerk}
	late    = domain.Context{Now: afterDeadline, Actor: clerk}
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// scenario is a consultation's past, folded.
type scenario struct {
	t      *testing.T
	events []domain.Recorded
	state  domain.State
}

// given folds past events with domain.Evolve from domain.State{}. Events
// without an id get "ev-N"; without a recorded time, one a day from
// 2026-11-01; without an occurred time, the recorded time.
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
	if r, ok := cmd.(domain.Request); ok && !sc.state.Exists {
		level = domain.LevelOf(r.Council)
	}
	evs, err := domain.Decide(sc.state, cmd, ctx)
	return &outcome{t: sc.t, level: level, events: evs, err: err}
}

// then checks the produced events' payloads with proto.Equal and their
// OccurredAt (zero unless a test says otherwise).
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

// thenRule checks a *fault.RuleError: its rule, its kind
// (FailedPrecondition), and that its article is the table's for the
// council's level and names one.
func (o *outcome) thenRule(rule string) *fault.RuleError {
	o.t.Helper()
	var re *fault.RuleError
	if !errors.As(o.err, &re) {
		o.t.Fatalf("Decide = (%v, %v), want rule error %s", o.events, o.err, rule)
	}
	if re.Rule != rule {
		o.t.Fatalf("rule = %s (%v), want %s", re.Rule, re, rule)
	}
	if re.Kind != fault.FailedPrecondition {
		o.t.Errorf("rule %s: kind = %v, want FailedPrecondition", rule, re.Kind)
	}
	if want := domain.Article(o.level, rule); re.Article != want || want == "" {
		o.t.Errorf("rule %s: article = %q, want %q (non-empty)", rule, re.Article, want)
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

// Past events.

func rec(p proto.Message) domain.Recorded { return domain.Recorded{Payload: p} }

// requestedBy is a consultation request of council asking body (empty:
// the public) about a subject kind, by the standard deadline.
func requestedBy(council, body string, kind consultationseventsv1.SubjectKind) domain.Recorded {
	return rec(&consultationseventsv1.ConsultationRequested{
		ConsultationId: consultationID, Council: council, Requester: president, Body: body,
		SubjectKind: kind, Title: "Avis sur le projet", Deadline: deadlineDay,
	})
}

// publicRequested: the commune asks the public about its budget.
func publicRequested() domain.Recorded { return requestedBy(beniMellal, "", budget) }

// bodyRequested: the commune asks its equity body (IEECAG, art. 120).
func bodyRequested() domain.Recorded { return requestedBy(beniMellal, ieecag, other) }

// pacRequested: the commune consults the public on its action programme.
func pacRequested() domain.Recorded { return requestedBy(beniMellal, "", actionProgramme) }

func acknowledged() domain.Recorded { return rec(&consultationseventsv1.ConsultationAcknowledged{}) }

func workshop(id string, participants, women, youth, disability int32) *consultationseventsv1.WorkshopHeld {
	return &consultationseventsv1.WorkshopHeld{
		WorkshopId: id, Date: "2026-11-20", Place: "Quartier Ouled Hamdane", Theme: "Éclairage et voirie",
		Participants: participants, Women: women, Youth: youth, Disability: disability, Contributions: 12,
	}
}

func held(id string) domain.Recorded { return rec(workshop(id, 40, 14, 12, 3)) }

func phase(p consultationseventsv1.Phase) domain.Recorded {
	return rec(&consultationseventsv1.PhaseCompleted{Phase: p})
}

func synthesised() domain.Recorded {
	return rec(&consultationseventsv1.ConsultationAnswered{Synthesis: "Les habitants demandent l'éclairage en priorité."})
}

func withdrawn() domain.Recorded {
	return rec(&consultationseventsv1.ConsultationWithdrawn{Reason: "budget reporté"})
}

// pacThrough is a public PAC consultation with a diagnosis workshop and
// every phase up to and including last.
func pacThrough(last consultationseventsv1.Phase) []domain.Recorded {
	h := []domain.Recorded{pacRequested(), acknowledged(), held("w-1")}
	for _, p := range []consultationseventsv1.Phase{launch, diagnosis, priorities, programming, adoption} {
		if p > last {
			break
		}
		h = append(h, phase(p))
	}
	return h
}

// Commands.

func request() domain.Request {
	return domain.Request{
		ID: consultationID, Council: beniMellal, Requester: president, Body: ieecag,
		SubjectKind: budget, Title: "Avis sur le projet de budget 2027", Deadline: deadlineDay,
	}
}

func record(w *consultationseventsv1.WorkshopHeld) domain.RecordWorkshop {
	return domain.RecordWorkshop{Workshop: w}
}
