package domain_test

import (
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Accounts and ID numbers: given what the log holds of an account and an
// ID number in a council, when the account binds the number, then the
// halves still to write, or the refusal.

const (
	council      = "50910113"
	otherAccount = "0f0e0d0c0b0a09080706050403020100"
	otherSigner  = "9999999999999999aaaaaaaaaaaaaaaa"
)

var bindMine = domain.Bind{Council: council, SignerKey: signerKey, AccountKey: accountKey}

func TestDecideBinding(t *testing.T) {
	idHalf := &petitionseventsv1.NationalIdBound{Council: council, SignerKey: signerKey, AccountKey: accountKey}
	accountHalf := &petitionseventsv1.AccountBound{Council: council, AccountKey: accountKey, SignerKey: signerKey}
	for _, tc := range []struct {
		name        string
		given       domain.Binding
		wantID      *petitionseventsv1.NationalIdBound
		wantAccount *petitionseventsv1.AccountBound
		reason      string
	}{
		{"neither bound: both halves", domain.Binding{}, idHalf, accountHalf, ""},
		{"already bound to each other: nothing new (a retry)", domain.Binding{IDAccount: accountKey, AccountID: signerKey}, nil, nil, ""},
		{"number bound, account half missing (interrupted): the account half", domain.Binding{IDAccount: accountKey}, nil, accountHalf, ""},
		{"number bound to another account", domain.Binding{IDAccount: otherAccount}, nil, nil, domain.ReasonNationalIDBoundToAnotherAccount},
		{"account bound to another number (signs once whatever it types)", domain.Binding{AccountID: otherSigner}, nil, nil, domain.ReasonAccountBoundToAnotherNationalID},
		{"account bound elsewhere and number taken: the account's own state first", domain.Binding{IDAccount: otherAccount, AccountID: otherSigner}, nil, nil, domain.ReasonAccountBoundToAnotherNationalID},
		{"number bound to me, account to another (lost its own race)", domain.Binding{IDAccount: accountKey, AccountID: otherSigner}, nil, nil, domain.ReasonAccountBoundToAnotherNationalID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, account, err := domain.DecideBinding(tc.given, bindMine)
			if tc.reason != "" {
				kind, reason, _ := fault.Classify(err)
				if kind != fault.FailedPrecondition || reason != tc.reason || id != nil || account != nil {
					t.Fatalf("got %v %v %v (%v %s), want %s and no events", id, account, err, kind, reason, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (id == nil) != (tc.wantID == nil) || (id != nil && (id.SignerKey != tc.wantID.SignerKey || id.AccountKey != tc.wantID.AccountKey || id.Council != council)) {
				t.Errorf("ID half = %v, want %v", id, tc.wantID)
			}
			if (account == nil) != (tc.wantAccount == nil) || (account != nil && (account.SignerKey != tc.wantAccount.SignerKey || account.AccountKey != tc.wantAccount.AccountKey || account.Council != council)) {
				t.Errorf("account half = %v, want %v", account, tc.wantAccount)
			}
		})
	}
	for _, c := range []domain.Bind{{Council: council, SignerKey: signerKey}, {Council: council, AccountKey: accountKey}, {SignerKey: signerKey, AccountKey: accountKey}} {
		if _, _, err := domain.DecideBinding(domain.Binding{}, c); err == nil {
			t.Errorf("binding %+v with a part missing was accepted", c)
		}
	}
}

// The level of assurance: paper is PAPER_CHECKED_BY_STAFF and belongs to
// no account; online is CODE_VERIFIED, or PROVIDER_VERIFIED_ID when the
// provider asserts the number typed; another asserted number refuses the
// signature; online needs an account.
func TestSign_Assurance(t *testing.T) {
	h := []domain.Recorded{drafted(), opened()}
	p := thenOne[*petitionseventsv1.SignatureAdded](given(t, h...).whenSign(domain.SignatureFacts{}, sign(beniMellal, paper, "")))
	if p.Assurance != petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF || p.SignerAccount != "" {
		t.Errorf("paper: %v", p)
	}
	c := sign(beniMellal, online, "")
	c.AssertedSignerKey = signerKey
	v := thenOne[*petitionseventsv1.SignatureAdded](given(t, h...).whenSign(domain.SignatureFacts{}, c))
	if v.Assurance != petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID || v.SignerAccount != accountKey {
		t.Errorf("provider-verified: %v", v)
	}
	c.AssertedSignerKey = otherSigner
	given(t, h...).whenSign(domain.SignatureFacts{}, c).thenError(fault.FailedPrecondition, domain.ReasonNationalIDNotAsserted)
	c = sign(beniMellal, online, "")
	c.Account = ""
	given(t, h...).whenSign(domain.SignatureFacts{}, c).thenError(fault.PermissionDenied, "PERMISSION_DENIED")
}

// Signatures recorded before levels read as PAPER_CHECKED_BY_STAFF on
// paper and CODE_VERIFIED online; a recorded level is kept.
func TestAssuranceOf_OldSignatures(t *testing.T) {
	for _, tc := range []struct {
		in   *petitionseventsv1.SignatureAdded
		want petitionseventsv1.SignatureAssurance
	}{
		{&petitionseventsv1.SignatureAdded{Channel: paper}, petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF},
		{&petitionseventsv1.SignatureAdded{Channel: online}, petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED},
		{&petitionseventsv1.SignatureAdded{Channel: online, Assurance: petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID}, petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID},
	} {
		if got := domain.AssuranceOf(tc.in); got != tc.want {
			t.Errorf("AssuranceOf(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Only the account that signed online owns a signature: not another
// account, not a paper signature, not one from before accounts, not a
// signature on another petition.
func TestOwnSignature(t *testing.T) {
	name := petitionName(beniMellal)
	mine := &petitionseventsv1.SignatureAdded{Petition: name, SignerAccount: accountKey, Channel: online}
	if !domain.OwnSignature(mine, name, accountKey) {
		t.Error("the account's own signature is not its own")
	}
	for what, ok := range map[string]bool{
		"another account":         domain.OwnSignature(mine, name, otherAccount),
		"no account":              domain.OwnSignature(mine, name, ""),
		"paper":                   domain.OwnSignature(&petitionseventsv1.SignatureAdded{Petition: name, Channel: paper}, name, accountKey),
		"before accounts":         domain.OwnSignature(&petitionseventsv1.SignatureAdded{Petition: name, Channel: online}, name, accountKey),
		"another petition":        domain.OwnSignature(mine, petitionName(beniMellalProv), accountKey),
		"no signature (no event)": domain.OwnSignature(nil, name, accountKey),
	} {
		if ok {
			t.Errorf("%s: owned", what)
		}
	}
}

// A signature stream that exists refuses a new online signature: as
// counted on paper, or as already signed.
func TestSignedAlready(t *testing.T) {
	for ch, want := range map[petitionseventsv1.SignatureChannel]string{paper: domain.ReasonSignedOnPaper, online: domain.ReasonAlreadySigned} {
		kind, reason, _ := fault.Classify(domain.SignedAlready(&petitionseventsv1.SignatureAdded{Channel: ch}, "3f9a0c7e21b4"))
		if kind != fault.AlreadyExists || reason != want {
			t.Errorf("%v: %v %s, want AlreadyExists %s", ch, kind, reason, want)
		}
	}
}
