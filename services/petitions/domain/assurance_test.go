package domain_test

import (
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

var (
	paperLevel    = petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF
	codeLevel     = petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED
	providerLevel = petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID
)

// The rulebook says which levels of assurance count toward the threshold.
// The same 250 valid signatures of Béni Mellal (threshold 200) — 120 on
// paper, 90 code-verified, 40 provider-verified — are enough under the
// default rulebook (all levels count) and not under one that leaves out
// CODE_VERIFIED (160 count).
func TestThreshold_CountedAssuranceLevels(t *testing.T) {
	tally := domain.Tally{Valid: 250, ByAssurance: map[petitionseventsv1.SignatureAssurance]int{paperLevel: 120, codeLevel: 90, providerLevel: 40}}
	decide := func(levels []petitionseventsv1.SignatureAssurance) *outcome {
		c := admit(250, 200)
		c.Signatures = tally
		c.CountedAssurance = levels
		return given(t, hReview()...).when(c, asClerk)
	}
	rb := tdomain.DefaultRulebook(territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE)
	if rb.CountedAssurance != nil {
		t.Fatalf("the default rulebook counts only %v, want every level", rb.CountedAssurance)
	}
	thenOne[*petitionseventsv1.AdmissibilityDecided](decide(rb.CountedAssurance))

	rb.CountedAssurance = []petitionseventsv1.SignatureAssurance{paperLevel, providerLevel}
	re := decide(rb.CountedAssurance).thenRule(domain.RuleThreshold, fault.FailedPrecondition)
	detailNames(t, re.Detail, "160", "200", "PAPER_CHECKED_BY_STAFF", "PROVIDER_VERIFIED_ID")

	// Enough paper and provider-verified signatures pass even so.
	c := admit(250, 200)
	c.Signatures = domain.Tally{Valid: 250, ByAssurance: map[petitionseventsv1.SignatureAssurance]int{paperLevel: 150, codeLevel: 40, providerLevel: 60}}
	c.CountedAssurance = rb.CountedAssurance
	thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, hReview()...).when(c, asClerk))
}

// A rulebook that counts some levels without a tally by level is not
// guessed at: the decision waits.
func TestCountedSignatures_NeedsTallyByLevel(t *testing.T) {
	if n, err := domain.CountedSignatures(domain.Tally{Valid: 7}, nil); err != nil || n != 7 {
		t.Fatalf("all levels: %d %v, want 7", n, err)
	}
	_, err := domain.CountedSignatures(domain.Tally{Valid: 7}, []petitionseventsv1.SignatureAssurance{paperLevel})
	if kind, _, _ := fault.Classify(err); kind != fault.Unavailable {
		t.Fatalf("counted levels without a tally by level: %v, want Unavailable", err)
	}
}
