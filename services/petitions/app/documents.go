package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// DocumentStore keeps documents' bytes (the JetStream object-store bucket
// in production) under a name.
type DocumentStore interface {
	Put(ctx context.Context, name string, data []byte) error
	Get(ctx context.Context, name string) ([]byte, error)
	// Delete removes an object; a missing one is not an error.
	Delete(ctx context.Context, name string) error
}

// DocumentKeys keeps the data keys that seal documents with personal data
// (privacy.KeyStore), one per document.
type DocumentKeys interface {
	NewDocumentKey(ctx context.Context, id string) ([]byte, error)
	// DocumentKey returns a document's key; privacy.ErrErased once
	// destroyed.
	DocumentKey(ctx context.Context, id string) ([]byte, error)
	DestroyDocumentKey(ctx context.Context, id string) error
}

// Attachment is an AttachDocument request.
type Attachment struct {
	Kind         petitionseventsv1.DocumentKind
	FileName     string
	Content      []byte
	PersonalData bool
	// RequestID, if given, is the document's id: a retry of the same
	// request attaches nothing more.
	RequestID string
}

// errAttached: the request was already carried out (a retry).
var errAttached = errors.New("document already attached by this request")

// AttachDocument stores a document's bytes, content-addressed by their
// SHA-256, and records the attachment with its hash, size and the media
// type sniffed from the bytes (net/http DetectContentType, never the name
// or the type the client claims). A document with personal data is stored
// sealed instead, with a data key of its own, under an object of its own;
// its event still records the hash and size of the plain bytes. It
// returns the document's id.
func (s *Service) AttachDocument(ctx context.Context, actor eventstore.Actor, name string, a Attachment) (Name, string, uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return Name{}, "", 0, err
	}
	if s.Documents == nil {
		return Name{}, "", 0, fault.New(fault.Unavailable, "STORE_UNAVAILABLE", "no document store is configured")
	}
	if len(a.Content) == 0 {
		return Name{}, "", 0, fault.Field("content", "the document is empty")
	}
	if len(a.Content) > domain.MaxDocumentBytes {
		return Name{}, "", 0, fault.New(fault.Invalid, "DOCUMENT_TOO_LARGE", "%d bytes, at most %d", len(a.Content), domain.MaxDocumentBytes)
	}
	media := http.DetectContentType(a.Content)
	if !slices.Contains(domain.DocumentTypes, media) {
		return Name{}, "", 0, fault.New(fault.Invalid, "DOCUMENT_TYPE_REFUSED", "the bytes are %s; accepted: %s", media, strings.Join(domain.DocumentTypes, ", "))
	}
	sum := sha256.Sum256(a.Content)
	digest := hex.EncodeToString(sum[:])
	id := uuid.Must(uuid.NewV7()).String()
	if a.RequestID != "" {
		if u, err := uuid.Parse(a.RequestID); err != nil || u.String() != a.RequestID {
			return Name{}, "", 0, fault.Field("request_id", "a lower-case UUID")
		}
		id = a.RequestID
	}
	// A signature sheet or a proof of residence holds personal data
	// whatever the attacher says.
	personal := a.PersonalData || slices.Contains(domain.PersonalKinds, a.Kind)
	cmd := domain.AttachDocument{ID: id, Kind: a.Kind, FileName: a.FileName, SHA256: digest, Size: int64(len(a.Content)),
		MediaType: media, PersonalData: personal, Object: "documents/" + digest}
	content := a.Content
	if personal {
		// Sealed with a key of its own, under an object of its own (not
		// content-addressed: erasing it must not delete another
		// document's bytes, and its name must not reveal the hash of the
		// plain bytes to whoever lists the bucket).
		if s.DocumentKeys == nil {
			return Name{}, "", 0, fault.New(fault.Unavailable, "STORE_UNAVAILABLE", "no key store is configured for documents with personal data")
		}
		cmd.Sealed, cmd.KeyID = true, privacy.DocumentKeyID(n.Code, n.ID, id)
		cmd.Object = "sealed/" + n.Code + "/" + n.ID + "/" + id
	}
	stored, keyMade := false, false
	pos, err := s.executeAlone(ctx, actor, n, func(st domain.State) (domain.Command, error) {
		if d, ok := st.DocumentByID(id); ok && a.RequestID != "" && st.Council == n.Council {
			// The same caller sending the same document again: done
			// already. Anything else under that id is refused below
			// (DOCUMENT_EXISTS), never overwritten.
			if d.AttachedBy == actor.Subject && actor.Subject != "" && d.SHA256 == digest && d.Kind == a.Kind && d.PersonalData == personal && !d.Erased {
				return nil, errAttached
			}
		}
		// Check the act before storing anything.
		if err := s.decideOn(st, n, cmd, actor); err != nil {
			return nil, err
		}
		if cmd.Sealed && !keyMade {
			// The key is durable before anything sealed with it is.
			key, err := s.DocumentKeys.NewDocumentKey(ctx, cmd.KeyID)
			if err != nil {
				return nil, fmt.Errorf("document key: %w", err)
			}
			keyMade = true
			if content, err = privacy.SealDocument(key, cmd.KeyID, a.Content); err != nil {
				return nil, err
			}
		}
		if !stored {
			if err := s.Documents.Put(ctx, cmd.Object, content); err != nil {
				return nil, fmt.Errorf("store document: %w", err)
			}
			stored = true
		}
		return cmd, nil
	})
	if kind, _, ok := fault.Classify(err); ok && kind != fault.Unavailable && keyMade {
		// Refused after all (someone wrote first and the act no longer
		// fits): nothing sealed with the key is recorded. (Not on other
		// errors: the attachment may have been recorded all the same.)
		s.discardSealed(cmd)
	}
	if errors.Is(err, errAttached) {
		// Read at the log's head, which holds the first attachment.
		head, err := s.Store.LastPosition(ctx)
		return n, id, head, err
	}
	return n, id, pos, err
}

// discardSealed destroys the key and object of a sealed document whose
// attachment was not recorded.
func (s *Service) discardSealed(cmd domain.AttachDocument) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.DocumentKeys.DestroyDocumentKey(ctx, cmd.KeyID); err != nil {
		slog.Warn("petitions: could not destroy the key of a document not attached", "key_id", cmd.KeyID, "err", err)
	}
	if err := s.Documents.Delete(ctx, cmd.Object); err != nil {
		slog.Warn("petitions: could not delete a document not attached", "object", cmd.Object, "err", err)
	}
}

// Document returns an attached document with its bytes, after checking
// them against the SHA-256 its event recorded: bytes that no longer match
// are DOCUMENT_ALTERED, never served as the document.
func (s *Service) Document(ctx context.Context, docName string, pos uint64) (domain.Document, []byte, error) {
	n, id, err := ParseDocumentName(docName)
	if err != nil {
		return domain.Document{}, nil, err
	}
	p, err := s.Petition(ctx, n, pos)
	if err != nil {
		return domain.Document{}, nil, err
	}
	d, ok := p.State.DocumentByID(id)
	if !ok {
		return domain.Document{}, nil, fault.New(fault.NotFound, "DOCUMENT_NOT_FOUND", "no document %s", docName)
	}
	if s.Documents == nil {
		return domain.Document{}, nil, fault.New(fault.Unavailable, "STORE_UNAVAILABLE", "no document store is configured")
	}
	if d.Erased {
		return domain.Document{}, nil, erased(docName, d)
	}
	var key []byte
	if d.Sealed {
		if s.DocumentKeys == nil {
			return domain.Document{}, nil, fault.New(fault.Unavailable, "STORE_UNAVAILABLE", "no key store is configured for documents with personal data")
		}
		if key, err = s.DocumentKeys.DocumentKey(ctx, d.KeyID); errors.Is(err, privacy.ErrErased) {
			// Erased, and the erasure not yet recorded (or not yet read).
			return domain.Document{}, nil, erased(docName, d)
		} else if err != nil {
			return domain.Document{}, nil, err
		}
	}
	b, err := s.Documents.Get(ctx, d.Object)
	if err != nil {
		return domain.Document{}, nil, fault.New(fault.DataLoss, "DOCUMENT_ALTERED", "the bytes of %s cannot be read back: %v", docName, err)
	}
	if d.Sealed {
		if b, err = privacy.OpenDocument(key, d.KeyID, b); err != nil {
			return domain.Document{}, nil, fault.New(fault.DataLoss, "DOCUMENT_ALTERED", "the sealed bytes of %s do not open with its key: they were altered", docName)
		}
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != d.SHA256 || int64(len(b)) != d.Size {
		return domain.Document{}, nil, fault.New(fault.DataLoss, "DOCUMENT_ALTERED", "the stored bytes of %s do not match the SHA-256 recorded when it was attached", docName)
	}
	return d, b, nil
}

func erased(docName string, d domain.Document) error {
	return fault.New(fault.FailedPrecondition, domain.ReasonDocumentErased,
		"document %s (%s) was erased at a person's request: its bytes are gone; the log keeps only its SHA-256", docName, domain.StateKindName(d.Kind))
}

// ParseDocumentName splits "{petition}/documents/{document}".
func ParseDocumentName(docName string) (Name, string, error) {
	petition, id, ok := strings.Cut(docName, "/documents/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return Name{}, "", fault.Field("name", "a document name is {petition}/documents/{document}, got %q", docName)
	}
	n, err := ParseName(petition)
	return n, id, err
}

// EraseDocument erases a sealed document at a person's request: its data
// key is destroyed and its object deleted first (then nothing can read it
// even if recording fails; a retry records it), then PetitionDocumentErased
// is recorded on the petition's stream, with no personal data. The
// attaching event stays, so the log still verifies.
func (s *Service) EraseDocument(ctx context.Context, actor eventstore.Actor, docName string) (domain.Document, uint64, error) {
	n, id, err := ParseDocumentName(docName)
	if err != nil {
		return domain.Document{}, 0, err
	}
	if s.Documents == nil || s.DocumentKeys == nil {
		return domain.Document{}, 0, fault.New(fault.Unavailable, "STORE_UNAVAILABLE", "no document or key store is configured")
	}
	var doc domain.Document
	pos, err := s.executeAlone(ctx, actor, n, func(st domain.State) (domain.Command, error) {
		cmd := domain.EraseDocument{ID: id}
		if err := s.decideOn(st, n, cmd, actor); err != nil {
			return nil, err
		}
		doc, _ = st.DocumentByID(id)
		if err := s.DocumentKeys.DestroyDocumentKey(ctx, doc.KeyID); err != nil {
			return nil, err
		}
		if err := s.Documents.Delete(ctx, doc.Object); err != nil {
			return nil, fmt.Errorf("delete document: %w", err)
		}
		return cmd, nil
	})
	return doc, pos, err
}

// decideOn checks a command against a petition's state as execute would,
// before anything outside the log is touched.
func (s *Service) decideOn(st domain.State, n Name, cmd domain.Command, actor eventstore.Actor) error {
	if st.Exists && st.Council != n.Council {
		return notFound(n)
	}
	_, err := domain.Decide(st, cmd, domain.Context{Now: s.Now(), Actor: actor})
	return err
}

// streamState folds a petition's own stream (read-your-writes, unlike the
// read model); a petition of another council is PETITION_NOT_FOUND.
func (s *Service) streamState(ctx context.Context, n Name) (domain.State, error) {
	evs, err := s.Store.ReadStream(ctx, n.StreamID(), 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return domain.State{}, notFound(n)
	} else if err != nil {
		return domain.State{}, err
	}
	var st domain.State
	for i := range evs {
		p, err := s.Registry.DecodeEvent(&evs[i])
		if err != nil {
			return domain.State{}, err
		}
		st = domain.Evolve(st, es.RecordedFrom(&evs[i], p))
	}
	if !st.Exists || st.Council != n.Council {
		return domain.State{}, notFound(n)
	}
	return st, nil
}
