package privacy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// ErrErased: the person's data key was deleted; their name is gone.
var ErrErased = errors.New("privacy: personal data erased")

// KeyStore holds persons' data keys outside the event log: a JetStream
// key-value bucket (replicated like the log on a cluster), each value
// sealed with the master key.
type KeyStore struct {
	keys   *Keys
	kv     jetstream.KeyValue
	bucket string
	// pub writes new keys with group commit: a new signer's key and their
	// signature then cost one shared disk sync each, not one sync apiece.
	pub *natsstore.Publisher
}

// OpenKeyStore opens (creating if needed) the bucket.
func OpenKeyStore(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, bucket string, replicas int, keys *Keys) (*KeyStore, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "tasharuk: per-person data keys (personal data stays out of the log)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: open key bucket %s: %w", bucket, err)
	}
	pub, err := natsstore.NewPublisher(ctx, nc, js, "KV_"+bucket, 0)
	if err != nil {
		return nil, err
	}
	return &KeyStore{keys: keys, kv: kv, bucket: bucket, pub: pub}, nil
}

// Close stops the key store's publisher.
func (s *KeyStore) Close() { s.pub.Close() }

// DataKey returns the person's data key, creating it if create is set and
// none exists. It fails with ErrErased for an erased person.
func (s *KeyStore) DataKey(ctx context.Context, person string, create bool) ([]byte, error) {
	e, err := s.kv.Get(ctx, person)
	switch {
	case err == nil:
		return s.keys.openDataKey(person, e.Value())
	case errors.Is(err, jetstream.ErrKeyDeleted):
		return nil, ErrErased
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return nil, fmt.Errorf("privacy: read data key: %w", err)
	case !create:
		return nil, ErrErased
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	sealed, err := s.keys.sealDataKey(person, k)
	if err != nil {
		return nil, err
	}
	// Create: only if the key has no message yet (expected last sequence 0).
	if _, err := s.pub.Publish(ctx, "$KV."+s.bucket+"."+person, 0, nuid.Next(), sealed); err != nil {
		if errors.Is(err, natsstore.ErrWrongLastSequence) {
			// Created concurrently (the same person signing twice at
			// once), or erased.
			return s.DataKey(ctx, person, false)
		}
		return nil, fmt.Errorf("privacy: store data key: %w", err)
	}
	return k, nil
}

// Erase deletes a person's data key and purges its history: their name
// can no longer be decrypted anywhere.
func (s *KeyStore) Erase(ctx context.Context, person string) error {
	if err := s.kv.Purge(ctx, person); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("privacy: erase: %w", err)
	}
	return nil
}
