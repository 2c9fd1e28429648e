package domain_test

import (
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// associationDocuments are an association's supporting documents (decree
// 2.16.403): its legal-deposit receipt (which also gives its seat), its
// statutes and its governing body's decision.
func associationDocuments() []domain.Recorded {
	return []domain.Recorded{
		by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-receipt", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT}),
		by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-statutes", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES}),
		by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-decision", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION}),
	}
}

// associationEvidence proves each condition tied to a document with
// associationDocuments.
func associationEvidence() []*petitionseventsv1.ConditionEvidence {
	return []*petitionseventsv1.ConditionEvidence{
		{Condition: "association_constituted", DocumentId: "doc-receipt"},
		{Condition: "association_statutes", DocumentId: "doc-statutes"},
		{Condition: "association_seat", DocumentId: "doc-receipt"},
		{Condition: "governing_body_decision", DocumentId: "doc-decision"},
	}
}

// The bureau cannot mark an association's conditions met without naming,
// for each condition the decrees tie to a document, the attached document
// that proves it (law 113-14 art. 124; decree 2.16.403): the refusal names
// the conditions left unproved and the article. An inadmissible decision
// that does not mark them met needs none; a citizens' petition has no such
// conditions.
func TestAssociationEvidenceRequired(t *testing.T) {
	h := append([]domain.Recorded{associationDrafted()}, associationDocuments()...)
	h = append(h, deposited(), referred())
	decide := func(ev ...*petitionseventsv1.ConditionEvidence) domain.DecideAdmissibility {
		return domain.DecideAdmissibility{Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE,
			Checklist: &petitionseventsv1.Checklist{AgentDesignated: true, WithinCouncilPowers: true, NoExcludedSubject: true, AssociationConditionsMet: true, Evidence: ev}}
	}
	thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, h...).when(decide(associationEvidence()...), asClerk))

	re := given(t, h...).when(decide(), asClerk).thenRule(domain.RuleEvidenceRequired, fault.FailedPrecondition)
	detailNames(t, re.Detail, "association_constituted", "association_statutes", "association_seat", "governing_body_decision")
	if re.Article != "law 113-14 art. 124; decree 2.16.403" {
		t.Errorf("article %q", re.Article)
	}
	ev := associationEvidence()
	re = given(t, h...).when(decide(ev[0], ev[1], ev[3]), asClerk).thenRule(domain.RuleEvidenceRequired, fault.FailedPrecondition)
	detailNames(t, re.Detail, "association_seat")

	// Inadmissible, the conditions not marked met: no evidence needed.
	refused := domain.DecideAdmissibility{Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Reasons: validReasons,
		Checklist: &petitionseventsv1.Checklist{NoExcludedSubject: true}}
	thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, h...).when(refused, asClerk))
	// Marking them met on an inadmissible decision still needs it.
	refused.Checklist.AssociationConditionsMet = true
	given(t, h...).when(refused, asClerk).thenRule(domain.RuleEvidenceRequired, fault.FailedPrecondition)

	// A citizens' petition: nothing of the kind.
	thenOne[*petitionseventsv1.AdmissibilityDecided](given(t, hReview()...).when(admit(250, 200), asClerk))
}

// A signature sheet or a proof of residence holds personal data: it is
// attached sealed, with its key id, or not at all; a document without
// personal data is not sealed.
func TestAttachPersonalDocumentSealed(t *testing.T) {
	h := []domain.Recorded{drafted()}
	attach := func(kind petitionseventsv1.DocumentKind, personal, sealed bool, key string) domain.AttachDocument {
		return domain.AttachDocument{ID: "doc-1", Kind: kind, FileName: "scan.pdf", SHA256: "a3f1c0b5e2d4967812a3f1c0b5e2d4967812a3f1c0b5e2d4967812a3f1c0b5e2",
			Size: 100, MediaType: "application/pdf", PersonalData: personal, Object: "sealed/x", Sealed: sealed, KeyID: key}
	}
	sheet := petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET
	p := thenOne[*petitionseventsv1.PetitionDocumentAttached](given(t, h...).when(attach(sheet, true, true, "doc.x.y.z"), asClerk))
	if !p.GetSealed() || p.GetKeyId() != "doc.x.y.z" || !p.GetPersonalData() {
		t.Errorf("attached %v", p)
	}
	given(t, h...).when(attach(sheet, false, false, ""), asClerk).thenField("personal_data")
	given(t, h...).when(attach(petitionseventsv1.DocumentKind_DOCUMENT_KIND_RESIDENCE_PROOF, false, false, ""), asClerk).thenField("personal_data")
	given(t, h...).when(attach(sheet, true, false, ""), asClerk).thenField("personal_data")
	given(t, h...).when(attach(sheet, true, true, ""), asClerk).thenField("personal_data")
	given(t, h...).when(attach(petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES, false, true, "doc.x.y.z"), asClerk).thenField("personal_data")
}

// Erasing a document: an operator only, a sealed document of the petition
// only, once; it records the document's id and key id (no personal data)
// whatever the petition's state, and the document then reads as erased;
// a sheet import can no longer name it.
func TestEraseDocument(t *testing.T) {
	operator := domain.Context{Now: now, Actor: eventstore.Actor{Subject: "cli:ops", Role: "admin"}}
	sealed := by(clerk, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-sheet", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET,
		PersonalData: true, Sealed: true, KeyId: "doc.50910101.p.doc-sheet"})
	plain := by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-plan", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER})
	h := append(hDeliberated(), sealed, plain, closed())
	p := thenOne[*petitionseventsv1.PetitionDocumentErased](given(t, h...).when(domain.EraseDocument{ID: "doc-sheet"}, operator))
	if p.GetDocumentId() != "doc-sheet" || p.GetKeyId() != "doc.50910101.p.doc-sheet" {
		t.Errorf("recorded %v", p)
	}
	given(t, h...).when(domain.EraseDocument{ID: "doc-sheet"}, asClerk).thenError(fault.PermissionDenied, "PERMISSION_DENIED")
	given(t, h...).when(domain.EraseDocument{ID: "doc-sheet"}, asAgent).thenError(fault.PermissionDenied, "PERMISSION_DENIED")
	given(t, h...).when(domain.EraseDocument{ID: "doc-other"}, operator).thenError(fault.NotFound, "DOCUMENT_NOT_FOUND")
	given(t, h...).when(domain.EraseDocument{ID: "doc-plan"}, operator).thenError(fault.FailedPrecondition, "DOCUMENT_NOT_ERASABLE")

	after := append(h, by(operator.Actor, p))
	given(t, after...).when(domain.EraseDocument{ID: "doc-sheet"}, operator).thenError(fault.FailedPrecondition, domain.ReasonDocumentErased)
	st := state(t, after...)
	if d, ok := st.DocumentByID("doc-sheet"); !ok || !d.Erased {
		t.Errorf("the state after erasure: %+v", d)
	}
	if err := domain.CheckSheetDocument(st, "doc-sheet"); err == nil {
		t.Error("an import names the erased sheet")
	}
}

// A paper import names, as its scanned sheet, a signature sheet attached
// to this petition and not erased.
func TestCheckSheetDocument(t *testing.T) {
	st := state(t, drafted(),
		by(clerk, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-sheet", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET, PersonalData: true, Sealed: true, KeyId: "k"}),
		by(agent, &petitionseventsv1.PetitionDocumentAttached{DocumentId: "doc-plan", Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER}))
	if err := domain.CheckSheetDocument(st, "doc-sheet"); err != nil {
		t.Fatal(err)
	}
	if _, r, _ := fault.Classify(domain.CheckSheetDocument(st, "doc-plan")); r != "INVALID_ARGUMENT" {
		t.Errorf("another kind: %s", r)
	}
	if _, r, _ := fault.Classify(domain.CheckSheetDocument(st, "doc-elsewhere")); r != "DOCUMENT_NOT_FOUND" {
		t.Errorf("a document not of this petition: %s", r)
	}
}

// state folds a history as given does.
func state(t *testing.T, events ...domain.Recorded) domain.State {
	t.Helper()
	return given(t, events...).state
}
