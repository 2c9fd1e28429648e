package filter

import (
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
)

func TestEnum(t *testing.T) {
	const p = "PETITION_STATE_"
	for _, c := range []struct {
		in   string
		want petitionseventsv1.PetitionState
		ok   bool
	}{
		{"DEPOSITED", petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED, true},
		{"PETITION_STATE_DEPOSITED", petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED, true},
		{"petition_state_deposited", petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED, true},
		{" under_review ", petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW, true},
		{"UNSPECIFIED", 0, false},
		{"PETITION_STATE_UNSPECIFIED", 0, false},
		{"PETITION_STATE_PETITION_STATE_DEPOSITED", 0, false},
		{"ACCEPTED", 0, false},
		{"", 0, false},
	} {
		n, ok := Enum(petitionseventsv1.PetitionState_value, p, c.in)
		if ok != c.ok || (ok && petitionseventsv1.PetitionState(n) != c.want) {
			t.Errorf("Enum(%q) = %v %v, want %v %v", c.in, petitionseventsv1.PetitionState(n), ok, c.want, c.ok)
		}
	}
	names := Names(petitionseventsv1.PetitionState_name, p)
	want := "DRAFT, COLLECTING, DEPOSITED"
	if len(names) < len(want) || names[:len(want)] != want {
		t.Fatalf("Names = %q, want it to start %q", names, want)
	}
}
