package domain_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

const reqName = "communes/50910101/informationRequests/0190d7a0-0000-7000-8000-000000000001"

func d(t *testing.T, s string) domain.Day {
	t.Helper()
	day, err := domain.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return day
}

// given folds past events into a state.
func given(evs ...proto.Message) domain.State {
	var s domain.State
	for _, e := range evs {
		s = domain.Evolve(s, es.Recorded{Payload: e})
	}
	return s
}

func received(on string, urgent bool) *ieventsv1.RequestReceived {
	e := &ieventsv1.RequestReceived{Name: reqName, ReceiptNumber: "2026/0001", ReceivedOn: on, Channel: ieventsv1.RequestChannel_REQUEST_CHANNEL_PAPER,
		RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, RequesterKey: "k", Subject: "Le budget 2026 de la commune"}
	if urgent {
		e.Urgent, e.UrgentReason = true, "Un enfant malade a besoin du plan d'évacuation"
	}
	return e
}

func env(t *testing.T, today string) domain.Env {
	return domain.Env{Today: d(t, today), Calendar: domain.NewCalendar(nil), Rules: domain.DefaultRulebook()}
}

// then decides c and returns the single event, failing on an error.
func then(t *testing.T, s domain.State, c domain.Command, e domain.Env) proto.Message {
	t.Helper()
	evs, err := domain.Decide(s, c, e)
	if err != nil {
		t.Fatalf("%T: %v", c, err)
	}
	if len(evs) != 1 {
		t.Fatalf("%T: %d events, want 1", c, len(evs))
	}
	return evs[0].Payload
}

// refused decides c and checks it fails with reason (and names article,
// when not empty).
func refused(t *testing.T, s domain.State, c domain.Command, e domain.Env, reason, article string) {
	t.Helper()
	evs, err := domain.Decide(s, c, e)
	if err == nil {
		t.Fatalf("%T: decided %v, want %s", c, evs, reason)
	}
	_, got, ok := fault.Classify(err)
	if !ok || got != reason {
		t.Fatalf("%T: %v (reason %q), want %s", c, err, got, reason)
	}
	var re *fault.RuleError
	if article != "" && (!errors.As(err, &re) || re.Article != article) {
		t.Fatalf("%T: %v does not name %s", c, err, article)
	}
}
