package domain_test

import (
	"strings"
	"testing"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Who may file: citizens, who name an agent who carries the petition (law
// 113-14 arts. 121-122 (check)). The citizen drafting it is the agent.
func TestCitizensPetitionDraftedWithAgent_Law113_14_Art121(t *testing.T) {
	cmd := citizensDraft()
	cmd.Title = "  " + cmd.Title + "  "
	given(t).when(cmd, asAgent).then(domain.Event{Payload: &petitionseventsv1.PetitionDrafted{
		PetitionId: petitionID, Council: beniMellal, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage public, quartier Ouled Hamdane", Request: cmd.Request, Reasons: cmd.Reasons,
		Agent: "agent-1",
	}})
}

// A citizens' petition needs an identified agent (law 113-14 art. 122
// (check)).
func TestAgentRequired_Law113_14_Art122(t *testing.T) {
	anonymous := domain.Context{Now: now, Actor: eventstore.Actor{Role: "citizen"}}
	given(t).when(citizensDraft(), anonymous).thenRule(domain.RuleAgentRequired, fault.FailedPrecondition)
}

// Supporting documents start with the subject and its reasons and
// objectives (decree 2.16.403): title, request and reasons are required and
// bounded.
func TestDraftTextFields_Decree2_16_403(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*domain.Draft)
		field string
	}{
		{"title missing", func(d *domain.Draft) { d.Title = "" }, "title"},
		{"title blank", func(d *domain.Draft) { d.Title = " \t\n" }, "title"},
		{"title oversized", func(d *domain.Draft) { d.Title = strings.Repeat("é", domain.MaxTitle+1) }, "title"},
		{"title not UTF-8", func(d *domain.Draft) { d.Title = "bad \xff" }, "title"},
		{"request missing", func(d *domain.Draft) { d.Request = "" }, "request"},
		{"request oversized", func(d *domain.Draft) { d.Request = strings.Repeat("ع", domain.MaxRequest+1) }, "request"},
		{"reasons missing", func(d *domain.Draft) { d.Reasons = "" }, "reasons"},
		{"reasons oversized", func(d *domain.Draft) { d.Reasons = strings.Repeat("x", domain.MaxReasons+1) }, "reasons"},
		{"citizens name no association", func(d *domain.Draft) { d.Association = goodAssociation() }, "association"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := citizensDraft()
			tc.edit(&cmd)
			given(t).when(cmd, asAgent).thenField(tc.field)
		})
	}
	t.Run("at the limits", func(t *testing.T) {
		cmd := citizensDraft()
		cmd.Title = strings.Repeat("é", domain.MaxTitle)
		cmd.Request = strings.Repeat("ع", domain.MaxRequest)
		cmd.Reasons = strings.Repeat("x", domain.MaxReasons)
		thenOne[*petitionseventsv1.PetitionDrafted](given(t).when(cmd, asAgent))
	})
}

// Who files must be said: citizens or an association (law 113-14 art. 121).
func TestKindRequired_Law113_14_Art121(t *testing.T) {
	cmd := citizensDraft()
	cmd.Kind = petitionseventsv1.PetitionerKind_PETITIONER_KIND_UNSPECIFIED
	given(t).when(cmd, asAgent).thenField("kind")
}

// An association's petition: constituted in Morocco more than 3 years ago,
// run democratically, in good standing, seat or branch in the territory,
// activity linked to the subject (law 113-14 art. 123 (check)).
func TestAssociationConditions_Law113_14_Art123(t *testing.T) {
	t.Run("all met", func(t *testing.T) {
		a := goodAssociation()
		given(t).when(associationDraft(a), asAgent).then(domain.Event{Payload: &petitionseventsv1.PetitionDrafted{
			PetitionId: petitionID, Council: beniMellal, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION,
			Title: "Espace vert", Request: "Aménager un espace vert", Reasons: "Aucun jardin dans le quartier",
			Association: goodAssociation(), Agent: "agent-1",
		}})
	})
	for _, tc := range []struct {
		name    string
		edit    func(*petitionseventsv1.Association)
		missing string
	}{
		{"constituted exactly 3 years ago", func(a *petitionseventsv1.Association) { a.ConstitutedOn = "2023-11-29" }, "constituted more than 3 years ago"},
		{"constituted less than 3 years ago", func(a *petitionseventsv1.Association) { a.ConstitutedOn = "2024-06-01" }, "constituted more than 3 years ago"},
		{"not run democratically", func(a *petitionseventsv1.Association) { a.DemocraticGovernance = false }, "run democratically"},
		{"not in good standing", func(a *petitionseventsv1.Association) { a.InGoodStanding = false }, "good standing"},
		{"no seat in the territory", func(a *petitionseventsv1.Association) { a.SeatInTerritory = false }, "seat or branch"},
		{"activity not linked", func(a *petitionseventsv1.Association) { a.ActivityLinkedToSubject = false }, "activity linked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := goodAssociation()
			tc.edit(a)
			re := given(t).when(associationDraft(a), asAgent).thenRule(domain.RuleAssociationConditions, fault.FailedPrecondition)
			detailNames(t, re.Detail, tc.missing)
		})
	}
	t.Run("constituted 3 years and 1 day ago", func(t *testing.T) {
		a := goodAssociation()
		a.ConstitutedOn = "2023-11-28"
		thenOne[*petitionseventsv1.PetitionDrafted](given(t).when(associationDraft(a), asAgent))
	})
	t.Run("every missing condition named", func(t *testing.T) {
		a := goodAssociation()
		a.InGoodStanding, a.SeatInTerritory = false, false
		re := given(t).when(associationDraft(a), asAgent).thenRule(domain.RuleAssociationConditions, fault.FailedPrecondition)
		detailNames(t, re.Detail, "good standing", "seat or branch")
	})
	t.Run("late in the day, exactly 3 years", func(t *testing.T) {
		a := goodAssociation()
		a.ConstitutedOn = "2023-11-29"
		late := domain.Context{Now: time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC), Actor: agent}
		given(t).when(associationDraft(a), late).thenRule(domain.RuleAssociationConditions, fault.FailedPrecondition)
	})
}

// The association is identified by its legal deposit receipt (decree
// 2.16.403): name, reference and constitution date are required fields.
func TestAssociationIdentity_Decree2_16_403(t *testing.T) {
	for _, tc := range []struct {
		name  string
		a     *petitionseventsv1.Association
		field string
	}{
		{"no association", nil, "association"},
		{"no name", func() *petitionseventsv1.Association { a := goodAssociation(); a.Name = " "; return a }(), "association.name"},
		{"no registration", func() *petitionseventsv1.Association { a := goodAssociation(); a.RegistrationRef = ""; return a }(), "association.registration_ref"},
		{"bad date", func() *petitionseventsv1.Association {
			a := goodAssociation()
			a.ConstitutedOn = "02/03/2019"
			return a
		}(), "association.constituted_on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t).when(associationDraft(tc.a), asAgent).thenField(tc.field)
		})
	}
}

// A petition is drafted once; its id names one case (product rule, no
// article: the case id is the stream's identity).
func TestDraftTwice_PetitionExists(t *testing.T) {
	given(t, drafted()).when(citizensDraft(), asAgent).thenError(fault.AlreadyExists, "PETITION_EXISTS")
}

// Every act but drafting needs the petition to exist (product rule, no
// article).
func TestPetitionNotFound(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  domain.Command
		ctx  domain.Context
	}{
		{"open", domain.OpenForSignatures{ModerationDays: 5}, asAgent},
		{"deposit", domain.Deposit{Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}, asClerk},
		{"refer to bureau", domain.ReferToBureau{}, asClerk},
		{"decide", admit(200, 200), asClerk},
		{"schedule", domain.Schedule{SessionMonths: communeSessions}, asClerk},
		{"refer to committee", domain.ReferToCommittee{Committee: "X"}, asClerk},
		{"report", domain.RecordCommitteeReport{Summary: "X"}, asClerk},
		{"deliberate", deliberate(), asClerk},
		{"notify", notify(petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY), asClerk},
		{"withdraw", domain.Withdraw{}, asAgent},
		{"close", domain.Close{}, asClerk},
		{"correct", domain.Correct{EventID: "ev-1", Field: "title", Value: "x", Reason: "typo"}, asClerk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t).when(tc.cmd, tc.ctx).thenError(fault.NotFound, "PETITION_NOT_FOUND")
		})
	}
}
