package domain_test

import (
	"strings"
	"testing"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// Members are recorded with their sex, age band, disability and affiliation
// so the body's composition can be shown (DOMAIN.md §3; composition set by
// the council's internal rules, law 113-14 art. 120 (check)).
func TestAddMember_Law113_14_Art120(t *testing.T) {
	m := member("m01", advisoryeventsv1.Sex_SEX_FEMALE, advisoryeventsv1.AgeBand_AGE_BAND_YOUTH, true)
	m.Affiliation = "  Association Tadla  "
	given(t, hBody()...).when(domain.AddMember{Member: m}, asSecretary).then(domain.Event{Payload: &advisoryeventsv1.MemberJoined{
		Member: &advisoryeventsv1.Member{
			MemberId: "m01", Sex: advisoryeventsv1.Sex_SEX_FEMALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_YOUTH,
			Disability: true, Affiliation: "Association Tadla",
		},
	}})
	if m.GetAffiliation() != "  Association Tadla  " {
		t.Errorf("Decide changed the command's member: %v", m)
	}

	s := given(t, append(hBody(), joined(woman("m01")))...).state
	got := s.Members["m01"]
	if !got.Active || got.BureauRole != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED || got.JoinedAt.IsZero() ||
		got.Member.GetMemberId() != "m01" || len(s.MemberOrder) != 1 {
		t.Errorf("folded member %+v, order %v", got, s.MemberOrder)
	}
}

// A member id names one person for the body's whole history, even after
// they leave: MEMBER_EXISTS (AlreadyExists). Adding the same member in
// office again is the idempotent retry: it records nothing.
func TestMemberIDUniqueEver_MemberExists(t *testing.T) {
	given(t, append(hBody(), joined(woman("m01")))...).
		when(domain.AddMember{Member: member("m01", advisoryeventsv1.Sex_SEX_MALE, advisoryeventsv1.AgeBand_AGE_BAND_ADULT, false)}, asSecretary).
		thenError(fault.AlreadyExists, domain.ReasonMemberExists)
	given(t, append(hBody(), joined(woman("m01")))...).when(domain.AddMember{Member: woman("m01")}, asSecretary).then()
	e := given(t, append(hBody(), joined(woman("m01")), left("m01", "démission"))...).
		when(domain.AddMember{Member: woman("m01")}, asSecretary).thenError(fault.AlreadyExists, domain.ReasonMemberExists)
	detailNames(t, e.Detail, "m01", "never reused")
}

// A member needs a well-formed id, a sex and an age band (composition
// figures count them); malformed input is INVALID_ARGUMENT.
func TestAddMemberFields(t *testing.T) {
	for _, tc := range []struct {
		name   string
		member *advisoryeventsv1.Member
		field  string
	}{
		{"no member", nil, "member"},
		{"no id", woman(""), "member.member_id"},
		{"id with a space", woman("m 1"), "member.member_id"},
		{"id with a slash", woman("m/1"), "member.member_id"},
		{"id of 65 characters", woman(strings.Repeat("m", 65)), "member.member_id"},
		{"no sex", member("m01", advisoryeventsv1.Sex_SEX_UNSPECIFIED, advisoryeventsv1.AgeBand_AGE_BAND_ADULT, false), "member.sex"},
		{"unknown sex", member("m01", 7, advisoryeventsv1.AgeBand_AGE_BAND_ADULT, false), "member.sex"},
		{"no age band", member("m01", advisoryeventsv1.Sex_SEX_MALE, advisoryeventsv1.AgeBand_AGE_BAND_UNSPECIFIED, false), "member.age_band"},
		{"affiliation too long", &advisoryeventsv1.Member{
			MemberId: "m01", Sex: advisoryeventsv1.Sex_SEX_MALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT,
			Affiliation: strings.Repeat("a", domain.MaxShort+1),
		}, "member.affiliation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, hBody()...).when(domain.AddMember{Member: tc.member}, asSecretary).thenField(tc.field)
		})
	}
	t.Run("an id of 64 characters", func(t *testing.T) {
		thenOne[*advisoryeventsv1.MemberJoined](given(t, hBody()...).when(domain.AddMember{Member: woman(strings.Repeat("m", 64))}, asSecretary))
	})
}

// A member in office may be replaced: the decision records the departure
// ("replaced by <id>") then the arrival, naming whom it replaces. The
// member replaced loses any bureau office; the newcomer takes none.
func TestReplaceMember(t *testing.T) {
	h := append(hRoster(), role("m03", advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR))
	newcomer := woman("m22")
	evs := given(t, h...).when(domain.AddMember{Member: newcomer, Replaces: "m03"}, asSecretary).then(
		domain.Event{Payload: &advisoryeventsv1.MemberLeft{MemberId: "m03", Reason: "replaced by m22"}},
		domain.Event{Payload: &advisoryeventsv1.MemberJoined{Member: newcomer, Replaces: "m03"}},
	)

	sc := given(t, h...)
	for _, e := range evs {
		sc.fold(domain.Recorded{Payload: e.Payload})
	}
	s := sc.state
	old, nw := s.Members["m03"], s.Members["m22"]
	if old.Active || old.LeftReason != "replaced by m22" || old.LeftAt.IsZero() || old.BureauRole != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED {
		t.Errorf("replaced member %+v", old)
	}
	if !nw.Active || nw.Replaces != "m03" || nw.BureauRole != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED {
		t.Errorf("newcomer %+v", nw)
	}
	if n := len(s.Active()); n != 21 {
		t.Errorf("%d members in office, want 21", n)
	}
	if h := s.Holders(advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR); len(h) != 0 {
		t.Errorf("rapporteur still held by %v", h)
	}
}

// Only a member in office can be replaced.
func TestReplacesMustBeInOffice(t *testing.T) {
	given(t, hRoster()...).when(domain.AddMember{Member: woman("m22"), Replaces: "m99"}, asSecretary).
		thenError(fault.NotFound, domain.ReasonMemberNotFound)
	given(t, append(hRoster(), left("m03", "démission"))...).when(domain.AddMember{Member: woman("m22"), Replaces: "m03"}, asSecretary).
		thenError(fault.FailedPrecondition, domain.ReasonMemberNotActive)
	t.Run("the newcomer is checked first", func(t *testing.T) {
		given(t, hRoster()...).when(domain.AddMember{Member: woman("m02"), Replaces: "m03"}, asSecretary).
			thenError(fault.AlreadyExists, domain.ReasonMemberExists)
	})
}

// A member leaves with a reason (resignation, end of term); only a member
// in office leaves, and leaving ends their office in the bureau.
func TestRemoveMember(t *testing.T) {
	given(t, hRoster()...).when(domain.RemoveMember{MemberID: "m04", Reason: " fin de mandat "}, asSecretary).
		then(domain.Event{Payload: &advisoryeventsv1.MemberLeft{MemberId: "m04", Reason: "fin de mandat"}})

	t.Run("a reason is required", func(t *testing.T) {
		given(t, hRoster()...).when(domain.RemoveMember{MemberID: "m04", Reason: " "}, asSecretary).thenField("reason")
	})
	t.Run("a member is named", func(t *testing.T) {
		given(t, hRoster()...).when(domain.RemoveMember{Reason: "démission"}, asSecretary).thenField("member_id")
	})
	t.Run("unknown member", func(t *testing.T) {
		given(t, hRoster()...).when(domain.RemoveMember{MemberID: "m99", Reason: "démission"}, asSecretary).
			thenError(fault.NotFound, domain.ReasonMemberNotFound)
	})
	t.Run("a member who left", func(t *testing.T) {
		given(t, append(hRoster(), left("m04", "démission"))...).when(domain.RemoveMember{MemberID: "m04", Reason: "x"}, asSecretary).
			thenError(fault.FailedPrecondition, domain.ReasonMemberNotActive)
	})
	t.Run("the president leaves and the office is free", func(t *testing.T) {
		sc := given(t, append(hRoster(), role("m01", advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT))...).
			and(domain.RemoveMember{MemberID: "m01", Reason: "démission"}, asSecretary)
		if m := sc.state.Members["m01"]; m.Active || m.BureauRole != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED || m.LeftReason != "démission" {
			t.Errorf("member who left: %+v", m)
		}
		thenOne[*advisoryeventsv1.BureauRoleAssigned](sc.when(domain.AssignBureauRole{MemberID: "m02", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}, asSecretary))
	})
}
