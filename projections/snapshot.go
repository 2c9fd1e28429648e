package projections

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The snapshot file (version 7, issue 17) is fileMagic, then a gob head
// (version, position, unknown count, the sections' names in order), the
// recorded times in a compact binary form (one per position applied: a
// million at 1 M events, which gob decoded one struct at a time), each
// section's length and bytes, and last a CRC-32C of all that precedes it,
// so a file damaged on disk is refused (the models are then rebuilt from
// the log) instead of taken. The whole file is read once and each model
// restores from its slice of it: no second copy of the sections. Files of
// version 6 (one gob of snapshot) are still read.
const fileMagic = "\x00tasharuk projections snapshot\n"

// fileHead is the gob head of a version 7 file.
type fileHead struct {
	Version  int
	Position uint64
	Unknown  int
	Sections []string
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// snapshot is the snapshot file of version 6: the runner's position and
// recorded times, and one section per read model (its own encoding, by its
// Name), in one gob.
type snapshot struct {
	Version  int
	Position uint64
	Unknown  int
	Recorded []timeAt
	Sections map[string][]byte
}

// snapshotVersion 7: the file above (issue 17). Version 6 (one section per
// context read model, issue 15, in one gob) is still read; version 5 (one
// gob of the single model) is refused, and the models rebuilt from the
// log.
const (
	snapshotVersion = 7
	gobVersion      = 6
)

// WriteSnapshot writes the position and every read model's section.
func (r *Runner) WriteSnapshot(w io.Writer) error {
	r.applying.Lock()
	defer r.applying.Unlock()
	r.mu.RLock()
	h := fileHead{Version: snapshotVersion, Position: r.position, Unknown: r.unknown}
	recorded := r.recorded
	r.mu.RUnlock()
	sections := make([][]byte, len(r.models))
	for i, m := range r.models {
		b, err := m.Snapshot()
		if err != nil {
			return fmt.Errorf("projections: write snapshot of %s: %w", m.Name(), err)
		}
		h.Sections = append(h.Sections, m.Name())
		sections[i] = b
	}
	var head bytes.Buffer
	if err := gob.NewEncoder(&head).Encode(&h); err != nil {
		return fmt.Errorf("projections: write snapshot: %w", err)
	}
	crc := crc32.New(crcTable)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<20)
	var buf []byte
	buf = append(buf, fileMagic...)
	buf = binary.AppendUvarint(buf, uint64(head.Len()))
	buf = append(buf, head.Bytes()...)
	buf = binary.AppendUvarint(buf, uint64(len(recorded)))
	var pos uint64
	var at int64
	for _, t := range recorded {
		buf = binary.AppendUvarint(buf, t.Position-pos)
		buf = binary.AppendVarint(buf, t.MaxNanos-at)
		pos, at = t.Position, t.MaxNanos
		if len(buf) > 1<<16 {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	for _, b := range sections {
		if _, err := bw.Write(binary.AppendUvarint(nil, uint64(len(b)))); err != nil {
			return err
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// ReadSnapshot replaces the read models' content with a snapshot's. On an
// error the runner and every model are left empty (to rebuild from zero).
func (r *Runner) ReadSnapshot(rd io.Reader) error {
	data, err := io.ReadAll(rd)
	if err != nil {
		return fmt.Errorf("projections: read snapshot: %w", err)
	}
	return r.readSnapshot(data)
}

// errDamaged: the snapshot file is cut short or does not match its CRC.
var errDamaged = errors.New("projections: the snapshot file is damaged (cut short, or its CRC does not match)")

func (r *Runner) readSnapshot(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(fileMagic))
	if !ok {
		return r.readGobSnapshot(data)
	}
	if len(rest) < 4 || crc32.Checksum(data[:len(data)-4], crcTable) != binary.BigEndian.Uint32(data[len(data)-4:]) {
		return errDamaged
	}
	rest = rest[:len(rest)-4]
	next := func() uint64 {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			rest = nil
			return 0
		}
		rest = rest[n:]
		return v
	}
	hl := next()
	if hl == 0 || hl > uint64(len(rest)) {
		return errDamaged
	}
	var h fileHead
	if err := gob.NewDecoder(bytes.NewReader(rest[:hl])).Decode(&h); err != nil {
		return fmt.Errorf("projections: read snapshot: %w", err)
	}
	rest = rest[hl:]
	if h.Version != snapshotVersion {
		return fmt.Errorf("projections: snapshot version %d, this build reads %d", h.Version, snapshotVersion)
	}
	n := next()
	if n > uint64(len(rest)/2) {
		return errDamaged
	}
	recorded := make([]timeAt, n)
	var pos uint64
	var at int64
	for i := range recorded {
		pos += next()
		d, k := binary.Varint(rest)
		if k <= 0 {
			return errDamaged
		}
		rest = rest[k:]
		at += d
		recorded[i] = timeAt{Position: pos, MaxNanos: at}
	}
	sections := make(map[string][]byte, len(h.Sections))
	for _, name := range h.Sections {
		l := next()
		if l > uint64(len(rest)) {
			return errDamaged
		}
		sections[name], rest = rest[:l:l], rest[l:]
	}
	if len(rest) != 0 {
		return errDamaged
	}
	return r.restore(h.Position, h.Unknown, recorded, sections)
}

// readGobSnapshot reads a snapshot of version 6 (or refuses an older one).
func (r *Runner) readGobSnapshot(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("projections: read snapshot: %w", err)
	}
	if s.Version != gobVersion {
		return fmt.Errorf("projections: snapshot version %d, this build reads %d (and %d)", s.Version, snapshotVersion, gobVersion)
	}
	return r.restore(s.Position, s.Unknown, s.Recorded, s.Sections)
}

// restore gives every model its section and takes the runner's position.
func (r *Runner) restore(position uint64, unknown int, recorded []timeAt, sections map[string][]byte) error {
	r.applying.Lock()
	defer r.applying.Unlock()
	for _, m := range r.models {
		b, ok := sections[m.Name()]
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
	r.position, r.unknown, r.recorded = position, unknown, recorded
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
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, r.readSnapshot(data)
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
