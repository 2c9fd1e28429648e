package domain

import (
	"fmt"
	"testing"
	"time"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

const (
	commune  = territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE
	province = territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE
	region   = territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION
)

func TestSignatureThreshold(t *testing.T) {
	tests := []struct {
		name string
		c    Council
		want int
	}{
		{"Béni Mellal", Council{Level: commune, Population: 209_104}, 200},
		{"Zaouiat Cheikh", Council{Level: commune, Population: 25_063}, 100},
		{"commune just under 35,000", Council{Level: commune, Population: 34_999}, 100},
		{"commune of exactly 35,000", Council{Level: commune, Population: 35_000}, 200},
		{"commune with arrondissements", Council{Level: commune, Population: 3_200_000, HasArrondissements: true}, 400},
		{"small commune with arrondissements", Council{Level: commune, Population: 20_000, HasArrondissements: true}, 400},
		{"province", Council{Level: province, Population: 550_000}, 300},
		{"big province", Council{Level: province, Population: 5_000_000}, 300},
		{"region of 999,999", Council{Level: region, Population: 999_999}, 300},
		{"region of 1,000,000", Council{Level: region, Population: 1_000_000}, 400},
		{"region of 2,500,000", Council{Level: region, Population: 2_500_000}, 400},
		{"region of 3,000,000", Council{Level: region, Population: 3_000_000}, 400},
		{"region of 3,000,001", Council{Level: region, Population: 3_000_001}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultRulebook(tt.c.Level).SignatureThreshold(tt.c); got != tt.want {
				t.Errorf("SignatureThreshold(%+v) = %d, want %d", tt.c, got, tt.want)
			}
		})
	}
}

func TestPerProvinceMinimum(t *testing.T) {
	tests := []struct {
		level     territoryeventsv1.CouncilLevel
		threshold int
		want      int
	}{
		{region, 400, 20},
		{region, 300, 15},
		{region, 500, 25},
		{region, 410, 21}, // 20.5 rounds up
		{region, 0, 0},
		{commune, 200, 0},
		{province, 300, 0},
	}
	for _, tt := range tests {
		if got := DefaultRulebook(tt.level).PerProvinceMinimum(tt.threshold); got != tt.want {
			t.Errorf("%v: PerProvinceMinimum(%d) = %d, want %d", tt.level, tt.threshold, got, tt.want)
		}
	}
}

func TestDecisionDeadline(t *testing.T) {
	casa := time.FixedZone("Africa/Casablanca", 3600)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 30, 0, 0, casa) }
	tests := []struct {
		name     string
		level    territoryeventsv1.CouncilLevel
		received time.Time
		want     time.Time
	}{
		{"commune: 3 months", commune, day(2025, time.January, 15), day(2025, time.April, 15)},
		{"commune: across the year", commune, day(2025, time.November, 10), day(2026, time.February, 10)},
		{"commune: month end", commune, day(2025, time.November, 30), day(2026, time.February, 28)},
		{"commune: leap year", commune, day(2023, time.November, 30), day(2024, time.February, 29)},
		{"province: 2 months", province, day(2025, time.March, 1), day(2025, time.May, 1)},
		{"region: 2 months, month end", region, day(2025, time.December, 31), day(2026, time.February, 28)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultRulebook(tt.level).DecisionDeadline(tt.received); !got.Equal(tt.want) {
				t.Errorf("DecisionDeadline(%v) = %v, want %v", tt.received, got, tt.want)
			}
		})
	}
}

func TestNextOrdinarySession(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		level     territoryeventsv1.CouncilLevel
		after     time.Time
		wantYear  int
		wantMonth time.Month
	}{
		{"commune in January", commune, at(2025, time.January, 20), 2025, time.February},
		{"commune during the February session", commune, at(2025, time.February, 3), 2025, time.May},
		{"commune in June", commune, at(2025, time.June, 30), 2025, time.October},
		{"commune in October", commune, at(2025, time.October, 1), 2026, time.February},
		{"commune in December", commune, at(2025, time.December, 31), 2026, time.February},
		{"commune at the very start of May", commune, time.Date(2025, time.May, 1, 0, 0, 0, 0, time.UTC), 2025, time.October},
		{"commune a nanosecond before May", commune, time.Date(2025, time.April, 30, 23, 59, 59, 999_999_999, time.UTC), 2025, time.May},
		// Provinces sit in January, June and September (law 112-14 art. 36).
		{"province in April", province, at(2025, time.April, 1), 2025, time.June},
		{"province in December", province, at(2025, time.December, 2), 2026, time.January},
		{"province in July", province, at(2025, time.July, 2), 2025, time.September},
		{"region in November", region, at(2025, time.November, 1), 2026, time.March},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, m := DefaultRulebook(tt.level).NextOrdinarySession(tt.after)
			if y != tt.wantYear || m != tt.wantMonth {
				t.Errorf("NextOrdinarySession(%v) = %d %v, want %d %v", tt.after, y, m, tt.wantYear, tt.wantMonth)
			}
		})
	}
	if y, m := (Rulebook{}).NextOrdinarySession(at(2025, time.May, 1)); y != 0 || m != 0 {
		t.Errorf("empty rulebook: NextOrdinarySession = %d %v, want 0 0", y, m)
	}
}

func TestDefaultRulebookArticles(t *testing.T) {
	for _, level := range []territoryeventsv1.CouncilLevel{commune, province, region} {
		rb := DefaultRulebook(level)
		if rb.Level != level {
			t.Errorf("%v: Level = %v", level, rb.Level)
		}
		for _, rule := range []string{RuleSignatureThreshold, RuleDecisionDeadline, RuleOrdinarySessions} {
			if rb.Articles[rule] == "" {
				t.Errorf("%v: no article for %s", level, rule)
			}
		}
		if rb.PerProvinceSharePercent > 0 && rb.Articles[RulePerProvinceShare] == "" {
			t.Errorf("%v: no article for %s", level, RulePerProvinceShare)
		}
		if rb.ArrondissementsSignatures > 0 && rb.Articles[RuleArrondissementsThreshold] == "" {
			t.Errorf("%v: no article for %s", level, RuleArrondissementsThreshold)
		}
	}
	// Each call returns its own copy: changing one does not change the next.
	rb := DefaultRulebook(commune)
	rb.SignatureBrackets[0].Signatures = 1
	rb.Articles[RuleSignatureThreshold] = "changed"
	if again := DefaultRulebook(commune); again.SignatureBrackets[0].Signatures != 100 || again.Articles[RuleSignatureThreshold] == "changed" {
		t.Error("DefaultRulebook shares state between calls")
	}
	if got := DefaultRulebook(territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_UNSPECIFIED); got.SignatureThreshold(Council{Population: 10}) != 0 {
		t.Error("unspecified level: want the zero rulebook")
	}
}

// TestRulebookArticlesTable names the article of every rule of every
// level's default rulebook (acceptance 3 of issue 18); a changed citation
// must change this table.
func TestRulebookArticlesTable(t *testing.T) {
	want := map[territoryeventsv1.CouncilLevel]map[string]string{
		commune: {
			RuleSignatureThreshold:       "law 113-14 art. 123",
			RuleArrondissementsThreshold: "law 113-14 art. 123",
			RuleDecisionDeadline:         "law 113-14 art. 125",
			RuleOrdinarySessions:         "law 113-14 art. 33",
			RuleSessionMargin:            "law 113-14 art. 125; the council's internal rules",
			RuleModerationDeadline:       moderationPolicy,
		},
		province: {
			RuleSignatureThreshold: "law 112-14 art. 114",
			RuleDecisionDeadline:   "law 112-14 art. 116",
			RuleOrdinarySessions:   "law 112-14 art. 36",
			RuleSessionMargin:      "law 112-14 art. 116; the council's internal rules",
			RuleModerationDeadline: moderationPolicy,
		},
		region: {
			RuleSignatureThreshold: "law 111-14 art. 120",
			RulePerProvinceShare:   "law 111-14 art. 120",
			RuleDecisionDeadline:   "law 111-14 art. 122",
			RuleOrdinarySessions:   "law 111-14 art. 36",
			RuleSessionMargin:      "law 111-14 art. 122; the council's internal rules",
			RuleModerationDeadline: moderationPolicy,
		},
	}
	for level, rules := range want {
		got := DefaultRulebook(level).Articles
		if len(got) != len(rules) {
			t.Errorf("%v: %d articles, want %d (%v)", level, len(got), len(rules), got)
		}
		for rule, art := range rules {
			if got[rule] != art {
				t.Errorf("%v %s: article %q, want %q", level, rule, got[rule], art)
			}
		}
	}
}

// TestOrdinarySessionMonths: communes February, May, October (law 113-14
// art. 33); provinces January, June, September (law 112-14 art. 36);
// regions March, July, October (law 111-14 art. 36).
func TestOrdinarySessionMonths(t *testing.T) {
	for level, want := range map[territoryeventsv1.CouncilLevel][]time.Month{
		commune:  {time.February, time.May, time.October},
		province: {time.January, time.June, time.September},
		region:   {time.March, time.July, time.October},
	} {
		got := DefaultRulebook(level).OrdinarySessionMonths
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: sessions %v, want %v", level, got, want)
		}
		if DefaultRulebook(level).SessionMarginDays != DefaultSessionMarginDays {
			t.Errorf("%v: margin %d", level, DefaultRulebook(level).SessionMarginDays)
		}
	}
}
