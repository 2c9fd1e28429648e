package witness

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/internal/kernel/keyfile"
)

// State is a witness's state folder:
//
//	witness.key, witness.pub   its key (LoadOrCreateKey)
//	logs/<origin hash>.json    the latest checkpoint cosigned for each log
//	evidence/<origin hash>-<time>.json   each refused inconsistent checkpoint,
//	                                     with the cosigned one it contradicts
//	lock                       held while a witness process uses the folder
//
// Every file is written whole (a temporary file, synced, renamed, the
// folder synced), so a crash leaves the old state or the new one, never
// half of either; the state is written before the cosignature is returned.
type State struct {
	Dir  string
	lock *os.File
}

// OpenState opens (creating it if need be) the state folder dir and locks
// it: a second witness on the same folder could cosign two forks.
func OpenState(dir string) (*State, error) {
	for _, d := range []string{dir, filepath.Join(dir, "logs"), filepath.Join(dir, "evidence")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("witness: state folder: %w", err)
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("witness: state folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("witness: state folder %s is in use by another witness: %w", dir, err)
	}
	return &State{Dir: dir, lock: f}, nil
}

// Close releases the folder.
func (s *State) Close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// LoadOrCreateKey returns the witness's signer and verifier key, kept in
// the state folder (or at keyPath if not empty), creating a key named name
// on first use; a stored key named otherwise is refused.
func (s *State) LoadOrCreateKey(keyPath, name string) (note.Signer, string, error) {
	if keyPath == "" {
		keyPath = filepath.Join(s.Dir, audit.WitnessKeyFile)
	}
	b, err := keyfile.File{
		Path: keyPath,
		New: func() ([]byte, error) {
			skey, _, err := audit.GenerateWitnessKey(name)
			return []byte(skey + "\n"), err
		},
		Check: func(b []byte) error {
			_, _, err := audit.NewWitnessSigner(string(b))
			return err
		},
	}.LoadOrCreate()
	if err != nil {
		return nil, "", fmt.Errorf("witness: key: %w", err)
	}
	sg, vkey, err := audit.NewWitnessSigner(string(b))
	if err != nil {
		return nil, "", err
	}
	if name != "" && sg.Name() != name {
		return nil, "", fmt.Errorf("witness: %s is the key of %q, not %q", keyPath, sg.Name(), name)
	}
	_, err = keyfile.File{
		Path: filepath.Join(s.Dir, audit.WitnessPublicKeyFile),
		Mode: 0o644,
		New:  func() ([]byte, error) { return []byte(vkey + "\n"), nil },
		Check: func(b []byte) error {
			if strings.TrimSpace(string(b)) != vkey {
				return errors.New("not the public key of the witness key")
			}
			return nil
		},
	}.LoadOrCreate()
	if err != nil {
		return nil, "", fmt.Errorf("witness: public key: %w", err)
	}
	return sg, vkey, nil
}

// Cosigned is the latest checkpoint a witness cosigned for one log.
type Cosigned struct {
	Origin   string `json:"origin"`
	TreeSize int64  `json:"tree_size"`
	Root     string `json:"root"`
	// Checkpoint is the signed note as the log submitted it, Cosignature
	// the witness's signature line on it.
	Checkpoint  string    `json:"checkpoint"`
	Cosignature string    `json:"cosignature"`
	CosignedAt  time.Time `json:"cosigned_at"`

	root tlog.Hash
}

// CosignedNote is the checkpoint with the witness's cosignature added.
func (c *Cosigned) CosignedNote() string { return audit.AddSignatures(c.Checkpoint, c.Cosignature) }

func (s *State) logPath(origin string) string {
	return filepath.Join(s.Dir, "logs", OriginHash(origin)+".json")
}

// Latest returns the latest checkpoint cosigned for origin, nil if none.
func (s *State) Latest(origin string) (*Cosigned, error) {
	b, err := os.ReadFile(s.logPath(origin))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: state: %w", err)
	}
	var c Cosigned
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("witness: state of %s: %w", origin, err)
	}
	h, err := base64.StdEncoding.DecodeString(c.Root)
	if err != nil || len(h) != tlog.HashSize || c.Origin != origin {
		return nil, fmt.Errorf("witness: state of %s is damaged", origin)
	}
	copy(c.root[:], h)
	return &c, nil
}

// Record makes a cosigned checkpoint the latest of its log.
func (s *State) Record(origin string, size int64, root tlog.Hash, checkpoint, cosignature string) error {
	c := Cosigned{Origin: origin, TreeSize: size, Root: root.String(), Checkpoint: checkpoint, Cosignature: cosignature,
		CosignedAt: time.Now().UTC()}
	return writeJSON(s.logPath(origin), c)
}

// Evidence is a refused checkpoint and the cosigned one it contradicts:
// both are signed by the log's key, so together they prove the log showed
// two histories that cannot both be true.
type Evidence struct {
	Origin string    `json:"origin"`
	Reason string    `json:"reason"`
	SeenAt time.Time `json:"seen_at"`
	// Cosigned is the witness's latest cosigned checkpoint then.
	Cosigned *Cosigned `json:"cosigned"`
	// Refused is the add-checkpoint request as received: old size, proof
	// and the signed checkpoint.
	RefusedOldSize    int64    `json:"refused_old_size"`
	RefusedProof      []string `json:"refused_proof"`
	RefusedCheckpoint string   `json:"refused_checkpoint"`
}

// KeepEvidence writes an evidence file and returns its path.
func (s *State) KeepEvidence(origin, reason string, cosigned *Cosigned, r Request) (string, error) {
	now := time.Now().UTC()
	e := Evidence{Origin: origin, Reason: reason, SeenAt: now, Cosigned: cosigned, RefusedOldSize: r.OldSize,
		RefusedCheckpoint: string(r.Checkpoint)}
	for _, h := range r.Proof {
		e.RefusedProof = append(e.RefusedProof, base64.StdEncoding.EncodeToString(h[:]))
	}
	path := filepath.Join(s.Dir, "evidence", fmt.Sprintf("%s-%s.json", OriginHash(origin)[:16], now.Format("20060102T150405.000000000Z")))
	return path, writeJSON(path, e)
}

// EvidenceFiles lists the evidence files, oldest first.
func (s *State) EvidenceFiles() ([]string, error) {
	return filepath.Glob(filepath.Join(s.Dir, "evidence", "*.json"))
}

// ReadEvidence reads an evidence file.
func ReadEvidence(path string) (*Evidence, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e Evidence
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("witness: evidence %s: %w", path, err)
	}
	return &e, nil
}

// writeJSON writes v to path atomically and durably.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename: nothing to remove
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("witness: state: sync %s: %w", dir, err)
	}
	return nil
}
