package domain

import (
	"fmt"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

// Rulebooks are data (DESIGN.md "Rulebooks are data"): DefaultRulebook is
// version 1 of each level's rulebook; a RulebookAmended event (a new law,
// an amending law, a decree) makes the next version of a level's rulebook
// from its effective date; a CouncilRulesSet event records one council's
// internal rules where the law lets it choose. RulebookOn folds them for a
// day.

// AmendRulebook records an amendment of a level's rulebook.
type AmendRulebook struct {
	Level          territoryeventsv1.CouncilLevel
	LegalReference string
	EffectiveDate  string
	Values         *territoryeventsv1.RulebookValues
}

// SetCouncilRules records a council's internal rules.
type SetCouncilRules struct {
	Council                Council
	InternalRulesReference string
	EffectiveDate          string
	SessionMarginDays      *int32
	ModerationDeadlineDays *int32
	// CountedAssurance, when not empty, replaces the levels of assurance
	// whose signatures count toward the threshold.
	CountedAssurance []petitionseventsv1.SignatureAssurance
}

// RulebookState is what a rulebook stream (a level's amendments, or one
// council's internal rules) says: how many versions it holds.
type RulebookState struct {
	Versions int
}

// EvolveRulebook returns the state after event m.
func EvolveRulebook(s RulebookState, m proto.Message) RulebookState {
	switch m.(type) {
	case *territoryeventsv1.RulebookAmended, *territoryeventsv1.CouncilRulesSet:
		s.Versions++
	}
	return s
}

// Limits of the values an amendment or a council may set.
const (
	MaxReferenceLen     = 500
	MaxArticleLen       = 200
	MaxSessionMargin    = 60
	MaxDeadlineMonths   = 12
	MaxBracketSignature = 100_000
	MaxModerationDays   = 60
)

// UncheckedMark is the internal note for a citation not yet confirmed in
// the official text; no article a user reads may carry it.
const UncheckedMark = "(check)"

// RuleKeys are the rules a rulebook's Articles may name.
var RuleKeys = []string{RuleSignatureThreshold, RuleArrondissementsThreshold, RulePerProvinceShare, RuleDecisionDeadline, RuleOrdinarySessions, RuleSessionMargin, RuleModerationDeadline}

// DecideAmendRulebook returns the amendment to record on the level's
// rulebook stream whose state is s, or a *FieldError.
func DecideAmendRulebook(s RulebookState, c AmendRulebook) (*territoryeventsv1.RulebookAmended, error) {
	if _, ok := collections[c.Level]; !ok {
		return nil, fieldErr("level", "must be COUNCIL_LEVEL_COMMUNE, COUNCIL_LEVEL_PROVINCE or COUNCIL_LEVEL_REGION")
	}
	if err := validateReference("legal_reference", c.LegalReference); err != nil {
		return nil, err
	}
	if _, err := ParseDay(c.EffectiveDate); err != nil {
		return nil, fieldErr("effective_date", "a day YYYY-MM-DD, got %q", c.EffectiveDate)
	}
	changed, err := validateValues(c.Values)
	if err != nil {
		return nil, err
	}
	return &territoryeventsv1.RulebookAmended{
		Level: c.Level, Version: int32(s.Versions) + 2, LegalReference: strings.TrimSpace(c.LegalReference),
		EffectiveDate: c.EffectiveDate, Values: c.Values, ChangedFields: changed,
	}, nil
}

// DecideSetCouncilRules returns the internal rules to record on the
// council's rules stream whose state is s, or a *FieldError.
func DecideSetCouncilRules(s RulebookState, c SetCouncilRules) (*territoryeventsv1.CouncilRulesSet, error) {
	if err := validateReference("internal_rules_reference", c.InternalRulesReference); err != nil {
		return nil, err
	}
	if _, err := ParseDay(c.EffectiveDate); err != nil {
		return nil, fieldErr("effective_date", "a day YYYY-MM-DD, got %q", c.EffectiveDate)
	}
	var changed []string
	if m := c.SessionMarginDays; m != nil {
		if *m < 0 || *m > MaxSessionMargin {
			return nil, fieldErr("session_margin_days", "between 0 and %d days, got %d", MaxSessionMargin, *m)
		}
		changed = append(changed, "session_margin_days")
	}
	if m := c.ModerationDeadlineDays; m != nil {
		if *m < 1 || *m > MaxModerationDays {
			return nil, fieldErr("moderation_deadline_days", "between 1 and %d days, got %d", MaxModerationDays, *m)
		}
		changed = append(changed, "moderation_deadline_days")
	}
	if len(c.CountedAssurance) > 0 {
		if err := validateAssurance("counted_assurance", c.CountedAssurance); err != nil {
			return nil, err
		}
		changed = append(changed, "counted_assurance")
	}
	if len(changed) == 0 {
		return nil, fieldErr("session_margin_days", "set at least one rule the council chooses (session_margin_days, moderation_deadline_days, counted_assurance)")
	}
	return &territoryeventsv1.CouncilRulesSet{
		CouncilCode: c.Council.Code, Level: c.Council.Level, Version: int32(s.Versions) + 1,
		InternalRulesReference: strings.TrimSpace(c.InternalRulesReference), EffectiveDate: c.EffectiveDate,
		SessionMarginDays: c.SessionMarginDays, ModerationDeadlineDays: c.ModerationDeadlineDays, CountedAssurance: c.CountedAssurance, ChangedFields: changed,
	}, nil
}

// validateAssurance checks a list of levels of assurance that count: each
// a known level, once.
func validateAssurance(field string, levels []petitionseventsv1.SignatureAssurance) error {
	for i, l := range levels {
		if _, known := petitionseventsv1.SignatureAssurance_name[int32(l)]; !known || l == petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_UNSPECIFIED {
			return fieldErr(field, "known levels of assurance (SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF, _CODE_VERIFIED, _PROVIDER_VERIFIED_ID), got %v", l)
		}
		if slices.Contains(levels[:i], l) {
			return fieldErr(field, "each level once, got %v twice", l)
		}
	}
	return nil
}

func validateReference(field, ref string) error {
	if strings.TrimSpace(ref) == "" {
		return fieldErr(field, "name the legal text or deliberation it comes from")
	}
	if !utf8.ValidString(ref) || utf8.RuneCountInString(ref) > MaxReferenceLen {
		return fieldErr(field, "1-%d characters of valid text", MaxReferenceLen)
	}
	return nil
}

// validateValues checks an amendment's values and names the ones it sets.
func validateValues(v *territoryeventsv1.RulebookValues) ([]string, error) {
	if v == nil {
		return nil, fieldErr("values", "set at least one value")
	}
	var changed []string
	if b := v.GetSignatureBrackets(); len(b) > 0 {
		for i, br := range b {
			if br.GetSignatures() <= 0 || br.GetSignatures() > MaxBracketSignature {
				return nil, fieldErr(fmt.Sprintf("values.signature_brackets[%d].signatures", i), "between 1 and %d", MaxBracketSignature)
			}
			last := i == len(b)-1
			switch {
			case br.GetMaxPopulation() < 0:
				return nil, fieldErr(fmt.Sprintf("values.signature_brackets[%d].max_population", i), "0 (no bound) or a population")
			case br.GetMaxPopulation() == 0 && !last:
				return nil, fieldErr(fmt.Sprintf("values.signature_brackets[%d].max_population", i), "only the last bracket is unbounded (0)")
			case last && br.GetMaxPopulation() != 0:
				return nil, fieldErr(fmt.Sprintf("values.signature_brackets[%d].max_population", i), "the last bracket is unbounded: 0")
			case i > 0 && br.GetMaxPopulation() != 0 && br.GetMaxPopulation() <= b[i-1].GetMaxPopulation():
				return nil, fieldErr(fmt.Sprintf("values.signature_brackets[%d].max_population", i), "brackets in increasing order of population")
			}
		}
		changed = append(changed, "signature_brackets")
	}
	if v.ArrondissementsSignatures != nil {
		if n := v.GetArrondissementsSignatures(); n < 0 || n > MaxBracketSignature {
			return nil, fieldErr("values.arrondissements_signatures", "between 0 (brackets apply) and %d", MaxBracketSignature)
		}
		changed = append(changed, "arrondissements_signatures")
	}
	if v.PerProvinceSharePercent != nil {
		if n := v.GetPerProvinceSharePercent(); n < 0 || n > 100 {
			return nil, fieldErr("values.per_province_share_percent", "between 0 and 100")
		}
		changed = append(changed, "per_province_share_percent")
	}
	if v.DecisionDeadlineMonths != nil {
		if n := v.GetDecisionDeadlineMonths(); n < 1 || n > MaxDeadlineMonths {
			return nil, fieldErr("values.decision_deadline_months", "between 1 and %d", MaxDeadlineMonths)
		}
		changed = append(changed, "decision_deadline_months")
	}
	if ms := v.GetOrdinarySessionMonths(); len(ms) > 0 {
		for i, m := range ms {
			if m < 1 || m > 12 || (i > 0 && m <= ms[i-1]) {
				return nil, fieldErr("values.ordinary_session_months", "months 1-12 in calendar order, each once")
			}
		}
		changed = append(changed, "ordinary_session_months")
	}
	if v.SessionMarginDays != nil {
		if n := v.GetSessionMarginDays(); n < 0 || n > MaxSessionMargin {
			return nil, fieldErr("values.session_margin_days", "between 0 and %d days", MaxSessionMargin)
		}
		changed = append(changed, "session_margin_days")
	}
	if v.ModerationDeadlineDays != nil {
		if n := v.GetModerationDeadlineDays(); n < 1 || n > MaxModerationDays {
			return nil, fieldErr("values.moderation_deadline_days", "between 1 and %d days", MaxModerationDays)
		}
		changed = append(changed, "moderation_deadline_days")
	}
	if ca := v.GetCountedAssurance(); len(ca) > 0 {
		if err := validateAssurance("values.counted_assurance", ca); err != nil {
			return nil, err
		}
		changed = append(changed, "counted_assurance")
	}
	if a := v.GetArticles(); len(a) > 0 {
		for _, k := range slices.Sorted(maps.Keys(a)) {
			if !slices.Contains(RuleKeys, k) {
				return nil, fieldErr("values.articles", "unknown rule %q; one of %s", k, strings.Join(RuleKeys, ", "))
			}
			art := a[k]
			if strings.TrimSpace(art) == "" || !utf8.ValidString(art) || utf8.RuneCountInString(art) > MaxArticleLen {
				return nil, fieldErr("values.articles", "the article of %s: 1-%d characters", k, MaxArticleLen)
			}
			if strings.Contains(strings.ToLower(art), UncheckedMark) {
				return nil, fieldErr("values.articles", "the article of %s is shown to users: cite the checked article, without the internal %s note", k, UncheckedMark)
			}
		}
		changed = append(changed, "articles")
	}
	if len(changed) == 0 {
		return nil, fieldErr("values", "set at least one value")
	}
	return changed, nil
}

// ParseDay parses a day "YYYY-MM-DD" as midnight UTC.
func ParseDay(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

// With returns the rulebook with an amendment's values applied (a copy:
// rb is unchanged).
func (rb Rulebook) With(v *territoryeventsv1.RulebookValues) Rulebook {
	out := rb
	out.SignatureBrackets = slices.Clone(rb.SignatureBrackets)
	out.OrdinarySessionMonths = slices.Clone(rb.OrdinarySessionMonths)
	out.CountedAssurance = slices.Clone(rb.CountedAssurance)
	out.Articles = maps.Clone(rb.Articles)
	if out.Articles == nil {
		out.Articles = map[string]string{}
	}
	if b := v.GetSignatureBrackets(); len(b) > 0 {
		out.SignatureBrackets = nil
		for _, br := range b {
			out.SignatureBrackets = append(out.SignatureBrackets, SignatureBracket{MaxPopulation: br.GetMaxPopulation(), Signatures: int(br.GetSignatures())})
		}
	}
	if v.ArrondissementsSignatures != nil {
		out.ArrondissementsSignatures = int(v.GetArrondissementsSignatures())
	}
	if v.PerProvinceSharePercent != nil {
		out.PerProvinceSharePercent = int(v.GetPerProvinceSharePercent())
	}
	if v.DecisionDeadlineMonths != nil {
		out.DecisionDeadlineMonths = int(v.GetDecisionDeadlineMonths())
	}
	if ms := v.GetOrdinarySessionMonths(); len(ms) > 0 {
		out.OrdinarySessionMonths = nil
		for _, m := range ms {
			out.OrdinarySessionMonths = append(out.OrdinarySessionMonths, time.Month(m))
		}
	}
	if v.SessionMarginDays != nil {
		out.SessionMarginDays = int(v.GetSessionMarginDays())
	}
	if v.ModerationDeadlineDays != nil {
		out.ModerationDeadlineDays = int(v.GetModerationDeadlineDays())
	}
	if ca := v.GetCountedAssurance(); len(ca) > 0 {
		out.CountedAssurance = slices.Clone(ca)
	}
	maps.Copy(out.Articles, v.GetArticles())
	return out
}

// RulebookVersion is one recorded version of a level's rulebook or of a
// council's internal rules, as RulebookOn folds it.
type RulebookVersion struct {
	// Scope is ScopeLevel or ScopeCouncil.
	Scope      string
	Version    int
	Reference  string
	Effective  time.Time // midnight UTC of the effective day
	Changed    []string
	RecordedAt time.Time
	// Values: a level amendment's values; a council's rules as values.
	Values *territoryeventsv1.RulebookValues
}

// Scopes of a RulebookVersion.
const (
	ScopeLevel   = "level"
	ScopeCouncil = "council"
)

// VersionOf turns a recorded rulebook event into a RulebookVersion; ok is
// false for any other event or an unreadable effective date.
func VersionOf(m proto.Message, recordedAt time.Time) (v RulebookVersion, ok bool) {
	switch e := m.(type) {
	case *territoryeventsv1.RulebookAmended:
		day, err := ParseDay(e.GetEffectiveDate())
		if err != nil {
			return RulebookVersion{}, false
		}
		return RulebookVersion{Scope: ScopeLevel, Version: int(e.GetVersion()), Reference: e.GetLegalReference(), Effective: day,
			Changed: e.GetChangedFields(), RecordedAt: recordedAt, Values: e.GetValues()}, true
	case *territoryeventsv1.CouncilRulesSet:
		day, err := ParseDay(e.GetEffectiveDate())
		if err != nil {
			return RulebookVersion{}, false
		}
		return RulebookVersion{Scope: ScopeCouncil, Version: int(e.GetVersion()), Reference: e.GetInternalRulesReference(), Effective: day,
			Changed: e.GetChangedFields(), RecordedAt: recordedAt,
			Values: &territoryeventsv1.RulebookValues{SessionMarginDays: e.SessionMarginDays, ModerationDeadlineDays: e.ModerationDeadlineDays,
				CountedAssurance: e.GetCountedAssurance()}}, true
	}
	return RulebookVersion{}, false
}

// RulebookOn returns the rulebook of level in force on day on: version 1
// (DefaultRulebook), then each level amendment in force that day, then each
// of the council's internal rules in force that day, both in the order
// they take effect (effective day, then version); Version and
// CouncilRulesVersion say which applied last.
func RulebookOn(level territoryeventsv1.CouncilLevel, versions []RulebookVersion, on time.Time) Rulebook {
	rb := DefaultRulebook(level)
	rb.Version = 1
	vs := InForceOrder(versions)
	for _, scope := range []string{ScopeLevel, ScopeCouncil} {
		for _, v := range vs {
			if v.Scope != scope || v.Effective.After(on) {
				continue
			}
			rb = rb.With(v.Values)
			if scope == ScopeLevel {
				rb.Version = v.Version
			} else {
				rb.CouncilRulesVersion = v.Version
			}
		}
	}
	return rb
}

// InForceOrder returns versions sorted in the order they take effect:
// level amendments, then council rules, each by effective day and version.
func InForceOrder(versions []RulebookVersion) []RulebookVersion {
	vs := slices.Clone(versions)
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].Scope != vs[j].Scope {
			return vs[i].Scope == ScopeLevel
		}
		if !vs[i].Effective.Equal(vs[j].Effective) {
			return vs[i].Effective.Before(vs[j].Effective)
		}
		return vs[i].Version < vs[j].Version
	})
	return vs
}
