package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// documentBucket is the JetStream object-store bucket of supporting
// documents (DESIGN.md "Documents").
const documentBucket = "TASHARUK_DOCUMENTS"

// objectStore keeps documents' bytes in a JetStream object store.
type objectStore struct{ os jetstream.ObjectStore }

// openDocuments opens (creating if needed) the documents bucket on a
// connection of its own.
func (a *App) openDocuments(ctx context.Context, ns *natsstore.Store) (*objectStore, error) {
	conn, err := ns.Connect("tasharuk-documents")
	if err != nil {
		return nil, fmt.Errorf("connect the document store: %w", err)
	}
	a.OnClose(conn.Close)
	js, err := jetstream.New(conn)
	if err != nil {
		return nil, err
	}
	return documentStore(ctx, js, ns.Replicas())
}

// documentStore opens (creating if needed) the documents bucket.
func documentStore(ctx context.Context, js jetstream.JetStream, replicas int) (*objectStore, error) {
	os, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: documentBucket, Replicas: replicas,
		Description: "supporting documents of petitions; their SHA-256 is in the log"})
	if err != nil {
		return nil, fmt.Errorf("open the document store: %w", err)
	}
	return &objectStore{os: os}, nil
}

func (o *objectStore) Put(ctx context.Context, name string, data []byte) error {
	_, err := o.os.PutBytes(ctx, name, data)
	return err
}

func (o *objectStore) Get(ctx context.Context, name string) ([]byte, error) {
	return o.os.GetBytes(ctx, name)
}

func (o *objectStore) Delete(ctx context.Context, name string) error {
	if err := o.os.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return err
	}
	return nil
}
