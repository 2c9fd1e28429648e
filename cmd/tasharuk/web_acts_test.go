package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestWebPetitionActs: the pages offer the acts the API lists in
// Petition.allowed_acts. Regression (issue 15): the petition page offered
// the agent the withdrawal only until the bureau decided, although the
// API accepts it until the council deliberates; an agent of an admissible
// petition had no way to withdraw it from the web.
func TestWebPetitionActs(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	agentTok := e.token(access.RoleCitizen, "", "acts-agent")
	staffTok := e.token(access.RoleStaff, "50910113", "acts-clerk")
	otherStaff := e.token(access.RoleStaff, "50910107", "acts-clerk-kt")
	p := e.petitions
	cr, err := p.CreatePetition(as(agentTok), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION,
		Title: "Bibliothèque de quartier", Request: "Ouvrir une bibliothèque dans l'ancien foyer.", Reasons: "Aucune bibliothèque à moins de 10 km.",
		Association: &petitionseventsv1.Association{Name: "Association Lecture Pour Tous", RegistrationRef: "RD-2018-0101", ConstitutedOn: "2018-02-01",
			DemocraticGovernance: true, InGoodStanding: true, SeatInTerritory: true, ActivityLinkedToSubject: true}})
	if err != nil {
		t.Fatal(err)
	}
	name := cr.GetPetition().GetName()
	evidence := attachAssociationDocuments(t, p, agentTok, name)
	steps := []error{}
	_, err = p.DepositPetition(as(staffTok), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER})
	steps = append(steps, err)
	_, err = p.ReferPetitionToBureau(as(staffTok), &petitionsv1.ReferPetitionToBureauRequest{Name: name})
	steps = append(steps, err)
	_, err = p.DecideAdmissibility(as(staffTok), &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE,
		Checklist: &petitionseventsv1.Checklist{AgentDesignated: true, WithinCouncilPowers: true, NoExcludedSubject: true, AssociationConditionsMet: true, Evidence: evidence}})
	steps = append(steps, err)
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}

	acts := func(tok string) []petitionsv1.PetitionAct {
		t.Helper()
		r, err := p.GetPetition(as(tok), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE {
			t.Fatalf("state %v, want ADMISSIBLE", r.GetPetition().GetState())
		}
		return r.GetPetition().GetAllowedActs()
	}
	// The API: each caller gets its own acts; an anonymous caller and
	// another council's staff none.
	if got := acts(""); len(got) != 0 {
		t.Errorf("anonymous caller offered %v", got)
	}
	if got := acts(otherStaff); len(got) != 0 {
		t.Errorf("another council's staff offered %v", got)
	}
	if got := acts(agentTok); !slices.Equal(got, []petitionsv1.PetitionAct{petitionsv1.PetitionAct_PETITION_ACT_WITHDRAW}) {
		t.Errorf("agent of an admissible petition offered %v, want [WITHDRAW]", got)
	}
	staffActs := acts(staffTok)
	for _, want := range []petitionsv1.PetitionAct{petitionsv1.PetitionAct_PETITION_ACT_SCHEDULE, petitionsv1.PetitionAct_PETITION_ACT_REFER_TO_COMMITTEE,
		petitionsv1.PetitionAct_PETITION_ACT_NOTIFY_AGENT, petitionsv1.PetitionAct_PETITION_ACT_CORRECT} {
		if !slices.Contains(staffActs, want) {
			t.Errorf("staff offered %v, lacking %v", staffActs, want)
		}
	}
	for _, not := range []petitionsv1.PetitionAct{petitionsv1.PetitionAct_PETITION_ACT_WITHDRAW, petitionsv1.PetitionAct_PETITION_ACT_DECIDE_ADMISSIBILITY,
		petitionsv1.PetitionAct_PETITION_ACT_CLOSE, petitionsv1.PetitionAct_PETITION_ACT_RECORD_DELIBERATION} {
		if slices.Contains(staffActs, not) {
			t.Errorf("staff offered %v, including %v", staffActs, not)
		}
	}

	// The pages: the agent sees the withdrawal form and it works; the
	// staff's page offers what the API lists and nothing else.
	path := "/" + name
	staff := newWebClient(t, e.base, "en")
	staff.post("/signin", "/signin", url.Values{"token": {staffTok}})
	manage := staff.page(path + "/manage")
	base := `action="` + path + `/manage/`
	for _, act := range []string{"schedule", "committee", "notify"} {
		if !strings.Contains(manage, base+act+`"`) {
			t.Errorf("the manage page lacks the %s form", act)
		}
	}
	for _, act := range []string{"decide", "refer-bureau", "close", "deliberate", "report", "deposit"} {
		if strings.Contains(manage, base+act+`"`) {
			t.Errorf("the manage page offers %s on an admissible petition", act)
		}
	}
	agent := newWebClient(t, e.base, "en")
	agent.post("/signin", "/signin", url.Values{"token": {agentTok}})
	page := agent.page(path)
	if !strings.Contains(page, `action="`+path+`/withdraw"`) {
		t.Fatalf("the agent of an admissible petition is not offered the withdrawal:\n%s", page)
	}
	if strings.Contains(page, `action="`+path+`/deposit"`) || strings.Contains(page, `action="`+path+`/open"`) {
		t.Error("the agent is offered a deposit or an opening of an admissible petition")
	}
	if code, body, _ := agent.post(path, path+"/withdraw", url.Values{"reason": {"la commune a ouvert une bibliothèque"}}); code != 200 || strings.Contains(body, `id="error"`) {
		t.Fatalf("withdraw: %d\n%s", code, body)
	}
	r, err := p.GetPetition(as(agentTok), &petitionsv1.GetPetitionRequest{Name: name, MinPosition: e.head()})
	if err != nil || r.GetPetition().GetState() != petitionseventsv1.PetitionState_PETITION_STATE_WITHDRAWN || len(r.GetPetition().GetAllowedActs()) != 0 {
		t.Fatalf("after the withdrawal: %v %v %v", r.GetPetition().GetState(), r.GetPetition().GetAllowedActs(), err)
	}
	if strings.Contains(agent.page(path), `action="`+path+`/withdraw"`) {
		t.Error("a withdrawn petition still offers the withdrawal")
	}
}
