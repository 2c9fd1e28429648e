package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// DocumentStore keeps documents' bytes (the JetStream object-store bucket
// in production) under a name.
type DocumentStore interface {
	Put(ctx context.Context, name string, data []byte) error
	Get(ctx context.Context, name string) ([]byte, error)
}

// Attachment is an AttachDocument request.
type Attachment struct {
	Kind         petitionseventsv1.DocumentKind
	FileName     string
	Content      []byte
	PersonalData bool
}

// AttachDocument stores a document's bytes, content-addressed by their
// SHA-256, and records the attachment with its hash, size and the media
// type sniffed from the bytes (net/http DetectContentType, never the name
// or the type the client claims). It returns the document's id.
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
	cmd := domain.AttachDocument{ID: id, Kind: a.Kind, FileName: a.FileName, SHA256: digest, Size: int64(len(a.Content)),
		MediaType: media, PersonalData: a.PersonalData, Object: "documents/" + digest}
	stored := false
	pos, err := s.execute(ctx, actor, n, func(st domain.State) (domain.Command, error) {
		// Check the act before storing anything.
		if _, err := domain.Decide(st, cmd, domain.Context{Now: s.Now(), Actor: actor}); err != nil {
			return nil, err
		}
		if !stored {
			if err := s.Documents.Put(ctx, cmd.Object, a.Content); err != nil {
				return nil, fmt.Errorf("store document: %w", err)
			}
			stored = true
		}
		return cmd, nil
	})
	return n, id, pos, err
}

// Document returns an attached document with its bytes, after checking
// them against the SHA-256 its event recorded: bytes that no longer match
// are DOCUMENT_ALTERED, never served as the document.
func (s *Service) Document(ctx context.Context, docName string, pos uint64) (domain.Document, []byte, error) {
	petition, id, ok := strings.Cut(docName, "/documents/")
	if !ok || strings.Contains(id, "/") {
		return domain.Document{}, nil, fault.Field("name", "a document name is {petition}/documents/{document}, got %q", docName)
	}
	n, err := ParseName(petition)
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
	b, err := s.Documents.Get(ctx, d.Object)
	if err != nil {
		return domain.Document{}, nil, fault.New(fault.DataLoss, "DOCUMENT_ALTERED", "the bytes of %s cannot be read back: %v", docName, err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != d.SHA256 || int64(len(b)) != d.Size {
		return domain.Document{}, nil, fault.New(fault.DataLoss, "DOCUMENT_ALTERED", "the stored bytes of %s do not match the SHA-256 recorded when it was attached", docName)
	}
	return d, b, nil
}
