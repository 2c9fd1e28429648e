package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/identity/domain"
)

// EraseContacts erases an account's contact details at the person's
// request (domain.DecideEraseContacts): the account is tombstoned in the
// key store, the data keys that sealed its details are destroyed, then the
// erasure is recorded. It returns the account's user key and how many keys
// were destroyed.
func (s *Service) EraseContacts(ctx context.Context, actor eventstore.Actor, acc Account) (string, int, error) {
	a, err := s.resolve(acc)
	if err != nil {
		return "", 0, err
	}
	destroyed := 0
	_, err = s.execute(ctx, actor, a.userKey, func(st domain.State) ([]proto.Message, error) {
		ev, err := domain.DecideEraseContacts(st, a.userKey)
		if err != nil {
			return nil, err
		}
		// Destroy before recording: a recorded erasure always means the
		// keys are gone (a retry destroys them again, harmlessly).
		if err := s.Persons.Erase(ctx, a.userKey); err != nil {
			return nil, unavailable(err)
		}
		if err := s.Persons.Destroy(ctx, st.ContactKeys...); err != nil {
			return nil, unavailable(err)
		}
		destroyed = int(ev.GetKeysDestroyed())
		return []proto.Message{ev}, nil
	})
	return a.userKey, destroyed, err
}
