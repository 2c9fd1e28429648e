package domain_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

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

// The levels that count are recorded like any other rule: an amendment of
// the commune rulebook, or a council's internal rules, that leave out
// CODE_VERIFIED change the threshold check from their effective day
// (issue 16 acceptance 4 through issue 18's rulebook events).
func TestThreshold_RecordedRulebookExcludesCodeVerified(t *testing.T) {
	commune := territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE
	bm := tdomain.Council{Code: "50910101", Level: commune, Population: 192_676}
	levels := []petitionseventsv1.SignatureAssurance{paperLevel, providerLevel}
	amended, err := tdomain.DecideAmendRulebook(tdomain.RulebookState{}, tdomain.AmendRulebook{Level: commune, LegalReference: "loi d'essai",
		EffectiveDate: "2027-03-01", Values: &territoryeventsv1.RulebookValues{CountedAssurance: levels}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := tdomain.DecideSetCouncilRules(tdomain.RulebookState{}, tdomain.SetCouncilRules{Council: bm, InternalRulesReference: "délibération d'essai",
		EffectiveDate: "2027-03-01", CountedAssurance: levels})
	if err != nil {
		t.Fatal(err)
	}
	tally := domain.Tally{Valid: 250, ByAssurance: map[petitionseventsv1.SignatureAssurance]int{paperLevel: 120, codeLevel: 90, providerLevel: 40}}
	for what, ev := range map[string]proto.Message{"amendment": amended, "council rules": set} {
		if got := ev.(interface{ GetChangedFields() []string }).GetChangedFields(); len(got) != 1 || got[0] != "counted_assurance" {
			t.Fatalf("%s: changed %v", what, got)
		}
		v, ok := tdomain.VersionOf(ev, time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC))
		if !ok {
			t.Fatalf("%s: no version", what)
		}
		before := tdomain.RulebookOn(commune, []tdomain.RulebookVersion{v}, time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC))
		after := tdomain.RulebookOn(commune, []tdomain.RulebookVersion{v}, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
		if before.CountedAssurance != nil || !slices.Equal(after.CountedAssurance, levels) {
			t.Fatalf("%s: counted before %v, after %v", what, before.CountedAssurance, after.CountedAssurance)
		}
		for _, rb := range []tdomain.Rulebook{before, after} {
			c := admit(250, rb.SignatureThreshold(bm))
			c.Signatures = tally
			c.CountedAssurance = rb.CountedAssurance
			o := given(t, hReview()...).when(c, asClerk)
			if rb.CountedAssurance == nil {
				thenOne[*petitionseventsv1.AdmissibilityDecided](o)
			} else {
				detailNames(t, o.thenRule(domain.RuleThreshold, fault.FailedPrecondition).Detail, "160", "200")
			}
		}
	}
	// An unknown level, UNSPECIFIED or a level twice is refused.
	for _, bad := range [][]petitionseventsv1.SignatureAssurance{{99}, {petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_UNSPECIFIED}, {paperLevel, paperLevel}} {
		if _, err := tdomain.DecideAmendRulebook(tdomain.RulebookState{}, tdomain.AmendRulebook{Level: commune, LegalReference: "loi d'essai",
			EffectiveDate: "2027-03-01", Values: &territoryeventsv1.RulebookValues{CountedAssurance: bad}}); err == nil {
			t.Errorf("amendment counting %v accepted", bad)
		}
		if _, err := tdomain.DecideSetCouncilRules(tdomain.RulebookState{}, tdomain.SetCouncilRules{Council: bm, InternalRulesReference: "délibération",
			EffectiveDate: "2027-03-01", CountedAssurance: bad}); err == nil {
			t.Errorf("council rules counting %v accepted", bad)
		}
	}
}
