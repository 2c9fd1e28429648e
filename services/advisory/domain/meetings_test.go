package domain_test

import (
	"fmt"
	"testing"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// A meeting records who attended; the quorum is a share of the members in
// office (council's internal rules, law 113-14 art. 120 (check)):
// attendees × 100 ≥ quorum % × members in office, so 50 % of 21 needs 11.
func TestMeetingQuorum_InternalRules_Law113_14_Art120(t *testing.T) {
	for _, tc := range []struct {
		quorum  int32
		present int
		reached bool
	}{
		{50, 1, false},
		{50, 10, false},
		{50, 11, true},
		{50, 21, true},
		{60, 12, false},
		{60, 13, true},
		{100, 20, false},
		{100, 21, true},
	} {
		t.Run(fmt.Sprintf("quorum %d%%, %d of 21 present", tc.quorum, tc.present), func(t *testing.T) {
			h := hRoster()
			h[0] = setUpIn(beniMellal, advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, tc.quorum)
			given(t, h...).when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(tc.present), At: meetingTime}, asSecretary).
				then(domain.Event{Payload: &advisoryeventsv1.MeetingHeld{
					MeetingId: "meet-1", Attendees: firstMembers(tc.present), QuorumReached: tc.reached, MembersInOffice: 21,
				}, OccurredAt: meetingTime})
		})
	}
	t.Run("members who left do not count", func(t *testing.T) {
		h := append(hRoster(), left("m19", "démission"), left("m20", "démission"), left("m21", "fin de mandat"))
		p := thenOne[*advisoryeventsv1.MeetingHeld](given(t, h...).when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(9)}, asSecretary))
		if p.GetMembersInOffice() != 18 || !p.GetQuorumReached() {
			t.Errorf("9 of 18 at 50 %%: %v", p)
		}
	})
	t.Run("folded", func(t *testing.T) {
		sc := given(t, hRoster()...).and(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(11), At: meetingTime}, asSecretary)
		m := sc.state.Meetings["meet-1"]
		if !m.QuorumReached || m.MembersInOffice != 21 || len(m.Attendees) != 11 || !m.At.Equal(meetingTime) {
			t.Errorf("meeting %+v", m)
		}
	})
}

// Meeting ids are unique in the body: MEETING_EXISTS (AlreadyExists). The
// same meeting recorded again is the idempotent retry: it records nothing.
func TestMeetingExists(t *testing.T) {
	given(t, append(hRoster(), held("meet-1", 12, meetingTime))...).
		when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(13)}, asSecretary).
		thenError(fault.AlreadyExists, domain.ReasonMeetingExists)
	given(t, append(hRoster(), held("meet-1", 12, meetingTime))...).
		when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(12), At: meetingTime.Add(time.Hour)}, asSecretary).
		thenError(fault.AlreadyExists, domain.ReasonMeetingExists)
	given(t, append(hRoster(), held("meet-1", 12, meetingTime))...).
		when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(12), At: meetingTime}, asSecretary).then()
}

// Attendees are members in office, each listed once; the meeting has an id
// and did not take place in the future.
func TestMeetingFields(t *testing.T) {
	h := append(hRoster(), left("m21", "démission"))
	for _, tc := range []struct {
		name  string
		cmd   domain.RecordMeeting
		field string
		names string
	}{
		{"no id", domain.RecordMeeting{Attendees: firstMembers(11)}, "meeting_id", ""},
		{"malformed id", domain.RecordMeeting{MeetingID: "réunion 1", Attendees: firstMembers(11)}, "meeting_id", ""},
		{"nobody present", domain.RecordMeeting{MeetingID: "meet-1"}, "attendees", ""},
		{"a member who left", domain.RecordMeeting{MeetingID: "meet-1", Attendees: append(firstMembers(11), "m21")}, "attendees", "m21"},
		{"an attendee twice", domain.RecordMeeting{MeetingID: "meet-1", Attendees: append(firstMembers(11), "m04")}, "attendees", "m04"},
		{"in the future", domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(11), At: now.Add(time.Hour)}, "meet_time", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := given(t, h...).when(tc.cmd, asSecretary).thenField(tc.field)
			if tc.names != "" {
				detailNames(t, fe.Problem, tc.names)
			}
		})
	}
	// An attendee who was never a member of this body (another body's
	// member, say) names no member here: MEMBER_NOT_FOUND.
	t.Run("an unknown attendee", func(t *testing.T) {
		e := given(t, h...).when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: append(firstMembers(11), "m99")}, asSecretary).
			thenError(fault.NotFound, domain.ReasonMemberNotFound)
		detailNames(t, e.Detail, "m99")
	})
	t.Run("a clock a minute ahead is tolerated", func(t *testing.T) {
		thenOne[*advisoryeventsv1.MeetingHeld](given(t, h...).when(domain.RecordMeeting{MeetingID: "meet-1", Attendees: firstMembers(11), At: now.Add(time.Minute)}, asSecretary))
	})
}
