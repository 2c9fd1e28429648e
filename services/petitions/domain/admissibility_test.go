package domain_test

import (
	"strings"
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The president refers the deposited petition to the bureau, which checks
// admissibility (law 113-14 art. 125).
func TestReferToBureau_Law113_14_Art125(t *testing.T) {
	given(t, hDeposited()...).when(domain.ReferToBureau{}, asClerk).then(domain.Event{Payload: &petitionseventsv1.PetitionReferredToBureau{}})
	given(t, drafted()).when(domain.ReferToBureau{}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	given(t, hReview()...).when(domain.ReferToBureau{}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
}

// The bureau decides only a petition the president referred to it (law
// 113-14 art. 125 for communes; 112-14 art. 116 and 111-14 art. 122 for
// provinces and regions): a decision straight from the
// deposit, admissible or not, is refused with a typed rule error.
func TestDecideAdmissibilityNeedsBureauReferral_Law113_14_Art125(t *testing.T) {
	for _, c := range []struct {
		council, article string
	}{
		{beniMellal, "law 113-14 art. 125"},
		{beniMellalProv, "law 112-14 art. 116"},
		{beniMellalReg, "law 111-14 art. 122"},
	} {
		t.Run(c.council, func(t *testing.T) {
			deposited := []domain.Recorded{draftedIn(c.council), opened(), deposited()}
			for _, cmd := range []domain.DecideAdmissibility{admit(250, 200), refuse(250, 200, validReasons)} {
				re := given(t, deposited...).when(cmd, asClerk).thenRule(domain.RuleBureauReferral, fault.FailedPrecondition)
				if !strings.HasPrefix(re.Article, c.article) {
					t.Errorf("article %q, want %q", re.Article, c.article)
				}
				detailNames(t, re.Detail, "referToBureau")
			}
			// Once referred, the same decision is taken.
			p := thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, append(deposited, referred())...).when(admit(250, 200), asClerk))
			if p.GetValidSignatures() != 250 || p.GetThreshold() != 200 {
				t.Errorf("event records %d/%d, want 250/200", p.GetValidSignatures(), p.GetThreshold())
			}
		})
	}
	// Before the deposit it is still the wrong state, not a missing referral.
	given(t, drafted(), opened()).when(admit(250, 200), asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
}

// Minimum signatures for a commune of 35,000 inhabitants or more: 200
// (law 113-14 art. 123 (check)). Béni Mellal (209,104) needs 200.
func TestThresholdNotMet_Law113_14_Art123(t *testing.T) {
	re := given(t, hReview()...).when(admit(199, 200), asClerk).thenRule(domain.RuleThreshold, fault.FailedPrecondition)
	detailNames(t, re.Detail, "199", "200")

	t.Run("199 may still be found inadmissible, with reasons", func(t *testing.T) {
		given(t, hReview()...).when(refuse(199, 200, validReasons), asClerk).then(domain.Event{
			Payload: &petitionseventsv1.AdmissibilityDecided{
				Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Checklist: fullChecklist(),
				Reasons: validReasons, ValidSignatures: 199, Threshold: 200,
			},
		})
	})
	t.Run("200 with a full checklist is admissible", func(t *testing.T) {
		given(t, hReview()...).when(admit(200, 200), asClerk).then(domain.Event{
			Payload: &petitionseventsv1.AdmissibilityDecided{
				Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist(),
				ValidSignatures: 200, Threshold: 200,
			},
		})
	})
}

// Communes under 35,000 inhabitants need 100 signatures (law 113-14 art.
// 123 (check)). Zaouiat Cheikh is one.
func TestThresholdSmallCommune_Law113_14_Art123(t *testing.T) {
	h := []domain.Recorded{draftedIn(zaouiatCheikh), opened(), deposited(), referred()}
	p := thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, h...).when(admit(100, 100), asClerk))
	if p.GetValidSignatures() != 100 || p.GetThreshold() != 100 {
		t.Errorf("event records %d/%d, want 100/100", p.GetValidSignatures(), p.GetThreshold())
	}
	given(t, h...).when(admit(99, 100), asClerk).thenRule(domain.RuleThreshold, fault.FailedPrecondition)
}

// An inadmissible decision must be reasoned (law 113-14 art. 125).
func TestReasonsRequired_Law113_14_Art125(t *testing.T) {
	short := strings.Repeat("x", domain.MinDecisionReasons-1)
	for name, reasons := range map[string]string{
		"no reasons":             "",
		"blank reasons":          "   \n ",
		"too short":              short,
		"too short once trimmed": "   " + short + "   ",
	} {
		t.Run(name, func(t *testing.T) {
			given(t, hReview()...).when(refuse(250, 200, reasons), asClerk).thenRule(domain.RuleReasonsRequired, fault.FailedPrecondition)
		})
	}
	t.Run("just long enough", func(t *testing.T) {
		thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, hReview()...).when(refuse(250, 200, strings.Repeat("x", domain.MinDecisionReasons)), asClerk))
	})
	t.Run("oversized", func(t *testing.T) {
		given(t, hReview()...).when(refuse(250, 200, strings.Repeat("x", domain.MaxReasons+1)), asClerk).thenField("reasons")
	})
}

// An admissible petition needs every item of the bureau's check to hold
// (law 113-14 art. 125).
func TestChecklistIncomplete_Law113_14_Art125(t *testing.T) {
	for _, tc := range []struct {
		item  string
		unset func(*petitionseventsv1.Checklist)
	}{
		{"threshold_met", func(c *petitionseventsv1.Checklist) { c.ThresholdMet = false }},
		{"signatories_eligible", func(c *petitionseventsv1.Checklist) { c.SignatoriesEligible = false }},
		{"agent_designated", func(c *petitionseventsv1.Checklist) { c.AgentDesignated = false }},
		{"within_council_powers", func(c *petitionseventsv1.Checklist) { c.WithinCouncilPowers = false }},
	} {
		t.Run(tc.item, func(t *testing.T) {
			cmd := admit(250, 200)
			tc.unset(cmd.Checklist)
			re := given(t, hReview()...).when(cmd, asClerk).thenRule(domain.RuleChecklistIncomplete, fault.FailedPrecondition)
			detailNames(t, re.Detail, tc.item)
		})
	}
	t.Run("every item named", func(t *testing.T) {
		cmd := admit(250, 200)
		cmd.Checklist = &petitionseventsv1.Checklist{NoExcludedSubject: true}
		re := given(t, hReview()...).when(cmd, asClerk).thenRule(domain.RuleChecklistIncomplete, fault.FailedPrecondition)
		detailNames(t, re.Detail, "threshold_met", "signatories_eligible", "agent_designated", "within_council_powers")
	})
	t.Run("decision unset", func(t *testing.T) {
		cmd := admit(250, 200)
		cmd.Decision = petitionseventsv1.Admissibility_ADMISSIBILITY_UNSPECIFIED
		given(t, hReview()...).when(cmd, asClerk).thenField("admissibility")
	})
}

// Nothing touching the constants of article 1 of the Constitution (Islam,
// national unity, the constitutional monarchy, the democratic choice) can
// be admissible (Constitution art. 1; law 113-14 art. 121 (check)).
func TestExcludedSubject_Constitution_Art1(t *testing.T) {
	cmd := admit(250, 200)
	cmd.Checklist.NoExcludedSubject = false
	given(t, hReview()...).when(cmd, asClerk).thenRule(domain.RuleExcludedSubject, fault.FailedPrecondition)

	t.Run("with no checklist at all", func(t *testing.T) {
		cmd := admit(250, 200)
		cmd.Checklist = nil
		given(t, hReview()...).when(cmd, asClerk).thenRule(domain.RuleExcludedSubject, fault.FailedPrecondition)
	})
	t.Run("an excluded subject is refused with reasons", func(t *testing.T) {
		cmd := refuse(250, 200, "the request touches the national unity (Constitution art. 1)")
		cmd.Checklist.NoExcludedSubject = false
		thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, hReview()...).when(cmd, asClerk))
	})
}

// An association's petition needs no signature threshold but its
// conditions checked (law 113-14 art. 123 (check)).
func TestAssociationAdmissibility_Law113_14_Art123(t *testing.T) {
	h := append([]domain.Recorded{associationDrafted()}, associationDocuments()...)
	h = append(h, deposited(), referred())
	noSignatures := func() domain.DecideAdmissibility {
		return domain.DecideAdmissibility{
			Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Threshold: 200,
			Checklist: &petitionseventsv1.Checklist{AgentDesignated: true, WithinCouncilPowers: true, NoExcludedSubject: true, AssociationConditionsMet: true,
				Evidence: associationEvidence()},
		}
	}
	thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, h...).when(noSignatures(), asClerk))

	cmd := noSignatures()
	cmd.Checklist.AssociationConditionsMet = false
	re := given(t, h...).when(cmd, asClerk).thenRule(domain.RuleChecklistIncomplete, fault.FailedPrecondition)
	detailNames(t, re.Detail, "association_conditions_met")
}

// Regions: 300/400/500 signatures by population and at least 5 % of the
// required number from each province of the region (law 111-14 art. 120
// (check)). Béni Mellal-Khénifra: 400, so 20 per province, 5 provinces.
func TestRegionProvinceShare_Law111_14_Art120(t *testing.T) {
	provinces := []string{"azilal", "beni-mellal", "fquih-ben-salah", "khenifra", "khouribga"}
	h := []domain.Recorded{draftedIn(beniMellalReg), opened(), deposited(), referred()}
	cmd := func(by map[string]int) domain.DecideAdmissibility {
		c := admit(420, 400)
		c.Signatures.ByProvince = by
		c.ProvinceMinimum, c.Provinces = 20, provinces
		return c
	}
	t.Run("one province at 19", func(t *testing.T) {
		by := map[string]int{"azilal": 20, "beni-mellal": 300, "fquih-ben-salah": 41, "khenifra": 40, "khouribga": 19}
		re := given(t, h...).when(cmd(by), asClerk).thenRule(domain.RuleProvinceShare, fault.FailedPrecondition)
		detailNames(t, re.Detail, "khouribga has 19", "20")
		if strings.Contains(re.Detail, "azilal") {
			t.Errorf("detail %q names a province that has its share", re.Detail)
		}
	})
	t.Run("a province with no signature", func(t *testing.T) {
		by := map[string]int{"azilal": 20, "beni-mellal": 320, "fquih-ben-salah": 40, "khenifra": 40}
		re := given(t, h...).when(cmd(by), asClerk).thenRule(domain.RuleProvinceShare, fault.FailedPrecondition)
		detailNames(t, re.Detail, "khouribga has 0")
	})
	t.Run("every province at 20 or more", func(t *testing.T) {
		by := map[string]int{"azilal": 20, "beni-mellal": 300, "fquih-ben-salah": 40, "khenifra": 40, "khouribga": 20}
		p := thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, h...).when(cmd(by), asClerk))
		if p.GetThreshold() != 400 || p.GetValidSignatures() != 420 {
			t.Errorf("event records %d/%d, want 420/400", p.GetValidSignatures(), p.GetThreshold())
		}
	})
	t.Run("below the regional threshold", func(t *testing.T) {
		c := cmd(map[string]int{"azilal": 100, "beni-mellal": 100, "fquih-ben-salah": 100, "khenifra": 50, "khouribga": 49})
		c.Signatures.Valid = 399
		given(t, h...).when(c, asClerk).thenRule(domain.RuleThreshold, fault.FailedPrecondition)
	})
}

// The bureau decides on a deposited petition, once.
func TestDecideWrongState_Law113_14_Art125(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"draft", []domain.Recorded{drafted()}},
		{"collecting", []domain.Recorded{drafted(), opened()}},
		{"already admissible", hAdmissible()},
		{"already inadmissible", hInadmissible()},
		{"withdrawn", append(hReview(), withdrawn())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, tc.given...).when(admit(250, 200), asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}
