package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/identity/domain"
)

// Grant is a role to grant an account.
type Grant struct {
	Account Account
	Role    string
	Council string
}

// GrantRole grants an account a role (domain.DecideGrant). An email or
// phone naming the account is sealed with a fresh data key and recorded
// with the grant the first time; a key the decision does not use is given
// back. It returns the account's user key and the log position written.
func (s *Service) GrantRole(ctx context.Context, actor eventstore.Actor, g Grant) (string, uint64, error) {
	a, err := s.resolve(g.Account)
	if err != nil {
		return "", 0, err
	}
	known := false
	if g.Council != "" {
		if known, err = s.Councils.CouncilExists(ctx, g.Council); err != nil {
			return "", 0, err
		}
	}
	var contact *identityeventsv1.ContactRecorded
	var keyID string
	var dataKey []byte
	if a.contact != "" {
		if keyID, dataKey, err = s.Persons.SealingKey(ctx); err != nil {
			return "", 0, unavailable(err)
		}
		sealed, err := privacy.SealContact(dataKey, a.contact)
		if err != nil {
			s.Persons.Unused(keyID, dataKey)
			return "", 0, err
		}
		contact = &identityeventsv1.ContactRecorded{UserKey: a.userKey, Kind: contactKind(a.kind), ContactCiphertext: sealed, ContactKeyId: keyID}
	}
	used := false
	pos, err := s.execute(ctx, actor, a.userKey, func(st domain.State) ([]proto.Message, error) {
		evs, err := domain.DecideGrant(st, domain.GrantRole{UserKey: a.userKey, Role: g.Role, Council: g.Council, CouncilKnown: known, Contact: contact})
		used = false
		for _, e := range evs {
			if e == contact {
				used = true
			}
		}
		return evs, err
	})
	if contact != nil {
		_, _, refused := fault.Classify(err)
		switch {
		case err == nil && used:
			s.Persons.BindLater(a.userKey, keyID)
		case err == nil || refused:
			s.Persons.Unused(keyID, dataKey)
		}
		// Otherwise the append may still have landed: the key is not
		// reused.
	}
	return a.userKey, pos, err
}

func contactKind(kind string) identityeventsv1.ContactKind {
	if kind == privacy.ContactPhone {
		return identityeventsv1.ContactKind_CONTACT_KIND_PHONE
	}
	return identityeventsv1.ContactKind_CONTACT_KIND_EMAIL
}
