package domain_test

import (
	"strings"
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
)

// A decision without an admissibility is refused with the values the
// field takes, spelled as the API spells them (issue 14: the message said
// "ADMISSIBLE or INADMISSIBLE", which the API refuses).
func TestUndecidedAdmissibilityNamesTheRealValues(t *testing.T) {
	cmd := admit(250, 200)
	cmd.Decision = petitionseventsv1.Admissibility_ADMISSIBILITY_UNSPECIFIED
	fe := given(t, hReview()...).when(cmd, asClerk).thenField("admissibility")
	for _, want := range []string{"ADMISSIBILITY_ADMISSIBLE", "ADMISSIBILITY_INADMISSIBLE"} {
		if !strings.Contains(fe.Problem, want) {
			t.Errorf("problem %q does not name %s", fe.Problem, want)
		}
	}
}
