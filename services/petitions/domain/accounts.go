package domain

import (
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Accounts and ID numbers (DESIGN.md "Identity: who someone is"). A
// signature online belongs to the account that made it; the national ID
// number it gives is bound to that account in the petition's council, in
// two streams each created only if it does not exist:
//
//	nationalid.<council>.<signer key>  → the account (NationalIdBound)
//	account.<council>.<account key>    → the ID number (AccountBound)
//
// so an ID number has one account in a council (of two accounts racing
// for it exactly one wins) and an account one ID number, hence one
// signature per petition whatever it types. The app first decides as if
// neither half were bound (or from a binding it has seen whole, which
// never changes) and commits the halves and the signature in one atomic
// multi-stream append, each stream created only if it does not exist; only
// if that is refused does it read both halves, decide here, and commit
// what is missing: of accounts racing for a number the losers write
// nothing, read and are refused. When the signature's stream already
// exists, the halves are committed alone (typing a number claims it). On a log without
// multi-stream commits (EventStoreDB) the halves are written together,
// then the signature: there, if in the same instant another account wins
// the number, the account's half may still land and the account is bound
// to a number it cannot sign with until the council releases it.

// Reasons of the account rules (server/errors.go catalogue).
const (
	// ReasonNationalIDBoundToAnotherAccount: the ID number was given first
	// by another account in this council. FailedPrecondition, not
	// PermissionDenied (AIP-193 / gRPC codes): the caller's role may sign;
	// it is the state of the log that refuses, and only the council can
	// change that state (the person contacts it), so the client must not
	// retry until then.
	ReasonNationalIDBoundToAnotherAccount = "NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT"
	// ReasonAccountBoundToAnotherNationalID: the account signs in this
	// council with the ID number it gave first.
	ReasonAccountBoundToAnotherNationalID = "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID"
	// ReasonNationalIDNotAsserted: the identity provider asserts another ID
	// number than the one given.
	ReasonNationalIDNotAsserted = "NATIONAL_ID_NOT_ASSERTED"
	// ReasonAlreadySigned: this account (this ID number) already signed.
	ReasonAlreadySigned = "ALREADY_SIGNED"
	// ReasonSignedOnPaper: the ID number is already counted on a paper
	// sheet of this petition.
	ReasonSignedOnPaper = "SIGNED_ON_PAPER"
)

// Binding is what the log holds of one account and one ID number in a
// council, read by the app from their two streams: IDAccount is the
// account key the ID number is bound to, AccountID the signer key the
// account is bound to ("" when the stream does not exist).
type Binding struct {
	IDAccount string
	AccountID string
}

// Bind binds the account AccountKey to the ID number SignerKey in Council.
type Bind struct {
	Council    string
	SignerKey  string
	AccountKey string
}

// DecideBinding decides a binding against what the log holds: the events
// still to append (nil when that half is already bound to the other), or
// why the account may not sign with this number.
func DecideBinding(b Binding, c Bind) (*petitionseventsv1.NationalIdBound, *petitionseventsv1.AccountBound, error) {
	if c.SignerKey == "" || c.AccountKey == "" || c.Council == "" {
		return nil, nil, fault.Field("national_id", "a binding needs a council, an ID number and an account")
	}
	if b.AccountID != "" && b.AccountID != c.SignerKey {
		return nil, nil, fault.New(fault.FailedPrecondition, ReasonAccountBoundToAnotherNationalID,
			"your account already signs in this council with another national ID number, the one you gave first; if that number was wrong, contact the council")
	}
	if b.IDAccount != "" && b.IDAccount != c.AccountKey {
		return nil, nil, fault.New(fault.FailedPrecondition, ReasonNationalIDBoundToAnotherAccount,
			"this national ID number is already used by another account in this council; if it is yours, contact the council")
	}
	var id *petitionseventsv1.NationalIdBound
	if b.IDAccount == "" {
		id = &petitionseventsv1.NationalIdBound{Council: c.Council, SignerKey: c.SignerKey, AccountKey: c.AccountKey}
	}
	var account *petitionseventsv1.AccountBound
	if b.AccountID == "" {
		account = &petitionseventsv1.AccountBound{Council: c.Council, AccountKey: c.AccountKey, SignerKey: c.SignerKey}
	}
	return id, account, nil
}

// SignedAlready says why a signature stream that already exists refuses a
// new online signature: counted on paper, or already signed.
func SignedAlready(existing *petitionseventsv1.SignatureAdded, ref string) error {
	if existing.GetChannel() == petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER {
		return fault.New(fault.AlreadyExists, ReasonSignedOnPaper,
			"this national ID number is already counted on a paper signature sheet of this petition (signature %s)", ref)
	}
	return fault.New(fault.AlreadyExists, ReasonAlreadySigned, "you have already signed this petition (signature %s)", ref)
}

// OwnSignature says whether the signature whose first event is added is
// the account's own signature on the petition: signed online by that
// account (a paper signature, or one recorded before accounts were bound,
// belongs to no account; staff strike those out).
func OwnSignature(added *petitionseventsv1.SignatureAdded, petition, accountKey string) bool {
	return added != nil && accountKey != "" && added.GetPetition() == petition && added.GetSignerAccount() == accountKey
}

// AssuranceOf is the level of assurance of a recorded signature. A
// signature recorded before levels has none: on paper it reads as
// PAPER_CHECKED_BY_STAFF (staff keyed the sheet in), online as
// CODE_VERIFIED (the ID number was self-declared by a signed-in caller).
func AssuranceOf(s *petitionseventsv1.SignatureAdded) petitionseventsv1.SignatureAssurance {
	if a := s.GetAssurance(); a != petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_UNSPECIFIED {
		return a
	}
	if s.GetChannel() == petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER {
		return petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF
	}
	return petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED
}
