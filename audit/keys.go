package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// ErrKeyMismatch: a stored signing key does not fit what is asked of it.
var ErrKeyMismatch = errors.New("audit: stored checkpoint key does not match")

// Key file names under <dir>/keys.
const (
	KeyFile       = "checkpoint.key"
	PublicKeyFile = "checkpoint.pub"
)

// GenerateKey returns a new Ed25519 note signing key (skey) and its verifier
// key (vkey), both named origin (golang.org/x/mod/sumdb/note formats).
func GenerateKey(origin string) (skey, vkey string, err error) {
	if err := validOrigin(origin); err != nil {
		return "", "", err
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("audit: generate key %q: %w", origin, err)
	}
	return skey, vkey, nil
}

// verifierKey derives the verifier key of an Ed25519 signer key
// ("PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>").
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("audit: not a note signer key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 1 {
		return "", errors.New("audit: not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// LoadOrCreateKey returns the checkpoint signer kept in <dir>/keys, creating
// it on first use: <dir>/keys/checkpoint.key (mode 0600) holds the signer key,
// <dir>/keys/checkpoint.pub (mode 0644) the verifier key to give auditors;
// folders it creates get mode 0700. A stored key named other than origin is
// refused with ErrKeyMismatch, as is a checkpoint.pub that is not the stored
// key's (a missing checkpoint.pub is written again).
func LoadOrCreateKey(dir, origin string) (note.Signer, string, error) {
	kdir := filepath.Join(dir, "keys")
	if _, err := os.Stat(kdir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(kdir, 0o700); err != nil {
			return nil, "", fmt.Errorf("audit: key folder: %w", err)
		}
		if err := os.Chmod(kdir, 0o700); err != nil {
			return nil, "", fmt.Errorf("audit: key folder: %w", err)
		}
	}
	keyPath := filepath.Join(kdir, KeyFile)
	pubPath := filepath.Join(kdir, PublicKeyFile)

	b, err := os.ReadFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		skey, vkey, err := GenerateKey(origin)
		if err != nil {
			return nil, "", err
		}
		created, err := createExclusive(kdir, keyPath, []byte(skey+"\n"), 0o600)
		if err != nil {
			return nil, "", err
		}
		if created {
			if err := writeReplace(kdir, pubPath, []byte(vkey+"\n"), 0o644); err != nil {
				return nil, "", err
			}
			s, err := note.NewSigner(skey)
			if err != nil {
				return nil, "", fmt.Errorf("audit: new key: %w", err)
			}
			return s, vkey, nil
		}
		// Another process created the key first: use its key.
		b, err = os.ReadFile(keyPath)
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: read checkpoint key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("audit: %s: %w", keyPath, err)
	}
	if s.Name() != origin {
		return nil, "", fmt.Errorf("%w: %s is named %q, the log's origin is %q", ErrKeyMismatch, keyPath, s.Name(), origin)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("audit: %s: %w", keyPath, err)
	}
	pb, err := os.ReadFile(pubPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := writeReplace(kdir, pubPath, []byte(vkey+"\n"), 0o644); err != nil {
			return nil, "", err
		}
	case err != nil:
		return nil, "", fmt.Errorf("audit: read public key: %w", err)
	case strings.TrimSpace(string(pb)) != vkey:
		return nil, "", fmt.Errorf("%w: %s is not the public key of %s", ErrKeyMismatch, pubPath, keyPath)
	}
	return s, vkey, nil
}

// writeTemp writes data to a new file in dir, synced, with mode perm.
func writeTemp(dir string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("audit: write key: %w", err)
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("audit: write key: %w", err)
	}
	return name, nil
}

// createExclusive writes path whole or not at all, never replacing an
// existing file; created is false when path already existed.
func createExclusive(dir, path string, data []byte, perm os.FileMode) (created bool, err error) {
	tmp, err := writeTemp(dir, data, perm)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("audit: write key: %w", err)
	}
	return true, syncDir(dir)
}

// writeReplace writes path whole, replacing it.
func writeReplace(dir, path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(dir, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("audit: write key: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit: sync key folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit: sync key folder: %w", err)
	}
	return nil
}
