package domain

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

func i32(n int32) *int32 { return &n }

// An amendment of the commune rulebook (a new law lowering the thresholds)
// is recorded as version 2, then 3; RulebookOn applies it from its
// effective day only, and a council's internal rules on top.
func TestRulebookAmendedInForceFromItsEffectiveDay(t *testing.T) {
	amend := AmendRulebook{Level: commune, LegalReference: "loi organique n° 13-25 modifiant la loi 113-14, art. 123", EffectiveDate: "2027-03-01",
		Values: &territoryeventsv1.RulebookValues{SignatureBrackets: []*territoryeventsv1.SignatureBracket{{MaxPopulation: 34_999, Signatures: 50}, {Signatures: 100}}}}
	e, err := DecideAmendRulebook(RulebookState{}, amend)
	if err != nil {
		t.Fatal(err)
	}
	if e.GetVersion() != 2 || len(e.GetChangedFields()) != 1 || e.GetChangedFields()[0] != "signature_brackets" {
		t.Fatalf("amendment: %v", e)
	}
	if e2, _ := DecideAmendRulebook(EvolveRulebook(RulebookState{}, e), amend); e2.GetVersion() != 3 {
		t.Fatalf("second amendment: version %d, want 3", e2.GetVersion())
	}
	v, ok := VersionOf(e, time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC))
	if !ok {
		t.Fatal("VersionOf")
	}
	cr, err := DecideSetCouncilRules(RulebookState{}, SetCouncilRules{Council: Council{Code: "50910113", Level: commune},
		InternalRulesReference: "délibération n° 3/2027", EffectiveDate: "2027-04-01", SessionMarginDays: i32(15)})
	if err != nil {
		t.Fatal(err)
	}
	cv, _ := VersionOf(cr, time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC))
	zc := Council{Level: commune, Population: 25_063}
	for _, tc := range []struct {
		day                     string
		threshold, margin       int
		version, councilVersion int
	}{
		{"2027-02-28", 100, DefaultSessionMarginDays, 1, 0},
		{"2027-03-01", 50, DefaultSessionMarginDays, 2, 0},
		{"2027-04-01", 50, 15, 2, 1},
	} {
		on, _ := ParseDay(tc.day)
		rb := RulebookOn(commune, []RulebookVersion{cv, v}, on)
		if rb.SignatureThreshold(zc) != tc.threshold || rb.SessionMarginDays != tc.margin || rb.Version != tc.version || rb.CouncilRulesVersion != tc.councilVersion {
			t.Errorf("%s: threshold %d margin %d v%d/%d, want %d %d v%d/%d", tc.day, rb.SignatureThreshold(zc), rb.SessionMarginDays, rb.Version, rb.CouncilRulesVersion,
				tc.threshold, tc.margin, tc.version, tc.councilVersion)
		}
		// The articles and the other values are those of version 1.
		if rb.Articles[RuleSignatureThreshold] != "law 113-14 art. 123" || rb.DecisionDeadlineMonths != 3 {
			t.Errorf("%s: %v", tc.day, rb)
		}
	}
	// Folding never changes the defaults.
	if DefaultRulebook(commune).SignatureThreshold(zc) != 100 {
		t.Error("the defaults changed")
	}
}

func TestAmendRulebookRefusesBadValues(t *testing.T) {
	good := func() AmendRulebook {
		return AmendRulebook{Level: province, LegalReference: "décret n° 2.27.100", EffectiveDate: "2027-01-01",
			Values: &territoryeventsv1.RulebookValues{DecisionDeadlineMonths: i32(3)}}
	}
	if _, err := DecideAmendRulebook(RulebookState{}, good()); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		edit  func(*AmendRulebook)
		field string
	}{
		"no level":            {func(a *AmendRulebook) { a.Level = 0 }, "level"},
		"no reference":        {func(a *AmendRulebook) { a.LegalReference = "  " }, "legal_reference"},
		"bad date":            {func(a *AmendRulebook) { a.EffectiveDate = "1/1/2027" }, "effective_date"},
		"nothing set":         {func(a *AmendRulebook) { a.Values = &territoryeventsv1.RulebookValues{} }, "values"},
		"deadline 0":          {func(a *AmendRulebook) { a.Values.DecisionDeadlineMonths = i32(0) }, "values.decision_deadline_months"},
		"month 13":            {func(a *AmendRulebook) { a.Values.OrdinarySessionMonths = []int32{1, 13} }, "values.ordinary_session_months"},
		"months out of order": {func(a *AmendRulebook) { a.Values.OrdinarySessionMonths = []int32{6, 1} }, "values.ordinary_session_months"},
		"margin 61":           {func(a *AmendRulebook) { a.Values.SessionMarginDays = i32(61) }, "values.session_margin_days"},
		"share 101":           {func(a *AmendRulebook) { a.Values.PerProvinceSharePercent = i32(101) }, "values.per_province_share_percent"},
		"unbounded first bracket": {func(a *AmendRulebook) {
			a.Values.SignatureBrackets = []*territoryeventsv1.SignatureBracket{{Signatures: 10}, {MaxPopulation: 5, Signatures: 20}}
		}, "values.signature_brackets[0].max_population"},
		"zero signatures": {func(a *AmendRulebook) {
			a.Values.SignatureBrackets = []*territoryeventsv1.SignatureBracket{{Signatures: 0}}
		}, "values.signature_brackets[0].signatures"},
		"unknown article": {func(a *AmendRulebook) { a.Values.Articles = map[string]string{"quorum": "x"} }, "values.articles"},
		"unchecked citation": {func(a *AmendRulebook) {
			a.Values.Articles = map[string]string{RuleDecisionDeadline: "law 112-14 art. 116 (check)"}
		}, "values.articles"},
	} {
		t.Run(name, func(t *testing.T) {
			a := good()
			a.Values = proto.Clone(a.Values).(*territoryeventsv1.RulebookValues)
			tc.edit(&a)
			_, err := DecideAmendRulebook(RulebookState{}, a)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v, want a field error on %s", err, tc.field)
			}
		})
	}
	if _, err := DecideSetCouncilRules(RulebookState{}, SetCouncilRules{InternalRulesReference: "d", EffectiveDate: "2027-01-01"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("council rules setting nothing: %v", err)
	}
	if _, err := DecideSetCouncilRules(RulebookState{}, SetCouncilRules{InternalRulesReference: "d", EffectiveDate: "2027-01-01", SessionMarginDays: i32(-1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative margin: %v", err)
	}
}

func TestRulebookStreams(t *testing.T) {
	if RulebookStream(province) != "rulebook.province" || CouncilRulesStream("50910113") != "councilrules.50910113" {
		t.Errorf("%s %s", RulebookStream(province), CouncilRulesStream("50910113"))
	}
}
