package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
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
		head := e.head()
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
