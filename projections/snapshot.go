package projections

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// snapshot is the snapshot file: the runner's position and recorded times,
// and one section per read model (its own encoding, by its Name).
type snapshot struct {
	Version  int
	Position uint64
	Unknown  int
	Recorded []timeAt
	Sections map[string][]byte
}

// snapshotVersion 6: one section per context read model (issue 15).
// Version 5 (one gob of the single model) is refused, and the models
// rebuilt from the log.
const snapshotVersion = 6

// WriteSnapshot writes the position and every read model's section.
func (r *Runner) WriteSnapshot(w io.Writer) error {
	r.applying.Lock()
	defer r.applying.Unlock()
	r.mu.RLock()
	s := snapshot{Version: snapshotVersion, Position: r.position, Unknown: r.unknown, Recorded: r.recorded, Sections: map[string][]byte{}}
	r.mu.RUnlock()
	for _, m := range r.models {
		b, err := m.Snapshot()
		if err != nil {
			return fmt.Errorf("projections: write snapshot of %s: %w", m.Name(), err)
		}
		s.Sections[m.Name()] = b
	}
	bw := bufio.NewWriter(w)
	if err := gob.NewEncoder(bw).Encode(&s); err != nil {
		return fmt.Errorf("projections: write snapshot: %w", err)
	}
	return bw.Flush()
}

// ReadSnapshot replaces the read models' content with a snapshot's. On an
// error the runner and every model are left empty (to rebuild from zero).
func (r *Runner) ReadSnapshot(rd io.Reader) error {
	var s snapshot
	if err := gob.NewDecoder(bufio.NewReader(rd)).Decode(&s); err != nil {
		return fmt.Errorf("projections: read snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("projections: snapshot version %d, this build reads %d", s.Version, snapshotVersion)
	}
	r.applying.Lock()
	defer r.applying.Unlock()
	for _, m := range r.models {
		b, ok := s.Sections[m.Name()]
		if !ok {
			r.reset()
			return fmt.Errorf("projections: the snapshot has no section for the read model %s", m.Name())
		}
		if err := m.Restore(b); err != nil {
			r.reset()
			return fmt.Errorf("projections: read snapshot of %s: %w", m.Name(), err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.position, r.unknown, r.recorded = s.Position, s.Unknown, s.Recorded
	close(r.advanced)
	r.advanced = make(chan struct{})
	return nil
}

// SaveSnapshot writes a snapshot to path atomically (temporary file,
// fsync, rename).
func (r *Runner) SaveSnapshot(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := r.WriteSnapshot(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadSnapshot reads a snapshot file; a missing file is not an error (the
// models stay empty and are rebuilt from the log).
func (r *Runner) LoadSnapshot(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	return true, r.ReadSnapshot(f)
}

// Digest is a hash of the position and of every read model's content (in
// registration order, each in its canonical order): two runners fed the
// same events have the same digest, however they were built (from zero,
// or from a snapshot and the rest).
func (r *Runner) Digest() string {
	r.applying.Lock()
	defer r.applying.Unlock()
	h := sha256.New()
	enc := json.NewEncoder(h)
	write := func(v any) { _ = enc.Encode(v) }
	write(r.Position())
	for _, m := range r.models {
		if d, ok := m.(Digester); ok {
			d.Digest(write)
		}
	}
	for _, m := range r.models {
		if d, ok := m.(TailDigester); ok {
			d.DigestTail(write)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
