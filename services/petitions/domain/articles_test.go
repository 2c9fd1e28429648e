package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// TestArticleOfEveryRule names the article of every (level, rule) pair
// (issue 18, acceptance 3). The petition chapters are law 113-14 arts
// 121-125 (communes), law 112-14 arts 112-116 (provinces), law 111-14 arts
// 118-122 (regions), in the same order: right and excluded subjects;
// petition and agent; citizens' conditions and signatures; associations'
// conditions; deposit, bureau, agenda and decision. Sessions: 113-14 art.
// 33, 112-14 art. 36, 111-14 art. 36.
func TestArticleOfEveryRule(t *testing.T) {
	want := map[domain.Level]map[string]string{
		domain.Commune: {
			domain.RuleExcludedSubject:       "Constitution art. 1; law 113-14 art. 121",
			domain.RuleAgentRequired:         "law 113-14 art. 122",
			domain.RuleNotAgent:              "law 113-14 art. 122",
			domain.RuleThreshold:             "law 113-14 art. 123",
			domain.RuleProvinceShare:         "",
			domain.RuleAssociationConditions: "law 113-14 art. 124",
			domain.RuleEvidenceRequired:      "law 113-14 art. 124; decree 2.16.403",
			domain.RuleDepositDate:           "law 113-14 art. 125",
			domain.RuleBureauReferral:        "law 113-14 art. 125",
			domain.RuleReasonsRequired:       "law 113-14 art. 125",
			domain.RuleChecklistIncomplete:   "law 113-14 art. 125",
			domain.RuleDeadline:              "law 113-14 art. 125",
			domain.RuleOrdinarySession:       "law 113-14 art. 125; sessions: law 113-14 art. 33",
			domain.RuleSessionAgendaClosed:   "law 113-14 art. 125; the council's internal rules",
			domain.RuleCommitteeReport:       "law 113-14 art. 125",
			domain.RuleAgentNotified:         "law 113-14 art. 125",
			domain.RuleModerationReasons:     "the council's moderation policy",
		},
		domain.Province: {
			domain.RuleExcludedSubject:       "Constitution art. 1; law 112-14 art. 112",
			domain.RuleAgentRequired:         "law 112-14 art. 113",
			domain.RuleNotAgent:              "law 112-14 art. 113",
			domain.RuleThreshold:             "law 112-14 art. 114",
			domain.RuleProvinceShare:         "",
			domain.RuleAssociationConditions: "law 112-14 art. 115",
			domain.RuleEvidenceRequired:      "law 112-14 art. 115; decree 2.16.402",
			domain.RuleDepositDate:           "law 112-14 art. 116",
			domain.RuleBureauReferral:        "law 112-14 art. 116",
			domain.RuleReasonsRequired:       "law 112-14 art. 116",
			domain.RuleChecklistIncomplete:   "law 112-14 art. 116",
			domain.RuleDeadline:              "law 112-14 art. 116",
			domain.RuleOrdinarySession:       "law 112-14 art. 116; sessions: law 112-14 art. 36",
			domain.RuleSessionAgendaClosed:   "law 112-14 art. 116; the council's internal rules",
			domain.RuleCommitteeReport:       "law 112-14 art. 116",
			domain.RuleAgentNotified:         "law 112-14 art. 116",
			domain.RuleModerationReasons:     "the council's moderation policy",
		},
		domain.Region: {
			domain.RuleExcludedSubject:       "Constitution art. 1; law 111-14 art. 118",
			domain.RuleAgentRequired:         "law 111-14 art. 119",
			domain.RuleNotAgent:              "law 111-14 art. 119",
			domain.RuleThreshold:             "law 111-14 art. 120",
			domain.RuleProvinceShare:         "law 111-14 art. 120",
			domain.RuleAssociationConditions: "law 111-14 art. 121",
			domain.RuleEvidenceRequired:      "law 111-14 art. 121; decree 2.16.401",
			domain.RuleDepositDate:           "law 111-14 art. 122",
			domain.RuleBureauReferral:        "law 111-14 art. 122",
			domain.RuleReasonsRequired:       "law 111-14 art. 122",
			domain.RuleChecklistIncomplete:   "law 111-14 art. 122",
			domain.RuleDeadline:              "law 111-14 art. 122",
			domain.RuleOrdinarySession:       "law 111-14 art. 122; sessions: law 111-14 art. 36",
			domain.RuleSessionAgendaClosed:   "law 111-14 art. 122; the council's internal rules",
			domain.RuleCommitteeReport:       "law 111-14 art. 122",
			domain.RuleAgentNotified:         "law 111-14 art. 122",
			domain.RuleModerationReasons:     "the council's moderation policy",
		},
	}
	for level, rules := range want {
		if len(rules) != len(domain.Rules()) {
			t.Fatalf("%s: the table has %d rules, the domain names %d", level, len(rules), len(domain.Rules()))
		}
		for _, rule := range domain.Rules() {
			art, ok := rules[rule]
			if !ok {
				t.Errorf("%s: rule %s missing from the table", level, rule)
			}
			if got := domain.Article(level, rule); got != art {
				t.Errorf("%s %s: article %q, want %q", level, rule, got, art)
			}
		}
	}
}

// TestNoUncheckedMarkInMessages: no string a user can read — an article,
// a message, a detail — carries the internal note "(check)". It parses the
// non-test Go files of the rule packages and looks at every string
// literal (comments may still say what is unconfirmed).
func TestNoUncheckedMarkInMessages(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	dirs := []string{"services/petitions/domain", "services/petitions/app", "services/petitions/ports",
		"services/territory/domain", "services/territory/app", "services/territory/ports",
		"services/advisory/domain", "services/consultations/domain", "server", "web"}
	for _, level := range []domain.Level{domain.Commune, domain.Province, domain.Region} {
		for _, rule := range domain.Rules() {
			if strings.Contains(domain.Article(level, rule), "(check)") {
				t.Errorf("%s %s: %q", level, rule, domain.Article(level, rule))
			}
		}
	}
	fset := token.NewFileSet()
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(root, d, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", d, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := parser.ParseFile(fset, f, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				v, err := strconv.Unquote(lit.Value)
				// The mark's own definition (the constant that refuses it in
				// amendments) is not a message.
				if err == nil && v != "(check)" && strings.Contains(strings.ToLower(v), "check)") {
					t.Errorf("%s: user-facing string %s", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
}
