package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// depositedPetition drafts a citizens' petition in parent, opens it, has
// staff import n distinct paper signatures and the agent deposit it
// online, then refers it to the bureau; it returns its name.
func depositedPetition(t *testing.T, e *env, parent, agentTok, staffTok, tag string, n int) string {
	t.Helper()
	created, err := e.petitions.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{
		Parent: parent, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage public " + tag, Request: "Éclairer la route provinciale entre les deux douars.",
		Reasons: "La route est dangereuse la nuit pour les élèves et les travailleurs.",
	})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agentTok), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)
	var csv strings.Builder
	csv.WriteString("national_id,full_name\n")
	for i := range n {
		id, full := signer(tag, i)
		fmt.Fprintf(&csv, "%s,%s\n", id, full)
	}
	rep, err := e.petitions.ImportSignatures(as(staffTok), &petitionsv1.ImportSignaturesRequest{Name: name, Csv: []byte(csv.String())})
	if err != nil || rep.GetAccepted() != int32(n) {
		t.Fatalf("import %d signatures: %v %v", n, rep, err)
	}
	if _, err := e.petitions.DepositPetition(as(agentTok), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.ReferPetitionToBureau(as(staffTok), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	return name
}

func admit(t *testing.T, e *env, name, staffTok string) {
	t.Helper()
	if _, err := e.petitions.DecideAdmissibility(as(staffTok), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()}); err != nil {
		t.Fatal(err)
	}
}

// TestSessionMarginEndToEnd (issue 18, acceptance 2): a province petition
// found admissible in December is scheduled on the January session
// (provinces sit in January, June and September, law 112-14 art. 36); a
// commune petition found admissible within the margin before a session
// (its agenda fixed 10 days before the session month) goes to the next
// one, and naming the closed session is refused and changes nothing.
func TestSessionMarginEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-salma")
	staffProv := e.token(access.RoleStaff, "beni-mellal", "clerk-province")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")

	t.Run("province admissible in December: January session", func(t *testing.T) {
		name := depositedPetition(t, e, "provinces/beni-mellal", agent, staffProv, "PV", 300)
		admit(t, e, name, staffProv)
		sch, err := e.petitions.SchedulePetition(as(staffProv), &petitionsv1.SchedulePetitionRequest{Name: name})
		if err != nil || sch.GetPetition().GetSession() != "2027-01" {
			t.Fatalf("province schedule: %q %v", sch.GetPetition().GetSession(), err)
		}
	})

	t.Run("commune admissible within the margin: the session after", func(t *testing.T) {
		clock.Advance(53 * 24 * time.Hour) // 2027-01-25: February's agenda was fixed on 22 January
		name := depositedPetition(t, e, "communes/50910113", agent, staffZC, "ZM", 100)
		admit(t, e, name, staffZC)
		head := e.quietHead()
		code, body := e.rest(http.MethodPost, "/v1/"+name+":schedule", staffZC, map[string]any{"session": "2027-02"}, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "SESSION_AGENDA_CLOSED") || !strings.Contains(body, "2027-05") {
			t.Fatalf("schedule on the closed February session: %d %s", code, body)
		}
		if got := e.head(); got != head {
			t.Fatalf("a refused schedule moved the log from %d to %d", head, got)
		}
		_, err := e.petitions.SchedulePetition(as(staffZC), &petitionsv1.SchedulePetitionRequest{Name: name, Session: "2027-02"})
		wantCode(t, err, codes.FailedPrecondition, "SESSION_AGENDA_CLOSED")
		var out struct{ Petition struct{ Session string } }
		if code, body := e.rest(http.MethodPost, "/v1/"+name+":schedule", staffZC, map[string]any{}, &out); code != 200 || out.Petition.Session != "2027-05" {
			t.Fatalf("schedule on the next session: %d %s", code, body)
		}
	})
}

// TestRulebookAmendmentEndToEnd (issue 18, acceptance 1): an amendment
// recorded today with an effective date changes the threshold for
// petitions deposited on or after that date and not for those deposited
// before; GetRulebook as of both days shows both versions, over gRPC and
// REST, also after a restart (the read model's snapshot section); a
// council's internal rules set its agenda margin; bad or unauthorised
// amendments change nothing; `audit verify` passes on the export.
func TestRulebookAmendmentEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	admin := e.token(access.RoleAdmin, "", "admin-rules")
	agent := e.token(access.RoleCitizen, "", "agent-yassine")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	staffKT := e.token(access.RoleStaff, "50910107", "clerk-kt")
	const zc = "communes/50910113"

	// A law lowers the commune thresholds from 1 March 2027 (50 under
	// 35,000 inhabitants, 100 otherwise), recorded on 10 January.
	amend := &territoryv1.AmendRulebookRequest{
		Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, LegalReference: "loi organique n° 13-26 modifiant l'article 123 de la loi organique 113-14",
		EffectiveDate: "2027-03-01",
		Values: &territoryeventsv1.RulebookValues{SignatureBrackets: []*territoryeventsv1.SignatureBracket{
			{MaxPopulation: 34_999, Signatures: 50}, {Signatures: 100}}},
	}
	t.Run("only an admin amends, with valid values", func(t *testing.T) {
		head := e.quietHead()
		_, err := e.territory.AmendRulebook(as(staffZC), amend)
		wantCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		bad := proto.Clone(amend).(*territoryv1.AmendRulebookRequest)
		bad.Values.SignatureBrackets[1].MaxPopulation = 10
		_, err = e.territory.AmendRulebook(as(admin), bad)
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		code, body := e.rest(http.MethodPost, "/v1/rulebooks:amend", admin, map[string]any{"level": "COUNCIL_LEVEL_COMMUNE", "legalReference": "", "effectiveDate": "2027-03-01",
			"values": map[string]any{"decisionDeadlineMonths": 2}}, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "legal_reference") {
			t.Fatalf("amendment without a reference: %d %s", code, body)
		}
		if got := e.head(); got != head {
			t.Fatalf("refused amendments moved the log from %d to %d", head, got)
		}
	})
	res, err := e.territory.AmendRulebook(as(admin), amend)
	if err != nil || res.GetAmendment().GetVersion() != 2 || res.GetLogPosition() == 0 {
		t.Fatalf("amend: %v %v", res, err)
	}
	pos := res.GetLogPosition()

	rulebookOn := func(t *testing.T, day string) *territoryv1.Rulebook {
		t.Helper()
		rb, err := e.territory.GetRulebook(context.Background(), &territoryv1.GetRulebookRequest{Name: zc + "/rulebook", AsOfDate: day, MinPosition: pos})
		if err != nil {
			t.Fatal(err)
		}
		return rb.GetRulebook()
	}
	checkVersions := func(t *testing.T) {
		t.Helper()
		before, after := rulebookOn(t, "2027-02-28"), rulebookOn(t, "2027-03-01")
		if before.GetVersion() != 1 || before.GetSignatureThreshold() != 100 || after.GetVersion() != 2 || after.GetSignatureThreshold() != 50 {
			t.Fatalf("before: v%d %d; after: v%d %d", before.GetVersion(), before.GetSignatureThreshold(), after.GetVersion(), after.GetSignatureThreshold())
		}
		// The defaults, the amendment, then (later) the council's rules.
		if len(after.GetVersions()) < 2 || after.GetVersions()[1].GetReference() != amend.GetLegalReference() || !after.GetVersions()[1].GetInForce() ||
			after.GetVersions()[0].GetInForce() || before.GetVersions()[1].GetInForce() || after.GetArticles()["signature_threshold"] != "law 113-14 art. 123" {
			t.Fatalf("versions: %v / %v", before.GetVersions(), after.GetVersions())
		}
	}
	t.Run("GetRulebook as of both days", func(t *testing.T) {
		checkVersions(t)
		var got struct {
			Rulebook struct {
				Version            int
				SignatureThreshold int
				AsOfDate           string
			}
		}
		if code, body := e.rest(http.MethodGet, "/v1/"+zc+"/rulebook?asOfDate=2027-03-01", "", nil, &got); code != 200 || got.Rulebook.Version != 2 || got.Rulebook.SignatureThreshold != 50 || got.Rulebook.AsOfDate != "2027-03-01" {
			t.Fatalf("REST rulebook: %d %s", code, body)
		}
		if code, body := e.rest(http.MethodGet, "/v1/communes/99999999/rulebook", "", nil, nil); code != http.StatusNotFound {
			t.Fatalf("unknown council: %d %s", code, body)
		}
		if code, body := e.rest(http.MethodGet, "/v1/"+zc+"/rulebook?asOfDate=mars", "", nil, nil); code != http.StatusBadRequest {
			t.Fatalf("bad day: %d %s", code, body)
		}
	})

	// Deposited on 15 February, before the amendment takes effect: 60
	// signatures are short of the 100 of version 1.
	clock.Advance(36 * 24 * time.Hour)
	before := depositedPetition(t, e, zc, agent, staffZC, "RA", 60)
	// Deposited on 2 March: 60 signatures meet the 50 of version 2.
	clock.Advance(15 * 24 * time.Hour)
	after := depositedPetition(t, e, zc, agent, staffZC, "RB", 60)
	t.Run("the threshold of the deposit day", func(t *testing.T) {
		_, err := e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: before, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()})
		wantCode(t, err, codes.FailedPrecondition, "THRESHOLD_NOT_MET")
		admit(t, e, after, staffZC)
		for name, want := range map[string]int32{before: 100, after: 50} {
			p, err := e.petitions.GetPetition(context.Background(), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
			if err != nil || p.GetPetition().GetSignatureThreshold() != want {
				t.Errorf("%s: threshold %d (%v), want %d", name, p.GetPetition().GetSignatureThreshold(), err, want)
			}
		}
	})

	t.Run("a council's internal rules", func(t *testing.T) {
		margin := int32(20)
		req := &territoryv1.SetCouncilRulesRequest{Name: zc + "/rulebook", InternalRulesReference: "délibération n° 7/2027 du 4 février 2027 (règlement intérieur, art. 12)", EffectiveDate: "2027-03-01", SessionMarginDays: &margin}
		_, err := e.territory.SetCouncilRules(as(staffKT), req)
		wantCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		set, err := e.territory.SetCouncilRules(as(staffZC), req)
		if err != nil || set.GetRules().GetVersion() != 1 {
			t.Fatalf("set council rules: %v %v", set, err)
		}
		rb, err := e.territory.GetRulebook(context.Background(), &territoryv1.GetRulebookRequest{Name: zc + "/rulebook", AsOfDate: "2027-03-02", MinPosition: set.GetLogPosition()})
		if err != nil || rb.GetRulebook().GetSessionMarginDays() != 20 || rb.GetRulebook().GetCouncilRulesVersion() != 1 || rb.GetRulebook().GetVersion() != 2 {
			t.Fatalf("rulebook with council rules: %v %v", rb.GetRulebook(), err)
		}
		// Another commune keeps the defaults.
		kt, err := e.territory.GetRulebook(context.Background(), &territoryv1.GetRulebookRequest{Name: "communes/50910107/rulebook", AsOfDate: "2027-03-02"})
		if err != nil || kt.GetRulebook().GetSessionMarginDays() != 10 || kt.GetRulebook().GetCouncilRulesVersion() != 0 {
			t.Fatalf("Kasba Tadla: %v %v", kt.GetRulebook(), err)
		}
	})

	t.Run("CLI rulebook show and amend", func(t *testing.T) {
		var out, errOut strings.Builder
		if err := runRulebook(context.Background(), []string{"show", zc, "--url", e.base, "--as-of", "2027-03-02"}, &out, &errOut); err != nil {
			t.Fatalf("show: %v %s", err, errOut.String())
		}
		if !regexp.MustCompile(`signature_threshold +50 +law 113-14 art. 123`).MatchString(out.String()) {
			t.Errorf("show gives no threshold of 50 with its article:\n%s", out.String())
		}
		for _, want := range []string{"version 2", "internal rules version 1", "February, May, October", "20 days", amend.GetLegalReference()} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("show lacks %q:\n%s", want, out.String())
			}
		}
		args := []string{"amend", "--url", e.base, "--level", "region", "--reference", "décret n° 2.27.15", "--effective", "2027-06-01", "--deadline-months", "3",
			"--article", "decision_deadline=décret n° 2.27.15, art. 2"}
		head := e.quietHead()
		out.Reset()
		if err := runRulebook(context.Background(), append(args, "--token", staffZC), &out, &errOut); err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("amend by staff: %v", err)
		}
		if err := runRulebook(context.Background(), []string{"amend", "--url", e.base, "--level", "region", "--reference", "x", "--effective", "2027-06-01", "--token", admin}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "values") {
			t.Fatalf("amend setting nothing: %v", err)
		}
		if e.head() != head {
			t.Fatal("refused CLI amendments moved the log")
		}
		if err := runRulebook(context.Background(), append(args, "--token", admin), &out, &errOut); err != nil || !strings.Contains(out.String(), "region rulebook version 2, in force from 2027-06-01") {
			t.Fatalf("amend: %v %s", err, out.String())
		}
		rb, err := e.territory.GetRulebook(context.Background(), &territoryv1.GetRulebookRequest{Name: "regions/beni-mellal-khenifra/rulebook", AsOfDate: "2027-06-01", MinPosition: e.head()})
		if err != nil || rb.GetRulebook().GetDecisionDeadlineMonths() != 3 || rb.GetRulebook().GetArticles()["decision_deadline"] != "décret n° 2.27.15, art. 2" {
			t.Fatalf("region after the CLI amendment: %v %v", rb.GetRulebook(), err)
		}
	})

	t.Run("the rulebook page in ar, fr and en", func(t *testing.T) {
		for lang, want := range map[string][]string{
			"fr": {"Règles des pétitions", "Signatures minimales", "février", "Règlement, version 2"},
			"en": {"Petition rules", "Minimum signatures", "February", "Rulebook, version 2"},
			"ar": {"قواعد العرائض", "الحد الأدنى للتوقيعات", "فبراير", "القواعد، النسخة 2"},
		} {
			resp, err := http.Get(e.base + "/" + zc + "/rulebook?on=2027-03-02&lang=" + lang)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page := string(b)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", lang, resp.StatusCode)
			}
			for _, w := range append(want, "law 113-14 art. 123", "law 113-14 art. 33", ">50<", amend.GetLegalReference()) {
				if !strings.Contains(page, w) && !strings.Contains(page, html.EscapeString(w)) {
					t.Errorf("%s page lacks %q", lang, w)
				}
			}
			if strings.Contains(page, "(check)") {
				t.Errorf("%s page shows the internal (check) note", lang)
			}
		}
		// Before the amendment's day the page shows version 1's threshold.
		resp, err := http.Get(e.base + "/" + zc + "/rulebook?on=2027-02-28&lang=en")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), ">100<") || !strings.Contains(string(b), "version 1 of the level") {
			t.Errorf("page on 28 February:\n%s", b)
		}
	})

	t.Run("after a restart", func(t *testing.T) {
		e.restart()
		checkVersions(t)
	})

	t.Run("audit verify", func(t *testing.T) {
		e.stop()
		export := filepath.Join(t.TempDir(), "export.jsonl")
		var out, errOut strings.Builder
		if err := runAudit(context.Background(), []string{"export", "--out", export, "--data-dir", dir}, &out, &errOut); err != nil {
			t.Fatalf("export: %v %s", err, errOut.String())
		}
		b, _ := os.ReadFile(export)
		if !strings.Contains(string(b), "territory.RulebookAmended") || !strings.Contains(string(b), "territory.CouncilRulesSet") {
			t.Fatal("the export lacks the rulebook events")
		}
		out.Reset()
		if err := runAudit(context.Background(), []string{"verify", export, "--public-key", "@" + filepath.Join(dir, "keys", "checkpoint.pub")}, &out, &errOut); err != nil || !strings.Contains(out.String(), "OK") {
			t.Fatalf("verify: %v\n%s\n%s", err, out.String(), errOut.String())
		}
	})
}

// cleared has the council's staff clear a petition submitted for online
// signatures (moderation before collection), so it is public and
// collecting; pc is the client to use (nil: e's).
func cleared(t *testing.T, e *env, pc petitionsv1.PetitionServiceClient, name string) {
	t.Helper()
	if pc == nil {
		pc = e.petitions
	}
	code := strings.Split(name, "/")[1]
	if _, err := pc.ModeratePetition(as(e.token(access.RoleStaff, code, "moderating-clerk-"+code)), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true}); err != nil {
		t.Fatalf("clear %s: %v", name, err)
	}
}

// TestModerationEndToEnd (issue 18, acceptance 5): a petition submitted for
// online signatures is absent from public reads, lists, pages and open
// data, as a draft is, until its council's moderation clears it; another
// council's staff cannot moderate it; a refusal names its ground with
// reasons the agent (and only the agent and the council) reads; the agent
// amends and submits again; a petition waiting past the moderation
// deadline shows overdue; once cleared it is public and collects.
func TestModerationEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-moderation")
	other := e.token(access.RoleCitizen, "", "citizen-other")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	moderatorZC := e.token(access.RoleModerator, "50910113", "moderator-zc")
	moderatorKT := e.token(access.RoleModerator, "50910107", "moderator-kt")
	staffKT := e.token(access.RoleStaff, "50910107", "clerk-kt")
	const title = "Ralentisseurs devant l'école Al Farabi"
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: title, Request: "Installer des ralentisseurs devant l'école, le directeur M. Untel ne fait rien.", Reasons: "Les voitures roulent vite à la sortie des classes."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	hidden := func(t *testing.T, what string) {
		t.Helper()
		for _, path := range []string{"/v1/" + name, "/v1/audit/history/" + name} {
			if code, body := e.rest(http.MethodGet, path, "", nil, nil); code != http.StatusNotFound {
				t.Errorf("%s: anonymous GET %s = %d %s", what, path, code, body)
			}
		}
		if _, err := e.petitions.GetPetition(as(other), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()}); status.Code(err) != codes.NotFound {
			t.Errorf("%s: another citizen reads it: %v", what, err)
		}
		list, err := e.petitions.ListPetitions(context.Background(), &petitionsv1.ListPetitionsRequest{Parent: "communes/50910113", MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range list.GetPetitions() {
			if p.GetName() == name {
				t.Errorf("%s: in the public list", what)
			}
		}
		for _, path := range []string{"/communes/50910113", "/open-data/communes/50910113/petitions.json", "/open-data/communes/50910113/petitions.csv", "/" + name} {
			resp, err := http.Get(e.base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "Al Farabi") || strings.Contains(string(b), html.EscapeString(title)) {
				t.Errorf("%s: %s shows it", what, path)
			}
		}
	}
	hidden(t, "draft")

	opened, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	p := opened.GetPetition()
	if p.GetState() != petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION ||
		!p.GetModeration().GetDeadline().AsTime().Equal(clock.Now().AddDate(0, 0, 5)) || p.GetModeration().GetOverdue() {
		t.Fatalf("submitted: %v %v", p.GetState(), p.GetModeration())
	}
	hidden(t, "awaiting moderation")
	id, full := signer("MO", 1)
	_, err = e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
	if code := status.Code(err); code != codes.NotFound && code != codes.FailedPrecondition {
		t.Fatalf("signing a petition awaiting moderation: %v", err)
	}

	t.Run("another council's staff or moderator, a citizen: refused, nothing written", func(t *testing.T) {
		head := e.quietHead()
		for who, tok := range map[string]string{"staff of Kasba Tadla": staffKT, "moderator of Kasba Tadla": moderatorKT, "the agent": agent} {
			_, err := e.petitions.ModeratePetition(as(tok), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true})
			if code := status.Code(err); code != codes.PermissionDenied {
				t.Errorf("%s clears: %v", who, err)
			}
		}
		// Its id under another council's name is no petition there.
		_, err := e.petitions.ModeratePetition(as(moderatorKT), &petitionsv1.ModeratePetitionRequest{Name: strings.Replace(name, "50910113", "50910107", 1), Clear: true})
		wantCode(t, err, codes.NotFound, "PETITION_NOT_FOUND")
		// A refusal without reasons is refused.
		code, body := e.rest(http.MethodPost, "/v1/"+name+":moderate", moderatorZC, map[string]any{"ground": "MODERATION_GROUND_INSULTING_OR_PERSONAL", "reasons": "non"}, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "MODERATION_REASONS_REQUIRED") {
			t.Fatalf("refusal without reasons: %d %s", code, body)
		}
		if e.head() != head {
			t.Fatalf("refused moderation moved the log from %d to %d", head, e.head())
		}
	})

	const reasons = "Le texte met en cause nommément le directeur de l'école : retirez le nom, gardez la demande."
	t.Run("refused with its ground and reasons, read by the agent", func(t *testing.T) {
		var out struct {
			Petition struct {
				State      string
				Moderation struct{ Ground, Reasons, Article, ModeratedBy string }
			}
		}
		code, body := e.rest(http.MethodPost, "/v1/"+name+":moderate", moderatorZC, map[string]any{"ground": "MODERATION_GROUND_INSULTING_OR_PERSONAL", "reasons": reasons}, &out)
		if code != 200 || out.Petition.State != "PETITION_STATE_MODERATION_REFUSED" || out.Petition.Moderation.Ground != "MODERATION_GROUND_INSULTING_OR_PERSONAL" ||
			out.Petition.Moderation.Reasons != reasons || !strings.Contains(out.Petition.Moderation.Article, "09-08") || out.Petition.Moderation.ModeratedBy != "moderator-zc" {
			t.Fatalf("refuse: %d %s", code, body)
		}
		got, err := e.petitions.GetPetition(as(agent), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil || got.GetPetition().GetModeration().GetReasons() != reasons {
			t.Fatalf("the agent reads: %v %v", got.GetPetition().GetModeration(), err)
		}
		acts := got.GetPetition().GetAllowedActs()
		if !slices.Contains(acts, petitionsv1.PetitionAct_PETITION_ACT_AMEND) || !slices.Contains(acts, petitionsv1.PetitionAct_PETITION_ACT_OPEN_FOR_SIGNATURES) {
			t.Errorf("the agent is offered %v", acts)
		}
		hidden(t, "refused")
	})

	t.Run("amended, submitted again, overdue, cleared", func(t *testing.T) {
		if _, err := e.petitions.AmendPetition(as(other), &petitionsv1.AmendPetitionRequest{Name: name, Title: title, Request: "x", Reasons: "y"}); status.Code(err) != codes.PermissionDenied {
			t.Fatalf("another citizen amends: %v", err)
		}
		am, err := e.petitions.AmendPetition(as(agent), &petitionsv1.AmendPetitionRequest{Name: name, Title: title,
			Request: "Installer des ralentisseurs devant l'école.", Reasons: "Les voitures roulent vite à la sortie des classes."})
		if err != nil || strings.Contains(am.GetPetition().GetRequest(), "Untel") {
			t.Fatalf("amend: %v %v", am.GetPetition().GetRequest(), err)
		}
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(6 * 24 * time.Hour)
		got, err := e.petitions.GetPetition(as(staffZC), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil || !got.GetPetition().GetModeration().GetOverdue() || got.GetPetition().GetModeration().GetReasons() != "" {
			t.Fatalf("overdue moderation: %v %v", got.GetPetition().GetModeration(), err)
		}
		if !slices.Contains(got.GetPetition().GetAllowedActs(), petitionsv1.PetitionAct_PETITION_ACT_MODERATE) {
			t.Errorf("staff are offered %v", got.GetPetition().GetAllowedActs())
		}
		hidden(t, "submitted again")
		cl, err := e.petitions.ModeratePetition(as(staffZC), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true})
		if err != nil || cl.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING || cl.GetPetition().GetModeration().GetOverdue() {
			t.Fatalf("clear: %v %v", cl.GetPetition(), err)
		}
		if code, body := e.rest(http.MethodGet, "/v1/"+name, "", nil, nil); code != 200 || !strings.Contains(body, "Al Farabi") {
			t.Fatalf("public after clearing: %d %s", code, body)
		}
		if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
			t.Fatalf("sign once cleared: %v", err)
		}
		if !strings.Contains(e.restBody("/open-data/communes/50910113/petitions.csv"), "Al Farabi") {
			t.Error("not in open data once cleared")
		}
	})
}

// TestModerationWebPages: the same moderation through the web pages'
// plain forms: the agent opens the draft and sees it awaiting moderation;
// the council's moderator refuses it with a ground and reasons; the agent's
// page shows them (a visitor's does not exist); the agent amends the text
// and submits it again; the moderator clears it; it collects.
func TestModerationWebPages(t *testing.T) {
	clock := &testClock{t: time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	signIn := func(tok, lang string) *webClient {
		c := newWebClient(t, e.base, lang)
		if code, body, _ := c.post("/signin", "/signin", url.Values{"token": {tok}}); code != 200 {
			t.Fatalf("sign-in: %d\n%s", code, body)
		}
		return c
	}
	agent := signIn(e.token(access.RoleCitizen, "", "web-mod-agent"), "fr")
	moderator := signIn(e.token(access.RoleModerator, "50910113", "web-moderator"), "fr")
	code, body, path := agent.post("/communes/50910113/petitions/new", "/communes/50910113/petitions", url.Values{
		"kind": {"citizens"}, "title": {"Marché hebdomadaire couvert"},
		"request": {"Couvrir le marché hebdomadaire."}, "reasons": {"Les vendeurs et les clients subissent la pluie et le soleil."},
	})
	if code != 200 || !strings.HasPrefix(path, "/communes/50910113/petitions/") {
		t.Fatalf("create: %d %s\n%s", code, path, body)
	}
	if _, body, _ := agent.post(path, path+"/open", url.Values{}); !strings.Contains(body, `id="moderation-waiting"`) || !strings.Contains(body, "transmise à la modération") {
		t.Fatalf("after opening:\n%s", body)
	}
	if code, _ := newWebClient(t, e.base, "fr").get(path); code != http.StatusNotFound {
		t.Fatalf("a visitor sees the petition awaiting moderation: %d", code)
	}
	page := moderator.page(path)
	if !strings.Contains(page, `id="moderate-refuse"`) || !strings.Contains(page, `id="moderate-clear"`) {
		t.Fatalf("the moderator is offered no moderation:\n%s", page)
	}
	const reasons = "Précisez le quartier du marché : la commune en compte deux."
	if code, body, _ := moderator.post(path, path+"/moderate", url.Values{"decision": {"refuse"}, "ground": {"MODERATION_GROUND_OUTSIDE_COUNCIL_POWERS"}, "reasons": {reasons}}); code != 200 {
		t.Fatalf("refuse: %d\n%s", code, body)
	}
	page = agent.page(path)
	for _, want := range []string{`id="moderation-reasons"`, html.EscapeString(reasons), "Hors des attributions du conseil", "law 113-14 art. 121", `id="amend-button"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the agent's page lacks %q", want)
		}
	}
	if code, _ := newWebClient(t, e.base, "fr").get(path); code != http.StatusNotFound {
		t.Fatalf("a visitor sees the refused petition: %d", code)
	}
	if code, body, _ := agent.post(path, path+"/amend", url.Values{"title": {"Marché hebdomadaire couvert d'Al Massira"}, "request": {"Couvrir le marché hebdomadaire d'Al Massira."},
		"reasons": {"Les vendeurs et les clients subissent la pluie et le soleil."}}); code != 200 || !strings.Contains(body, "Al Massira") {
		t.Fatalf("amend: %d\n%s", code, body)
	}
	if _, body, _ := agent.post(path, path+"/open", url.Values{}); !strings.Contains(body, `id="moderation-waiting"`) {
		t.Fatalf("submitted again:\n%s", body)
	}
	if code, body, _ := moderator.post(path, path+"/moderate", url.Values{"decision": {"clear"}}); code != 200 {
		t.Fatalf("clear: %d\n%s", code, body)
	}
	if !strings.Contains(newWebClient(t, e.base, "fr").page(path), "Collecte des signatures") {
		t.Fatal("not collecting once cleared")
	}
}

// TestDocumentsEndToEnd (issue 18, acceptance 4, documents): an agent
// attaches an association's statutes (PDF) to its petition; the bytes go
// to the JetStream object store, the event records their SHA-256, size
// and sniffed type; only the council's staff (and admins, auditors) read
// the document back, checked against that hash; an oversized or
// non-document file is refused and changes nothing; after an export,
// `audit verify` passes and `audit document` proves the file unchanged,
// while an altered copy fails.
func TestDocumentsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-association")
	other := e.token(access.RoleCitizen, "", "citizen-other")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	staffKT := e.token(access.RoleStaff, "50910107", "clerk-kt")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Terrain de sport de proximité", Request: "Aménager un terrain de sport.", Reasons: "Les jeunes du quartier n'ont aucun équipement."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	statutes := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Statuts de l'association Al Amal, article 1 ...\n%%EOF\n")

	t.Run("refused files change nothing", func(t *testing.T) {
		head := e.quietHead()
		_, err := e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES,
			FileName: "statuts.pdf", Content: []byte("PK\x03\x04\x14\x00\x00\x00binary zip")})
		wantCode(t, err, codes.InvalidArgument, "DOCUMENT_TYPE_REFUSED")
		big := append([]byte("%PDF-1.4\n"), make([]byte, 3<<20)...)
		_, err = e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES, FileName: "statuts.pdf", Content: big})
		wantCode(t, err, codes.InvalidArgument, "DOCUMENT_TOO_LARGE")
		_, err = e.petitions.AttachDocument(as(other), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES, FileName: "statuts.pdf", Content: statutes})
		wantCode(t, err, codes.PermissionDenied, "NOT_AGENT")
		_, err = e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, FileName: "statuts.pdf", Content: statutes})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		if e.head() != head {
			t.Fatalf("refused attachments moved the log from %d to %d", head, e.head())
		}
	})

	att, err := e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES,
		FileName: "statuts.pdf", Content: statutes})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(statutes)
	doc := att.GetDocument()
	if doc.GetSha256() != hex.EncodeToString(sum[:]) || doc.GetSize() != int64(len(statutes)) || doc.GetMediaType() != "application/pdf" || att.GetDocumentName() != name+"/documents/"+doc.GetDocumentId() {
		t.Fatalf("attached: %v %s", doc, att.GetDocumentName())
	}
	docName := att.GetDocumentName()

	t.Run("staff-only, checked against its hash", func(t *testing.T) {
		got, err := e.petitions.GetDocument(as(staffZC), &petitionsv1.GetDocumentRequest{Name: docName, MinPosition: att.GetLogPosition()})
		if err != nil || !bytes.Equal(got.GetContent(), statutes) || got.GetDocument().GetSha256() != doc.GetSha256() {
			t.Fatalf("staff read: %v", err)
		}
		for who, tok := range map[string]string{"the agent": agent, "another citizen": other, "staff of Kasba Tadla": staffKT} {
			if _, err := e.petitions.GetDocument(as(tok), &petitionsv1.GetDocumentRequest{Name: docName}); status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s reads the document: %v", who, err)
			}
		}
		if code, _ := e.rest(http.MethodGet, "/v1/"+docName, "", nil, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous read: %d", code)
		}
		_, err = e.petitions.GetDocument(as(staffZC), &petitionsv1.GetDocumentRequest{Name: name + "/documents/" + strings.TrimPrefix(name, "communes/50910113/petitions/")})
		wantCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		// Nothing of the document's bytes in the petition's view.
		if code, body := e.rest(http.MethodGet, "/v1/"+name, agent, nil, nil); code != 200 || strings.Contains(body, "Al Amal") {
			t.Errorf("the petition view: %d, shows the document's bytes: %v", code, strings.Contains(body, "Al Amal"))
		}
	})

	t.Run("audit verify and audit document", func(t *testing.T) {
		e.stop()
		export := filepath.Join(t.TempDir(), "export.jsonl")
		var out, errOut strings.Builder
		if err := runAudit(context.Background(), []string{"export", "--out", export, "--data-dir", dir}, &out, &errOut); err != nil {
			t.Fatalf("export: %v %s", err, errOut.String())
		}
		out.Reset()
		if err := runAudit(context.Background(), []string{"verify", export, "--public-key", "@" + filepath.Join(dir, "keys", "checkpoint.pub")}, &out, &errOut); err != nil || !strings.Contains(out.String(), "OK") {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
		if b, _ := os.ReadFile(export); strings.Contains(string(b), "Al Amal") || !strings.Contains(string(b), doc.GetSha256()) && !strings.Contains(string(b), "PetitionDocumentAttached") {
			t.Fatal("the export holds the document's bytes, or not its event")
		}
		file := filepath.Join(t.TempDir(), "statuts.pdf")
		if err := os.WriteFile(file, statutes, 0o600); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := runAudit(context.Background(), []string{"document", file, "--export", export}, &out, &errOut); err != nil || !strings.Contains(out.String(), "OK") || !strings.Contains(out.String(), doc.GetDocumentId()) {
			t.Fatalf("audit document: %v %s", err, out.String())
		}
		altered := bytes.Replace(statutes, []byte("article 1"), []byte("article 9"), 1)
		if err := os.WriteFile(file, altered, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := runAudit(context.Background(), []string{"document", file, "--export", export}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "altered") {
			t.Fatalf("an altered document passed: %v", err)
		}
	})
}

// TestAssociationPetitionEndToEnd (issue 18, acceptance 4): an association
// declared four years ago (its legal-deposit receipt date) files a petition
// with its statutes, receipt and governing body's decision attached; it
// goes through moderation, deposit, the bureau (whose checklist records
// which document proved which condition; evidence naming another document
// or the wrong kind is refused, and so are the association's conditions
// marked met without a document for each) and its decision, which a
// replay does not record twice; its documents are
// staff-only with their hashes in the log. One declared two years ago is
// refused at drafting, naming law 113-14 art. 124, and nothing is written.
func TestAssociationPetitionEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "president-al-amal")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	association := func(receipt string) *petitionseventsv1.Association {
		return &petitionseventsv1.Association{Name: "Association Al Amal pour le développement", RegistrationRef: "RD-ZC-2022-031", ConstitutedOn: receipt,
			LegalDepositReceiptDate: receipt, SeatAddress: "12 rue Al Qods, Zaouiat Cheikh", RepresentativeTitle: "président",
			GoverningBodyDecision: "PV du bureau n° 4/2026", GoverningBodyDecisionDate: "2026-10-02",
			DemocraticGovernance: true, InGoodStanding: true, SeatInTerritory: true, ActivityLinkedToSubject: true}
	}
	draft := func(a *petitionseventsv1.Association) (*petitionsv1.CreatePetitionResponse, error) {
		return e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION,
			Title: "Maison des jeunes", Request: "Ouvrir une maison des jeunes au centre.", Reasons: "Les jeunes n'ont aucun lieu d'activités.", Association: a})
	}
	t.Run("declared two years ago: refused with the article", func(t *testing.T) {
		head := e.quietHead()
		_, err := draft(association("2024-11-20"))
		wantCode(t, err, codes.FailedPrecondition, "ASSOCIATION_CONDITIONS_NOT_MET")
		if !strings.Contains(status.Convert(err).Message(), "law 113-14 art. 124") {
			t.Errorf("message names no article: %s", status.Convert(err).Message())
		}
		if e.head() != head {
			t.Fatal("a refused draft moved the log")
		}
	})
	created, err := draft(association("2022-11-20"))
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	docs := map[petitionseventsv1.DocumentKind]string{} // kind → document id
	for kind, content := range map[petitionseventsv1.DocumentKind]string{
		petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES:                "%PDF-1.4\n% statuts\n%%EOF\n",
		petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT:   "%PDF-1.4\n% récépissé de dépôt légal\n%%EOF\n",
		petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION: "%PDF-1.4\n% décision du bureau\n%%EOF\n",
	} {
		att, err := e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, Kind: kind, FileName: strings.ToLower(kind.String()) + ".pdf", Content: []byte(content)})
		if err != nil {
			t.Fatal(err)
		}
		docs[kind] = att.GetDocument().GetDocumentId()
	}
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)
	if _, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.petitions.ReferPetitionToBureau(as(staffZC), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	// The bureau's checklist records which document proved which condition.
	evidence := []*petitionseventsv1.ConditionEvidence{
		{Condition: "association_constituted", DocumentId: docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT]},
		{Condition: "association_statutes", DocumentId: docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES]},
		{Condition: "association_seat", DocumentId: docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT]},
		{Condition: "governing_body_decision", DocumentId: docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION]},
	}
	checklist := func(ev ...*petitionseventsv1.ConditionEvidence) *petitionseventsv1.Checklist {
		return &petitionseventsv1.Checklist{AgentDesignated: true, WithinCouncilPowers: true, NoExcludedSubject: true, AssociationConditionsMet: true, Evidence: ev}
	}
	t.Run("evidence naming no document of the petition, or the wrong kind", func(t *testing.T) {
		head := e.quietHead()
		for _, bad := range []*petitionseventsv1.ConditionEvidence{
			{Condition: "association_statutes", DocumentId: docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION]},
			{Condition: "association_statutes", DocumentId: "01a231bf-73e2-72c1-ad48-2a14b4ae40da"},
			{Condition: "good_looks", DocumentId: docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES]},
		} {
			_, err := e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: checklist(bad)})
			wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		}
		if e.head() != head {
			t.Fatal("refused decisions moved the log")
		}
	})
	t.Run("conditions marked met without their documents", func(t *testing.T) {
		head := e.quietHead()
		for _, ev := range [][]*petitionseventsv1.ConditionEvidence{nil, evidence[:3]} {
			_, err := e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: checklist(ev...)})
			wantCode(t, err, codes.FailedPrecondition, "EVIDENCE_REQUIRED")
			if msg := status.Convert(err).Message(); !strings.Contains(msg, "governing_body_decision") || !strings.Contains(msg, "decree 2.16.403") {
				t.Errorf("the refusal: %s", msg)
			}
		}
		// Another council's staff and the agent cannot decide at all.
		for who, tok := range map[string]string{"staff of Kasba Tadla": e.token(access.RoleStaff, "50910107", "clerk-kt"), "the agent": agent} {
			_, err := e.petitions.DecideAdmissibility(as(tok), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: checklist(evidence...)})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s decides: %v", who, err)
			}
		}
		if e.quietHead() != head {
			t.Fatal("refused decisions moved the log")
		}
	})
	dec, err := e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE,
		Checklist: checklist(evidence...)})
	if err != nil || dec.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE ||
		len(dec.GetPetition().GetDecision().GetChecklist().GetEvidence()) != 4 ||
		dec.GetPetition().GetDecision().GetChecklist().GetEvidence()[1].GetDocumentId() != docs[petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES] {
		t.Fatalf("decision: %v %v", dec.GetPetition().GetDecision(), err)
	}
	// The same decision replayed is refused and records nothing.
	head := e.quietHead()
	_, err = e.petitions.DecideAdmissibility(as(staffZC), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE,
		Checklist: checklist(evidence...)})
	wantCode(t, err, codes.FailedPrecondition, "WRONG_STATE")
	if e.quietHead() != head {
		t.Fatal("a replayed decision moved the log")
	}
	// The public sees the petition, not its documents; the log holds their
	// hashes.
	if code, body := e.rest(http.MethodGet, "/v1/"+name, "", nil, nil); code != 200 || strings.Contains(body, "récépissé") {
		t.Fatalf("public petition: %d", code)
	}
	var hist struct{ Entries []struct{ Type string } }
	if code, body := e.rest(http.MethodGet, "/v1/audit/history/"+name, "", nil, &hist); code != 200 || strings.Count(body, "PetitionDocumentAttached") != 3 {
		t.Fatalf("history: %d %s", code, body)
	}
}
