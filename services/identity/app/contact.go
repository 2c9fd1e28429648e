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

// RecordVerifiedContact records, sealed with a fresh data key, the contact
// detail an account has just proved it holds by typing back a one-time
// code sent to it (kind privacy.ContactEmail or ContactPhone, the address
// normalised by web/signin). The account is the one that code opens
// (privacy.Keys ContactSubject), so its petitions' messages reach it. A
// detail of that kind already recorded writes nothing. It reports whether
// an event was written.
func (s *Service) RecordVerifiedContact(ctx context.Context, kind, address string) (bool, error) {
	var a Account
	switch kind {
	case privacy.ContactEmail:
		a.Email = address
	case privacy.ContactPhone:
		a.Phone = address
	default:
		return false, fault.Field("kind", "email or phone, got %q", kind)
	}
	acc, err := s.resolve(a)
	if err != nil {
		return false, err
	}
	keyID, dataKey, err := s.Persons.SealingKey(ctx)
	if err != nil {
		return false, unavailable(err)
	}
	sealed, err := privacy.SealContact(dataKey, acc.contact)
	if err != nil {
		s.Persons.Unused(keyID, dataKey)
		return false, err
	}
	contact := &identityeventsv1.ContactRecorded{UserKey: acc.userKey, Kind: contactKind(acc.kind), ContactCiphertext: sealed, ContactKeyId: keyID}
	used := false
	actor := eventstore.Actor{Subject: acc.subject, Role: "citizen"}
	_, err = s.execute(ctx, actor, acc.userKey, func(st domain.State) ([]proto.Message, error) {
		evs := domain.DecideRecordContact(st, contact)
		used = len(evs) > 0
		return evs, nil
	})
	_, _, refused := fault.Classify(err)
	switch {
	case err == nil && used:
		s.Persons.BindLater(acc.userKey, keyID)
	case err == nil || refused:
		s.Persons.Unused(keyID, dataKey)
	}
	return err == nil && used, err
}
