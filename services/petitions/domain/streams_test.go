package domain

import "testing"

// The stream ids are in every stored hash chain: these are the formats of
// logs already written, byte for byte.
func TestStreamFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{PetitionStream("50910101", "p1"), "petition.50910101.p1"},
		{SignatureStream("p1", "ab12"), "signature.p1.ab12"},
		{ReceiptStream("50910101", 2026), "receipts.50910101.2026"},
		{AccessStream("p1"), "access.p1"},
		{PrivacyStream("50910101"), "privacy.50910101"},
		{PublicSignatureStream("signature.p1.ab12"), "signature.p1"},
		{PublicSignatureStream("petition.50910101.p1"), "petition.50910101.p1"},
		{StreamCouncil("petition.50910101.p1"), "50910101"},
		{StreamCouncil("receipts.50910101.2026"), "50910101"},
		{StreamCouncil("signature.p1.ab12"), ""},
		{Category("signature.p1.ab12"), "signature"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if code, id, ok := ParsePetitionStream("petition.50910101.p1"); !ok || code != "50910101" || id != "p1" {
		t.Errorf("ParsePetitionStream = %q, %q, %v", code, id, ok)
	}
	if _, _, ok := ParsePetitionStream("body.50910101.p1"); ok {
		t.Error("ParsePetitionStream accepted a body stream")
	}
	if pid, key, ok := ParseSignatureStream("signature.p1.ab12"); !ok || pid != "p1" || key != "ab12" {
		t.Errorf("ParseSignatureStream = %q, %q, %v", pid, key, ok)
	}
}
