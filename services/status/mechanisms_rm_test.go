package status_test

import (
	"bytes"
	"context"
	"testing"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Bodies, consultations and surveys are found by their full resource name
// only: not under another council's code, not under another level's prefix
// of the same code, and a creating event that names another council than
// its stream's is not applied. The keying survives a snapshot.
func TestMechanismsKeyedByFullName(t *testing.T) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes, adomain.EventTypes, cdomain.EventTypes)
	w := writer{t, s, reg}
	const cid = "0193c4b2-0000-7000-8000-000000000001"
	w.append("body.100.equity-gender", eventstore.NoStream, base, &advisoryeventsv1.BodySetUp{BodyId: "equity-gender", Council: "communes/100", Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, Name: "IEECAG", QuorumPercent: 50},
		&advisoryeventsv1.MemberJoined{Member: &advisoryeventsv1.Member{MemberId: "m1", Sex: advisoryeventsv1.Sex_SEX_FEMALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT}})
	// A stream of council 200 whose set-up claims council 100.
	w.append("body.200.equity-gender", eventstore.NoStream, base, &advisoryeventsv1.BodySetUp{BodyId: "equity-gender", Council: "communes/100", Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, Name: "forged"})
	w.append("consultation.100."+cid, eventstore.NoStream, base, &consultationseventsv1.ConsultationRequested{ConsultationId: cid, Council: "communes/100", Title: "PAC", Deadline: "2026-12-31"})
	w.append("survey.100."+cid, eventstore.NoStream, base, &consultationseventsv1.SurveyResultsRecorded{SurveyId: cid, Council: "communes/100", Service: "état civil", Period: "2026", ScoreCounts: []int32{1, 2, 3, 4, 5}})

	m := status.NewReadModels(reg)
	if err := projections.Rebuild(context.Background(), s, m.Runner); err != nil {
		t.Fatal(err)
	}
	check := func(m *status.ReadModels, when string) {
		t.Helper()
		now := projections.AsOf{Now: base}
		if b, ok := m.Advisory.Body("communes/100/advisoryBodies/equity-gender", now); !ok || len(b.Members) != 1 || b.Name != "IEECAG" {
			t.Errorf("%s: the body by its full name: %v %+v", when, ok, b)
		}
		for _, name := range []string{"provinces/100/advisoryBodies/equity-gender", "communes/200/advisoryBodies/equity-gender", "body.100.equity-gender"} {
			if _, ok := m.Advisory.Body(name, now); ok {
				t.Errorf("%s: body found under %s", when, name)
			}
			if m.History.Exists(name) {
				t.Errorf("%s: Exists(%s)", when, name)
			}
		}
		if bodies := m.Advisory.Bodies("100", now); len(bodies) != 1 || bodies[0].Name != "IEECAG" {
			t.Errorf("%s: council 100's bodies: %+v", when, bodies)
		}
		if bodies := m.Advisory.Bodies("200", now); len(bodies) != 0 {
			t.Errorf("%s: the forged set-up was applied: %+v", when, bodies)
		}
		if _, ok := m.Consultations.Consultation("communes/100/consultations/"+cid, now); !ok {
			t.Errorf("%s: the consultation by its full name is not found", when)
		}
		if _, ok := m.Consultations.Consultation("provinces/100/consultations/"+cid, now); ok {
			t.Errorf("%s: the consultation is found under another level's name", when)
		}
		if !m.History.Exists("communes/100/surveys/"+cid) || m.History.Exists("communes/200/surveys/"+cid) {
			t.Errorf("%s: survey existence by full name", when)
		}
		if h, ok := m.History.CaseHistory("communes/100/surveys/" + cid); !ok || len(h) != 1 {
			t.Errorf("%s: survey history: %v %v", when, ok, h)
		}
		if _, ok := m.History.CaseHistory("provinces/100/consultations/" + cid); ok {
			t.Errorf("%s: history under another level's name", when)
		}
	}
	check(m, "rebuilt")
	var buf bytes.Buffer
	if err := m.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	again := status.NewReadModels(reg)
	if err := again.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	check(again, "from a snapshot")
	if again.Digest() != m.Digest() {
		t.Error("the snapshot's digest differs")
	}
}
