// Package app runs the identity commands: an administrator grants and
// revokes roles, and an account's contact details are recorded sealed or
// erased. One file per command; ids come from es.Execute, the clock from
// outside.
package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/identity/domain"
)

// Keys derives the pseudonyms of accounts (privacy.Keys).
type Keys interface {
	// ContactSubject is the subject of the account that signs in with a
	// code sent to a normalized email or phone.
	ContactSubject(kind, normalized string) string
	// UserKey names the account's stream.
	UserKey(subject string) string
}

// ContactKeys gives and destroys the data keys that seal contact details
// (privacy.KeyStore).
type ContactKeys interface {
	SealingKey(ctx context.Context) (id string, key []byte, err error)
	Unused(id string, key []byte)
	BindLater(person, id string)
	NameKey(ctx context.Context, person, id string) ([]byte, error)
	Erase(ctx context.Context, person string) error
	Destroy(ctx context.Context, ids ...string) error
}

// Councils says whether a council is registered.
type Councils interface {
	CouncilExists(ctx context.Context, code string) (bool, error)
}

// Service runs the identity commands.
type Service struct {
	Store    eventstore.Store
	Registry *es.Registry
	Keys     Keys
	Persons  ContactKeys
	Councils Councils
	Now      func() time.Time
}

// Account names an account by exactly one of its email, its phone number
// or its provider subject.
type Account struct {
	Email, Phone, Subject string
}

// account is an Account resolved: its subject, user key and, for an email
// or phone, the normalized contact detail.
type account struct {
	subject, userKey string
	kind             string
	contact          string
}

// resolve validates an Account into its subject and user key.
func (s *Service) resolve(a Account) (account, error) {
	given := 0
	for _, v := range []string{a.Email, a.Phone, a.Subject} {
		if strings.TrimSpace(v) != "" {
			given++
		}
	}
	if given != 1 {
		return account{}, fault.Field("account", "name the account by exactly one of email, phone or subject")
	}
	var r account
	switch {
	case a.Email != "":
		e, err := privacy.NormalizeEmail(a.Email)
		if err != nil {
			return account{}, fault.Field("account.email", "%v", err)
		}
		r = account{subject: s.Keys.ContactSubject(privacy.ContactEmail, e), kind: privacy.ContactEmail, contact: e}
	case a.Phone != "":
		p, err := privacy.NormalizePhone(a.Phone)
		if err != nil {
			return account{}, fault.Field("account.phone", "%v", err)
		}
		r = account{subject: s.Keys.ContactSubject(privacy.ContactPhone, p), kind: privacy.ContactPhone, contact: p}
	default:
		sub := strings.TrimSpace(a.Subject)
		if len(sub) > eventstore.MaxMetaLen {
			return account{}, fault.Field("account.subject", "at most %d bytes", eventstore.MaxMetaLen)
		}
		r = account{subject: sub}
	}
	r.userKey = s.Keys.UserKey(r.subject)
	return r, nil
}

// execute runs one decision on the account's stream.
func (s *Service) execute(ctx context.Context, actor eventstore.Actor, userKey string, decide func(domain.State) ([]proto.Message, error)) (uint64, error) {
	return es.Execute(ctx, s.Store, s.Registry, domain.UserStream(userKey), actor, s.Now,
		func(st domain.State, _ *eventstore.Event, p proto.Message) domain.State { return domain.Evolve(st, p) },
		func(st domain.State) ([]es.Decided, error) {
			evs, err := decide(st)
			if err != nil {
				return nil, err
			}
			out := make([]es.Decided, len(evs))
			for i, e := range evs {
				out[i] = es.Decided{Payload: e}
			}
			return out, nil
		})
}

// UserName is the resource name of the account whose user key is key.
func UserName(key string) string { return "users/" + key }

func unavailable(err error) error { return fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err) }
