package domain_test

import (
	"regexp"
	"testing"

	"github.com/tasharuk/tasharuk/services/information/domain"
)

// The articles the context cites in errors and reasons are shown to users:
// each is the law alone or the law and an article number, never a marker
// of an unverified number ("(check)"); the unverified ones are named in a
// comment in rules.go.
func TestCitedArticlesAreUserReadable(t *testing.T) {
	ok := regexp.MustCompile(`^law 31-13( art\. [0-9]+)?$`)
	for _, a := range []string{domain.ArtFees, domain.ArtExceptions, domain.ArtProactive, domain.ArtOfficials, domain.ArtRequest, domain.ArtDeadline,
		domain.ArtUrgent, domain.ArtReasoned, domain.ArtComplaint, domain.ArtCommission, domain.ArtAdminisCourt} {
		if !ok.MatchString(a) {
			t.Errorf("cited article %q: want \"law 31-13\" or \"law 31-13 art. N\"", a)
		}
	}
}
