package audit

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"
)

// SavedCheckpoint is the latest signed checkpoint seen in the log, kept in
// a file of the data folder beside it (Checkpointer.SavePath). The
// checkpoints live in the log they certify: a log whose tail was lost has
// lost its latest checkpoint event too, and could not be caught by
// checking the checkpoints it still holds. The file remembers where the
// log reached when it was last certified.
type SavedCheckpoint struct {
	// SignedNote is the checkpoint as signed (see SignCheckpoint).
	SignedNote string `json:"signed_note"`
	// TreeSize and Root are what the note says, for reading at a glance.
	TreeSize int64  `json:"tree_size"`
	Root     string `json:"root"`
	// EventPosition is the position of the checkpoint event in the log and
	// EventHash (hex) that event's stored hash: the log must reach it.
	EventPosition uint64 `json:"event_position"`
	EventHash     string `json:"event_hash"`
}

// RootHash returns the checkpoint's root.
func (s *SavedCheckpoint) RootHash() (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s.Root)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w: saved root %q", ErrMalformedCheckpoint, s.Root)
	}
	copy(h[:], b)
	return h, nil
}

// WriteSavedCheckpoint writes s to path atomically: a temporary file,
// synced, renamed into place, the folder synced.
func WriteSavedCheckpoint(path string, s *SavedCheckpoint) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	f, err := os.CreateTemp(dir, ".checkpoint-*")
	if err != nil {
		return fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename: nothing to remove
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// ReadSavedCheckpoint reads the file at path; it returns nil and no error
// when there is none. With vkey it checks the note's signature, and in any
// case that the note, the size and the root agree.
func ReadSavedCheckpoint(path, vkey string) (*SavedCheckpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: saved checkpoint: %w", err)
	}
	var s SavedCheckpoint
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: saved checkpoint %s: %v", ErrMalformedCheckpoint, path, err)
	}
	var size int64
	var root tlog.Hash
	if vkey != "" {
		_, size, root, err = OpenCheckpoint(s.SignedNote, vkey)
	} else {
		text := s.SignedNote
		if i := indexBlankLine(text); i >= 0 {
			text = text[:i+1]
		}
		_, size, root, err = ParseCheckpointText(text)
	}
	if err != nil {
		return nil, fmt.Errorf("saved checkpoint %s: %w", path, err)
	}
	saved, err := s.RootHash()
	if err != nil {
		return nil, err
	}
	if size != s.TreeSize || root != saved || s.EventPosition <= uint64(size) {
		return nil, fmt.Errorf("%w: saved checkpoint %s: its fields disagree with its signed note", ErrMalformedCheckpoint, path)
	}
	if _, err := hex.DecodeString(s.EventHash); err != nil {
		return nil, fmt.Errorf("%w: saved checkpoint %s: event hash: %v", ErrMalformedCheckpoint, path, err)
	}
	return &s, nil
}

// indexBlankLine returns the index of the newline ending a note's text
// (the one before the blank line), or -1.
func indexBlankLine(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\n' && s[i+1] == '\n' {
			return i
		}
	}
	return -1
}
