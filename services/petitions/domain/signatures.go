package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Signature rules. A signature is its own stream (one per person and
// petition), so these decisions read the petition's state and the facts
// the app gathered (the region's provinces, whether the person was
// erased); the log itself guarantees that one person counts once: the
// signature stream is created only if it does not exist ("no stream"
// expectation), and a withdrawal or strike is appended only to a stream
// that holds just its SignatureAdded.

// MaxNameLength bounds a signer's full name.
const MaxNameLength = 200

// ReasonPersonErased: the signer's data was erased at their request; they
// sign no more.
const ReasonPersonErased = "PERSON_ERASED"

// Sign adds one person's signature to a petition. The app has normalized
// the national ID into SignerKey (a keyed hash, keyed to the council) and
// validated the full name; the name itself never reaches the domain: the
// app seals it into the decided SignatureAdded (NameCiphertext, NameKeyId)
// with a data key drawn only once the signature is accepted.
type Sign struct {
	Petition  string // the petition's resource name, recorded in the event
	SignerKey string
	Channel   petitionseventsv1.SignatureChannel
	// Province is the signer's province of residence; a region's petition
	// needs it, other councils' petitions ignore it.
	Province string
	// Batch names the paper sheet import the signature came from.
	Batch string
	// SheetDocument is the id of the attached scanned sheet the import
	// was keyed in from (CheckSheetDocument), if it named one.
	SheetDocument string
	// Account is the key (a keyed hash of the subject, keyed to the
	// council) of the account signing online; the app has bound it to
	// SignerKey (DecideBinding) or will before appending. Paper signatures
	// have none.
	Account string
	// AssertedSignerKey is the signer key of the national ID number the
	// caller's identity provider asserts (the configured claim), "" when it
	// asserts none.
	AssertedSignerKey string
}

// SignatureFacts are what a signature is decided with besides the
// petition's state, read by the app before deciding.
type SignatureFacts struct {
	// Provinces is the set of the region's provinces (only read for a
	// region's petition).
	Provinces map[string]bool
	// Erased: the person's data was erased (law 09-08).
	Erased bool
}

// WithdrawSignature withdraws the signer's own signature.
type WithdrawSignature struct{ Reason string }

// StrikeSignature strikes a signature out (staff). Found says whether the
// reference Ref named exactly one signature on the petition.
type StrikeSignature struct {
	Ref    string
	Reason string
	Found  bool
}

// DecideSignature decides one signature against the petition's state and
// the facts: the petition takes signatures through this channel, then
// the signature itself (DecideSignatureRow), with its account and level of
// assurance. One signature per person is not decided here: the
// signature's stream is created only if it does not exist, so the log
// refuses a second one (ALREADY_SIGNED, SIGNED_ON_PAPER); one ID number
// per account and one account per ID number are the binding's
// (DecideBinding, accounts.go).
//
// It returns the one event a signature is, typed, for the app to seal the
// name into.
func DecideSignature(p State, f SignatureFacts, c Sign) (*petitionseventsv1.SignatureAdded, error) {
	if err := SignatureAllowed(p, c.Channel); err != nil {
		return nil, err
	}
	return DecideSignatureRow(p, f, c)
}

// DecideSignatureRow decides one signature of a petition already known to
// take signatures through c.Channel (SignatureAllowed): a sheet import
// checks the petition once and decides each row with this.
func DecideSignatureRow(p State, f SignatureFacts, c Sign) (*petitionseventsv1.SignatureAdded, error) {
	// Regions count signatures per province for the 5 % rule (law 111-14
	// art. 120 (check)): the signer's province is part of the signature.
	province := ""
	if p.Level() == Region {
		if !f.Provinces[c.Province] {
			return nil, fault.Field("province", "the signer's province, one of the region's provinces (got %q)", c.Province)
		}
		province = c.Province
	}
	// An erased person signs no more (law 09-08). The read model may not
	// yet have applied an erasure made this very moment; then the
	// signature is recorded and its key destroyed, so the name is shredded
	// anyway.
	if f.Erased {
		return nil, fault.New(fault.FailedPrecondition, ReasonPersonErased, "this person's data was erased at their request")
	}
	ev := &petitionseventsv1.SignatureAdded{
		Petition: c.Petition, SignerKey: c.SignerKey, Channel: c.Channel, Province: province, ImportBatch: c.Batch,
		SheetDocumentId: c.SheetDocument,
	}
	switch c.Channel {
	case petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER:
		// Staff key a sheet in: the signer was checked on paper, and the
		// signature belongs to no account.
		ev.Assurance = petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF
	default:
		if c.Account == "" {
			return nil, fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "signing online needs a signed-in account")
		}
		ev.SignerAccount = c.Account
		ev.Assurance = petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED
		if c.AssertedSignerKey != "" {
			// The provider vouches for one number: the account signs
			// with that one, at the provider's level, or not at all.
			if c.AssertedSignerKey != c.SignerKey {
				return nil, fault.New(fault.FailedPrecondition, ReasonNationalIDNotAsserted,
					"the national ID number given is not the one your identity provider holds for you: give that one, or contact the council")
			}
			ev.Assurance = petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID
		}
	}
	return ev, nil
}

// DecideSignatureWithdrawal decides a signer's withdrawal: only before
// deposit (DOMAIN.md §5; the list of signatories is part of the deposit,
// law 113-14 art. 124 (check)). The reason's length is input, checked by
// the app before anything is read.
func DecideSignatureWithdrawal(p State, c WithdrawSignature) ([]Event, error) {
	if err := WithdrawalAllowed(p); err != nil {
		return nil, err
	}
	return one(&petitionseventsv1.SignatureWithdrawn{Reason: c.Reason}, time.Time{}), nil
}

// DecideSignatureStrike decides a strike: staff strike a signature out,
// with a reason, until the bureau decides (the bureau checks the
// signatures for admissibility, law 113-14 art. 125 (check)).
func DecideSignatureStrike(p State, c StrikeSignature) ([]Event, error) {
	if err := StrikeAllowed(p, c.Reason); err != nil {
		return nil, err
	}
	if !c.Found {
		return nil, fault.New(fault.NotFound, "SIGNATURE_NOT_FOUND", "no single signature matches %q (give at least 12 characters of the reference)", c.Ref)
	}
	return one(&petitionseventsv1.SignatureStruck{Reason: c.Reason}, time.Time{}), nil
}

// SignatureAllowed says whether a signature may be added now. Citizens sign
// online while the petition collects signatures; staff key in paper
// signature sheets until the bureau decides (paper petitions are deposited
// with their sheets). Only citizens' petitions take signatures; an
// association's has no signature minimum (law 113-14 art. 123 (check)).
func SignatureAllowed(s State, channel petitionseventsv1.SignatureChannel) error {
	if !s.Exists {
		return fault.New(fault.NotFound, "PETITION_NOT_FOUND", "no such petition")
	}
	if s.Kind != petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS {
		return fault.New(fault.FailedPrecondition, "NOT_COLLECTING", "an association's petition takes no signatures")
	}
	switch channel {
	case petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE:
		if s.Status != petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING {
			return fault.New(fault.FailedPrecondition, "NOT_COLLECTING", "the petition is %s, not collecting signatures", StateName(s.Status))
		}
	case petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER:
		switch s.Status {
		case petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING,
			petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED, petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW:
		default:
			return fault.New(fault.FailedPrecondition, "NOT_COLLECTING", "the petition is %s: signatures can no longer be added", StateName(s.Status))
		}
	}
	return nil
}

// WithdrawalAllowed: a signer may withdraw before deposit (DOMAIN.md §5).
func WithdrawalAllowed(s State) error {
	switch s.Status {
	case petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING:
		return nil
	}
	return fault.New(fault.FailedPrecondition, "ALREADY_DEPOSITED", "the petition is %s: a signature can only be withdrawn before deposit", StateName(s.Status))
}

// StrikeAllowed: staff strike a signature out, with a reason, until the
// bureau decides.
func StrikeAllowed(s State, reason string) error {
	if strings.TrimSpace(reason) == "" || utf8.RuneCountInString(reason) > MaxShort {
		return fault.Field("reason", "say why the signature is struck out (1-%d characters)", MaxShort)
	}
	if s.Decided() || terminal(s) {
		return fault.New(fault.FailedPrecondition, "WRONG_STATE", "the petition is %s: signatures are final", StateName(s.Status))
	}
	return nil
}

// ValidateSignerName checks a signer's full name.
func ValidateSignerName(name string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	if n == 0 || n > MaxNameLength || !utf8.ValidString(name) {
		return fault.Field("full_name", "the signer's full name (1-%d characters)", MaxNameLength)
	}
	return nil
}
