// Package keyfile is the one way tasharuk loads, or creates on first start,
// a key kept in a file: the token-signing key (access), the checkpoint key
// and its public half (audit) and the master key (privacy).
//
// Several processes may start together on one keys folder (a first
// deployment, a cluster's nodes on shared storage, a command run beside
// the service). All of them must end up with the same key, and none may
// ever read half a key. So a key is created whole in a temporary file of
// the same folder, synced, and hard-linked to its name: os.Link fails if the
// name exists, so exactly one process wins and every other one reads the
// winner's file, which is whole from the moment it has a name. A file that
// is there but does not hold a valid key (half written by an older
// version, the wrong size, edited by hand) is an error, never replaced: a
// new key would silently orphan what the old one signed or sealed.
package keyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File describes one key file.
type File struct {
	// Path is the file's name; its folder is created (mode 0700) if need be.
	Path string
	// Mode is the file's permission bits; 0600 when zero. (Only a public
	// key, meant to be handed out, is readable by others.)
	Mode fs.FileMode
	// New returns the contents of a new key file. It may be called by a
	// process that then loses the race and discards what it made.
	New func() ([]byte, error)
	// Check says whether contents read from Path (or made by New) are a
	// valid key; its error is returned wrapped in the path.
	Check func([]byte) error
}

// ErrInvalid marks a key file that exists but does not hold a valid key.
var ErrInvalid = errors.New("not a valid key file")

// Load reads and checks f.Path. It fails with an error matching
// fs.ErrNotExist when there is no such file, and one matching ErrInvalid
// when the file does not pass f.Check.
func (f File) Load() ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	if err := f.check(b); err != nil {
		return nil, err
	}
	return b, nil
}

func (f File) check(b []byte) error {
	if f.Check == nil {
		return nil
	}
	if err := f.Check(b); err != nil {
		return fmt.Errorf("%s: %w: %w", f.Path, ErrInvalid, err)
	}
	return nil
}

// LoadOrCreate returns the contents of f.Path, creating the file with
// f.New first if it does not exist. Callers racing on one path, in one
// process or several, all get the same contents.
func (f File) LoadOrCreate() ([]byte, error) {
	b, err := f.Load()
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	dir := filepath.Dir(f.Path)
	if err := mkdir(dir); err != nil {
		return nil, err
	}
	b, err = f.New()
	if err != nil {
		return nil, fmt.Errorf("%s: new key: %w", f.Path, err)
	}
	if err := f.check(b); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	won, err := f.link(dir, b)
	if err != nil {
		return nil, err
	}
	if !won {
		// Another caller created it first: its file is whole (it had no
		// name before it was), so read that one.
		if b, err = f.Load(); err != nil {
			return nil, err
		}
	}
	// Make the name durable before the key is used, whoever linked it: a
	// key that signs or seals something must still be there after a crash.
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return b, nil
}

// mkdir creates dir (and its parents) with mode 0700, whatever the umask;
// a folder that exists keeps the mode its operator gave it.
func mkdir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("key folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("key folder: %w", err)
	}
	return nil
}

// link writes b to a temporary file in dir, syncs it and links it to
// f.Path; won is false when f.Path already existed.
func (f File) link(dir string, b []byte) (won bool, err error) {
	mode := f.Mode
	if mode == 0 {
		mode = 0o600
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+"-*.tmp")
	if err != nil {
		return false, fmt.Errorf("write key: %w", err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(b)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("write key %s: %w", f.Path, err)
	}
	if err := os.Link(name, f.Path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("write key: %w", err)
	}
	return true, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync key folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync key folder: %w", err)
	}
	return nil
}
