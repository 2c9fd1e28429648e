package domain

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Reasons of the identity context (server/errors.go catalogue).
const (
	ReasonRoleAlreadyGranted = "ROLE_ALREADY_GRANTED"
	ReasonGrantNotFound      = "GRANT_NOT_FOUND"
	ReasonContactNotFound    = "CONTACT_NOT_FOUND"
)

// MaxReason bounds a revocation's reason.
const MaxReason = 500

// Roles an administrator grants. A citizen needs no grant: any account
// may sign and petition. Staff and advisory members act for one council;
// auditors and admins for none (they are not limited to one). The names
// are access's (access.Role), spelled here because the domain links no
// transport.
var grantable = map[string]bool{"staff": true, "advisory": true, "auditor": true, "admin": true}

// councilBound reports whether the role acts for exactly one council.
func councilBound(role string) bool { return role == "staff" || role == "advisory" }

// GrantRole grants an account a role. CouncilKnown says whether the
// council is registered (read by the app). Contact, when set, is the
// account's contact detail sealed by the app, recorded with the first
// grant that names it.
type GrantRole struct {
	UserKey      string
	Role         string
	Council      string
	CouncilKnown bool
	Contact      *identityeventsv1.ContactRecorded
}

// RevokeRole revokes a role granted before.
type RevokeRole struct {
	UserKey string
	Role    string
	Council string
	Reason  string
}

// validGrant checks a role and its council.
func validGrant(role, council string) error {
	if !grantable[role] {
		return fault.Field("role", "one of staff, advisory, auditor, admin (citizens need no grant), got %q", role)
	}
	if councilBound(role) && council == "" {
		return fault.Field("council", "the role %s acts for one council: give its code", role)
	}
	if !councilBound(role) && council != "" {
		return fault.Field("council", "the role %s acts for no single council: leave the council out", role)
	}
	return nil
}

// DecideGrant decides a grant: the contact detail if it is new, then the
// role, unless the account holds it already.
func DecideGrant(s State, c GrantRole) ([]proto.Message, error) {
	if err := validGrant(c.Role, c.Council); err != nil {
		return nil, err
	}
	if c.Council != "" && !c.CouncilKnown {
		return nil, fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "no council %s", c.Council)
	}
	if s.Grants[Grant{c.Role, c.Council}] {
		return nil, fault.New(fault.AlreadyExists, ReasonRoleAlreadyGranted, "the account already holds the role %s%s", c.Role, forCouncil(c.Council))
	}
	var out []proto.Message
	if c.Contact != nil && !s.Contacts[c.Contact.GetKind()] {
		out = append(out, c.Contact)
	}
	return append(out, &identityeventsv1.RoleGranted{UserKey: c.UserKey, Role: c.Role, Council: c.Council}), nil
}

// DecideRecordContact decides recording a contact detail an account proved
// it holds (a one-time code sent there was typed back): the event when no
// detail of that kind is recorded (or it was erased), nothing otherwise.
// The outbox writes to the account through it (its own petitions'
// messages); `privacy erase` forgets it.
func DecideRecordContact(s State, c *identityeventsv1.ContactRecorded) []proto.Message {
	if c == nil || s.Contacts[c.GetKind()] {
		return nil
	}
	return []proto.Message{c}
}

// DecideRevoke decides a revocation of a role in force.
func DecideRevoke(s State, c RevokeRole) ([]proto.Message, error) {
	if err := validGrant(c.Role, c.Council); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(c.Reason) > MaxReason {
		return nil, fault.Field("reason", "at most %d characters", MaxReason)
	}
	if !s.Grants[Grant{c.Role, c.Council}] {
		return nil, fault.New(fault.NotFound, ReasonGrantNotFound, "the account holds no role %s%s", c.Role, forCouncil(c.Council))
	}
	return []proto.Message{&identityeventsv1.RoleRevoked{UserKey: c.UserKey, Role: c.Role, Council: c.Council, Reason: strings.TrimSpace(c.Reason)}}, nil
}

// DecideEraseContacts decides the erasure of an account's contact details
// (law 09-08, like a signer's erasure): their data keys are
// destroyed by the app, and the event says how many.
func DecideEraseContacts(s State, userKey string) (*identityeventsv1.ContactErased, error) {
	if len(s.ContactKeys) == 0 {
		return nil, fault.New(fault.NotFound, ReasonContactNotFound, "no contact detail is recorded for this account (or it was erased already)")
	}
	return &identityeventsv1.ContactErased{UserKey: userKey, KeysDestroyed: int32(len(s.ContactKeys))}, nil
}

func forCouncil(code string) string {
	if code == "" {
		return ""
	}
	return " for council " + code
}
