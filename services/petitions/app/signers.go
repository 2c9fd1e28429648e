package app

import (
	"context"
	"errors"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/internal/kernel/names"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Erased is what an erased person's name reads as.
const Erased = "[erased]"

// Signer is a signer as staff see them.
type Signer struct {
	Ref        string
	FullName   string
	Status     petitionsv1.SignatureStatus
	Channel    petitionseventsv1.SignatureChannel
	Province   string
	RecordedAt time.Time
}

// pointReader reads one position cheaply (the NATS store does).
type pointReader interface {
	ReadAt(ctx context.Context, position uint64) (eventstore.Event, error)
}

func (s *Service) readAt(ctx context.Context, pos uint64) (eventstore.Event, error) {
	if pr, ok := s.Store.(pointReader); ok {
		return pr.ReadAt(ctx, pos)
	}
	evs, err := s.Store.ReadAll(ctx, pos, 1)
	if err != nil {
		return eventstore.Event{}, err
	}
	if len(evs) != 1 || evs[0].Position != pos {
		return eventstore.Event{}, errors.New("petitions: signature event not found")
	}
	return evs[0], nil
}

// ListSignatures returns a page of a petition's signers with their names
// decrypted, for the council's staff. The read itself is recorded in the
// log (SignerListViewed: who looked, when, how many) before any name is
// returned; an erased person's name reads "[erased]".
func (s *Service) ListSignatures(ctx context.Context, actor eventstore.Actor, name string, pageSize int, pageToken string) ([]Signer, string, int, error) {
	n, err := ParseName(name)
	if err != nil {
		return nil, "", 0, err
	}
	if _, err := s.lookup(n); err != nil {
		return nil, "", 0, err
	}
	pageSize, err = names.PageSize(pageSize, 100)
	if err != nil {
		return nil, "", 0, err
	}
	offset, ok := names.DecodePageToken(pageToken)
	if !ok {
		return nil, "", 0, fault.Field("page_token", "not a token from this list")
	}
	entries, total := s.Model.Signatures(n.String(), offset, pageSize)
	out := make([]Signer, 0, len(entries))
	for _, en := range entries {
		e, err := s.readAt(ctx, en.Position)
		if err != nil {
			return nil, "", 0, err
		}
		p, err := s.Registry.DecodeEvent(&e)
		if err != nil {
			return nil, "", 0, err
		}
		added, ok := p.(*petitionseventsv1.SignatureAdded)
		if !ok {
			return nil, "", 0, errors.New("petitions: position of a signature holds another event")
		}
		name := Erased
		key, err := s.Persons.NameKey(ctx, en.SignerKey, added.GetNameKeyId())
		switch {
		case err == nil:
			if name, err = privacy.OpenName(key, added.GetNameCiphertext()); err != nil {
				return nil, "", 0, err
			}
		case !errors.Is(err, privacy.ErrErased):
			return nil, "", 0, err
		}
		out = append(out, Signer{Ref: Ref(en.SignerKey), FullName: name, Status: en.Status, Channel: added.GetChannel(), Province: en.Province, RecordedAt: e.RecordedAt})
	}
	// Record the read before showing it.
	ev, err := s.Registry.Propose(&petitionseventsv1.SignerListViewed{Petition: n.String(), SignaturesShown: int32(len(out))}, es.Meta{ID: newID(), OccurredAt: s.Now(), Actor: actor})
	if err != nil {
		return nil, "", 0, err
	}
	if _, err := s.Store.Append(ctx, domain.AccessStream(n.ID), eventstore.Any, []eventstore.Proposed{ev}); err != nil {
		return nil, "", 0, err
	}
	next := ""
	if offset+len(entries) < total {
		next = names.EncodePageToken(offset + len(entries))
	}
	return out, next, total, nil
}

// PersonEraser deletes personal data keys (privacy.KeyStore).
type PersonEraser interface {
	// Erase tombstones the person: no name sealed for them opens.
	Erase(ctx context.Context, person string) error
	// Destroy deletes data keys.
	Destroy(ctx context.Context, ids ...string) error
}

// ErasePerson erases a person's personal data (law 09-08: the right to
// erasure) and records that it was. Their name then reads "[erased]"
// everywhere; their signatures still count and every hash still verifies.
//
// The person is tombstoned first, then the log is read up to its head for
// their signatures, whose data keys are destroyed. A signature being
// written at that moment is covered too: once recorded, the signing path
// looks for the tombstone (KeyStore.Bound) and destroys its own key. Reading
// the whole log makes an erasure cost a replay; erasures are rare.
func ErasePerson(ctx context.Context, store eventstore.Store, reg *es.Registry, keys SignerKeys, persons PersonEraser, council, nationalID string, actor eventstore.Actor, now time.Time) (string, error) {
	id, err := privacy.NormalizeNationalID(nationalID)
	if err != nil {
		return "", fault.Field("national_id", "%v", err)
	}
	key := keys.SignerKey(council, id)
	if err := persons.Erase(ctx, key); err != nil {
		return "", err
	}
	ids, err := signatureKeyIDs(ctx, store, reg, key)
	if err != nil {
		return "", err
	}
	if err := persons.Destroy(ctx, ids...); err != nil {
		return "", err
	}
	ev, err := reg.Propose(&petitionseventsv1.PersonDataErased{Council: council, SignerKey: key, KeysDestroyed: int32(len(ids))}, es.Meta{ID: newID(), OccurredAt: now, Actor: actor})
	if err != nil {
		return "", err
	}
	if _, err := store.Append(ctx, domain.PrivacyStream(council), eventstore.Any, []eventstore.Proposed{ev}); err != nil {
		return "", err
	}
	return key, nil
}

// signatureKeyIDs reads the log up to its head for the data key ids of a
// signer's signatures.
func signatureKeyIDs(ctx context.Context, store eventstore.Store, reg *es.Registry, signerKey string) ([]string, error) {
	head, err := store.LastPosition(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for from := uint64(1); from <= head; {
		page, err := store.ReadAll(ctx, from, 1000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			e := &page[i]
			from = e.Position + 1
			if _, k, ok := domain.ParseSignatureStream(e.Stream); e.Position > head || !ok || k != signerKey {
				continue
			}
			p, err := reg.DecodeEvent(e)
			if err != nil {
				return nil, err
			}
			if added, ok := p.(*petitionseventsv1.SignatureAdded); ok && added.GetNameKeyId() != "" {
				ids = append(ids, added.GetNameKeyId())
			}
		}
	}
	return ids, nil
}
