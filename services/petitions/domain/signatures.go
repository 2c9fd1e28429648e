package domain

import (
	"strings"
	"unicode/utf8"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Signature rules. A signature is its own stream (one per person and
// petition), so these checks read the petition's state; the log itself
// guarantees that one person counts once.

// MaxNameLength bounds a signer's full name.
const MaxNameLength = 200

// SignatureAllowed says whether a signature may be added now. Citizens sign
// online while the petition collects signatures; staff key in paper
// signature sheets until the bureau decides (paper petitions are deposited
// with their sheets).
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
