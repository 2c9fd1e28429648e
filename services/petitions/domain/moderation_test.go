package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// A petition submitted for online signatures stays private until its
// council's moderation clears it; then it is public and collecting.
func TestModerationClears(t *testing.T) {
	st := given(t, drafted(), submitted()).state
	if st.Public() || st.Status != petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION {
		t.Fatalf("submitted: public %v, %s", st.Public(), domain.StateName(st.Status))
	}
	if domain.SignatureAllowed(st, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE) == nil {
		t.Error("a petition awaiting moderation takes signatures")
	}
	given(t, drafted(), submitted()).when(domain.Moderate{Clear: true, Note: " vu "}, asModerator).
		then(domain.Event{Payload: &petitionseventsv1.PetitionModerationCleared{Note: "vu"}})
	st = given(t, drafted(), submitted(), cleared()).state
	if !st.Public() || st.Status != petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING || st.ModeratedBy != "moderator-1" {
		t.Fatalf("cleared: public %v, %s, by %q", st.Public(), domain.StateName(st.Status), st.ModeratedBy)
	}
	if domain.SignatureAllowed(st, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE) != nil {
		t.Error("a cleared petition refuses signatures")
	}
	// Nothing to moderate in any other state.
	for name, h := range map[string][]domain.Recorded{"draft": {drafted()}, "cleared": {drafted(), submitted(), cleared()},
		"refused": {drafted(), submitted(), moderationRefused()}, "old log, opened": {drafted(), opened()}} {
		t.Run(name, func(t *testing.T) {
			given(t, h...).when(domain.Moderate{Clear: true}, asModerator).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// A refusal names its ground, with the text it comes from, and reasons the
// agent reads; the agent amends and submits again; the next moderation
// starts afresh.
func TestModerationRefusesWithGroundAndReasons(t *testing.T) {
	for _, tc := range []struct {
		ground  petitionseventsv1.ModerationGround
		council string
		article string
	}{
		{petitionseventsv1.ModerationGround_MODERATION_GROUND_EXCLUDED_SUBJECT, beniMellal, "Constitution art. 1; law 113-14 art. 121"},
		{petitionseventsv1.ModerationGround_MODERATION_GROUND_OUTSIDE_COUNCIL_POWERS, beniMellalProv, "Constitution art. 1; law 112-14 art. 112"},
		{petitionseventsv1.ModerationGround_MODERATION_GROUND_INSULTING_OR_PERSONAL, beniMellalReg, "law 09-08 (personal data); the council's moderation policy"},
	} {
		t.Run(tc.ground.String(), func(t *testing.T) {
			given(t, draftedIn(tc.council), submitted()).when(domain.Moderate{Ground: tc.ground, Reasons: "  " + validReasons + " "}, asModerator).
				then(domain.Event{Payload: &petitionseventsv1.PetitionModerationRefused{Ground: tc.ground, Reasons: validReasons, Article: tc.article}})
		})
	}
	re := given(t, drafted(), submitted()).when(domain.Moderate{Ground: petitionseventsv1.ModerationGround_MODERATION_GROUND_EXCLUDED_SUBJECT, Reasons: "non"}, asModerator).
		thenRule(domain.RuleModerationReasons, fault.FailedPrecondition)
	detailNames(t, re.Detail, "reasons", "amended")
	given(t, drafted(), submitted()).when(domain.Moderate{Reasons: validReasons}, asModerator).thenField("ground")
	given(t, drafted(), submitted()).when(domain.Moderate{Clear: true, Ground: petitionseventsv1.ModerationGround_MODERATION_GROUND_EXCLUDED_SUBJECT}, asModerator).thenField("ground")
	given(t, drafted(), submitted()).when(domain.Moderate{Ground: petitionseventsv1.ModerationGround_MODERATION_GROUND_EXCLUDED_SUBJECT, Reasons: strings.Repeat("r", domain.MaxReasons+1)}, asModerator).thenField("reasons")

	refused := []domain.Recorded{drafted(), submitted(), moderationRefused()}
	st := given(t, refused...).state
	if st.Public() || st.ModerationGround != petitionseventsv1.ModerationGround_MODERATION_GROUND_INSULTING_OR_PERSONAL || !strings.Contains(st.ModerationReasons, "agent communal") {
		t.Fatalf("refused state: public %v, %v %q", st.Public(), st.ModerationGround, st.ModerationReasons)
	}
	// Only the agent amends, then submits again.
	amend := domain.Amend{Title: " Éclairage public ", Request: "Éclairer la rue principale du quartier.", Reasons: "La rue est sombre et dangereuse la nuit."}
	given(t, refused...).when(amend, asOther).thenRule(domain.RuleNotAgent, fault.PermissionDenied)
	given(t, refused...).when(domain.Amend{Title: "", Request: "x", Reasons: "y"}, asAgent).thenField("title")
	given(t, refused...).when(amend, asAgent).then(domain.Event{Payload: &petitionseventsv1.PetitionAmended{Title: "Éclairage public", Request: amend.Request, Reasons: amend.Reasons}})
	amended := append(refused, by(agent, &petitionseventsv1.PetitionAmended{Title: "Éclairage public", Request: amend.Request, Reasons: amend.Reasons}))
	if st := given(t, amended...).state; st.Title != "Éclairage public" || st.Status != petitionseventsv1.PetitionState_PETITION_STATE_MODERATION_REFUSED {
		t.Fatalf("amended: %q %s", st.Title, domain.StateName(st.Status))
	}
	thenOne[*petitionseventsv1.PetitionSubmittedForModeration](given(t, amended...).when(domain.OpenForSignatures{ModerationDays: 5}, asAgent))
	again := given(t, append(amended, submitted())...).state
	if again.Status != petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION || again.ModerationReasons != "" || again.ModerationGround != 0 {
		t.Fatalf("resubmitted: %s %v %q", domain.StateName(again.Status), again.ModerationGround, again.ModerationReasons)
	}
	// A collecting petition's text is no longer amended.
	given(t, drafted(), submitted(), cleared()).when(amend, asAgent).thenError(fault.FailedPrecondition, "WRONG_STATE")
	// Withdrawn while waiting or refused.
	thenOne[*petitionseventsv1.PetitionWithdrawn](given(t, drafted(), submitted()).when(domain.Withdraw{}, asAgent))
	thenOne[*petitionseventsv1.PetitionWithdrawn](given(t, refused...).when(domain.Withdraw{}, asAgent))
}

// Moderation has a deadline (the rulebook's); a petition waiting past it is
// overdue, one moderated is not.
func TestModerationOverdue(t *testing.T) {
	st := given(t, drafted(), submitted()).state
	if !st.ModerationDeadline.Equal(now.AddDate(0, 0, 5)) {
		t.Fatalf("deadline %v", st.ModerationDeadline)
	}
	if st.ModerationOverdue(now.AddDate(0, 0, 5)) || !st.ModerationOverdue(now.AddDate(0, 0, 5).Add(time.Second)) {
		t.Error("overdue at the wrong moment")
	}
	if c := given(t, drafted(), submitted(), cleared()).state; c.ModerationOverdue(now.AddDate(0, 1, 0)) {
		t.Error("a cleared petition is overdue")
	}
	// The deadline comes from the command (the rulebook in force): none is
	// a programming error, not a petition's fault.
	if _, err := domain.Decide(given(t, drafted()).state, domain.OpenForSignatures{}, asAgent); err == nil {
		t.Error("opened without a moderation deadline")
	} else if _, _, typed := fault.Classify(err); typed {
		t.Errorf("opening without a moderation deadline: %v", err)
	}
}

// A document is attached by the agent or the council's staff, to a
// petition not closed or withdrawn, with its hash, size and type; the
// state lists it.
func TestAttachDocument(t *testing.T) {
	good := domain.AttachDocument{ID: "doc-1", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES, FileName: " statuts.pdf ",
		SHA256: strings.Repeat("ab", 32), Size: 1200, MediaType: "application/pdf", Object: "documents/" + strings.Repeat("ab", 32)}
	given(t, drafted()).when(good, asAgent).then(domain.Event{Payload: &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-1",
		Kind: good.Kind, FileName: "statuts.pdf", Sha256: good.SHA256, Size: 1200, MediaType: "application/pdf", Object: good.Object}})
	thenOne[*petitionseventsv1.PetitionDocumentAttached](given(t, hReview()...).when(good, asClerk))
	given(t, drafted()).when(good, asOther).thenRule(domain.RuleNotAgent, fault.PermissionDenied)
	given(t, append(hDeliberated(), outcomeNotified(), closed())...).when(good, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	for field, edit := range map[string]func(*domain.AttachDocument){
		"kind":      func(c *domain.AttachDocument) { c.Kind = 0 },
		"file_name": func(c *domain.AttachDocument) { c.FileName = "../etc/passwd" },
		"content":   func(c *domain.AttachDocument) { c.Size = domain.MaxDocumentBytes + 1 },
	} {
		c := good
		edit(&c)
		given(t, drafted()).when(c, asAgent).thenField(field)
	}
	st := given(t, drafted(), by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-1", Sha256: good.SHA256, Size: 1200, Object: good.Object})).state
	if d, ok := st.DocumentByID("doc-1"); !ok || d.SHA256 != good.SHA256 || d.AttachedBy != "agent-1" {
		t.Fatalf("state: %+v %v", d, ok)
	}
	given(t, drafted(), by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-1"})).when(good, asAgent).thenError(fault.AlreadyExists, "DOCUMENT_EXISTS")
}

// The association as a recorded party: its legal-deposit receipt date
// (the 3-year rule counts from it, law 113-14 art. 124), seat address,
// the agent's office, the governing body's decision; dates are checked.
func TestAssociationParty_Law113_14_Art124(t *testing.T) {
	at := func(a *petitionseventsv1.Association) domain.Draft { return associationDraft(a) }
	four := goodAssociation()
	four.ConstitutedOn, four.LegalDepositReceiptDate = "2022-11-01", "2022-11-20"
	four.SeatAddress, four.RepresentativeTitle = "12 rue Al Qods, Zaouiat Cheikh", "président"
	four.GoverningBodyDecision, four.GoverningBodyDecisionDate = "PV du bureau n° 4/2026", "2026-10-02"
	p := thenOne[*petitionseventsv1.PetitionDrafted](given(t).when(at(four), asAgent))
	if p.GetAssociation().GetSeatAddress() != four.SeatAddress || p.GetAssociation().GetLegalDepositReceiptDate() != "2022-11-20" {
		t.Errorf("the drafted association: %v", p.GetAssociation())
	}
	two := proto.Clone(four).(*petitionseventsv1.Association)
	two.ConstitutedOn, two.LegalDepositReceiptDate = "2024-10-01", "2024-11-20"
	re := given(t).when(at(two), asAgent).thenRule(domain.RuleAssociationConditions, fault.FailedPrecondition)
	detailNames(t, re.Detail, "more than 3 years", "2024-11-20 (legal deposit)")
	if re.Article != "law 113-14 art. 124" {
		t.Errorf("article %q", re.Article)
	}
	// Constituted long ago but declared less than 3 years ago: not yet.
	late := proto.Clone(four).(*petitionseventsv1.Association)
	late.ConstitutedOn, late.LegalDepositReceiptDate = "2019-01-01", "2024-06-01"
	given(t).when(at(late), asAgent).thenRule(domain.RuleAssociationConditions, fault.FailedPrecondition)
	for field, edit := range map[string]func(*petitionseventsv1.Association){
		"association.legal_deposit_receipt_date":   func(a *petitionseventsv1.Association) { a.LegalDepositReceiptDate = "2022-13-01" },
		"association.governing_body_decision_date": func(a *petitionseventsv1.Association) { a.GoverningBodyDecisionDate = "2099-01-01" },
		"association.seat_address":                 func(a *petitionseventsv1.Association) { a.SeatAddress = strings.Repeat("r", domain.MaxShort+1) },
	} {
		a := proto.Clone(four).(*petitionseventsv1.Association)
		edit(a)
		given(t).when(at(a), asAgent).thenField(field)
	}
	before := proto.Clone(four).(*petitionseventsv1.Association)
	before.LegalDepositReceiptDate = "2022-10-01"
	given(t).when(at(before), asAgent).thenField("association.legal_deposit_receipt_date")
}

// The bureau's checklist may record which attached document proved which
// condition; each entry names a document of this petition of a kind that
// proves that condition.
func TestChecklistEvidence(t *testing.T) {
	statutes := by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-s", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES})
	h := append([]domain.Recorded{associationDrafted(), statutes}, associationDocuments()...)
	h = append(h, deposited(), referred())
	cmd := func(ev ...*petitionseventsv1.ConditionEvidence) domain.DecideAdmissibility {
		// The conditions other than the statutes, proved by the standard
		// documents; the case under test goes first.
		for _, e := range associationEvidence() {
			if e.GetCondition() != "association_statutes" {
				ev = append(ev, e)
			}
		}
		return domain.DecideAdmissibility{Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE,
			Checklist: &petitionseventsv1.Checklist{AgentDesignated: true, WithinCouncilPowers: true, NoExcludedSubject: true, AssociationConditionsMet: true, Evidence: ev}}
	}
	p := thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, h...).when(cmd(&petitionseventsv1.ConditionEvidence{Condition: "association_statutes", DocumentId: "doc-s"}), asClerk))
	if ev := p.GetChecklist().GetEvidence(); len(ev) != 4 || ev[0].GetDocumentId() != "doc-s" {
		t.Errorf("recorded evidence %v", ev)
	}
	for _, bad := range []*petitionseventsv1.ConditionEvidence{
		{Condition: "association_seat", DocumentId: "doc-s"},
		{Condition: "association_statutes", DocumentId: "doc-x"},
		{Condition: "anything", DocumentId: "doc-s"},
	} {
		given(t, h...).when(cmd(bad), asClerk).thenField("checklist.evidence[0]")
	}
}
