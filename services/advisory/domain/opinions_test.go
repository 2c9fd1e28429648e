package domain_test

import (
	"strings"
	"testing"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

const consultation = beniMellal + "/consultations/pac-2027"

// A body gives opinions on a referral (a consultation request of its
// council) or on its own initiative (DOMAIN.md §3; law 113-14 art. 120).
func TestDraftOpinion_Law113_14_Art120(t *testing.T) {
	for _, c := range []string{"", consultation} {
		given(t, hRoster()...).when(domain.DraftOpinion{OpinionID: draftID, Title: " Budget 2027 ", Consultation: c, Text: " Recommandations "}, asSecretary).
			then(domain.Event{Payload: &advisoryeventsv1.OpinionDrafted{OpinionId: draftID, Title: "Budget 2027", Consultation: c, Text: "Recommandations"}})
	}
	s := given(t, hDraft()...).state
	if op := s.Opinions[draftID]; op.State != advisoryeventsv1.OpinionState_OPINION_STATE_DRAFT || op.DraftedAt.IsZero() || len(s.OpinionOrder) != 1 {
		t.Errorf("drafted opinion %+v, order %v", op, s.OpinionOrder)
	}
}

// An opinion has an id unique in the body (OPINION_EXISTS), a title and a
// text; a referral names a consultation request of the body's council.
func TestDraftOpinionFields(t *testing.T) {
	ok := domain.DraftOpinion{OpinionID: "op-2", Title: "Budget", Text: "Texte"}
	for _, tc := range []struct {
		name   string
		change func(*domain.DraftOpinion)
		field  string
	}{
		{"no id", func(c *domain.DraftOpinion) { c.OpinionID = "" }, "opinion_id"},
		{"malformed id", func(c *domain.DraftOpinion) { c.OpinionID = "op/2" }, "opinion_id"},
		{"no title", func(c *domain.DraftOpinion) { c.Title = " " }, "title"},
		{"title too long", func(c *domain.DraftOpinion) { c.Title = strings.Repeat("t", domain.MaxTitle+1) }, "title"},
		{"no text", func(c *domain.DraftOpinion) { c.Text = "" }, "text"},
		{"consultation not a resource name", func(c *domain.DraftOpinion) { c.Consultation = "pac-2027" }, "consultation"},
		{"consultation of a petition", func(c *domain.DraftOpinion) { c.Consultation = beniMellal + "/petitions/p1" }, "consultation"},
		{"consultation without id", func(c *domain.DraftOpinion) { c.Consultation = beniMellal + "/consultations/" }, "consultation"},
		{"consultation of another level", func(c *domain.DraftOpinion) { c.Consultation = "prefectures/x/consultations/c1" }, "consultation"},
		{"consultation of another council", func(c *domain.DraftOpinion) { c.Consultation = "communes/50910311/consultations/c1" }, "consultation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := ok
			tc.change(&cmd)
			given(t, hDraft()...).when(cmd, asSecretary).thenField(tc.field)
		})
	}
	t.Run("same id twice", func(t *testing.T) {
		cmd := ok
		cmd.OpinionID = draftID
		given(t, hDraft()...).when(cmd, asSecretary).thenError(fault.AlreadyExists, domain.ReasonOpinionExists)
	})
}

// An opinion is adopted only at a meeting that reached its quorum (council's
// internal rules, law 113-14 art. 120 (check)): with 21 members in office
// and a 50 % quorum, 10 present adopt nothing (QUORUM_NOT_REACHED) and 11
// do. The adoption happened when the meeting did.
func TestAdoptQuorum_QuorumNotReached_InternalRules_Law113_14_Art120(t *testing.T) {
	meet := func(t *testing.T, present int) *scenario {
		return given(t, hDraft()...).and(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(present), At: meetingTime}, asSecretary)
	}
	t.Run("10 of 21 present", func(t *testing.T) {
		re := meet(t, 10).when(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 8, Against: 1, Abstain: 1}, asSecretary).
			thenRule(domain.RuleQuorum)
		detailNames(t, re.Detail, "meet-1", "10 of 21", "50%")
	})
	t.Run("11 of 21 present", func(t *testing.T) {
		meet(t, 11).when(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 8, Against: 2, Abstain: 1}, asSecretary).
			then(domain.Event{Payload: &advisoryeventsv1.OpinionAdopted{
				OpinionId: draftID, MeetingId: "meet-1", VotesFor: 8, VotesAgainst: 2, Abstentions: 1,
			}, OccurredAt: meetingTime})
	})
	// 12 for, 3 against and 2 abstaining are 17 votes: they need at least
	// 17 members present (with 11, see TestVotesExceedAttendance).
	t.Run("17 of 21 present: 12 for, 3 against, 2 abstaining", func(t *testing.T) {
		sc := meet(t, 17).and(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 12, Against: 3, Abstain: 2}, asSecretary)
		op := sc.state.Opinions[draftID]
		if op.State != advisoryeventsv1.OpinionState_OPINION_STATE_ADOPTED || op.MeetingID != "meet-1" ||
			op.VotesFor != 12 || op.VotesAgainst != 3 || op.Abstentions != 2 || !op.AdoptedAt.Equal(meetingTime) {
			t.Errorf("adopted opinion %+v", op)
		}
	})
}

// Only members present vote: for + against + abstaining ≤ attendees, else
// VOTES_EXCEED_ATTENDANCE (council's internal rules (check)).
func TestVotesExceedAttendance_InternalRules_Law113_14_Art120(t *testing.T) {
	h := append(hDraft(), held("meet-1", 11, meetingTime))
	re := given(t, h...).when(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 12, Against: 3, Abstain: 2}, asSecretary).
		thenRule(domain.RuleVotesExceedAttendance)
	detailNames(t, re.Detail, "17 votes", "11 members present")

	t.Run("every member present votes", func(t *testing.T) {
		thenOne[*advisoryeventsv1.OpinionAdopted](given(t, h...).when(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 6, Against: 3, Abstain: 2}, asSecretary))
	})
	t.Run("negative votes", func(t *testing.T) {
		for field, cmd := range map[string]domain.AdoptOpinion{
			"votes_for":     {OpinionID: draftID, MeetingID: "meet-1", For: -1},
			"votes_against": {OpinionID: draftID, MeetingID: "meet-1", For: 5, Against: -3},
			"abstentions":   {OpinionID: draftID, MeetingID: "meet-1", For: 5, Abstain: -1},
		} {
			given(t, h...).when(cmd, asSecretary).thenField(field)
		}
	})
}

// An opinion needs more votes for than against: MAJORITY_NOT_REACHED
// (council's internal rules (check)).
func TestMajorityNotReached_InternalRules_Law113_14_Art120(t *testing.T) {
	h := append(hDraft(), held("meet-1", 15, meetingTime))
	for _, v := range [][3]int{{5, 5, 5}, {4, 6, 1}, {0, 0, 11}, {0, 0, 0}} {
		re := given(t, h...).when(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: v[0], Against: v[1], Abstain: v[2]}, asSecretary).
			thenRule(domain.RuleMajority)
		if !strings.Contains(re.Error(), "(council's internal rules") {
			t.Errorf("error %q does not cite its article", re.Error())
		}
	}
	// Abstentions do not count against: 3 for, 2 against, 10 abstaining.
	thenOne[*advisoryeventsv1.OpinionAdopted](given(t, h...).when(domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 3, Against: 2, Abstain: 10}, asSecretary))
}

// Adoption needs a draft (WRONG_STATE otherwise), the opinion
// (OPINION_NOT_FOUND) and the meeting (MEETING_NOT_FOUND).
func TestAdoptPreconditions(t *testing.T) {
	vote := domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 10, Against: 3, Abstain: 2}
	given(t, hAdopted()...).when(vote, asSecretary).thenError(fault.FailedPrecondition, domain.ReasonWrongState)
	given(t, hTransmitted()...).when(vote, asSecretary).thenError(fault.FailedPrecondition, domain.ReasonWrongState)
	other := vote
	other.OpinionID = "op-9"
	given(t, hMet()...).when(other, asSecretary).thenError(fault.NotFound, domain.ReasonOpinionNotFound)
	other = vote
	other.MeetingID = "meet-9"
	given(t, hMet()...).when(other, asSecretary).thenError(fault.NotFound, domain.ReasonMeetingNotFound)
	other.MeetingID = ""
	given(t, hMet()...).when(other, asSecretary).thenField("meeting_id")
}

// Only an adopted opinion is sent to the council, not before its adoption
// nor in the future.
func TestTransmitOpinion(t *testing.T) {
	given(t, hAdopted()...).when(domain.TransmitOpinion{OpinionID: draftID, At: transmitTime}, asSecretary).
		then(domain.Event{Payload: &advisoryeventsv1.OpinionTransmitted{OpinionId: draftID}, OccurredAt: transmitTime})
	given(t, hAdopted()...).when(domain.TransmitOpinion{OpinionID: draftID}, asSecretary).
		then(domain.Event{Payload: &advisoryeventsv1.OpinionTransmitted{OpinionId: draftID}})

	given(t, hDraft()...).when(domain.TransmitOpinion{OpinionID: draftID}, asSecretary).thenError(fault.FailedPrecondition, domain.ReasonWrongState)
	given(t, hTransmitted()...).when(domain.TransmitOpinion{OpinionID: draftID}, asSecretary).thenError(fault.FailedPrecondition, domain.ReasonWrongState)
	given(t, hAdopted()...).when(domain.TransmitOpinion{OpinionID: "op-9"}, asSecretary).thenError(fault.NotFound, domain.ReasonOpinionNotFound)
	given(t, hAdopted()...).when(domain.TransmitOpinion{OpinionID: draftID, At: now.Add(time.Hour)}, asSecretary).thenField("transmit_time")
	given(t, hAdopted()...).when(domain.TransmitOpinion{OpinionID: draftID, At: meetingTime.Add(-time.Hour)}, asSecretary).thenField("transmit_time")
}

// The council's response is recorded once (ALREADY_RESPONDED after): how it
// took the opinion into account (fully, partly, not), with reasons, after
// the opinion reached it and not in the future. The law does not oblige the
// council to follow it; recording the answer is what holds it to account
// (DOMAIN.md §3).
func TestRespond_OnceWithReasons(t *testing.T) {
	given(t, hTransmitted()...).when(respond(), asStaff).then(domain.Event{Payload: &advisoryeventsv1.CouncilResponded{
		OpinionId: draftID, Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY,
		Reasons: "Le conseil intègre la recommandation au budget 2027",
	}, OccurredAt: now.Add(-time.Hour)})

	t.Run("a second response", func(t *testing.T) {
		e := given(t, hResponded()...).when(respond(), asStaff).thenError(fault.FailedPrecondition, domain.ReasonAlreadyResponded)
		detailNames(t, e.Detail, draftID, "2026-11-25")
	})
	for name, h := range map[string][]domain.Recorded{"a draft": hDraft(), "an opinion not transmitted": hAdopted()} {
		t.Run(name, func(t *testing.T) {
			given(t, h...).when(respond(), asStaff).thenError(fault.FailedPrecondition, domain.ReasonWrongState)
		})
	}
	t.Run("an unknown opinion", func(t *testing.T) {
		r := respond()
		r.OpinionID = "op-9"
		given(t, hTransmitted()...).when(r, asStaff).thenError(fault.NotFound, domain.ReasonOpinionNotFound)
	})
	for _, tc := range []struct {
		name   string
		change func(*domain.Respond)
		field  string
	}{
		{"no response", func(r *domain.Respond) { r.Response = advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_UNSPECIFIED }, "response"},
		{"unknown response", func(r *domain.Respond) { r.Response = 8 }, "response"},
		{"no reasons", func(r *domain.Respond) { r.Reasons = "  " }, "reasons"},
		{"in the future", func(r *domain.Respond) { r.At = now.Add(time.Hour) }, "response_time"},
		{"before transmission", func(r *domain.Respond) { r.At = transmitTime.Add(-time.Minute) }, "response_time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := respond()
			tc.change(&r)
			given(t, hTransmitted()...).when(r, asStaff).thenField(tc.field)
		})
	}
	t.Run("now when no time is given", func(t *testing.T) {
		r := respond()
		r.At = time.Time{}
		given(t, hTransmitted()...).when(r, asStaff).then(domain.Event{Payload: &advisoryeventsv1.CouncilResponded{
			OpinionId: draftID, Response: r.Response, Reasons: r.Reasons,
		}})
	})
}

// An opinion on the body's own initiative (no consultation) goes the whole
// way: drafted, adopted at a meeting with its quorum, sent, answered.
func TestSelfInitiatedOpinion(t *testing.T) {
	sc := given(t, hRoster()...).
		and(domain.DraftOpinion{OpinionID: "own-1", Title: "Accès des femmes aux marchés", Text: "L'instance recommande…"}, asSecretary).
		and(domain.RecordMeeting{MeetingID: "meet-7", Attendees: firstMembers(14), At: meetingTime}, asSecretary).
		and(domain.AdoptOpinion{OpinionID: "own-1", MeetingID: "meet-7", For: 9, Against: 2, Abstain: 3}, asSecretary).
		and(domain.TransmitOpinion{OpinionID: "own-1", At: transmitTime}, asSecretary).
		and(domain.Respond{OpinionID: "own-1", Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_NOT, Reasons: "Hors des compétences de la commune", At: transmitTime.Add(36 * time.Hour)}, asStaff)
	op := sc.state.Opinions["own-1"]
	if op.Consultation != "" || op.State != advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED ||
		op.Response != advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_NOT || op.Reasons != "Hors des compétences de la commune" ||
		!op.AdoptedAt.Equal(meetingTime) || !op.TransmittedAt.Equal(transmitTime) {
		t.Errorf("opinion %+v", op)
	}
	if d := domain.DaysToResponse(op); d != 1.5 {
		t.Errorf("DaysToResponse = %v, want 1.5", d)
	}
}
