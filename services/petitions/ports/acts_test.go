package ports

import (
	"testing"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// TestActNumbersMatchTheAPI: the ports convert domain.Act to PetitionAct by
// number, so each act must have the API value of the same name, and the
// API no value the domain lacks.
func TestActNumbersMatchTheAPI(t *testing.T) {
	for a := domain.ActUnspecified; a <= domain.ActAmend; a++ {
		if got, want := petitionsv1.PetitionAct(a).String(), "PETITION_ACT_"+a.String(); got != want {
			t.Errorf("domain act %d is %s in the API, want %s", a, got, want)
		}
	}
	if n, want := len(petitionsv1.PetitionAct_name), int(domain.ActAmend)+1; n != want {
		t.Errorf("the API has %d PetitionAct values, the domain %d", n, want)
	}
}
