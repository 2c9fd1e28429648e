package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

const rulebookLong = `The petition rules are data (DESIGN.md "Rulebooks are data"): the
code's defaults are version 1 of each level's rulebook, and an amendment
(a new law, a decree) recorded with its legal reference and effective day
makes the next version, for petitions deposited from that day. Both
subcommands talk to a running service over its REST API (--url); amend
needs an admin token (--token or TASHARUK_TOKEN, from token issue).
`

// runRulebook runs `tasharuk rulebook show|amend`.
func runRulebook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, byPath["rulebook"], args, stdout, stderr)
}

// runRulebookShow prints the rules in force for a council on a day, with
// their articles and every recorded version.
func runRulebookShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rulebook show", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the running service")
	asOf := fs.String("as-of", "", "the day (YYYY-MM-DD) whose rules to show (default: today)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the service")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("rulebook show", "name one council: communes/CODE, provinces/CODE or regions/CODE")
	}
	path := "/v1/" + strings.Trim(pos[0], "/") + "/rulebook"
	if *asOf != "" {
		path += "?asOfDate=" + *asOf
	}
	var resp territoryv1.GetRulebookResponse
	if err := callREST(ctx, *timeout, http.MethodGet, *url+path, "", nil, &resp); err != nil {
		return fmt.Errorf("rulebook show: %w", err)
	}
	rb := resp.GetRulebook()
	w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "%s, rules in force on %s: version %d", rb.GetCouncil(), rb.GetAsOfDate(), rb.GetVersion())
	if rb.GetCouncilRulesVersion() > 0 {
		fmt.Fprintf(w, ", council's internal rules version %d", rb.GetCouncilRulesVersion())
	}
	fmt.Fprintln(w)
	line := func(rule, value string) { fmt.Fprintf(w, "  %s\t%s\t%s\n", rule, value, rb.GetArticles()[rule]) }
	line("signature_threshold", strconv.Itoa(int(rb.GetSignatureThreshold())))
	if rb.GetArrondissementsSignatures() > 0 {
		line("arrondissements_threshold", strconv.Itoa(int(rb.GetArrondissementsSignatures())))
	}
	if rb.GetPerProvinceSharePercent() > 0 {
		line("per_province_share", fmt.Sprintf("%d %%", rb.GetPerProvinceSharePercent()))
	}
	line("decision_deadline", fmt.Sprintf("%d months", rb.GetDecisionDeadlineMonths()))
	var months []string
	for _, m := range rb.GetOrdinarySessionMonths() {
		months = append(months, time.Month(m).String())
	}
	line("ordinary_sessions", strings.Join(months, ", "))
	line("session_margin", fmt.Sprintf("%d days", rb.GetSessionMarginDays()))
	fmt.Fprintln(w, "versions:")
	for _, v := range rb.GetVersions() {
		mark := " "
		if v.GetInForce() {
			mark = "*"
		}
		fmt.Fprintf(w, " %s %s %d\t%s\t%s\t%s\n", mark, v.GetScope(), v.GetVersion(), v.GetEffectiveDate(), strings.Join(v.GetChangedFields(), ","), v.GetReference())
	}
	return w.Flush()
}

// runRulebookAmend records an amendment of a level's rulebook.
func runRulebookAmend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rulebook amend", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the running service")
	token := fs.String("token", "", "an admin's bearer token (from token issue --role admin)")
	level := fs.String("level", "", "the level whose rulebook is amended: commune, province or region (required)")
	ref := fs.String("reference", "", "the legal text that makes the change (required)")
	effective := fs.String("effective", "", "first day (YYYY-MM-DD) the new rules apply (required)")
	brackets := fs.String("brackets", "", "signature brackets MAXPOP:SIGNATURES,...; the last MAXPOP is 0 (no bound), e.g. 34999:50,0:100")
	arr := fs.Int("arrondissements", -1, "signatures for a commune with arrondissements")
	share := fs.Int("province-share", -1, "regions: percent of the required signatures from each province")
	deadline := fs.Int("deadline-months", -1, "months to notify a reasoned decision")
	sessions := fs.String("sessions", "", "ordinary-session months, e.g. 1,6,9")
	margin := fs.Int("margin-days", -1, "days before the session month when the agenda is fixed")
	var articles multiFlag
	fs.Var(&articles, "article", "RULE=ARTICLE, the text a rule comes from (repeatable)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the service")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("rulebook amend", "unexpected argument %q", fs.Arg(0))
	}
	lv, ok := territoryeventsv1.CouncilLevel_value["COUNCIL_LEVEL_"+strings.ToUpper(*level)]
	if !ok || lv == 0 {
		return usagef("rulebook amend", "--level is commune, province or region (got %q)", *level)
	}
	v := &territoryeventsv1.RulebookValues{}
	opt := func(n int) *int32 {
		if n < 0 {
			return nil
		}
		x := int32(n)
		return &x
	}
	v.ArrondissementsSignatures, v.PerProvinceSharePercent, v.DecisionDeadlineMonths, v.SessionMarginDays = opt(*arr), opt(*share), opt(*deadline), opt(*margin)
	if *brackets != "" {
		for _, b := range strings.Split(*brackets, ",") {
			mp, sig, ok := strings.Cut(strings.TrimSpace(b), ":")
			p, err1 := strconv.ParseInt(mp, 10, 64)
			s, err2 := strconv.ParseInt(sig, 10, 32)
			if !ok || err1 != nil || err2 != nil {
				return usagef("rulebook amend", "--brackets: %q is not MAXPOP:SIGNATURES", b)
			}
			v.SignatureBrackets = append(v.SignatureBrackets, &territoryeventsv1.SignatureBracket{MaxPopulation: p, Signatures: int32(s)})
		}
	}
	if *sessions != "" {
		for _, m := range strings.Split(*sessions, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(m))
			if err != nil {
				return usagef("rulebook amend", "--sessions: %q is not a month number", m)
			}
			v.OrdinarySessionMonths = append(v.OrdinarySessionMonths, int32(n))
		}
	}
	for _, a := range articles {
		rule, text, ok := strings.Cut(a, "=")
		if !ok {
			return usagef("rulebook amend", "--article takes RULE=ARTICLE (got %q)", a)
		}
		if v.Articles == nil {
			v.Articles = map[string]string{}
		}
		v.Articles[rule] = text
	}
	req := &territoryv1.AmendRulebookRequest{Level: territoryeventsv1.CouncilLevel(lv), LegalReference: *ref, EffectiveDate: *effective, Values: v}
	var resp territoryv1.AmendRulebookResponse
	if err := callREST(ctx, *timeout, http.MethodPost, *url+"/v1/rulebooks:amend", *token, req, &resp); err != nil {
		return fmt.Errorf("rulebook amend: %w", err)
	}
	a := resp.GetAmendment()
	fmt.Fprintf(stdout, "recorded %s rulebook version %d, in force from %s (%s) at log position %d\n",
		strings.ToLower(strings.TrimPrefix(a.GetLevel().String(), "COUNCIL_LEVEL_")), a.GetVersion(), a.GetEffectiveDate(), strings.Join(a.GetChangedFields(), ", "), resp.GetLogPosition())
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// callREST sends req (protojson) and decodes the answer into out; an
// answer other than 200 is an error carrying the service's message.
func callREST(ctx context.Context, timeout time.Duration, method, url, token string, req, out proto.Message) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if req != nil {
		b, err := protojson.Marshal(req)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	r, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var st struct{ Message string }
		_ = json.Unmarshal(b, &st)
		if st.Message == "" {
			st.Message = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("%s: %s", resp.Status, st.Message)
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, out)
}
