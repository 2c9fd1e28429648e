package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

// Target is a witness a log submits its checkpoints to: the URL prefix of
// its add-checkpoint call and its verifier key (audit.NewCosignatureVerifier).
type Target struct {
	URL         string
	VerifierKey string
}

// Name returns the witness's name, from its key.
func (t Target) Name() string { n, _, _ := strings.Cut(t.VerifierKey, "+"); return n }

// ParseTarget reads "URL=KEY" (the --witness flag of serve).
func ParseTarget(s string) (Target, error) {
	u, k, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || !(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
		return Target{}, fmt.Errorf("witness %q: want URL=KEY (http://host:port=name+id+key)", s)
	}
	if _, err := audit.NewCosignatureVerifier(k); err != nil {
		return Target{}, fmt.Errorf("witness %s: %w", u, err)
	}
	return Target{URL: strings.TrimRight(u, "/"), VerifierKey: k}, nil
}

// Client calls one witness.
type Client struct {
	Target Target
	// HTTP is the HTTP client (default: one with a 30-second timeout).
	HTTP *http.Client
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// StatusError is a witness's answer other than 200 and 409.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("witness answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// AddCheckpoint submits signedNote with a consistency proof from oldSize
// and returns the witness's verified cosignature. A 409 comes back as a
// *ConflictError holding the witness's size; other refusals as a
// *StatusError.
func (c *Client) AddCheckpoint(ctx context.Context, oldSize int64, proof tlog.TreeProof, signedNote string) (audit.Cosignature, error) {
	body := FormatRequest(oldSize, proof, signedNote)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Target.URL+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return audit.Cosignature{}, err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return audit.Cosignature{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return audit.Cosignature{}, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		n, err := strconv.ParseInt(strings.TrimSuffix(string(b), "\n"), 10, 64)
		if err != nil || n < 0 {
			return audit.Cosignature{}, fmt.Errorf("witness %s: 409 with a bad size %q", c.Target.URL, b)
		}
		return audit.Cosignature{}, &ConflictError{Size: n}
	default:
		return audit.Cosignature{}, &StatusError{Status: resp.StatusCode, Body: strings.TrimSpace(string(b[:min(len(b), 500)]))}
	}
	lines, err := audit.CosignatureLines(string(b))
	if err != nil {
		return audit.Cosignature{}, fmt.Errorf("witness %s: %w", c.Target.URL, err)
	}
	// Only the cosignatures of the key we trust count (tlog-witness: the
	// client must ignore the others).
	sigs, err := audit.Cosignatures(audit.AddSignatures(signedNote, lines...), []string{c.Target.VerifierKey})
	if err != nil {
		return audit.Cosignature{}, fmt.Errorf("witness %s: %w", c.Target.URL, err)
	}
	if len(sigs) == 0 {
		return audit.Cosignature{}, fmt.Errorf("witness %s: %w: no cosignature by %s in its answer", c.Target.URL, audit.ErrBadSignature, c.Target.Name())
	}
	return sigs[0], nil
}

// Checkpoint fetches the latest checkpoint the witness cosigned for
// origin (the monitoring API), as a note with the witness's cosignature
// and the log's signature; nil when it cosigned none.
func (c *Client) Checkpoint(ctx context.Context, origin string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Target.URL+"/"+OriginHash(origin)+"/checkpoint", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return b, nil
	case http.StatusNotFound:
		return nil, nil
	default:
		return nil, &StatusError{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
}

// IsRefusal reports whether err is the witness refusing a checkpoint (not
// a network failure or a conflict to resolve).
func IsRefusal(err error) bool {
	var s *StatusError
	return errors.As(err, &s) && s.Status >= 400 && s.Status < 500
}
