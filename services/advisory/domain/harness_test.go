package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// The decider harness: given past events (folded with domain.Evolve from
// the zero State), when a command (domain.Decide), then new events or an
// error. No storage is involved.

const (
	beniMellal     = "communes/50910101"
	beniMellalProv = "provinces/beni-mellal"
	beniMellalReg  = "regions/beni-mellal-khenifra"
	historyOrigin  = "2026-01-10T09:00:00Z"
	historyStepHrs = 24
	draftID        = "op-1"
)

var (
	// now is the fixed clock of every decision unless a test says otherwise.
	now = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

	secretary = eventstore.Actor{Subject: "secretary-1", Role: "advisory", Council: "50910101"}
	staff     = eventstore.Actor{Subject: "clerk-1", Role: "staff", Council: "50910101"}

	asSecretary = domain.Context{Now: now, Actor: secretary}
	asStaff     = domain.Context{Now: now, Actor: staff}

	// meetingTime is when the standard meetings took place.
	meetingTime = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// scenario is a body's past, folded.
type scenario struct {
	t     *testing.T
	state domain.State
	n     int
}

// given folds past events with domain.Evolve from domain.State{}. Events
// without an id get "ev-N"; without a recorded time, one a day from
// 2026-01-10; without an occurred time, the recorded time (what the store
// does with a zero OccurredAt).
func given(t *testing.T, events ...domain.Recorded) *scenario {
	t.Helper()
	sc := &scenario{t: t}
	for _, e := range events {
		sc.fold(e)
	}
	return sc
}

func (sc *scenario) fold(e domain.Recorded) {
	sc.n++
	if e.ID == "" {
		e.ID = fmt.Sprintf("ev-%d", sc.n)
	}
	if e.RecordedAt.IsZero() {
		e.RecordedAt = date(historyOrigin).Add(time.Duration((sc.n-1)*historyStepHrs) * time.Hour)
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = e.RecordedAt
	}
	if e.Actor == (eventstore.Actor{}) {
		e.Actor = secretary
	}
	sc.state = domain.Evolve(sc.state, e)
}

// and decides cmd, which must succeed, and folds its events as recorded at
// ctx.Now: a step of history made by Decide itself.
func (sc *scenario) and(cmd domain.Command, ctx domain.Context) *scenario {
	sc.t.Helper()
	evs, err := domain.Decide(sc.state, cmd, ctx)
	if err != nil {
		sc.t.Fatalf("given %T: %v", cmd, err)
	}
	for _, e := range evs {
		sc.fold(domain.Recorded{Payload: e.Payload, OccurredAt: e.OccurredAt, RecordedAt: ctx.Now, Actor: ctx.Actor})
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
	if c, ok := cmd.(domain.SetUp); ok && !sc.state.Exists {
		level = domain.LevelOf(c.Council)
	}
	evs, err := domain.Decide(sc.state, cmd, ctx)
	return &outcome{t: sc.t, level: level, events: evs, err: err}
}

// then checks the produced events: payloads with proto.Equal and the time
// the fact happened (zero: when recorded).
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

// thenRule checks a *fault.RuleError: its rule, that it is a
// FailedPrecondition, and that its article is the rulebook's for the
// body's level and is named.
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
	if want := domain.Article(o.level, rule); re.Article != want {
		o.t.Errorf("rule %s: article = %q, want %q", rule, re.Article, want)
	}
	if re.Article == "" {
		o.t.Errorf("rule %s: names no article", rule)
	}
	if k, reason, _ := fault.Classify(o.err); k != fault.FailedPrecondition || reason != rule {
		o.t.Errorf("Classify = (%v, %s), want (FailedPrecondition, %s)", k, reason, rule)
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
	if o.events != nil {
		o.t.Errorf("events returned with an error: %v", o.events)
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
	if o.events != nil {
		o.t.Errorf("events returned with an error: %v", o.events)
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

func at(p proto.Message, t time.Time) domain.Recorded {
	return domain.Recorded{Payload: p, OccurredAt: t, RecordedAt: t}
}

func setUpIn(council string, kind advisoryeventsv1.BodyKind, quorum int32) domain.Recorded {
	return rec(&advisoryeventsv1.BodySetUp{
		BodyId: domain.BodyID(kind), Council: council, Kind: kind,
		Name: "Instance de l'équité, de l'égalité des chances et de l'approche genre", DecisionDate: "2026-01-05",
		DecisionReference: "Délibération n° 12/2026", QuorumPercent: quorum,
	})
}

// setUp is the commune's equity and gender body, with the default quorum.
func setUp() domain.Recorded {
	return setUpIn(beniMellal, advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, domain.DefaultQuorumPercent)
}

func member(id string, sex advisoryeventsv1.Sex, band advisoryeventsv1.AgeBand, disability bool) *advisoryeventsv1.Member {
	return &advisoryeventsv1.Member{MemberId: id, Sex: sex, AgeBand: band, Disability: disability, Affiliation: "Association Tadla"}
}

func woman(id string) *advisoryeventsv1.Member {
	return member(id, advisoryeventsv1.Sex_SEX_FEMALE, advisoryeventsv1.AgeBand_AGE_BAND_ADULT, false)
}

func joined(m *advisoryeventsv1.Member) domain.Recorded {
	return rec(&advisoryeventsv1.MemberJoined{Member: m})
}

func left(id, reason string) domain.Recorded {
	return rec(&advisoryeventsv1.MemberLeft{MemberId: id, Reason: reason})
}

func role(id string, r advisoryeventsv1.BureauRole) domain.Recorded {
	return rec(&advisoryeventsv1.BureauRoleAssigned{MemberId: id, Role: r})
}

// memberID is the id of the i-th member of the standard roster, from 1.
func memberID(i int) string { return fmt.Sprintf("m%02d", i) }

// roster is the standard 21 members, as one commune's internal rules
// have it (DOMAIN.md §3): members 1-9 are women, every third member is
// young (7 of 21), members 5 and 14 have a disability.
func roster() []*advisoryeventsv1.Member {
	var ms []*advisoryeventsv1.Member
	for i := 1; i <= 21; i++ {
		sex := advisoryeventsv1.Sex_SEX_MALE
		if i <= 9 {
			sex = advisoryeventsv1.Sex_SEX_FEMALE
		}
		band := advisoryeventsv1.AgeBand_AGE_BAND_ADULT
		if i%3 == 0 {
			band = advisoryeventsv1.AgeBand_AGE_BAND_YOUTH
		} else if i > 18 {
			band = advisoryeventsv1.AgeBand_AGE_BAND_SENIOR
		}
		ms = append(ms, member(memberID(i), sex, band, i == 5 || i == 14))
	}
	return ms
}

// firstMembers returns the ids of the first n members of the roster.
func firstMembers(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = memberID(i + 1)
	}
	return ids
}

func drafted(id, consultation string) domain.Recorded {
	return rec(&advisoryeventsv1.OpinionDrafted{
		OpinionId: id, Title: "Budget sensible au genre 2027", Consultation: consultation,
		Text: "L'instance recommande d'affecter une part du budget aux services de proximité pour les femmes.",
	})
}

// held is a meeting of the standard roster with its first n members
// present, as Decide records it for a 50 % quorum.
func held(id string, n int, when time.Time) domain.Recorded {
	return at(&advisoryeventsv1.MeetingHeld{
		MeetingId: id, Attendees: firstMembers(n), QuorumReached: n*100 >= 50*21, MembersInOffice: 21,
	}, when)
}

// Histories, each a prefix of the next.

func hBody() []domain.Recorded { return []domain.Recorded{setUp()} }

func hRoster() []domain.Recorded {
	h := hBody()
	for _, m := range roster() {
		h = append(h, joined(m))
	}
	return h
}

// hDraft: the roster and a self-initiated draft opinion.
func hDraft() []domain.Recorded { return append(hRoster(), drafted(draftID, "")) }

// hMet: the draft, and a meeting of 15 members that reached its quorum.
func hMet() []domain.Recorded { return append(hDraft(), held("meet-1", 15, meetingTime)) }

func hAdopted() []domain.Recorded {
	return append(hMet(), at(&advisoryeventsv1.OpinionAdopted{
		OpinionId: draftID, MeetingId: "meet-1", VotesFor: 10, VotesAgainst: 3, Abstentions: 2,
	}, meetingTime))
}

// transmitTime is when the standard opinion was sent to the council.
var transmitTime = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func hTransmitted() []domain.Recorded {
	return append(hAdopted(), at(&advisoryeventsv1.OpinionTransmitted{OpinionId: draftID}, transmitTime))
}

func hResponded() []domain.Recorded {
	return append(hTransmitted(), at(&advisoryeventsv1.CouncilResponded{
		OpinionId: draftID, Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY, Reasons: "Retenu pour 2027 en partie",
	}, transmitTime.Add(72*time.Hour)))
}

// Commands used by many tests.

func setUpCommand() domain.SetUp {
	return domain.SetUp{
		Council: beniMellal, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		Name: "Instance de l'équité, de l'égalité des chances et de l'approche genre", DecisionDate: "2026-01-05",
		DecisionReference: "Délibération n° 12/2026",
	}
}

func respond() domain.Respond {
	return domain.Respond{
		OpinionID: draftID, Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY,
		Reasons: "Le conseil intègre la recommandation au budget 2027", At: now.Add(-time.Hour),
	}
}
