package domain_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/identity/domain"
)

// Given an account's past events, when a grant, a revocation or an
// erasure is decided, then these events or this refusal. No store.

const user = "5f1d0c7e21b4d5e6f708192a3b4c5d6e5f1d0c7e21b4d5e6f708192a3b4c5d6e"

func given(evs ...proto.Message) domain.State {
	var s domain.State
	for _, e := range evs {
		s = domain.Evolve(s, e)
	}
	return s
}

func refused(t *testing.T, err error, kind fault.Kind, reason string) {
	t.Helper()
	k, r, _ := fault.Classify(err)
	if k != kind || r != reason {
		t.Fatalf("got %v %s (%v), want %v %s", k, r, err, kind, reason)
	}
}

var contact = &identityeventsv1.ContactRecorded{UserKey: user, Kind: identityeventsv1.ContactKind_CONTACT_KIND_EMAIL, ContactCiphertext: []byte{1, 2}, ContactKeyId: "dk.1"}

func TestGrant(t *testing.T) {
	// A first grant records the sealed contact, then the role.
	evs, err := domain.DecideGrant(given(), domain.GrantRole{UserKey: user, Role: "staff", Council: "50910113", CouncilKnown: true, Contact: contact})
	if err != nil || len(evs) != 2 || evs[0] != contact {
		t.Fatalf("first grant: %v %v", evs, err)
	}
	if g, ok := evs[1].(*identityeventsv1.RoleGranted); !ok || g.GetRole() != "staff" || g.GetCouncil() != "50910113" || g.GetUserKey() != user {
		t.Fatalf("grant event %v", evs[1])
	}
	h := given(evs...)
	// The same role again is refused; another council's staff role is a
	// new grant, without recording the contact again.
	_, err = domain.DecideGrant(h, domain.GrantRole{UserKey: user, Role: "staff", Council: "50910113", CouncilKnown: true, Contact: contact})
	refused(t, err, fault.AlreadyExists, domain.ReasonRoleAlreadyGranted)
	evs, err = domain.DecideGrant(h, domain.GrantRole{UserKey: user, Role: "staff", Council: "50910101", CouncilKnown: true, Contact: contact})
	if err != nil || len(evs) != 1 {
		t.Fatalf("second council: %v %v", evs, err)
	}
	// Admins and auditors act for no council.
	if evs, err := domain.DecideGrant(h, domain.GrantRole{UserKey: user, Role: "admin"}); err != nil || len(evs) != 1 {
		t.Fatalf("admin: %v %v", evs, err)
	}
}

func TestGrant_Refusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    domain.GrantRole
		kind fault.Kind
		why  string
	}{
		{"citizens need no grant", domain.GrantRole{UserKey: user, Role: "citizen"}, fault.Invalid, "INVALID_ARGUMENT"},
		{"unknown role", domain.GrantRole{UserKey: user, Role: "mayor"}, fault.Invalid, "INVALID_ARGUMENT"},
		{"staff without a council", domain.GrantRole{UserKey: user, Role: "staff"}, fault.Invalid, "INVALID_ARGUMENT"},
		{"admin with a council", domain.GrantRole{UserKey: user, Role: "admin", Council: "50910113", CouncilKnown: true}, fault.Invalid, "INVALID_ARGUMENT"},
		{"unknown council", domain.GrantRole{UserKey: user, Role: "advisory", Council: "99999999"}, fault.NotFound, "COUNCIL_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := domain.DecideGrant(given(), tc.c)
			if evs != nil {
				t.Fatalf("events %v", evs)
			}
			refused(t, err, tc.kind, tc.why)
		})
	}
}

func TestRevoke(t *testing.T) {
	h := given(&identityeventsv1.RoleGranted{UserKey: user, Role: "staff", Council: "50910113"})
	evs, err := domain.DecideRevoke(h, domain.RevokeRole{UserKey: user, Role: "staff", Council: "50910113", Reason: " a quitté la commune "})
	if err != nil || len(evs) != 1 || evs[0].(*identityeventsv1.RoleRevoked).GetReason() != "a quitté la commune" {
		t.Fatalf("revoke: %v %v", evs, err)
	}
	h = given(&identityeventsv1.RoleGranted{UserKey: user, Role: "staff", Council: "50910113"}, evs[0])
	if len(h.Grants) != 0 {
		t.Fatalf("grants after revocation: %v", h.Grants)
	}
	_, err = domain.DecideRevoke(h, domain.RevokeRole{UserKey: user, Role: "staff", Council: "50910113"})
	refused(t, err, fault.NotFound, domain.ReasonGrantNotFound)
	// Revoking another council's role is not revoking this one.
	_, err = domain.DecideRevoke(given(&identityeventsv1.RoleGranted{UserKey: user, Role: "staff", Council: "50910113"}), domain.RevokeRole{UserKey: user, Role: "staff", Council: "50910101"})
	refused(t, err, fault.NotFound, domain.ReasonGrantNotFound)
	long := make([]byte, domain.MaxReason+1)
	for i := range long {
		long[i] = 'x'
	}
	_, err = domain.DecideRevoke(given(&identityeventsv1.RoleGranted{UserKey: user, Role: "admin"}), domain.RevokeRole{UserKey: user, Role: "admin", Reason: string(long)})
	refused(t, err, fault.Invalid, "INVALID_ARGUMENT")
}

func TestEraseContacts(t *testing.T) {
	h := given(contact, &identityeventsv1.RoleGranted{UserKey: user, Role: "admin"})
	ev, err := domain.DecideEraseContacts(h, user)
	if err != nil || ev.GetKeysDestroyed() != 1 {
		t.Fatalf("erase: %v %v", ev, err)
	}
	h = given(contact, ev)
	if len(h.ContactKeys) != 0 || h.Contacts[identityeventsv1.ContactKind_CONTACT_KIND_EMAIL] {
		t.Fatalf("state after erasure: %+v", h)
	}
	_, err = domain.DecideEraseContacts(h, user)
	refused(t, err, fault.NotFound, domain.ReasonContactNotFound)
	// Erased, a later grant records the contact afresh.
	evs, err := domain.DecideGrant(h, domain.GrantRole{UserKey: user, Role: "auditor", Contact: contact})
	if err != nil || len(evs) != 2 {
		t.Fatalf("grant after erasure: %v %v", evs, err)
	}
}

func TestRecordVerifiedContact(t *testing.T) {
	if evs := domain.DecideRecordContact(given(), contact); len(evs) != 1 || evs[0] != contact {
		t.Fatalf("a new account's proved address: %v", evs)
	}
	if evs := domain.DecideRecordContact(given(contact), contact); len(evs) != 0 {
		t.Fatalf("an address of a kind already recorded is recorded again: %v", evs)
	}
	phone := &identityeventsv1.ContactRecorded{UserKey: user, Kind: identityeventsv1.ContactKind_CONTACT_KIND_PHONE, ContactCiphertext: []byte{3}, ContactKeyId: "dk.2"}
	if evs := domain.DecideRecordContact(given(contact), phone); len(evs) != 1 {
		t.Fatalf("a phone beside a recorded email: %v", evs)
	}
	// Erased, the next sign-in records the address afresh.
	if evs := domain.DecideRecordContact(given(contact, &identityeventsv1.ContactErased{UserKey: user, KeysDestroyed: 1}), contact); len(evs) != 1 {
		t.Fatalf("after erasure: %v", evs)
	}
}
