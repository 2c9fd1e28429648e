package domain_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// A region's youth body (law 111-14 art. 117) from set-up to the council's
// response, each event decided by Decide from the state the previous ones
// left, then folded with Evolve: set up → members → bureau → replacement
// → a meeting without quorum → a meeting with it → referral drafted →
// adopted → transmitted → answered.
func TestLifecycle_Law111_14_Art117(t *testing.T) {
	var (
		s      domain.State
		clock  = date("2026-03-02T09:00:00Z")
		n      int
		states []domain.State
	)
	step := func(name string, cmd domain.Command, actor eventstore.Actor, check func(domain.State)) {
		t.Helper()
		evs, err := domain.Decide(s, cmd, domain.Context{Now: clock, Actor: actor})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range evs {
			n++
			occurred := e.OccurredAt
			if occurred.IsZero() {
				occurred = clock
			}
			states = append(states, s)
			s = domain.Evolve(s, domain.Recorded{ID: fmt.Sprintf("ev-%d", n), Payload: e.Payload, OccurredAt: occurred, RecordedAt: clock, Actor: actor})
		}
		if check != nil {
			check(s)
		}
		clock = clock.Add(72 * time.Hour)
	}
	youth := advisoryeventsv1.BodyKind_BODY_KIND_YOUTH

	step("set up", domain.SetUp{
		Council: beniMellalReg, Kind: youth, Name: "Instance chargée des questions des jeunes",
		DecisionDate: "2026-02-27", DecisionReference: "Délibération n° 4/2026", QuorumPercent: 60,
	}, staff, func(s domain.State) {
		if !s.Exists || s.ID != "youth" || s.Level() != domain.Region || s.QuorumPercent != 60 || !s.CreatedAt.Equal(date("2026-03-02T09:00:00Z")) {
			t.Errorf("set up: %+v", s)
		}
	})
	for i := 1; i <= 5; i++ {
		sex := advisoryeventsv1.Sex_SEX_MALE
		if i%2 == 1 {
			sex = advisoryeventsv1.Sex_SEX_FEMALE
		}
		step("join", domain.AddMember{Member: member(fmt.Sprintf("y%d", i), sex, advisoryeventsv1.AgeBand_AGE_BAND_YOUTH, i == 5)}, secretary, nil)
	}
	step("president", domain.AssignBureauRole{MemberID: "y1", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}, secretary, nil)
	step("rapporteur", domain.AssignBureauRole{MemberID: "y2", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR}, secretary, nil)
	step("replace the rapporteur", domain.AddMember{Member: member("y6", advisoryeventsv1.Sex_SEX_FEMALE, advisoryeventsv1.AgeBand_AGE_BAND_YOUTH, false), Replaces: "y2"}, secretary, func(s domain.State) {
		if s.Members["y2"].Active || s.Members["y2"].BureauRole != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED || !s.Members["y6"].Active {
			t.Errorf("replacement: y2 %+v, y6 %+v", s.Members["y2"], s.Members["y6"])
		}
		if !slices.Equal(s.Active(), []string{"y1", "y3", "y4", "y5", "y6"}) || !slices.Equal(s.MemberOrder, []string{"y1", "y2", "y3", "y4", "y5", "y6"}) {
			t.Errorf("active %v, order %v", s.Active(), s.MemberOrder)
		}
		if m, w, y, d, ws, _, _ := domain.Composition(s); m != 5 || w != 4 || y != 5 || d != 1 || ws != 0.8 {
			t.Errorf("composition %d %d %d %d %v", m, w, y, d, ws)
		}
	})
	step("new rapporteur", domain.AssignBureauRole{MemberID: "y6", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR}, secretary, nil)
	// 60 % of 5 is 3: two present is short of it.
	step("meeting without quorum", domain.RecordMeeting{MeetingID: "r1", Attendees: []string{"y1", "y3"}, At: clock.Add(-2 * time.Hour)}, secretary, func(s domain.State) {
		if s.Meetings["r1"].QuorumReached || s.Meetings["r1"].MembersInOffice != 5 {
			t.Errorf("meeting r1 %+v", s.Meetings["r1"])
		}
	})
	step("draft a referral", domain.DraftOpinion{
		OpinionID: "av-1", Title: "Programme de développement régional: volet jeunesse",
		Consultation: beniMellalReg + "/consultations/pdr-2027", Text: "L'instance recommande…",
	}, secretary, nil)
	if _, err := domain.Decide(s, domain.AdoptOpinion{OpinionID: "av-1", MeetingID: "r1", For: 2}, domain.Context{Now: clock, Actor: secretary}); err == nil {
		t.Fatal("adopted at a meeting without quorum")
	}
	met := clock.Add(-3 * time.Hour)
	step("meeting with quorum", domain.RecordMeeting{MeetingID: "r2", Attendees: []string{"y1", "y3", "y6"}, At: met}, secretary, nil)
	step("adopt", domain.AdoptOpinion{OpinionID: "av-1", MeetingID: "r2", For: 2, Abstain: 1}, secretary, func(s domain.State) {
		if op := s.Opinions["av-1"]; op.State != advisoryeventsv1.OpinionState_OPINION_STATE_ADOPTED || !op.AdoptedAt.Equal(met) {
			t.Errorf("adopted: %+v", op)
		}
	})
	sent := clock
	step("transmit", domain.TransmitOpinion{OpinionID: "av-1"}, secretary, nil)
	step("respond", domain.Respond{OpinionID: "av-1", Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY, Reasons: "Retenu en partie"}, staff, func(s domain.State) {
		op := s.Opinions["av-1"]
		if op.State != advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED || op.Response != advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY {
			t.Errorf("responded: %+v", op)
		}
		if d := domain.DaysToResponse(op); d != 3 || !op.TransmittedAt.Equal(sent) {
			t.Errorf("DaysToResponse = %v, want 3", d)
		}
		if !s.UpdatedAt.Equal(op.RespondedAt) || len(s.Meetings) != 2 || !slices.Equal(s.OpinionOrder, []string{"av-1"}) {
			t.Errorf("body: updated %v, meetings %d, opinions %v", s.UpdatedAt, len(s.Meetings), s.OpinionOrder)
		}
	})

	// Evolve leaves the states it was given as they were: the state before
	// the replacement still has y2 as rapporteur and no y6.
	for _, old := range states {
		if len(old.MemberOrder) == 5 && old.Members["y2"].BureauRole == advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR {
			if !old.Members["y2"].Active || len(old.Opinions) != 0 || len(old.Meetings) != 0 {
				t.Errorf("an earlier state changed: %+v", old)
			}
			return
		}
	}
	t.Error("no state with y2 as rapporteur")
}

// Every event message of tasharuk.advisory.events.v1 is registered, as
// "advisory.<Message>" version 1; Member is a part of events, not one.
func TestEventTypes(t *testing.T) {
	es.NewRegistry(domain.EventTypes) // panics on a duplicate
	names := map[string]bool{}
	for _, et := range domain.EventTypes {
		msg := string(et.Sample.ProtoReflect().Descriptor().Name())
		if et.Name != "advisory."+msg || et.Version != 1 {
			t.Errorf("%s registered as %s v%d", msg, et.Name, et.Version)
		}
		names[msg] = true
	}
	msgs := advisoryeventsv1.File_tasharuk_advisory_events_v1_events_proto.Messages()
	for i := range msgs.Len() {
		name := string(msgs.Get(i).Name())
		if name != "Member" && !names[name] {
			t.Errorf("event %s is not registered", name)
		}
	}
	if len(domain.EventTypes) != msgs.Len()-1 {
		t.Errorf("%d event types for %d messages (less Member)", len(domain.EventTypes), msgs.Len())
	}
}
