package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/audit"
)

// runAuditCheckpoint: tasharuk audit checkpoint [--url URL | --data-dir
// DIR] [--out FILE] saves the latest signed checkpoint, checked, as the
// signed note audit verify --checkpoint @FILE reads.
func runAuditCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit checkpoint", stderr)
	url := fs.String("url", "", "base URL of a running service (http://host:8080): read its checkpoints over HTTP instead of the data folder")
	out := fs.String("out", "-", "file to write the signed checkpoint to; - for standard output")
	pub := fs.String("public-key", "", "the log's public key (or @FILE) to check the checkpoint against (default: <keys-dir>/checkpoint.pub, or with --url the service's)")
	var dataDir, keysFlag string
	registerDirs(fs, &dataDir, &keysFlag, "embedded mode: the service's data folder, where it keeps its latest checkpoint (read only)")
	stream := fs.String("stream", "TASHARUK_LOG", "JetStream stream that holds the log")
	timeout := fs.Duration("timeout", 30*time.Second, "with --url: how long to wait for the service")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("audit checkpoint", "unexpected argument %q", fs.Arg(0))
	}
	key, err := readArg(*pub)
	if err != nil {
		return err
	}
	if key == "" {
		k, err := keysDir(keysFlag, dataDir)
		if err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		b, err := os.ReadFile(filepath.Join(k, audit.PublicKeyFile))
		switch {
		case err == nil:
			key = strings.TrimSpace(string(b))
		case *url == "":
			return fmt.Errorf("audit checkpoint: the log's public key: %w (give --public-key)", err)
		}
	}

	var note, from string
	if *url != "" {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		base := strings.TrimRight(*url, "/")
		if key == "" {
			// Checked against the key the service itself serves: that
			// proves the note whole, not who signed it.
			var pk struct {
				VerifierKey string `json:"verifierKey"`
			}
			if err := getJSON(ctx, base+"/v1/audit/publicKey", &pk); err != nil {
				return fmt.Errorf("audit checkpoint: %w", err)
			}
			key = pk.VerifierKey
			fmt.Fprintln(stderr, "audit checkpoint: checked against the service's own public key; pass --public-key to check it against the one you hold")
		}
		var list struct {
			Checkpoints []struct {
				SignedNote string `json:"signedNote"`
			} `json:"checkpoints"`
		}
		if err := getJSON(ctx, base+"/v1/audit/checkpoints", &list); err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		if len(list.Checkpoints) == 0 {
			return fmt.Errorf("audit checkpoint: %s has signed no checkpoint yet (one is signed every --checkpoint-every events or --checkpoint-interval)", base)
		}
		note, from = list.Checkpoints[len(list.Checkpoints)-1].SignedNote, base
	} else {
		sc := storeConfig{DataDir: dataDir, Stream: *stream}
		if err := sc.requireLog(false); err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		path := savedCheckpointPath(sc, "nats")
		s, err := audit.ReadSavedCheckpoint(path, key)
		if err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		if s == nil {
			return fmt.Errorf("audit checkpoint: no checkpoint saved in %s yet (the service saves each one it signs)", path)
		}
		note, from = s.SignedNote, path
	}
	note = strings.TrimSpace(note) + "\n"
	_, size, root, err := audit.OpenCheckpoint(note, key)
	if err != nil {
		return fmt.Errorf("audit checkpoint: the checkpoint from %s does not verify: %w", from, err)
	}
	if *out == "-" {
		if _, err := io.WriteString(stdout, note); err != nil {
			return err
		}
	} else if err := writeFileSynced(*out, []byte(note)); err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	dest := *out
	if dest == "-" {
		dest = "standard output"
	}
	fmt.Fprintf(stderr, "saved the signed checkpoint of %d events (root %s) from %s to %s\n", size, root, from, dest)
	return nil
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body[:min(len(body), 300)])))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// writeFileSynced writes a small file whole and syncs it.
func writeFileSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
