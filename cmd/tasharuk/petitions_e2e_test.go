package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/eventstore/esdb/esdbtest"
)

// signer makes a distinct, recognisable person: the personal-data check
// greps for these national IDs and names.
func signer(tag string, i int) (id, name string) {
	return fmt.Sprintf("%s%06d", tag, i), fmt.Sprintf("Zineb Secretname-%s-%04d", tag, i)
}

func fullChecklist() *petitionseventsv1.Checklist {
	return &petitionseventsv1.Checklist{ThresholdMet: true, SignatoriesEligible: true, AgentDesignated: true, WithinCouncilPowers: true, NoExcludedSubject: true}
}

// signMany signs n distinct signatures over gRPC from 16 goroutines.
func signMany(t *testing.T, e *env, name, tag string, from, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id, full := signer(tag, i)
				if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
					errs <- fmt.Errorf("signature %d: %w", i, err)
				}
			}
		}()
	}
	for i := from; i < from+n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestPetitionsEndToEnd runs the petitions acceptance scenarios against the
// real server: the 135 communes imported, lifecycles in Béni Mellal (gRPC)
// and Zaouiat Cheikh (REST), thresholds, duplicates, overdue, scope, bad
// input, restart, and the personal-data check.
func TestPetitionsEndToEnd(t *testing.T) { petitionsScenario(t, envOptions{}) }

// TestPetitionsEndToEndOnEventStoreDB runs the same scenario with the log
// in EventStoreDB, over the in-process server of its wire protocol.
func TestPetitionsEndToEndOnEventStoreDB(t *testing.T) {
	srv, err := esdbtest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	petitionsScenario(t, envOptions{ESDBURL: srv.URL()})
}

func petitionsScenario(t *testing.T, opts envOptions) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"), opts)

	agent := e.token(access.RoleCitizen, "", "agent-amina")
	otherCitizen := e.token(access.RoleCitizen, "", "citizen-omar")
	staffBM := e.token(access.RoleStaff, "50910101", "clerk-bm")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	staffKT := e.token(access.RoleStaff, "50910107", "clerk-kt")
	ctx := context.Background()

	t.Run("TerritoryImported", func(t *testing.T) {
		list, err := e.territory.ListCouncils(ctx, &territoryv1.ListCouncilsRequest{Filter: "level=COMMUNE", PageSize: 500})
		if err != nil || list.GetTotalSize() != 135 || len(list.GetCouncils()) != 135 {
			t.Fatalf("communes: %d (%v)", list.GetTotalSize(), err)
		}
		bm, err := e.territory.GetCouncil(ctx, &territoryv1.GetCouncilRequest{Name: "communes/50910101"})
		if err != nil || bm.GetCouncil().GetSignatureThreshold() != 200 || bm.GetCouncil().GetPopulation() != 209104 || bm.GetCouncil().GetDecisionDeadlineMonths() != 3 {
			t.Fatalf("Béni Mellal: %v %v", bm.GetCouncil(), err)
		}
		zc, err := e.territory.GetCouncil(ctx, &territoryv1.GetCouncilRequest{Name: "communes/50910113"})
		if err != nil || zc.GetCouncil().GetSignatureThreshold() != 100 {
			t.Fatalf("Zaouiat Cheikh: %v %v", zc.GetCouncil(), err)
		}
		// The region roll-up lists every commune.
		var roll struct {
			Councils []struct{ Council string }
		}
		if code, body := e.rest(http.MethodGet, "/v1/regions/beni-mellal-khenifra/councilStatuses", "", nil, &roll); code != 200 {
			t.Fatalf("region roll-up: %d %s", code, body)
		}
		communes := 0
		for _, c := range roll.Councils {
			if strings.HasPrefix(c.Council, "communes/") {
				communes++
			}
		}
		if communes != 135 || len(roll.Councils) != 140 {
			t.Fatalf("region roll-up lists %d communes, %d councils; want 135 and 140", communes, len(roll.Councils))
		}
	})

	var bmName string
	t.Run("BeniMellalLifecycleOverGRPC", func(t *testing.T) {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{
			Parent: "communes/50910101", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Bibliothèque de quartier à Ouled Ayad", Request: "Créer une bibliothèque municipale de quartier.",
			Reasons: "Les élèves du quartier n'ont aucun lieu pour étudier ; la commune dispose d'un local vacant.",
		})
		if err != nil {
			t.Fatal(err)
		}
		p := created.GetPetition()
		bmName = p.GetName()
		if p.GetState() != petitionseventsv1.PetitionState_PETITION_STATE_DRAFT || p.GetSignatureThreshold() != 200 || p.GetAgent() != "agent-amina" || created.GetLogPosition() == 0 {
			t.Fatalf("draft: %v", p)
		}
		// Only the agent opens it.
		_, err = e.petitions.OpenPetitionForSignatures(as(otherCitizen), &petitionsv1.OpenPetitionForSignaturesRequest{Name: bmName})
		wantCode(t, err, codes.PermissionDenied, "NOT_AGENT")
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: bmName}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, bmName)
		signMany(t, e, bmName, "BM", 0, 199)
		// The same national ID with other spacing and case counts once.
		id, full := signer("BM", 7)
		_, err = e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: bmName, NationalId: " bm-" + strings.ToLower(id[2:]), FullName: full})
		wantCode(t, err, codes.AlreadyExists, "ALREADY_SIGNED")
		if !strings.HasPrefix(id, "BM") {
			t.Fatal("bad test id")
		}
		_, err = e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: bmName, NationalId: "bm " + id[2:], FullName: full})
		wantCode(t, err, codes.AlreadyExists, "ALREADY_SIGNED")
		// Another account cannot use the number, however it is spelled.
		_, err = e.petitions.SignPetition(as(otherCitizen), &petitionsv1.SignPetitionRequest{Name: bmName, NationalId: "bm " + id[2:], FullName: full})
		wantCode(t, err, codes.FailedPrecondition, "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT")
		chk, err := e.petitions.CheckSignature(as(e.signerToken(id)), &petitionsv1.CheckSignatureRequest{Name: bmName})
		if err != nil || chk.GetStatus() != petitionsv1.SignatureStatus_SIGNATURE_STATUS_VALID {
			t.Fatalf("check signature: %v %v", chk, err)
		}
		got, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: bmName, MinPosition: e.head()})
		if err != nil || got.GetPetition().GetSignatures().GetValid() != 199 {
			t.Fatalf("after 199 signatures and a duplicate: %v %v", got.GetPetition().GetSignatures(), err)
		}
		// The agent deposits online: receipt, deadline in 3 months.
		dep, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: bmName, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(dep.GetReceiptNumber(), "50910101-2026-") || !dep.GetPetition().GetDecisionDeadline().AsTime().Equal(clock.Now().AddDate(0, 3, 0)) {
			t.Fatalf("deposit: receipt %q deadline %v", dep.GetReceiptNumber(), dep.GetPetition().GetDecisionDeadline().AsTime())
		}
		// Staff of another commune may not act here.
		_, err = e.petitions.ReferPetitionToBureau(as(staffKT), &petitionsv1.ReferPetitionToBureauRequest{Name: bmName})
		wantCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		if _, err := e.petitions.ReferPetitionToBureau(as(staffBM), &petitionsv1.ReferPetitionToBureauRequest{Name: bmName}); err != nil {
			t.Fatal(err)
		}
		// 199 valid signatures: admissible is refused.
		_, err = e.petitions.DecideAdmissibility(as(staffBM), &petitionsv1.DecideAdmissibilityRequest{Name: bmName, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()})
		wantCode(t, err, codes.FailedPrecondition, "THRESHOLD_NOT_MET")
		// The paper sheet brings the 200th: one new, one duplicate, one invalid.
		newID, newName := signer("BM", 500)
		dupID, dupName := signer("BM", 3)
		sheet := fmt.Sprintf("national_id,full_name\n%s,%s\n%s,%s\nNOT-AN-ID,Someone\n", newID, newName, strings.ToLower(dupID), dupName)
		rep, err := e.petitions.ImportSignatures(as(staffBM), &petitionsv1.ImportSignaturesRequest{Name: bmName, Csv: []byte(sheet)})
		if err != nil {
			t.Fatal(err)
		}
		if rep.GetAccepted() != 1 || rep.GetDuplicates() != 1 || rep.GetInvalid() != 1 || len(rep.GetRows()) != 3 || rep.GetRows()[2].GetLine() != 4 || !strings.Contains(rep.GetRows()[2].GetReason(), "national_id") {
			t.Fatalf("import report: %v", rep)
		}
		dec, err := e.petitions.DecideAdmissibility(as(staffBM), &petitionsv1.DecideAdmissibilityRequest{Name: bmName, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()})
		if err != nil {
			t.Fatal(err)
		}
		if dec.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE || dec.GetPetition().GetDecision().GetDecidedBy() != "clerk-bm" {
			t.Fatalf("decision: %v", dec.GetPetition())
		}
		clock.Advance(2 * 24 * time.Hour)
		if _, err := e.petitions.NotifyAgent(as(staffBM), &petitionsv1.NotifyAgentRequest{Name: bmName, Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter", Reference: "L-2026-118"}); err != nil {
			t.Fatal(err)
		}
		sch, err := e.petitions.SchedulePetition(as(staffBM), &petitionsv1.SchedulePetitionRequest{Name: bmName})
		if err != nil || sch.GetPetition().GetSession() != "2027-02" {
			t.Fatalf("schedule: %v %v", sch.GetPetition().GetSession(), err)
		}
		if _, err := e.petitions.ReferPetitionToCommittee(as(staffBM), &petitionsv1.ReferPetitionToCommitteeRequest{Name: bmName, Committee: "commission des affaires sociales"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.petitions.RecordDeliberation(as(staffBM), &petitionsv1.RecordDeliberationRequest{Name: bmName, Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "approved"})
		wantCode(t, err, codes.FailedPrecondition, "COMMITTEE_REPORT_REQUIRED")
		if _, err := e.petitions.RecordCommitteeReport(as(staffBM), &petitionsv1.RecordCommitteeReportRequest{Name: bmName, Summary: "Le local de l'ancienne poste convient."}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.petitions.RecordDeliberation(as(staffBM), &petitionsv1.RecordDeliberationRequest{Name: bmName, Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "Le conseil approuve la création de la bibliothèque.", Reference: "délibération 2027-02-14"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.petitions.ClosePetition(as(staffBM), &petitionsv1.ClosePetitionRequest{Name: bmName})
		wantCode(t, err, codes.FailedPrecondition, "AGENT_NOT_NOTIFIED")
		if _, err := e.petitions.NotifyAgent(as(staffBM), &petitionsv1.NotifyAgentRequest{Name: bmName, Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME, Channel: "portal"}); err != nil {
			t.Fatal(err)
		}
		closed, err := e.petitions.ClosePetition(as(staffBM), &petitionsv1.ClosePetitionRequest{Name: bmName, Note: "done"})
		if err != nil || closed.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_CLOSED || closed.GetPetition().GetSignatures().GetValid() != 200 {
			t.Fatalf("closed: %v %v", closed.GetPetition(), err)
		}
		// The timeline over REST lists every act with its actor and both times.
		var tl struct {
			Entries []struct {
				Type, Actor, ActorRole, OccurTime, RecordTime, Hash string
			}
		}
		if code, body := e.rest(http.MethodGet, "/v1/"+bmName+"/timeline", "", nil, &tl); code != 200 {
			t.Fatalf("timeline: %d %s", code, body)
		}
		var types []string
		for _, en := range tl.Entries {
			if en.Actor == "" || en.OccurTime == "" || en.RecordTime == "" || len(en.Hash) != 64 {
				t.Fatalf("timeline entry without actor, times or hash: %+v", en)
			}
			types = append(types, strings.TrimPrefix(en.Type, "petitions."))
		}
		want := "PetitionDrafted PetitionSubmittedForModeration PetitionModerationCleared PetitionDeposited PetitionReferredToBureau AdmissibilityDecided AgentNotified PetitionScheduled PetitionReferredToCommittee CommitteeReportRecorded PetitionDeliberated AgentNotified PetitionClosed"
		if strings.Join(types, " ") != want {
			t.Fatalf("timeline:\n got %s\nwant %s", strings.Join(types, " "), want)
		}
	})

	t.Run("BeniMellal199IsInadmissibleNotAdmissible", func(t *testing.T) {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{
			Parent: "communes/50910101", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Piste cyclable", Request: "Aménager une piste cyclable avenue Mohammed V.", Reasons: "Sécurité des cyclistes.",
		})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		signMany(t, e, name, "BC", 0, 199)
		if _, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.petitions.ReferPetitionToBureau(as(staffBM), &petitionsv1.ReferPetitionToBureauRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		_, err = e.petitions.DecideAdmissibility(as(staffBM), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()})
		wantCode(t, err, codes.FailedPrecondition, "THRESHOLD_NOT_MET")
		_, err = e.petitions.DecideAdmissibility(as(staffBM), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE})
		wantCode(t, err, codes.FailedPrecondition, "REASONS_REQUIRED")
		dec, err := e.petitions.DecideAdmissibility(as(staffBM), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE,
			Reasons: "199 signatures valables pour 200 requises (article 123 de la loi organique 113-14)."})
		if err != nil || dec.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE {
			t.Fatalf("inadmissible: %v %v", dec.GetPetition(), err)
		}
	})

	t.Run("ZaouiatCheikhLifecycleOverREST", func(t *testing.T) {
		var created struct{ Petition struct{ Name, State string } }
		code, body := e.rest(http.MethodPost, "/v1/communes/50910113/petitions", agent, map[string]any{
			"kind": "PETITIONER_KIND_CITIZENS", "title": "Transport scolaire", "request": "Mettre en place un transport scolaire pour les douars.", "reasons": "Les élèves marchent 8 km.",
		}, &created)
		if code != 200 || created.Petition.State != "PETITION_STATE_DRAFT" {
			t.Fatalf("create: %d %s", code, body)
		}
		name := created.Petition.Name
		post := func(verb, tok string, body map[string]any) {
			t.Helper()
			if code, b := e.rest(http.MethodPost, "/v1/"+name+":"+verb, tok, body, nil); code != 200 {
				t.Fatalf(":%s = %d %s", verb, code, b)
			}
		}
		post("openForSignatures", agent, map[string]any{})
		post("moderate", staffZC, map[string]any{"clear": true})
		for i := range 100 {
			id, full := signer("ZC", i)
			post("sign", e.signerToken(id), map[string]any{"nationalId": id, "fullName": full})
		}
		// The same person again: 409 Conflict (ALREADY_EXISTS), counted once.
		id, full := signer("ZC", 42)
		if code, b := e.rest(http.MethodPost, "/v1/"+name+":sign", e.signerToken(id), map[string]any{"nationalId": strings.ToLower(id), "fullName": full}, nil); code != http.StatusConflict || !strings.Contains(b, "ALREADY_SIGNED") {
			t.Fatalf("duplicate signature: %d %s", code, b)
		}
		post("deposit", agent, map[string]any{"channel": "DEPOSIT_CHANNEL_ONLINE"})
		post("referToBureau", staffZC, map[string]any{})
		post("decideAdmissibility", staffZC, map[string]any{"admissibility": "ADMISSIBILITY_ADMISSIBLE", "checklist": map[string]bool{
			"thresholdMet": true, "signatoriesEligible": true, "agentDesignated": true, "withinCouncilPowers": true, "noExcludedSubject": true}})
		post("notifyAgent", staffZC, map[string]any{"subject": "NOTIFICATION_SUBJECT_ADMISSIBILITY", "channel": "letter"})
		post("schedule", staffZC, map[string]any{"session": "2027-02"})
		post("referToCommittee", staffZC, map[string]any{"committee": "commission du développement"})
		post("recordCommitteeReport", staffZC, map[string]any{"summary": "Deux circuits proposés."})
		post("recordDeliberation", staffZC, map[string]any{"outcome": "DELIBERATION_OUTCOME_PARTLY_APPROVED", "summary": "Un circuit approuvé."})
		post("notifyAgent", staffZC, map[string]any{"subject": "NOTIFICATION_SUBJECT_OUTCOME", "channel": "portal"})
		post("close", staffZC, map[string]any{})
		var got struct {
			Petition struct {
				State      string
				Outcome    string
				Signatures struct{ Valid int }
			}
		}
		if code, b := e.rest(http.MethodGet, "/v1/"+name, "", nil, &got); code != 200 || got.Petition.State != "PETITION_STATE_CLOSED" || got.Petition.Signatures.Valid != 100 || got.Petition.Outcome != "DELIBERATION_OUTCOME_PARTLY_APPROVED" {
			t.Fatalf("closed petition: %d %s", code, b)
		}
		// Staff of another commune: 403.
		if code, b := e.rest(http.MethodPost, "/v1/"+name+":close", staffKT, map[string]any{}, nil); code != http.StatusForbidden {
			t.Fatalf("staff of another commune: %d %s", code, b)
		}
		// No token: 401.
		if code, _ := e.rest(http.MethodPost, "/v1/"+name+":close", "", map[string]any{}, nil); code != http.StatusUnauthorized {
			t.Fatalf("no token: %d", code)
		}
	})

	var overdueName string
	t.Run("OverdueAfterThreeMonths", func(t *testing.T) {
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{
			Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Marché couvert", Request: "Construire un marché couvert.", Reasons: "Le marché actuel est insalubre.",
		})
		if err != nil {
			t.Fatal(err)
		}
		overdueName = created.GetPetition().GetName()
		// A paper deposit received 3 months and 1 day ago, keyed in today.
		received := clock.Now().AddDate(0, -3, -1)
		dep, err := e.petitions.DepositPetition(as(staffZC), &petitionsv1.DepositPetitionRequest{Name: overdueName, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(received), Documents: []string{"liste des signataires"}})
		if err != nil {
			t.Fatal(err)
		}
		if !dep.GetPetition().GetOverdue() || !dep.GetPetition().GetReceiveTime().AsTime().Equal(received) {
			t.Fatalf("paper deposit 3 months + 1 day old is not overdue: %v", dep.GetPetition())
		}
		st, err := e.status.GetCouncilStatus(ctx, &statusv1.GetCouncilStatusRequest{Name: "communes/50910113/status", MinPosition: e.head()})
		if err != nil || st.GetStatus().GetPetitions().GetOverdue() != 1 {
			t.Fatalf("commune status overdue = %d (%v)", st.GetStatus().GetPetitions().GetOverdue(), err)
		}
		var list struct{ Petitions []struct{ Name string } }
		if code, b := e.rest(http.MethodGet, "/v1/communes/50910113/petitions?filter=overdue%3Dtrue", "", nil, &list); code != 200 || len(list.Petitions) != 1 || list.Petitions[0].Name != overdueName {
			t.Fatalf("overdue list: %d %s", code, b)
		}
		// A deposit received in the future is refused.
		created2, _ := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "x", Request: "y", Reasons: "z"})
		_, err = e.petitions.DepositPetition(as(staffZC), &petitionsv1.DepositPetitionRequest{Name: created2.GetPetition().GetName(), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(clock.Now().Add(48 * time.Hour))})
		wantCode(t, err, codes.FailedPrecondition, "DEPOSIT_DATE_IN_FUTURE")
	})

	t.Run("MalformedInputWritesNothing", func(t *testing.T) {
		before := e.head()
		_, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910101", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Request: "r", Reasons: "r"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		if !strings.Contains(err.Error(), "title") {
			t.Fatalf("message does not name the field: %v", err)
		}
		_, err = e.petitions.SignPetition(as(otherCitizen), &petitionsv1.SignPetitionRequest{Name: bmName, NationalId: "12-34", FullName: "x"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		if !strings.Contains(err.Error(), "national_id") {
			t.Fatalf("message does not name the field: %v", err)
		}
		_, err = e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: "communes/50910101/petitions/not-a-uuid"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		_, err = e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/99999999", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"})
		wantCode(t, err, codes.NotFound, "COUNCIL_NOT_FOUND")
		_, err = e.petitions.ImportSignatures(as(staffBM), &petitionsv1.ImportSignaturesRequest{Name: bmName, Csv: []byte("name\nx\n")})
		wantCode(t, err, codes.InvalidArgument, "MALFORMED_CSV")
		_, err = e.petitions.ListPetitions(ctx, &petitionsv1.ListPetitionsRequest{Parent: "communes/50910101", Filter: "state=NOPE"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		if code, b := e.rest(http.MethodPost, "/v1/communes/50910101/petitions", agent, map[string]any{"title": 42}, nil); code != http.StatusBadRequest {
			t.Fatalf("malformed JSON body: %d %s", code, b)
		}
		if code, b := e.rest(http.MethodPost, "/v1/communes/50910101/petitions", agent, map[string]any{"kind": "PETITIONER_KIND_CITIZENS", "request": "r", "reasons": "r"}, nil); code != http.StatusBadRequest || !strings.Contains(b, "title") {
			t.Fatalf("missing title over REST: %d %s", code, b)
		}
		if after := e.head(); after != before {
			t.Fatalf("bad input wrote %d events", after-before)
		}
	})

	t.Run("PaginationAndFilter", func(t *testing.T) {
		first, err := e.petitions.ListPetitions(ctx, &petitionsv1.ListPetitionsRequest{Parent: "communes/50910101", PageSize: 1})
		if err != nil || len(first.GetPetitions()) != 1 || first.GetNextPageToken() == "" || first.GetTotalSize() != 2 {
			t.Fatalf("page 1: %v %v", first, err)
		}
		second, err := e.petitions.ListPetitions(ctx, &petitionsv1.ListPetitionsRequest{Parent: "communes/50910101", PageSize: 1, PageToken: first.GetNextPageToken()})
		if err != nil || len(second.GetPetitions()) != 1 || second.GetNextPageToken() != "" || second.GetPetitions()[0].GetName() == first.GetPetitions()[0].GetName() {
			t.Fatalf("page 2: %v %v", second, err)
		}
		_, err = e.petitions.ListPetitions(ctx, &petitionsv1.ListPetitionsRequest{Parent: "communes/50910101", PageSize: 1, PageToken: first.GetNextPageToken(), Filter: "state=CLOSED"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		closed, err := e.petitions.ListPetitions(ctx, &petitionsv1.ListPetitionsRequest{Parent: "communes/50910101", Filter: "state=CLOSED"})
		if err != nil || len(closed.GetPetitions()) != 1 || closed.GetPetitions()[0].GetName() != bmName {
			t.Fatalf("filter: %v %v", closed, err)
		}
	})

	// Staff accounts provisioned by email and phone (issue 16): their
	// contact details are personal data, checked below with the ID
	// numbers and names.
	contacts := []string{"clerk.bm@example.ma", "+212 6 70 11 22 33"}
	t.Run("GrantsWithContacts", func(t *testing.T) {
		ids := identityv1.NewIdentityServiceClient(e.conn)
		admin := e.token(access.RoleAdmin, "", "admin-petitions")
		if _, err := ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: contacts[0]}, Role: "staff", Council: "50910101"}); err != nil {
			t.Fatal(err)
		}
		if code, b := e.rest(http.MethodPost, "/v1/users:grantRole", admin, map[string]any{"account": map[string]any{"phone": contacts[1]}, "role": "staff", "council": "50910113"}, nil); code != http.StatusOK {
			t.Fatalf("grant by phone over REST: %d %s", code, b)
		}
	})

	// Views to compare across a restart.
	views := func() string {
		var b strings.Builder
		for _, p := range []string{
			"/v1/" + bmName, "/v1/" + bmName + "/timeline", "/v1/" + overdueName,
			"/v1/communes/50910101/petitions", "/v1/communes/50910113/petitions",
			"/v1/communes/50910101/status", "/v1/communes/50910113/status",
			"/v1/regions/beni-mellal-khenifra/councilStatuses", "/v1/councils?pageSize=500",
		} {
			code, body := e.rest(http.MethodGet, p, "", nil, nil)
			fmt.Fprintf(&b, "%s %d %s\n", p, code, body)
		}
		return b.String()
	}
	t.Run("RestartGivesIdenticalViews", func(t *testing.T) {
		before := views()
		e.restart()
		after := views()
		if before != after {
			t.Fatalf("views differ after a restart:\nbefore: %.2000s\nafter:  %.2000s", before, after)
		}
		// And after a restart without the projection snapshot (rebuilt
		// from the log).
		e.stop()
		if err := os.Remove(filepath.Join(dir, "projections", opts.backend()+"-snapshot.gob")); err != nil {
			t.Fatal(err)
		}
		e.start()
		if rebuilt := views(); rebuilt != before {
			bl, rl := strings.Split(before, "\n"), strings.Split(rebuilt, "\n")
			for i := range bl {
				if i < len(rl) && bl[i] != rl[i] {
					t.Logf("differs:\n%.3000s\n%.3000s", bl[i], rl[i])
				}
			}
			t.Fatalf("views differ after a rebuild from the log")
		}
	})

	t.Run("NoPersonalDataInClear", func(t *testing.T) {
		e.stop() // flush everything to disk
		// And the read models the service left equal a rebuild from zero.
		var out, errOut strings.Builder
		if err := runReplay(context.Background(), append([]string{"--verify"}, e.storeArgs()...), &out, &errOut); err != nil || !strings.Contains(out.String(), "OK") {
			t.Fatalf("replay --verify after the petitions scenario: %v\n%s%s", err, out.String(), errOut.String())
		}
		var needles []string
		for _, tag := range []string{"BM", "BC", "ZC"} {
			for _, i := range []int{0, 7, 42, 99, 198} {
				id, name := signer(tag, i)
				needles = append(needles, id, name, strings.ToLower(id))
			}
		}
		id, name := signer("BM", 500)
		needles = append(needles, id, name)
		// Emails and phone numbers, as typed and as normalized (digits).
		needles = append(needles, contacts[0], "670112233", "+212670112233")
		check := func(what, hay string) {
			t.Helper()
			for _, n := range needles {
				if strings.Contains(hay, n) {
					t.Fatalf("%s contains personal data in clear: %q", what, n)
				}
			}
		}
		check("public responses", e.public.String())
		check("service logs", e.logs.String())
		if len(e.public.String()) < 10000 || len(e.logs.String()) == 0 {
			t.Fatalf("too little was checked: %d bytes of responses, %d of logs", len(e.public.String()), len(e.logs.String()))
		}
		files := 0
		err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			check(path, string(b))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < 3 {
			t.Fatalf("only %d files in the data folder", files)
		}
	})
}
