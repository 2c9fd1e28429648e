package privacy

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
)

// Documents with personal data (a signature sheet, a proof of residence)
// are sealed like names (DESIGN.md "Documents"): each with a data key of
// its own in the key store, so destroying that one key erases the
// document whatever copies of its ciphertext remain.

// documentKeyPrefix starts the ids of documents' data keys.
const documentKeyPrefix = "doc."

// DocumentKeyID is the key-store id of a document's data key: derived from
// the council's code, the petition's id and the document's id, never from
// anything in the document.
func DocumentKeyID(council, petition, document string) string {
	return documentKeyPrefix + council + "." + petition + "." + document
}

// NewDocumentKey makes the data key of a document and stores it under id
// (a DocumentKeyID), durable before anything is sealed with it. An id
// already in use is an error: one key seals one document.
func (s *KeyStore) NewDocumentKey(ctx context.Context, id string) ([]byte, error) {
	if !documentKeyID(id) {
		return nil, fmt.Errorf("privacy: %q is not a document key id", id)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	sealed, err := s.keys.sealDataKey(id, k)
	if err != nil {
		return nil, err
	}
	if _, err := s.kv.Create(ctx, id, sealed); err != nil {
		return nil, fmt.Errorf("privacy: store document key: %w", err)
	}
	return k, nil
}

// DocumentKey returns a document's data key; ErrErased once it was
// destroyed (or if it never existed: a document's key is durable before
// its attachment is recorded).
func (s *KeyStore) DocumentKey(ctx context.Context, id string) ([]byte, error) {
	if !documentKeyID(id) {
		return nil, fmt.Errorf("privacy: %q is not a document key id", id)
	}
	return s.durableKey(ctx, id)
}

// DestroyDocumentKey deletes a document's data key and its history:
// whatever was sealed with it can no longer be read. Destroying twice is
// harmless.
func (s *KeyStore) DestroyDocumentKey(ctx context.Context, id string) error {
	if !documentKeyID(id) {
		return fmt.Errorf("privacy: %q is not a document key id", id)
	}
	if err := s.kv.Purge(ctx, id); err != nil {
		return fmt.Errorf("privacy: destroy document key: %w", err)
	}
	return nil
}

func documentKeyID(id string) bool {
	return strings.HasPrefix(id, documentKeyPrefix) && jetstreamKey(id)
}

// SealDocument encrypts a document's bytes with its data key (AES-256-GCM),
// bound to the key's id so a ciphertext cannot pass for another
// document's.
func SealDocument(dataKey []byte, keyID string, plain []byte) ([]byte, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	return sealWith(aead, plain, []byte("document/"+keyID))
}

// OpenDocument decrypts a sealed document; an altered ciphertext fails.
func OpenDocument(dataKey []byte, keyID string, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	b, err := openWith(aead, sealed, []byte("document/"+keyID))
	if err != nil {
		return nil, fmt.Errorf("privacy: decrypt document: %w", err)
	}
	return b, nil
}
