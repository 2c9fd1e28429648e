package domain

import (
	"strconv"
	"strings"
)

// Stream ids of the petitions context. A stream id is part of every event's
// hash chain (DESIGN.md "Event store"), so these formats are persisted
// names: this file is the only place they are spelled (issue 15,
// acceptance 3; internal/kernel/streamids_test.go checks it), and none of
// them may ever change — a log written before would no longer read.
//
//	petition.<council code>.<petition id>   one petition
//	signature.<petition id>.<signer key>    one person's signature on a petition
//	receipts.<council code>.<year>          the council's receipt ledger for a year
//	access.<petition id>                    reads of a petition's signer list (law 09-08 art. 23)
//	privacy.<council code>                  erasures of personal data (law 09-08)
//	nationalid.<council code>.<signer key>  the account an ID number is bound to in a council
//	account.<council code>.<account key>    the ID number an account is bound to in a council
const (
	PetitionCategory  = "petition"
	SignatureCategory = "signature"
	ReceiptCategory   = "receipts"
	AccessCategory    = "access"
	PrivacyCategory   = "privacy"
	// NationalIDCategory and AccountCategory hold the two halves of an
	// account's binding to an ID number (accounts.go): each stream is
	// created only if it does not exist, so an ID number has one account
	// and an account one ID number per council.
	NationalIDCategory = "nationalid"
	AccountCategory    = "account"
)

// sep separates the parts of a stream id.
const sep = "."

// Category returns the category of a stream id: its part before the first
// dot ("petition" for "petition.50910101.p1").
func Category(stream string) string {
	c, _, _ := strings.Cut(stream, sep)
	return c
}

// PetitionStream is the stream of the petition id of the council code.
func PetitionStream(code, id string) string { return PetitionCategory + sep + code + sep + id }

// ParsePetitionStream splits a petition stream into its council code and
// petition id; ok is false for any other stream.
func ParsePetitionStream(stream string) (code, id string, ok bool) {
	rest, ok := strings.CutPrefix(stream, PetitionCategory+sep)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, sep)
}

// SignatureStream is the stream of one person's signature on a petition.
// It names the petition by id only (the log's format since the start), yet
// it is never shared between councils: the signer key is keyed to the
// council (privacy.Keys.SignerKey), so two councils' petitions with the
// same id (possible in logs written before request ids were scoped) have
// distinct signature streams, and the read model attributes each to its
// petition by the full name SignatureAdded records.
func SignatureStream(petitionID, signerKey string) string {
	return SignatureCategory + sep + petitionID + sep + signerKey
}

// ParseSignatureStream splits a signature stream into its petition id and
// signer key; ok is false for any other stream.
func ParseSignatureStream(stream string) (petitionID, signerKey string, ok bool) {
	rest, ok := strings.CutPrefix(stream, SignatureCategory+sep)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, sep)
}

// PublicSignatureStream drops the signer key from a signature's stream id
// ("signature.<petition>.<signer key>" → "signature.<petition>"); any other
// stream is returned as it is. The key is pseudonymous, but it would let
// anyone link one person's signatures across petitions.
func PublicSignatureStream(stream string) string {
	if pid, _, ok := ParseSignatureStream(stream); ok {
		return SignatureCategory + sep + pid
	}
	return stream
}

// ReceiptStream is the receipt ledger of the council code for year.
func ReceiptStream(code string, year int) string {
	return ReceiptCategory + sep + code + sep + strconv.Itoa(year)
}

// AccessStream is the stream recording reads of the signer list of the
// petition id.
func AccessStream(petitionID string) string { return AccessCategory + sep + petitionID }

// PrivacyStream is the stream recording the erasures of personal data done
// for the council code.
func PrivacyStream(code string) string { return PrivacyCategory + sep + code }

// NationalIDStream is the stream binding the ID number whose signer key is
// signerKey to one account in the council code.
func NationalIDStream(code, signerKey string) string {
	return NationalIDCategory + sep + code + sep + signerKey
}

// AccountStream is the stream binding the account whose key is accountKey
// to one ID number in the council code.
func AccountStream(code, accountKey string) string {
	return AccountCategory + sep + code + sep + accountKey
}

// PublicBindingStream drops the keys from a binding stream's id
// ("nationalid.<code>.<signer key>" → "nationalid.<code>"); any other
// stream is returned as it is. Published, the keys would let anyone link
// an account to its signatures.
func PublicBindingStream(stream string) string {
	cat, rest, ok := strings.Cut(stream, sep)
	if !ok || (cat != NationalIDCategory && cat != AccountCategory) {
		return stream
	}
	code, _, _ := strings.Cut(rest, sep)
	return cat + sep + code
}

// StreamCouncil returns the council code that a petition or receipts
// stream id carries as its second part, or "" for the other streams
// (signature and access streams name a petition by id only; privacy
// streams are not published).
func StreamCouncil(stream string) string {
	cat, rest, ok := strings.Cut(stream, sep)
	if !ok || (cat != PetitionCategory && cat != ReceiptCategory) {
		return ""
	}
	code, _, _ := strings.Cut(rest, sep)
	return code
}
