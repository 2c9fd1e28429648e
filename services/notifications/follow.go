package notifications

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/privacy"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
)

// KeyStore is what follows need of the personal-data key store
// (privacy.KeyStore): a fresh data key to seal a follower's email with,
// the key to open it, and destruction on erasure.
type KeyStore interface {
	SealingKey(ctx context.Context) (id string, key []byte, err error)
	NameKey(ctx context.Context, person, id string) ([]byte, error)
	Destroy(ctx context.Context, ids ...string) error
}

// Follows records follows of a petition or a council by email, with
// double opt-in (nothing but the confirmation link is sent before the
// follower confirms) and signed one-click unsubscribe links. The email is
// sealed with a data key of its own: unsubscribing or erasing destroys
// the key, so the address is gone from the log for good.
type Follows struct {
	Store    eventstore.Store
	Registry *es.Registry
	Keys     KeyStore
	Planner  *Planner
	Links    *Links
	// Exists says whether a target (a council's or a petition's resource
	// name) exists; one that does not cannot be followed.
	Exists func(target string) bool
}

// Errors of follows.
var (
	ErrBadTarget     = errors.New("notifications: follow a council (communes/{code}) or a petition (communes/{code}/petitions/{id}) that exists")
	ErrBadEmail      = errors.New("notifications: not an email address")
	ErrBadLanguage   = errors.New("notifications: language must be ar, fr or en")
	ErrUnknownFollow = errors.New("notifications: no such follow")
)

var targetName = regexp.MustCompile(`^communes/[0-9]{8}(/petitions/[0-9a-f-]{36})?$`)

// Request records a follow waiting for confirmation and returns its id
// and the log position of the request.
func (f *Follows) Request(ctx context.Context, target, email, lang string) (string, uint64, error) {
	if !targetName.MatchString(target) || f.Exists == nil || !f.Exists(target) {
		return "", 0, ErrBadTarget
	}
	addr, err := normalizeEmail(email)
	if err != nil {
		return "", 0, err
	}
	if !slices.Contains(Languages, lang) {
		return "", 0, ErrBadLanguage
	}
	keyID, key, err := f.Keys.SealingKey(ctx)
	if err != nil {
		return "", 0, err
	}
	// A follower's email is sealed like a signer's name (privacy's AEAD
	// with a data key of the key store).
	sealed, err := privacy.SealName(key, addr)
	if err != nil {
		return "", 0, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	pos, err := f.append(ctx, id, eventstore.NoStream, &nevents.FollowRequested{FollowId: id, Target: target, ContactCiphertext: sealed, ContactKeyId: keyID, Language: lang})
	return id, pos, err
}

// Confirm confirms a follow with the token of its confirmation link.
func (f *Follows) Confirm(ctx context.Context, id, token string) (uint64, error) {
	if err := f.Links.Verify(purposeConfirm, id, token); err != nil {
		return 0, err
	}
	_, _, _, _, confirmed, ended, ok := f.Planner.Follow(id)
	switch {
	case !ok || ended:
		return 0, ErrUnknownFollow
	case confirmed:
		return 0, nil
	}
	return f.append(ctx, id, eventstore.Any, &nevents.FollowConfirmed{FollowId: id})
}

// Unsubscribe ends a follow with the token of its unsubscribe link and
// destroys the key of its email.
func (f *Follows) Unsubscribe(ctx context.Context, id, token string) (uint64, error) {
	if err := f.Links.Verify(purposeUnsubscribe, id, token); err != nil {
		return 0, err
	}
	return f.end(ctx, id, "unsubscribed")
}

// Erase ends a follow on the person's request (law 09-08 art. 8: the
// right to erasure), destroying the key of its email.
func (f *Follows) Erase(ctx context.Context, id string) (uint64, error) {
	return f.end(ctx, id, "erased")
}

func (f *Follows) end(ctx context.Context, id, reason string) (uint64, error) {
	_, _, keyID, _, _, ended, ok := f.Planner.Follow(id)
	if !ok {
		return 0, ErrUnknownFollow
	}
	if ended {
		return 0, nil
	}
	if err := f.Keys.Destroy(ctx, keyID); err != nil {
		return 0, err
	}
	return f.append(ctx, id, eventstore.Any, &nevents.FollowEnded{FollowId: id, Reason: reason})
}

// Contact opens a follower's email ("follow:<id>"): none once the follow
// ended or its key was destroyed.
func (f *Follows) Contact(recipient string) (Contact, bool) {
	id, ok := cutFollow(recipient)
	if !ok {
		return Contact{}, false
	}
	_, lang, keyID, sealed, _, ended, ok := f.Planner.Follow(id)
	if !ok || ended || len(sealed) == 0 {
		return Contact{}, false
	}
	key, err := f.Keys.NameKey(context.Background(), "follow-"+id, keyID)
	if err != nil {
		return Contact{}, false
	}
	addr, err := privacy.OpenName(key, sealed)
	if err != nil {
		return Contact{}, false
	}
	return Contact{Address: addr, Channel: Email, Language: lang}, true
}

func (f *Follows) append(ctx context.Context, id string, exp eventstore.ExpectedRevision, payload proto.Message) (uint64, error) {
	p, err := f.Registry.Propose(payload, es.Meta{ID: newEventID(), Actor: eventstore.Actor{Subject: "anonymous:follower", Role: "citizen"}})
	if err != nil {
		return 0, err
	}
	res, err := f.Store.Append(ctx, ndomain.FollowStream(id), exp, []eventstore.Proposed{p})
	if err != nil {
		return 0, err
	}
	return res.Position, nil
}

func normalizeEmail(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", fmt.Errorf("%w: want one address such as name@example.ma", ErrBadEmail)
	}
	return s, nil
}
