package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

var (
	// ErrBadSignature: a checkpoint is not signed by the expected key (a
	// wrong signature, or only signatures by unknown keys).
	ErrBadSignature = errors.New("audit: checkpoint signature does not verify")
	// ErrMalformedCheckpoint: a checkpoint or its note is not well formed.
	ErrMalformedCheckpoint = errors.New("audit: malformed checkpoint")
)

// Wire names of the audit context's events.
const (
	CheckpointType  = "audit.CheckpointRecorded"
	CosignatureType = "audit.CheckpointCosigned"
)

// EventTypes are the audit context's event types, for es.NewRegistry.
var EventTypes = []es.Type{
	{Name: CheckpointType, Version: 1, Sample: &auditeventsv1.CheckpointRecorded{}},
	{Name: CosignatureType, Version: 1, Sample: &auditeventsv1.CheckpointCosigned{}},
}

// validOrigin reports whether origin can name a log and its key: non-empty
// UTF-8 without spaces, control characters or '+'.
func validOrigin(origin string) error {
	if origin == "" || !utf8.ValidString(origin) ||
		strings.IndexFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 ||
		strings.Contains(origin, "+") {
		return fmt.Errorf("audit: origin %q must be non-empty UTF-8 without spaces, control characters or '+'", origin)
	}
	return nil
}

// CheckpointText returns the unsigned checkpoint text
// "<origin>\n<size>\n<base64 root>\n".
func CheckpointText(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// ParseCheckpointText parses an unsigned checkpoint text. Lines after the
// third (C2SP extension lines) are ignored.
func ParseCheckpointText(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return "", 0, root, fmt.Errorf("%w: want origin, size and root lines", ErrMalformedCheckpoint)
	}
	origin = lines[0]
	if validOrigin(origin) != nil {
		return "", 0, root, fmt.Errorf("%w: bad origin line %q", ErrMalformedCheckpoint, origin)
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return "", 0, root, fmt.Errorf("%w: bad tree size line %q", ErrMalformedCheckpoint, lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", 0, root, fmt.Errorf("%w: bad root hash line %q", ErrMalformedCheckpoint, lines[2])
	}
	copy(root[:], h)
	return origin, size, root, nil
}

// SignCheckpoint returns the signed note of the checkpoint of the tree of
// size leaves with root hash root.
func SignCheckpoint(signer note.Signer, origin string, size int64, root tlog.Hash) (string, error) {
	if err := validOrigin(origin); err != nil {
		return "", err
	}
	if size < 0 {
		return "", fmt.Errorf("audit: negative tree size %d", size)
	}
	b, err := note.Sign(&note.Note{Text: CheckpointText(origin, size, root)}, signer)
	if err != nil {
		return "", fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	return string(b), nil
}

// OpenCheckpoint checks that signedNote carries a valid signature by vkey
// (a note verifier key) and returns the checkpoint it holds. It fails with
// ErrBadSignature when no valid signature by vkey is found, with
// ErrMalformedCheckpoint when the note or the checkpoint text is not well
// formed, and with another error when vkey itself is not a verifier key.
func OpenCheckpoint(signedNote, vkey string) (origin string, size int64, root tlog.Hash, err error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", 0, root, fmt.Errorf("audit: public key %q: %w", vkey, err)
	}
	n, err := note.Open([]byte(signedNote), note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return "", 0, root, fmt.Errorf("%w: no signature by key %s+%08x", ErrBadSignature, v.Name(), v.KeyHash())
		case errors.As(err, &invalid):
			return "", 0, root, fmt.Errorf("%w: %v", ErrBadSignature, err)
		default:
			return "", 0, root, fmt.Errorf("%w: %v", ErrMalformedCheckpoint, err)
		}
	}
	return ParseCheckpointText(n.Text)
}
