package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
)

const auditDocumentLong = `Checks a document (as downloaded with GetDocument or from the documents
bucket) against the log: its SHA-256 and size must be those a
petitions.PetitionDocumentAttached event of the export recorded. Run audit
verify on the export first: it proves the events themselves unchanged, so
a match here proves the document unchanged since it was attached.
`

// runAuditDocument checks a document file against an export's events.
func runAuditDocument(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit document", stderr)
	export := fs.String("export", "", "the export (JSON Lines, from audit export) whose events to check against (required)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *export == "" {
		return usagef("audit document", "give one document FILE and --export EXPORT")
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("audit document: %w", err)
	}
	sum := sha256.Sum256(b)
	digest := hex.EncodeToString(sum[:])
	f, err := os.Open(*export)
	if err != nil {
		return fmt.Errorf("audit document: %w", err)
	}
	defer f.Close()
	reg := newRegistry()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var line struct {
			Kind     string `json:"kind"`
			Envelope struct {
				EventID  string `json:"event_id"`
				StreamID string `json:"stream_id"`
				Type     string `json:"type"`
				Version  uint32 `json:"schema_version"`
				Payload  string `json:"payload"`
				Recorded string `json:"recorded_at"`
			} `json:"envelope"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Envelope.Type != "petitions.PetitionDocumentAttached" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line.Envelope.Payload)
		if err != nil {
			return fmt.Errorf("audit document: event %s: %w", line.Envelope.EventID, err)
		}
		m, err := reg.Decode(line.Envelope.Type, line.Envelope.Version, raw)
		if err != nil {
			return fmt.Errorf("audit document: event %s: %w", line.Envelope.EventID, err)
		}
		d, ok := m.(*petitionseventsv1.PetitionDocumentAttached)
		if !ok || d.GetSha256() != digest {
			continue
		}
		if d.GetSize() != int64(len(b)) {
			return fmt.Errorf("audit document: %s has the SHA-256 of document %s but %d bytes, not %d", pos[0], d.GetDocumentId(), len(b), d.GetSize())
		}
		fmt.Fprintf(stdout, "OK: %s is document %s (%s, %s, %d bytes) attached by event %s on stream %s at %s\n",
			pos[0], d.GetDocumentId(), d.GetKind(), d.GetMediaType(), d.GetSize(), line.Envelope.EventID, line.Envelope.StreamID, line.Envelope.Recorded)
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("audit document: %w", err)
	}
	return fmt.Errorf("audit document: no event of the export attaches a document with SHA-256 %s: the file was altered, or is not an attached document", digest)
}
