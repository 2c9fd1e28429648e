package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/advisory/app"
	"github.com/tasharuk/tasharuk/services/advisory/app/command"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	consultationsrm "github.com/tasharuk/tasharuk/services/consultations/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
	territoryrm "github.com/tasharuk/tasharuk/services/territory/readmodel"
)

const (
	beniMellal = "communes/50910101"
	fquihBenS  = "communes/50910102" // another council: the attacker's
)

var (
	clock     = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	secretary = eventstore.Actor{Subject: "secretary-1", Role: "advisory", Council: "50910101"}
	admin     = eventstore.Actor{Subject: "test:admin", Role: "admin"}
	equity    = command.Body{Council: beniMellal, ID: "equity-gender"}
)

// fixedIDs gives the ids it was made with, in order.
type fixedIDs struct{ ids []string }

func (f *fixedIDs) NewID() string {
	id := f.ids[0]
	f.ids = f.ids[1:]
	return id
}

func opinionID(i int) string { return fmt.Sprintf("018f3a5e-0000-7000-8000-%012d", i) }

// facts answers the handlers from the real read models of the contexts
// they ask about (territory's councils, consultations'), on a runner
// brought up to the log's end before each answer (what the follower does
// in the binary).
type facts struct {
	t             *testing.T
	store         eventstore.Store
	runner        *projections.Runner
	councils      *territoryrm.Councils
	consultations *consultationsrm.Consultations
}

func newFacts(t *testing.T, store eventstore.Store, reg *es.Registry) facts {
	f := facts{t: t, store: store, councils: territoryrm.New(), consultations: consultationsrm.New(reg)}
	f.runner = projections.New(reg, f.councils, f.consultations)
	return f
}

func (f facts) sync() {
	f.t.Helper()
	evs, err := f.store.ReadAll(context.Background(), f.runner.Position()+1, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range evs {
		if err := f.runner.Apply(e); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f facts) Council(code string) (tdomain.Council, bool) {
	f.sync()
	return f.councils.Council(code)
}

func (f facts) Consultation(name string) (cdomain.State, bool) {
	f.sync()
	return f.consultations.Consultation(name, projections.AsOf{Now: clock})
}

type fixture struct {
	t     *testing.T
	store eventstore.Store
	app   app.Application
	ids   *fixedIDs
}

// newFixture opens a real NATS store in a temporary folder, registers
// two communes and builds the application with a fixed clock and ids.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := es.NewRegistry(tdomain.EventTypes, domain.EventTypes, cdomain.EventTypes)
	for i, code := range []string{"50910101", "50910102"} {
		registerCommune(t, store, reg, i, code)
	}
	ids := &fixedIDs{ids: []string{opinionID(1), opinionID(2), opinionID(3)}}
	a := app.New(store, reg, newFacts(t, store, reg), ids, func() time.Time { return clock })
	return &fixture{t: t, store: store, app: a, ids: ids}
}

// registerCommune records a commune's registration as the territory
// domain decides it (no other context's app is used).
func registerCommune(t *testing.T, store eventstore.Store, reg *es.Registry, i int, code string) {
	t.Helper()
	evs, err := tdomain.Decide(tdomain.State{}, tdomain.RegisterCouncil{Council: tdomain.Council{Code: code, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE,
		NameFR: "Commune " + code, ParentCode: "beni-mellal", Population: 192676, CensusYear: 2024}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Propose(evs[0], es.Meta{ID: fmt.Sprintf("018f3a5e-0000-7000-9000-%012d", i), Actor: admin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), tdomain.StreamID(code), eventstore.NoStream, []eventstore.Proposed{p}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) position() uint64 {
	f.t.Helper()
	p, err := f.store.LastPosition(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// body folds the body's stream as the store has it.
func (f *fixture) body(b command.Body) domain.State {
	f.t.Helper()
	_, code, _ := tdomain.ParseResourceName(b.Council)
	evs, err := f.store.ReadStream(context.Background(), domain.BodyStream(code, b.ID), 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	reg := es.NewRegistry(domain.EventTypes)
	var st domain.State
	for i := range evs {
		p, err := reg.DecodeEvent(&evs[i])
		if err != nil {
			f.t.Fatal(err)
		}
		st = domain.Evolve(st, es.RecordedFrom(&evs[i], p))
	}
	return st
}

// refused checks err's kind and reason and that the log did not move.
func (f *fixture) refused(err error, before uint64, kind fault.Kind, reason string) {
	f.t.Helper()
	k, r, ok := fault.Classify(err)
	if !ok || k != kind || (reason != "" && r != reason) {
		f.t.Errorf("err = %v (%v, %s), want %v %s", err, k, r, kind, reason)
	}
	if after := f.position(); after != before {
		f.t.Errorf("log moved from %d to %d on a refused command", before, after)
	}
}

func (f *fixture) createBody() uint64 {
	f.t.Helper()
	b, pos, err := f.app.Commands.CreateBody.Handle(context.Background(), secretary, command.CreateBody{Council: beniMellal, SetUp: domain.SetUp{
		Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, Name: "Instance de l'équité", DecisionDate: "2026-01-05", DecisionReference: "Délibération n° 12/2026"}})
	if err != nil {
		f.t.Fatal(err)
	}
	if b != equity {
		f.t.Fatalf("body %+v, want %+v", b, equity)
	}
	return pos
}

func women(n int) []*advisoryeventsv1.Member {
	var ms []*advisoryeventsv1.Member
	for i := 1; i <= n; i++ {
		ms = append(ms, &advisoryeventsv1.Member{MemberId: fmt.Sprintf("m%02d", i), Sex: advisoryeventsv1.Sex_SEX_FEMALE,
			AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT, Affiliation: "Association Tadla"})
	}
	return ms
}

// An opinion's whole life through the table: every handler writes the
// body's stream at the position it returns, with the injected clock and
// the actor, and the opinion gets the id the generator gave.
func TestOpinionLifeThroughTheTable(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.app.Commands
	last := f.position()
	step := func(name string, pos uint64, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if now := f.position(); pos != now || pos <= last {
			t.Fatalf("%s: returned position %d, log at %d (before %d)", name, pos, now, last)
		}
		last = pos
	}
	step("CreateBody", f.createBody(), nil)
	for _, m := range women(4) {
		pos, err := c.AddMember.Handle(ctx, secretary, command.AddMember{Body: equity, AddMember: domain.AddMember{Member: m}})
		step("AddMember", pos, err)
	}
	pos, err := c.AssignBureauRole.Handle(ctx, secretary, command.AssignBureauRole{Body: equity,
		AssignBureauRole: domain.AssignBureauRole{MemberID: "m01", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}})
	step("AssignBureauRole", pos, err)
	pos, err = c.RemoveMember.Handle(ctx, secretary, command.RemoveMember{Body: equity, RemoveMember: domain.RemoveMember{MemberID: "m04", Reason: "démission"}})
	step("RemoveMember", pos, err)
	o, pos, err := c.CreateOpinion.Handle(ctx, secretary, command.CreateOpinion{Body: equity, DraftOpinion: domain.DraftOpinion{
		Title: "Budget sensible au genre 2027", Text: "L'instance recommande des services de proximité."}})
	step("CreateOpinion", pos, err)
	if o != (command.Opinion{Body: equity, ID: opinionID(1)}) {
		t.Fatalf("opinion %+v, want id %s", o, opinionID(1))
	}
	meeting := clock.Add(-48 * time.Hour)
	pos, err = c.RecordMeeting.Handle(ctx, secretary, command.RecordMeeting{Body: equity,
		RecordMeeting: domain.RecordMeeting{MeetingID: "meet-1", Attendees: []string{"m01", "m02", "m03"}, At: meeting}})
	step("RecordMeeting", pos, err)
	pos, err = c.AdoptOpinion.Handle(ctx, secretary, command.AdoptOpinion{Opinion: o, AdoptOpinion: domain.AdoptOpinion{MeetingID: "meet-1", For: 2, Against: 1}})
	step("AdoptOpinion", pos, err)
	pos, err = c.TransmitOpinion.Handle(ctx, secretary, command.TransmitOpinion{Opinion: o})
	step("TransmitOpinion", pos, err)
	pos, err = c.RespondToOpinion.Handle(ctx, secretary, command.RespondToOpinion{Opinion: o, Respond: domain.Respond{
		Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY, Reasons: "Intégré au budget 2027"}})
	step("RespondToOpinion", pos, err)

	st := f.body(equity)
	if st.Council != beniMellal || len(st.Members) != 4 || st.Members["m04"].Active || st.Members["m01"].BureauRole != advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT {
		t.Errorf("body after the acts: %+v", st)
	}
	op := st.Opinions[opinionID(1)]
	if op.State != advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED || !op.TransmittedAt.Equal(clock) || !op.RespondedAt.Equal(clock) || op.VotesFor != 2 {
		t.Errorf("opinion after the acts: %+v", op)
	}
	if !st.Meetings["meet-1"].QuorumReached {
		t.Errorf("meeting of 3 of 3 members in office: quorum not reached: %+v", st.Meetings["meet-1"])
	}
	_, code, _ := tdomain.ParseResourceName(beniMellal)
	evs, err := f.store.ReadStream(ctx, domain.BodyStream(code, equity.ID), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Actor != secretary {
			t.Errorf("%s: actor %+v, want %+v", e.Type, e.Actor, secretary)
		}
	}
	if !evs[0].OccurredAt.Equal(clock) {
		t.Errorf("BodySetUp occurred at %v, want the injected clock %v", evs[0].OccurredAt, clock)
	}
}

// Another council's body, a body under another level's prefix, crafted
// names and ids, and bad input are refused with the answer the API gives
// today, and the log does not move.
func TestRefusedCommandsChangeNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.createBody()
	c := f.app.Commands
	if _, err := c.AddMember.Handle(ctx, secretary, command.AddMember{Body: equity, AddMember: domain.AddMember{Member: women(1)[0]}}); err != nil {
		t.Fatal(err)
	}
	draft := command.CreateOpinion{Body: equity, DraftOpinion: domain.DraftOpinion{Title: "Avis", Text: "Texte de l'avis."}}
	mine, _, err := c.CreateOpinion.Handle(ctx, secretary, draft)
	if err != nil {
		t.Fatal(err)
	}
	theirs := command.Body{Council: fquihBenS, ID: "equity-gender"}
	otherLevel := command.Body{Council: "provinces/50910101", ID: "equity-gender"}
	member := women(2)[1]
	setUp := domain.SetUp{Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, Name: "Instance", DecisionDate: "2026-01-05", DecisionReference: "D. 1"}

	for _, tc := range []struct {
		name   string
		run    func() error
		kind   fault.Kind
		reason string
	}{
		// Another council's resources.
		{"member into another council's body", func() error {
			_, err := c.AddMember.Handle(ctx, secretary, command.AddMember{Body: theirs, AddMember: domain.AddMember{Member: member}})
			return err
		}, fault.NotFound, domain.ReasonBodyNotFound},
		{"my body under another level's prefix", func() error {
			_, err := c.AddMember.Handle(ctx, secretary, command.AddMember{Body: otherLevel, AddMember: domain.AddMember{Member: member}})
			return err
		}, fault.NotFound, domain.ReasonBodyNotFound},
		{"my opinion adopted through another council's name", func() error {
			_, err := c.AdoptOpinion.Handle(ctx, secretary, command.AdoptOpinion{Opinion: command.Opinion{Body: theirs, ID: mine.ID},
				AdoptOpinion: domain.AdoptOpinion{MeetingID: "meet-1", For: 1}})
			return err
		}, fault.NotFound, domain.ReasonBodyNotFound},
		{"my opinion transmitted under another level's prefix", func() error {
			_, err := c.TransmitOpinion.Handle(ctx, secretary, command.TransmitOpinion{Opinion: command.Opinion{Body: otherLevel, ID: mine.ID}})
			return err
		}, fault.NotFound, domain.ReasonBodyNotFound},
		{"an opinion on another council's consultation", func() error {
			d := draft
			d.Consultation = fquihBenS + "/consultations/" + opinionID(9)
			_, _, err := c.CreateOpinion.Handle(ctx, secretary, d)
			return err
		}, fault.Invalid, ""},
		{"an opinion on an unknown consultation", func() error {
			d := draft
			d.Consultation = beniMellal + "/consultations/" + opinionID(9)
			_, _, err := c.CreateOpinion.Handle(ctx, secretary, d)
			return err
		}, fault.NotFound, "CONSULTATION_NOT_FOUND"},
		{"a body for an unregistered council", func() error {
			_, _, err := c.CreateBody.Handle(ctx, secretary, command.CreateBody{Council: "communes/99999999", SetUp: setUp})
			return err
		}, fault.NotFound, "COUNCIL_NOT_FOUND"},
		{"a body for a council at the wrong level", func() error {
			_, _, err := c.CreateBody.Handle(ctx, secretary, command.CreateBody{Council: "regions/50910101", SetUp: setUp})
			return err
		}, fault.NotFound, "COUNCIL_NOT_FOUND"},
		// Crafted names and ids never reach a stream id.
		{"a body id with a dot", func() error {
			_, err := c.AddMember.Handle(ctx, secretary, command.AddMember{Body: command.Body{Council: beniMellal, ID: "equity-gender.x"}, AddMember: domain.AddMember{Member: member}})
			return err
		}, fault.Invalid, ""},
		{"a council with a path", func() error {
			_, err := c.RemoveMember.Handle(ctx, secretary, command.RemoveMember{Body: command.Body{Council: "communes/50910101/../x", ID: "equity-gender"},
				RemoveMember: domain.RemoveMember{MemberID: "m01", Reason: "r"}})
			return err
		}, fault.Invalid, ""},
		{"a crafted opinion id", func() error {
			_, err := c.RespondToOpinion.Handle(ctx, secretary, command.RespondToOpinion{Opinion: command.Opinion{Body: equity, ID: "../" + mine.ID[3:]},
				Respond: domain.Respond{Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY, Reasons: "r"}})
			return err
		}, fault.Invalid, ""},
		// Bad input.
		{"no member", func() error {
			_, err := c.AddMember.Handle(ctx, secretary, command.AddMember{Body: equity})
			return err
		}, fault.Invalid, ""},
		{"a kind that names no body", func() error {
			s := setUp
			s.Kind = advisoryeventsv1.BodyKind_BODY_KIND_UNSPECIFIED
			_, _, err := c.CreateBody.Handle(ctx, secretary, command.CreateBody{Council: beniMellal, SetUp: s})
			return err
		}, fault.Invalid, ""},
		{"the same body again, differently", func() error {
			s := setUp
			s.Name = "Une autre instance"
			_, _, err := c.CreateBody.Handle(ctx, secretary, command.CreateBody{Council: beniMellal, SetUp: s})
			return err
		}, fault.AlreadyExists, domain.ReasonBodyExists},
		{"adopting without a meeting", func() error {
			_, err := c.AdoptOpinion.Handle(ctx, secretary, command.AdoptOpinion{Opinion: mine, AdoptOpinion: domain.AdoptOpinion{MeetingID: "no-meeting", For: 1}})
			return err
		}, fault.NotFound, "MEETING_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.position()
			f.t = t
			f.refused(tc.run(), before, tc.kind, tc.reason)
		})
	}
	f.t = t
	if _, err := f.store.ReadStream(ctx, domain.BodyStream("50910102", "equity-gender"), 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("the other council's body stream: %v, want none written", err)
	}
}

// An id generator that gives something else than a UUID writes nothing:
// the id would become part of a resource name.
func TestCraftedGeneratedIDRefused(t *testing.T) {
	f := newFixture(t)
	f.createBody()
	f.ids.ids = []string{"../../communes/x"}
	before := f.position()
	_, _, err := f.app.Commands.CreateOpinion.Handle(context.Background(), secretary, command.CreateOpinion{Body: equity,
		DraftOpinion: domain.DraftOpinion{Title: "Avis", Text: "Texte."}})
	if err == nil {
		t.Fatal("an opinion drafted under a crafted id")
	}
	if k, _, _ := fault.Classify(err); k == fault.Invalid {
		t.Errorf("a generator's fault answered as the caller's: %v", err)
	}
	if after := f.position(); after != before {
		t.Errorf("log moved from %d to %d", before, after)
	}
}
