// Package domain is the identity context's pure core: the roles an
// administrator grants accounts and the contact details (sealed) they
// are reached at, as events of one stream per account (DESIGN.md
// "Identity: who someone is"). No I/O: the app reads the stream, decides
// here, and appends.
package domain

import (
	"google.golang.org/protobuf/proto"

	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the identity context's events with their wire names.
var EventTypes = []es.Type{
	{Name: "identity.RoleGranted", Version: 1, Sample: &identityeventsv1.RoleGranted{}},
	{Name: "identity.RoleRevoked", Version: 1, Sample: &identityeventsv1.RoleRevoked{}},
	{Name: "identity.ContactRecorded", Version: 1, Sample: &identityeventsv1.ContactRecorded{}},
	{Name: "identity.ContactErased", Version: 1, Sample: &identityeventsv1.ContactErased{}},
}

// Grant is one role for one council ("" for a role that acts for none).
type Grant struct {
	Role    string
	Council string
}

// State is an account as its stream left it.
type State struct {
	Exists bool
	// Grants in force.
	Grants map[Grant]bool
	// ContactKeys are the data key ids that sealed its contact details
	// still readable; erasing destroys them.
	ContactKeys []string
	// Contacts says which kinds of contact detail are recorded (and not
	// erased).
	Contacts map[identityeventsv1.ContactKind]bool
}

// Evolve applies one event of the account's stream.
func Evolve(s State, e proto.Message) State {
	if s.Grants == nil {
		s.Grants = map[Grant]bool{}
	}
	if s.Contacts == nil {
		s.Contacts = map[identityeventsv1.ContactKind]bool{}
	}
	s.Exists = true
	switch p := e.(type) {
	case *identityeventsv1.RoleGranted:
		s.Grants[Grant{p.GetRole(), p.GetCouncil()}] = true
	case *identityeventsv1.RoleRevoked:
		delete(s.Grants, Grant{p.GetRole(), p.GetCouncil()})
	case *identityeventsv1.ContactRecorded:
		s.Contacts[p.GetKind()] = true
		s.ContactKeys = append(s.ContactKeys, p.GetContactKeyId())
	case *identityeventsv1.ContactErased:
		s.Contacts = map[identityeventsv1.ContactKind]bool{}
		s.ContactKeys = nil
	}
	return s
}
