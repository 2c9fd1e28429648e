package command

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// KeyDestroyer destroys data keys and their history (privacy.KeyStore).
type KeyDestroyer interface {
	Destroy(ctx context.Context, ids ...string) error
}

// EraseRequester erases a request's requester at their request (law
// 09-08): the data key that sealed their name and contact is destroyed
// (crypto-shredding), then RequesterErased is recorded on the request's
// stream. The request, its clock and the public figures are unchanged. It
// runs from `tasharuk privacy erase --information-request`, beside the
// other erasures, on the log directly: it needs no read model.
func EraseRequester(ctx context.Context, store eventstore.Store, reg *es.Registry, keys KeyDestroyer, name string, actor eventstore.Actor, now time.Time) (keyID string, pos uint64, err error) {
	r, err := ParseRequest(name)
	if err != nil {
		return "", 0, err
	}
	fold := func(st domain.State, e *eventstore.Event, p proto.Message) domain.State {
		return domain.Evolve(st, es.RecordedFrom(e, p))
	}
	clock := func() time.Time { return now }
	pos, err = es.Execute(ctx, store, reg, domain.RequestStream(r.Code, r.ID), actor, clock, fold, func(st domain.State) ([]es.Decided, error) {
		if !st.Exists || st.Name != r.Name() {
			return nil, notFound(r)
		}
		out, err := domain.Decide(st, domain.EraseRequester{}, domain.Env{})
		if err != nil {
			return nil, err
		}
		// Shred before recording: if the record fails the identity is
		// unreadable all the same, and a retry (the key already gone)
		// records it. Destroying twice is harmless.
		if st.IdentityKeyID != "" {
			if err := keys.Destroy(ctx, st.IdentityKeyID); err != nil {
				return nil, err
			}
		}
		keyID = st.IdentityKeyID
		return out, nil
	})
	return keyID, pos, err
}
