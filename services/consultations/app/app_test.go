package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	advisoryrm "github.com/tasharuk/tasharuk/services/advisory/readmodel"
	"github.com/tasharuk/tasharuk/services/consultations/app"
	"github.com/tasharuk/tasharuk/services/consultations/app/command"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
	petitionsrm "github.com/tasharuk/tasharuk/services/petitions/readmodel"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
	territoryrm "github.com/tasharuk/tasharuk/services/territory/readmodel"
)

const (
	beniMellal = "communes/50910101"
	fquihBenS  = "communes/50910102" // another council: the attacker's
	body       = beniMellal + "/advisoryBodies/equity-gender"
	theirBody  = fquihBenS + "/advisoryBodies/equity-gender"
	deadline   = "2026-12-20"
)

var (
	clock   = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	clerk   = eventstore.Actor{Subject: "clerk-1", Role: "staff", Council: "50910101"}
	admin   = eventstore.Actor{Subject: "test:admin", Role: "admin"}
	adopted = "018f3a5e-0000-7000-a000-000000000001" // an adopted opinion of each body
	drafted = "018f3a5e-0000-7000-a000-000000000002" // a draft of Beni Mellal's body
)

// fixedIDs gives the ids it was made with, in order.
type fixedIDs struct{ ids []string }

func (f *fixedIDs) NewID() string {
	id := f.ids[0]
	f.ids = f.ids[1:]
	return id
}

func newID(i int) string { return fmt.Sprintf("018f3a5e-0000-7000-8000-%012d", i) }

// facts answers the handlers from the real read models of the contexts
// they ask about (territory's councils, advisory's bodies, petitions'), on
// a runner brought up to the log's end before each answer (what the
// follower does in the binary).
type facts struct {
	t         *testing.T
	store     eventstore.Store
	runner    *projections.Runner
	councils  *territoryrm.Councils
	bodies    *advisoryrm.Bodies
	petitions *petitionsrm.Petitions
}

func newFacts(t *testing.T, store eventstore.Store, reg *es.Registry) facts {
	f := facts{t: t, store: store, councils: territoryrm.New(), bodies: advisoryrm.New(reg), petitions: petitionsrm.New(reg)}
	f.runner = projections.New(reg, f.councils, f.bodies, f.petitions)
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

func (f facts) Body(name string) (adomain.State, bool) {
	f.sync()
	return f.bodies.Body(name, projections.AsOf{Now: clock})
}

func (f facts) Exists(name string) bool { f.sync(); return f.petitions.Exists(name) }

type fixture struct {
	t     *testing.T
	store eventstore.Store
	reg   *es.Registry
	app   app.Application
	ids   *fixedIDs
}

// newFixture opens a real NATS store in a temporary folder, registers two
// communes, gives each an advisory body with an adopted opinion (and
// Beni Mellal's a draft), and builds the application with a fixed clock
// and ids. Other contexts' facts are written through their domains.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := es.NewRegistry(tdomain.EventTypes, adomain.EventTypes, domain.EventTypes)
	f := &fixture{t: t, store: store, reg: reg, ids: &fixedIDs{ids: []string{newID(1), newID(2), newID(3), newID(4)}}}
	for i, code := range []string{"50910101", "50910102"} {
		f.registerCommune(i, code)
		council := "communes/" + code
		f.advise(code, adomain.SetUp{Council: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
			Name: "Instance de l'équité", DecisionDate: "2026-01-05", DecisionReference: "Délibération n° 12/2026"})
		f.advise(code, adomain.AddMember{Member: &advisoryeventsv1.Member{MemberId: "m01", Sex: advisoryeventsv1.Sex_SEX_FEMALE,
			AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT, Affiliation: "Association Tadla"}})
		f.advise(code, adomain.DraftOpinion{OpinionID: adopted, Title: "Avis", Text: "Texte de l'avis."})
		f.advise(code, adomain.RecordMeeting{MeetingID: "meet-1", Attendees: []string{"m01"}, At: clock.Add(-time.Hour)})
		f.advise(code, adomain.AdoptOpinion{OpinionID: adopted, MeetingID: "meet-1", For: 1})
	}
	f.advise("50910101", adomain.DraftOpinion{OpinionID: drafted, Title: "Projet", Text: "Texte du projet."})
	f.app = app.New(store, reg, newFacts(t, store, reg), f.ids, func() time.Time { return clock })
	return f
}

// registerCommune records a commune's registration as the territory
// domain decides it.
func (f *fixture) registerCommune(i int, code string) {
	f.t.Helper()
	evs, err := tdomain.Decide(tdomain.State{}, tdomain.RegisterCouncil{Council: tdomain.Council{Code: code, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE,
		NameFR: "Commune " + code, ParentCode: "beni-mellal", Population: 192676, CensusYear: 2024}})
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.reg.Propose(evs[0], es.Meta{ID: fmt.Sprintf("018f3a5e-0000-7000-9000-%012d", i), Actor: admin})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.Append(context.Background(), tdomain.StreamID(code), eventstore.NoStream, []eventstore.Proposed{p}); err != nil {
		f.t.Fatal(err)
	}
}

// advise decides an advisory command on the equity body of the commune
// code, as the advisory domain decides it.
func (f *fixture) advise(code string, cmd adomain.Command) {
	f.t.Helper()
	_, err := es.Run(context.Background(), f.store, f.reg, adomain.BodyStream(code, "equity-gender"), admin, func() time.Time { return clock },
		adomain.Evolve, adomain.Decide, func(adomain.State) (adomain.Command, error) { return cmd, nil })
	if err != nil {
		f.t.Fatalf("%T: %v", cmd, err)
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

// consultation folds the consultation's stream as the store has it.
func (f *fixture) consultation(c command.Consultation) domain.State {
	f.t.Helper()
	evs, err := f.store.ReadStream(context.Background(), domain.StreamID(c.Council, c.ID), 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var st domain.State
	for i := range evs {
		p, err := f.reg.DecodeEvent(&evs[i])
		if err != nil {
			f.t.Fatal(err)
		}
		st = domain.Evolve(st, es.RecordedFrom(&evs[i], p))
	}
	return st
}

func request(b string, kind consultationseventsv1.SubjectKind) command.CreateConsultation {
	return command.CreateConsultation{Request: domain.Request{Council: beniMellal, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
		Body: b, SubjectKind: kind, Title: "Avis sur le projet de budget 2027", Deadline: deadline}}
}

// A consultation of a body and a public one through the table: every
// handler writes at the position it returns, with the injected clock, and
// the new resources get the ids the generator gave.
func TestConsultationsThroughTheTable(t *testing.T) {
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

	asked, pos, err := c.CreateConsultation.Handle(ctx, clerk, request(body, consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET))
	step("CreateConsultation", pos, err)
	if asked != (command.Consultation{Council: beniMellal, ID: newID(1)}) {
		t.Fatalf("consultation %+v, want id %s", asked, newID(1))
	}
	pos, err = c.AcknowledgeConsultation.Handle(ctx, clerk, command.AcknowledgeConsultation{Consultation: asked})
	step("AcknowledgeConsultation", pos, err)
	pos, err = c.AnswerConsultation.Handle(ctx, clerk, command.AnswerConsultation{Consultation: asked, Answer: domain.Answer{Opinion: body + "/opinions/" + adopted}})
	step("AnswerConsultation", pos, err)
	st := f.consultation(asked)
	if st.StateAt(clock) != consultationseventsv1.ConsultationState_CONSULTATION_STATE_ANSWERED || st.Opinion != body+"/opinions/"+adopted ||
		!st.AnsweredAt.Equal(clock) {
		t.Errorf("answered consultation: %+v", st)
	}
	evs, err := f.store.ReadStream(ctx, domain.ConsultationStream("50910101", asked.ID), 0, 0)
	if err != nil || len(evs) != 3 {
		t.Fatalf("consultation stream: %d events, %v", len(evs), err)
	}
	for _, e := range evs {
		if e.Actor != clerk || !e.OccurredAt.Equal(clock) {
			t.Errorf("%s: actor %+v at %v, want %+v at the injected clock %v", e.Type, e.Actor, e.OccurredAt, clerk, clock)
		}
	}

	public, pos, err := c.CreateConsultation.Handle(ctx, clerk, request("", consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME))
	step("CreateConsultation (public)", pos, err)
	pos, err = c.CompletePhase.Handle(ctx, clerk, command.CompletePhase{Consultation: public, CompletePhase: domain.CompletePhase{Phase: consultationseventsv1.Phase_PHASE_LAUNCH}})
	step("CompletePhase", pos, err)
	pos, err = c.RecordWorkshop.Handle(ctx, clerk, command.RecordWorkshop{Consultation: public, RecordWorkshop: domain.RecordWorkshop{Workshop: &consultationseventsv1.WorkshopHeld{
		WorkshopId: "w1", Date: "2026-11-20", Place: "Quartier Ouled Hamdane", Theme: "Éclairage et voirie", Participants: 40, Women: 22, Youth: 10, Contributions: 12}}})
	step("RecordWorkshop", pos, err)
	pos, err = c.WithdrawConsultation.Handle(ctx, clerk, command.WithdrawConsultation{Consultation: public, Withdraw: domain.Withdraw{Reason: "Programme reporté"}})
	step("WithdrawConsultation", pos, err)
	st = f.consultation(public)
	if st.StateAt(clock) != consultationseventsv1.ConsultationState_CONSULTATION_STATE_WITHDRAWN || len(st.Workshops) != 1 || len(st.Phases) != 1 {
		t.Errorf("withdrawn consultation: %+v", st)
	}

	survey, pos, err := c.RecordSurvey.Handle(ctx, clerk, command.RecordSurvey{RecordSurvey: domain.RecordSurvey{Council: beniMellal,
		Service: "état civil", Period: "2026-10", ScoreCounts: []int32{1, 2, 3, 4, 5}}})
	step("RecordSurvey", pos, err)
	if want := beniMellal + "/surveys/" + newID(3); survey != want {
		t.Errorf("survey %q, want %q", survey, want)
	}
	evs, err = f.store.ReadStream(ctx, domain.SurveyStream("50910101", newID(3)), 0, 0)
	if err != nil || len(evs) != 1 || evs[0].Actor != clerk || !evs[0].OccurredAt.Equal(clock) {
		t.Errorf("survey stream: %v, %v", evs, err)
	}
}

// Another council's consultation, body or opinion, a consultation under
// another level's prefix, crafted names and ids, and bad input are refused
// with the answer the API gives today, and the log does not move.
func TestRefusedCommandsChangeNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.app.Commands
	mine, _, err := c.CreateConsultation.Handle(ctx, clerk, request(body, consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET))
	if err != nil {
		t.Fatal(err)
	}
	throughTheirs := command.Consultation{Council: fquihBenS, ID: mine.ID}
	otherLevel := command.Consultation{Council: "provinces/50910101", ID: mine.ID}
	answer := func(op string) func() error {
		return func() error {
			_, err := c.AnswerConsultation.Handle(ctx, clerk, command.AnswerConsultation{Consultation: mine, Answer: domain.Answer{Opinion: op}})
			return err
		}
	}
	create := func(r command.CreateConsultation) func() error {
		return func() error { _, _, err := c.CreateConsultation.Handle(ctx, clerk, r); return err }
	}
	withCouncil := func(r command.CreateConsultation, council string) command.CreateConsultation {
		r.Council = council
		return r
	}
	aboutPetition := request(body, consultationseventsv1.SubjectKind_SUBJECT_KIND_PETITION)
	aboutPetition.SubjectRef = beniMellal + "/petitions/" + newID(8)

	for _, tc := range []struct {
		name   string
		run    func() error
		kind   fault.Kind
		reason string
	}{
		// Another council's resources.
		{"my consultation acknowledged through another council's name", func() error {
			_, err := c.AcknowledgeConsultation.Handle(ctx, clerk, command.AcknowledgeConsultation{Consultation: throughTheirs})
			return err
		}, fault.NotFound, "CONSULTATION_NOT_FOUND"},
		{"my consultation withdrawn under another level's prefix", func() error {
			_, err := c.WithdrawConsultation.Handle(ctx, clerk, command.WithdrawConsultation{Consultation: otherLevel, Withdraw: domain.Withdraw{Reason: "r"}})
			return err
		}, fault.NotFound, "CONSULTATION_NOT_FOUND"},
		{"a request to another council's body", create(request(theirBody, consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET)), fault.Invalid, ""},
		{"answered with another council's adopted opinion", answer(theirBody + "/opinions/" + adopted), fault.Invalid, ""},
		// Unknown resources of the council.
		{"a request to an unknown body", create(request(beniMellal+"/advisoryBodies/youth", consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET)), fault.NotFound, "BODY_NOT_FOUND"},
		{"a request about an unknown petition", create(aboutPetition), fault.NotFound, "PETITION_NOT_FOUND"},
		{"a request of an unregistered council", create(withCouncil(request("", consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET), "communes/99999999")), fault.NotFound, "COUNCIL_NOT_FOUND"},
		{"a request of a council at the wrong level", create(withCouncil(request("", consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET), "regions/50910101")), fault.NotFound, "COUNCIL_NOT_FOUND"},
		{"answered with an unknown opinion", answer(body + "/opinions/" + newID(9)), fault.NotFound, "OPINION_NOT_FOUND"},
		{"answered with a draft", answer(body + "/opinions/" + drafted), fault.FailedPrecondition, "WRONG_STATE"},
		{"a survey of an unregistered council", func() error {
			_, _, err := c.RecordSurvey.Handle(ctx, clerk, command.RecordSurvey{RecordSurvey: domain.RecordSurvey{Council: "communes/99999999",
				Service: "état civil", Period: "2026-10", ScoreCounts: []int32{1, 2, 3, 4, 5}}})
			return err
		}, fault.NotFound, "COUNCIL_NOT_FOUND"},
		// Crafted names and ids never reach a stream id.
		{"an id with a dot", func() error {
			_, err := c.AcknowledgeConsultation.Handle(ctx, clerk, command.AcknowledgeConsultation{Consultation: command.Consultation{Council: beniMellal, ID: mine.ID + ".x"}})
			return err
		}, fault.Invalid, ""},
		{"a council with a path", func() error {
			_, err := c.AcknowledgeConsultation.Handle(ctx, clerk, command.AcknowledgeConsultation{Consultation: command.Consultation{Council: beniMellal + "/x", ID: mine.ID}})
			return err
		}, fault.Invalid, ""},
		// Bad input.
		{"no workshop", func() error {
			_, err := c.RecordWorkshop.Handle(ctx, clerk, command.RecordWorkshop{Consultation: mine})
			return err
		}, fault.Invalid, ""},
		{"a deadline in the past", create(func() command.CreateConsultation {
			r := request(body, consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET)
			r.Deadline = "2026-01-01"
			return r
		}()), fault.Invalid, ""},
		{"a survey of no period", func() error {
			_, _, err := c.RecordSurvey.Handle(ctx, clerk, command.RecordSurvey{RecordSurvey: domain.RecordSurvey{Council: beniMellal,
				Service: "état civil", Period: "octobre", ScoreCounts: []int32{1, 2, 3, 4, 5}}})
			return err
		}, fault.Invalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			before := f.position()
			err := tc.run()
			k, r, ok := fault.Classify(err)
			if !ok || k != tc.kind || (tc.reason != "" && r != tc.reason) {
				t.Errorf("err = %v (%v, %s), want %v %s", err, k, r, tc.kind, tc.reason)
			}
			if after := f.position(); after != before {
				t.Errorf("log moved from %d to %d on a refused command", before, after)
			}
		})
	}
	f.t = t
	if _, err := f.store.ReadStream(ctx, domain.ConsultationStream("50910102", mine.ID), 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("a consultation stream of the other council: %v, want none written", err)
	}
}

// An id generator that gives something else than a UUID writes nothing:
// the id would become part of a resource name and a stream id.
func TestCraftedGeneratedIDRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"consultation", func() error {
			_, _, err := f.app.Commands.CreateConsultation.Handle(context.Background(), clerk, request(body, consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET))
			return err
		}},
		{"survey", func() error {
			_, _, err := f.app.Commands.RecordSurvey.Handle(context.Background(), clerk, command.RecordSurvey{RecordSurvey: domain.RecordSurvey{Council: beniMellal,
				Service: "état civil", Period: "2026-10", ScoreCounts: []int32{1, 2, 3, 4, 5}}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.ids.ids = []string{"x.consultation.50910102.y"}
			before := f.position()
			err := tc.run()
			if err == nil {
				t.Fatal("written under a crafted id")
			}
			if k, _, _ := fault.Classify(err); k == fault.Invalid {
				t.Errorf("a generator's fault answered as the caller's: %v", err)
			}
			if after := f.position(); after != before {
				t.Errorf("log moved from %d to %d", before, after)
			}
		})
	}
}
