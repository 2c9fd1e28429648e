package filter

import (
	"testing"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

func TestEnum(t *testing.T) {
	const p = "PETITION_STATE_"
	for _, c := range []struct {
		in   string
		want petitionsv1.PetitionState
		ok   bool
	}{
		{"DEPOSITED", petitionsv1.PetitionState_PETITION_STATE_DEPOSITED, true},
		{"PETITION_STATE_DEPOSITED", petitionsv1.PetitionState_PETITION_STATE_DEPOSITED, true},
		{"petition_state_deposited", petitionsv1.PetitionState_PETITION_STATE_DEPOSITED, true},
		{" under_review ", petitionsv1.PetitionState_PETITION_STATE_UNDER_REVIEW, true},
		{"UNSPECIFIED", 0, false},
		{"PETITION_STATE_UNSPECIFIED", 0, false},
		{"PETITION_STATE_PETITION_STATE_DEPOSITED", 0, false},
		{"ACCEPTED", 0, false},
		{"", 0, false},
	} {
		n, ok := Enum(petitionsv1.PetitionState_value, p, c.in)
		if ok != c.ok || (ok && petitionsv1.PetitionState(n) != c.want) {
			t.Errorf("Enum(%q) = %v %v, want %v %v", c.in, petitionsv1.PetitionState(n), ok, c.want, c.ok)
		}
	}
	names := Names(petitionsv1.PetitionState_name, p)
	want := "DRAFT, COLLECTING, DEPOSITED"
	if len(names) < len(want) || names[:len(want)] != want {
		t.Fatalf("Names = %q, want it to start %q", names, want)
	}
}
