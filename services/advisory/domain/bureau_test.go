package domain_test

import (
	"testing"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// The bureau's offices come from the council's internal rules (law 113-14
// art. 120 (check)); the rulebook holds one commune's: a president, two
// vice-presidents, a rapporteur and two deputy rapporteurs. One more holder
// than that is BUREAU_ROLE_TAKEN.
func TestBureauLimits_BureauRoleTaken_InternalRules_Law113_14_Art120(t *testing.T) {
	for _, tc := range []struct {
		role  advisoryeventsv1.BureauRole
		limit int
	}{
		{advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT, 1},
		{advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT, 2},
		{advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR, 1},
		{advisoryeventsv1.BureauRole_BUREAU_ROLE_DEPUTY_RAPPORTEUR, 2},
	} {
		t.Run(tc.role.String(), func(t *testing.T) {
			if got := domain.BureauLimits[tc.role]; got != tc.limit {
				t.Fatalf("BureauLimits[%v] = %d, want %d", tc.role, got, tc.limit)
			}
			sc := given(t, hRoster()...)
			for i := 1; i <= tc.limit; i++ {
				sc.and(domain.AssignBureauRole{MemberID: memberID(i), Role: tc.role}, asSecretary)
			}
			re := sc.when(domain.AssignBureauRole{MemberID: memberID(tc.limit + 1), Role: tc.role}, asSecretary).
				thenRule(domain.RuleBureauRoleTaken)
			detailNames(t, re.Detail, firstMembers(tc.limit)...)
			if got := sc.state.Holders(tc.role); len(got) != tc.limit {
				t.Errorf("holders %v, want %d", got, tc.limit)
			}
		})
	}
	t.Run("a region's body cites law 111-14 art. 117", func(t *testing.T) {
		re := given(t,
			setUpIn(beniMellalReg, advisoryeventsv1.BodyKind_BODY_KIND_YOUTH, 50), joined(woman("a")), joined(woman("b")),
			role("a", advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT),
		).when(domain.AssignBureauRole{MemberID: "b", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}, asSecretary).
			thenRule(domain.RuleBureauRoleTaken)
		detailNames(t, re.Article, "law 111-14 art. 117", "internal rules")
	})
	t.Run("a vice-president becomes president", func(t *testing.T) {
		sc := given(t, append(hRoster(),
			role("m01", advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT), role("m02", advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT))...).
			and(domain.AssignBureauRole{MemberID: "m01", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}, asSecretary)
		if got := sc.state.Holders(advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT); len(got) != 1 || got[0] != "m02" {
			t.Errorf("vice-presidents %v, want [m02]", got)
		}
		// The office m01 left is free again.
		thenOne[*advisoryeventsv1.BureauRoleAssigned](sc.when(domain.AssignBureauRole{MemberID: "m03", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT}, asSecretary))
	})
}

// Only a member in office holds an office.
func TestBureauRole_MemberInOffice(t *testing.T) {
	president := advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT
	given(t, hRoster()...).when(domain.AssignBureauRole{MemberID: "m99", Role: president}, asSecretary).
		thenError(fault.NotFound, domain.ReasonMemberNotFound)
	given(t, append(hRoster(), left("m01", "démission"))...).when(domain.AssignBureauRole{MemberID: "m01", Role: president}, asSecretary).
		thenError(fault.FailedPrecondition, domain.ReasonMemberNotActive)
	given(t, hRoster()...).when(domain.AssignBureauRole{Role: president}, asSecretary).thenField("member_id")
}

// An office is one the rulebook knows; UNSPECIFIED takes a member's office
// away; giving a member what they hold is WRONG_STATE.
func TestBureauRole_Offices(t *testing.T) {
	none := advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED
	h := append(hRoster(), role("m01", advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR))
	given(t, h...).when(domain.AssignBureauRole{MemberID: "m02", Role: 9}, asSecretary).thenField("role")
	given(t, h...).when(domain.AssignBureauRole{MemberID: "m01", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR}, asSecretary).
		thenError(fault.FailedPrecondition, domain.ReasonWrongState)
	given(t, h...).when(domain.AssignBureauRole{MemberID: "m02", Role: none}, asSecretary).
		thenError(fault.FailedPrecondition, domain.ReasonWrongState)

	sc := given(t, h...).and(domain.AssignBureauRole{MemberID: "m01", Role: none}, asSecretary)
	if m := sc.state.Members["m01"]; !m.Active || m.BureauRole != none {
		t.Errorf("member after leaving the bureau: %+v", m)
	}
}
