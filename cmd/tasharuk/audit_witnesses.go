package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit/witness"
)

const auditWitnessesLong = `Asks each witness for the latest checkpoint it cosigned for the log (its
monitoring API, GET URL/<hex SHA-256 of the origin>/checkpoint), checks the
log's signature and the witness's cosignature, and compares them two by
two: two checkpoints of one size must have one root, and the smaller tree
must be a prefix of the larger (with --url, the log is asked for the
consistency proof; it cannot give one for a fork). Exits 1 on a fork.
`

// runAuditWitnesses: tasharuk audit witnesses --witness URL=KEY...
// --public-key KEY [--url URL].
func runAuditWitnesses(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit witnesses", stderr)
	var targets listFlag
	fs.Var(&targets, "witness", "a witness: URL=KEY, its address and public key (repeatable, at least 2)")
	pub := fs.String("public-key", "", "the log's checkpoint public key (or @FILE); its name is the log's origin")
	url := fs.String("url", "", "base URL of the log's service, to ask it for consistency proofs between different sizes")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the witnesses and the log")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	key, err := readArg(*pub)
	if err != nil {
		return err
	}
	if key == "" || len(targets) < 2 {
		return usagef("audit witnesses", "give --public-key and at least two --witness URL=KEY")
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return fmt.Errorf("audit witnesses: --public-key: %w", err)
	}
	origin := v.Name()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var views []witness.View
	for _, s := range targets {
		t, err := witness.ParseTarget(s)
		if err != nil {
			return usagef("audit witnesses", "--witness: %v", err)
		}
		c := &witness.Client{Target: t}
		b, err := c.Checkpoint(ctx, origin)
		if err != nil {
			return fmt.Errorf("audit witnesses: %s: %w", t.URL, err)
		}
		if b == nil {
			fmt.Fprintf(stdout, "witness %s has cosigned no checkpoint of %s\n", t.Name(), origin)
			continue
		}
		view, err := witness.OpenView(b, key, t.VerifierKey)
		if err != nil {
			return fmt.Errorf("audit witnesses: the checkpoint %s serves: %w", t.URL, err)
		}
		fmt.Fprintf(stdout, "witness %s cosigned %d events, root %s\n", view.Witness, view.Size, view.Root)
		views = append(views, view)
	}
	var prove func(int64, int64) (tlog.TreeProof, error)
	if *url != "" {
		base := strings.TrimRight(*url, "/")
		prove = func(oldSize, newSize int64) (tlog.TreeProof, error) {
			var p struct {
				Proof []string `json:"proof"`
			}
			if err := getJSON(ctx, fmt.Sprintf("%s/v1/audit/consistencyProofs/%d?newSize=%d", base, oldSize, newSize), &p); err != nil {
				return nil, err
			}
			out := make(tlog.TreeProof, len(p.Proof))
			for i, h := range p.Proof {
				b, err := base64.StdEncoding.DecodeString(h)
				if err != nil || len(b) != tlog.HashSize {
					return nil, fmt.Errorf("proof hash %q", h)
				}
				out[i] = tlog.Hash(b)
			}
			return out, nil
		}
	}
	var forks []error
	for i := range views {
		for j := i + 1; j < len(views); j++ {
			err := witness.Compare(views[i], views[j], prove)
			switch {
			case errors.Is(err, witness.ErrFork):
				fmt.Fprintf(stdout, "FORK %v\n", err)
				forks = append(forks, err)
			case err != nil:
				fmt.Fprintf(stdout, "UNKNOWN %v\n", err)
			}
		}
	}
	if len(forks) > 0 {
		return fmt.Errorf("%w: %d pairs of witnesses hold checkpoints of the log that cannot both be true", errVerifyFailed, len(forks))
	}
	fmt.Fprintln(stdout, "OK: the witnesses' checkpoints are consistent with one another")
	return nil
}
