package readmodel

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
)

// feed applies events to m as the runner would, at consecutive positions.
type feed struct {
	t   *testing.T
	m   *Programmes
	reg *es.Registry
	pos uint64
}

func (f *feed) apply(stream string, p proto.Message) uint64 {
	f.t.Helper()
	name, version, payload, err := f.reg.Encode(p)
	if err != nil {
		f.t.Fatal(err)
	}
	f.pos++
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(f.pos) * time.Hour)
	e := &eventstore.Event{ID: "e", Stream: stream, Type: name, SchemaVersion: version, Payload: payload, Position: f.pos, OccurredAt: at, RecordedAt: at}
	if err := f.m.Apply(e, p); err != nil {
		f.t.Fatal(err)
	}
	return f.pos
}

func TestModelFoldsAsOfAndSurvivesASnapshot(t *testing.T) {
	reg := es.NewRegistry(domain.EventTypes)
	f := &feed{t: t, m: New(reg), reg: reg}
	stream := domain.ProgrammeStream("50910113", "2021")
	f.apply(stream, &eventsv1.ProgrammeDrafted{Council: "communes/50910113", MandateStart: "2021-09-20", Consultation: "communes/50910113/consultations/c"})
	f.apply(stream, &eventsv1.ProjectAdded{Project: &eventsv1.Project{ProjectId: "a", PriorityRank: 1, EstimatedCost: 100}})
	adopted := f.apply(stream, &eventsv1.ProgrammeAdopted{Deliberation: &eventsv1.Deliberation{Date: "2022-02-08", VotesFor: 3}})
	f.apply(stream, &eventsv1.ProgressRecorded{ProjectId: "a", Percent: 50, Status: eventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY})
	// A stream whose first event names another commune is not applied.
	f.apply(domain.ProgrammeStream("50910101", "2021"), &eventsv1.ProgrammeDrafted{Council: "communes/50910113", MandateStart: "2021-09-20"})
	forms := domain.SurveyFormsStream("50910113", "i1")
	form := &eventsv1.SurveyForm{Sex: eventsv1.Sex_SEX_FEMALE, Scores: []*eventsv1.ServiceScore{{Service: eventsv1.Service_SERVICE_WATER, Score: 4}}}
	part1 := f.apply(forms, &eventsv1.SurveyFormsImported{Council: "communes/50910113", ImportId: "i1", Forms: []*eventsv1.SurveyForm{form, form}, Part: 1, Parts: 2})
	f.apply(forms, &eventsv1.SurveyFormsImported{Council: "communes/50910113", ImportId: "i1", Forms: []*eventsv1.SurveyForm{form}, Part: 2, Parts: 2})

	check := func(m *Programmes, what string) {
		t.Helper()
		st, ok := m.Programme("communes/50910113/programmes/2021", AsOf{})
		if !ok || !st.Adopted || st.Projects[0].Percent != 50 {
			t.Errorf("%s: programme %+v", what, st)
		}
		old, ok := m.Programme("communes/50910113/programmes/2021", AsOf{Position: adopted})
		if !ok || old.Projects[0].Percent != 0 || !old.Adopted {
			t.Errorf("%s: as of the adoption, %+v", what, old)
		}
		if _, ok := m.Programme("communes/50910101/programmes/2021", AsOf{}); ok {
			t.Errorf("%s: the crafted stream was applied", what)
		}
		if n, mean, sat := m.Forms("50910113", AsOf{}).Rated("sex=SEX_FEMALE", int32(eventsv1.Service_SERVICE_WATER)); n != 3 || mean != 4 || sat != 1 {
			t.Errorf("%s: forms %d, mean %v, satisfied %v", what, n, mean, sat)
		}
		if n := m.Forms("50910113", AsOf{Position: part1}).Forms; n != 2 {
			t.Errorf("%s: as of the first part, %d forms, want 2", what, n)
		}
	}
	check(f.m, "live")
	snap, err := f.m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := New(reg)
	if err := restored.Restore(snap); err != nil {
		t.Fatal(err)
	}
	check(restored, "restored")
}
