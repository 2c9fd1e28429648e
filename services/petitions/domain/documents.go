package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Supporting documents (DESIGN.md "Documents"; decree 2.16.403 for
// communes): the bytes go to an object-store bucket, the event that
// attaches one records its SHA-256, size and sniffed media type, so the
// audit proves the document unchanged.

// AttachDocument attaches a stored document. The app stores the bytes and
// computes SHA256, Size and MediaType; Object is its name in the bucket.
type AttachDocument struct {
	ID           string
	Kind         petitionseventsv1.DocumentKind
	FileName     string
	SHA256       string
	Size         int64
	MediaType    string
	PersonalData bool
	Object       string
	// Sealed: the object is encrypted with the document's own data key,
	// KeyID in the key store. A document with personal data must be.
	Sealed bool
	KeyID  string
}

func (AttachDocument) isCommand() {}

// EraseDocument records that a sealed document was erased: its data key
// destroyed and its object deleted (the app does both first).
type EraseDocument struct {
	ID string
}

func (EraseDocument) isCommand() {}

// PersonalKinds are the kinds of document that hold personal data
// whatever the attacher says: a signature sheet lists names and national
// ID numbers, a proof of residence names its holder (law 09-08 art. 1).
var PersonalKinds = []petitionseventsv1.DocumentKind{
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_RESIDENCE_PROOF,
}

// ReasonDocumentErased: the document was erased; its bytes are gone.
const ReasonDocumentErased = "DOCUMENT_ERASED"

// Document is an attached document as the state knows it.
type Document struct {
	ID, FileName, SHA256, MediaType, Object, AttachedBy string
	Kind                                                petitionseventsv1.DocumentKind
	Size                                                int64
	PersonalData                                        bool
	AttachedAt                                          time.Time
	// Sealed documents are encrypted with their own data key (KeyID);
	// Erased ones had that key destroyed and their object deleted.
	Sealed, Erased bool
	KeyID          string
	ErasedAt       time.Time
}

// MaxDocumentBytes is the largest document accepted (a scanned sheet at a
// reasonable resolution; under the API's 4 MiB message limit).
const MaxDocumentBytes = 3 << 20

// DocumentTypes are the media types accepted, as net/http's
// DetectContentType names them.
var DocumentTypes = []string{"application/pdf", "image/jpeg", "image/png", "text/plain; charset=utf-8"}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func decideAttach(s State, c AttachDocument, ctx Context) ([]Event, error) {
	// The agent attaches the petition's documents; the council's staff
	// attach what they receive (a scanned paper sheet).
	if ctx.Actor.Role != "staff" && ctx.Actor.Role != "admin" {
		if err := requireAgent(s, ctx, "attach documents"); err != nil {
			return nil, err
		}
	}
	if terminal(s) {
		return nil, wrongState(s, "attach a document")
	}
	if _, ok := petitionseventsv1.DocumentKind_name[int32(c.Kind)]; !ok || c.Kind == petitionseventsv1.DocumentKind_DOCUMENT_KIND_UNSPECIFIED {
		return nil, fault.Field("kind", "say what the document is (DOCUMENT_KIND_STATUTES, DOCUMENT_KIND_SIGNATURE_SHEET, ...)")
	}
	name := strings.TrimSpace(c.FileName)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxShort || strings.ContainsAny(name, "/\\\x00") {
		return nil, fault.Field("file_name", "a file name label of 1-%d characters, without slashes", MaxShort)
	}
	if !sha256Hex.MatchString(c.SHA256) || c.Size <= 0 || c.Size > MaxDocumentBytes || c.Object == "" || c.ID == "" {
		return nil, fault.Field("content", "a stored document of 1 byte to %d bytes", MaxDocumentBytes)
	}
	if slices.Contains(PersonalKinds, c.Kind) && !c.PersonalData {
		return nil, fault.Field("personal_data", "a %s holds personal data: attach it as such", StateKindName(c.Kind))
	}
	// Personal data is never stored in clear (law 09-08 art. 23, security
	// of processing): sealed with a key of its own, so that it can be
	// erased.
	if c.PersonalData != c.Sealed || c.Sealed != (c.KeyID != "") {
		return nil, fault.Field("personal_data", "a document with personal data is stored sealed with a data key of its own, and only such a document")
	}
	for _, d := range s.Attachments {
		if d.ID == c.ID {
			return nil, fault.New(fault.AlreadyExists, "DOCUMENT_EXISTS", "document %s is already attached", c.ID)
		}
	}
	return one(&petitionseventsv1.PetitionDocumentAttached{DocumentId: c.ID, Kind: c.Kind, FileName: name, Sha256: c.SHA256,
		Size: c.Size, MediaType: c.MediaType, PersonalData: c.PersonalData, Object: c.Object, Sealed: c.Sealed, KeyId: c.KeyID}, time.Time{}), nil
}

// decideEraseDocument: an operator erases a sealed document at a person's
// request (law 09-08 art. 8, the right to erasure). It works whatever the
// petition's state: the right does not wait for the procedure's end.
func decideEraseDocument(s State, c EraseDocument, ctx Context) ([]Event, error) {
	if ctx.Actor.Role != "admin" {
		return nil, fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "only an operator (privacy erase) erases a document")
	}
	d, ok := s.DocumentByID(c.ID)
	if !ok {
		return nil, fault.New(fault.NotFound, "DOCUMENT_NOT_FOUND", "no document %s on this petition", c.ID)
	}
	if d.Erased {
		return nil, fault.New(fault.FailedPrecondition, ReasonDocumentErased, "document %s was already erased on %s", c.ID, d.ErasedAt.UTC().Format(time.DateOnly))
	}
	if !d.Sealed {
		return nil, fault.New(fault.FailedPrecondition, "DOCUMENT_NOT_ERASABLE", "document %s was attached without personal data and is not sealed; only a sealed document is erased", c.ID)
	}
	return one(&petitionseventsv1.PetitionDocumentErased{DocumentId: d.ID, KeyId: d.KeyID}, time.Time{}), nil
}

// DocumentByID returns an attached document.
func (s *State) DocumentByID(id string) (Document, bool) {
	for _, d := range s.Attachments {
		if d.ID == id {
			return d, true
		}
	}
	return Document{}, false
}

// EvidenceKinds gives, for each condition the bureau checks against a
// document, the kinds of document that can prove it (decree 2.16.403's
// list of supporting documents).
var EvidenceKinds = map[string][]petitionseventsv1.DocumentKind{
	"association_constituted": {petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT},
	"association_statutes":    {petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES},
	"association_seat":        {petitionseventsv1.DocumentKind_DOCUMENT_KIND_SEAT_PROOF, petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT},
	"governing_body_decision": {petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION},
	"signatories_list":        {petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET},
	"residence_proofs":        {petitionseventsv1.DocumentKind_DOCUMENT_KIND_RESIDENCE_PROOF},
}

// AssociationEvidence are the conditions of an association that the
// bureau checks against a document: the decrees (2.16.403 communes,
// 2.16.402 provinces, 2.16.401 regions) list the statutes, the
// legal-deposit receipt, the proof of a seat in the territory and the
// governing body's decision among the documents an association's petition
// comes with. Marking association_conditions_met names the attached
// document that proves each.
var AssociationEvidence = []string{"association_constituted", "association_statutes", "association_seat", "governing_body_decision"}

// missingEvidence lists the conditions tied to a document that the
// checklist marks met without naming one.
func missingEvidence(s State, cl *petitionseventsv1.Checklist) []string {
	if s.Kind != petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION || !cl.GetAssociationConditionsMet() {
		return nil
	}
	proved := map[string]bool{}
	for _, ev := range cl.GetEvidence() {
		proved[ev.GetCondition()] = true
	}
	var missing []string
	for _, c := range AssociationEvidence {
		if !proved[c] {
			missing = append(missing, c)
		}
	}
	return missing
}

// checkEvidence checks the checklist's evidence: each names a known
// condition and an attached document of the petition of a kind that can
// prove it.
func checkEvidence(s State, cl *petitionseventsv1.Checklist) error {
	for i, ev := range cl.GetEvidence() {
		field := fmt.Sprintf("checklist.evidence[%d]", i)
		kinds, ok := EvidenceKinds[ev.GetCondition()]
		if !ok {
			return fault.Field(field, "unknown condition %q", ev.GetCondition())
		}
		d, ok := s.DocumentByID(ev.GetDocumentId())
		if !ok {
			return fault.Field(field, "document %q is not attached to this petition", ev.GetDocumentId())
		}
		if !slices.Contains(kinds, d.Kind) {
			return fault.Field(field, "a %s does not prove %s", StateKindName(d.Kind), ev.GetCondition())
		}
	}
	return nil
}

// StateKindName is a document kind's short name ("STATUTES").
func StateKindName(k petitionseventsv1.DocumentKind) string {
	return strings.TrimPrefix(k.String(), "DOCUMENT_KIND_")
}

// CheckSheetDocument checks the document a paper signature import names
// as the scanned sheet its rows were keyed in from: one of this
// petition's attached documents (an id of another petition's is not
// found here), a signature sheet, not erased.
func CheckSheetDocument(s State, id string) error {
	d, ok := s.DocumentByID(id)
	if !ok {
		return fault.New(fault.NotFound, "DOCUMENT_NOT_FOUND", "no document %q is attached to this petition: attach the scanned sheet to it first (attachDocument, kind DOCUMENT_KIND_SIGNATURE_SHEET); nothing was imported", id)
	}
	if d.Kind != petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET {
		return fault.Field("sheet_document_id", "document %s is a %s, not a SIGNATURE_SHEET; nothing was imported", id, StateKindName(d.Kind))
	}
	if d.Erased {
		return fault.New(fault.FailedPrecondition, ReasonDocumentErased, "the scanned sheet %s was erased; nothing was imported", id)
	}
	return nil
}
