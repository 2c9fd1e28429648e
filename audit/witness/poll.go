package witness

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

// Poller makes a witness follow a tasharuk service by itself, for a log
// whose council has not (yet) configured the witness: every Interval it
// reads the service's latest checkpoint (GET <URL>/v1/audit/checkpoints)
// and, when it is new, the consistency proof from the size the witness
// cosigned last (GET <URL>/v1/audit/consistencyProofs/{old}?newSize=N),
// and puts both through the same checks as add-checkpoint. Its
// cosignatures stay with the witness (its monitoring API serves them); a
// rewrite is refused, kept as evidence and alarmed exactly as when pushed.
type Poller struct {
	Witness  *Witness
	URL      string
	Interval time.Duration
	HTTP     *http.Client
	Logger   *slog.Logger
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	logger := p.Logger
	if logger == nil {
		logger = slog.Default()
	}
	interval := p.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			level := slog.LevelWarn
			if errors.Is(err, ErrInconsistent) || errors.Is(err, ErrNotSigned) {
				level = slog.LevelError
			}
			logger.Log(ctx, level, "witness: poll", "url", p.URL, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll looks once for a new checkpoint and cosigns it if it is consistent.
func (p *Poller) Poll(ctx context.Context) error {
	base := strings.TrimRight(p.URL, "/")
	var list struct {
		Checkpoints []struct {
			SignedNote string `json:"signedNote"`
		} `json:"checkpoints"`
	}
	if err := p.get(ctx, base+"/v1/audit/checkpoints", &list); err != nil {
		return err
	}
	if len(list.Checkpoints) == 0 {
		return nil
	}
	signed := list.Checkpoints[len(list.Checkpoints)-1].SignedNote
	text, _, _ := strings.Cut(signed, "\n\n")
	origin, size, root, err := audit.ParseCheckpointText(text + "\n")
	if err != nil {
		return err
	}
	cur, err := p.Witness.State.Latest(origin)
	if err != nil {
		return err
	}
	var old int64
	if cur != nil {
		old = cur.TreeSize
		if size < old || size == old && root == cur.root {
			return nil // nothing new (or a replica behind)
		}
	}
	var proof tlog.TreeProof
	if old > 0 && old < size {
		var r struct {
			Proof []string `json:"proof"`
		}
		if err := p.get(ctx, fmt.Sprintf("%s/v1/audit/consistencyProofs/%d?newSize=%d", base, old, size), &r); err != nil {
			return err
		}
		for _, h := range r.Proof {
			b, err := base64.StdEncoding.DecodeString(h)
			if err != nil || len(b) != tlog.HashSize {
				return fmt.Errorf("%w: proof hash %q", ErrMalformed, h)
			}
			proof = append(proof, tlog.Hash(b))
		}
	}
	_, err = p.Witness.AddCheckpoint(Request{OldSize: old, Proof: proof, Checkpoint: []byte(signed)})
	return err
}

func (p *Poller) get(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	hc := p.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(b, v)
}
