package access

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the length of a token-signing key in bytes: the output size
// of SHA-256, as RFC 7518 §3.2 asks of HS256 keys.
const KeySize = 32

// keyPath is where a data folder keeps its token-signing key.
func keyPath(dataDir string) string {
	return filepath.Join(dataDir, "keys", "token-signing.key")
}

// LoadKey reads the token-signing key of dataDir. It fails with an error
// matching fs.ErrNotExist when there is none yet.
func LoadKey(dataDir string) ([]byte, error) {
	path := keyPath(dataDir)
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("access: signing key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil {
		return nil, fmt.Errorf("access: signing key %s: not base64: %w", path, err)
	}
	if len(key) < KeySize {
		return nil, fmt.Errorf("access: signing key %s: %d bytes, want at least %d", path, len(key), KeySize)
	}
	return key, nil
}

// LoadOrCreateKey returns the token-signing key of dataDir, creating
// <dataDir>/keys/token-signing.key (folder 0700, file 0600, base64 text)
// with KeySize random bytes the first time. Processes that race to create
// it all end up with the same key: the file appears whole, once.
func LoadOrCreateKey(dataDir string) ([]byte, error) {
	key, err := LoadKey(dataDir)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(keyPath(dataDir))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("access: signing key: %w", err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("access: signing key: %w", err)
	}
	if err := writeNew(keyPath(dataDir), []byte(base64.StdEncoding.EncodeToString(key)+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadKey(dataDir)
		}
		return nil, fmt.Errorf("access: signing key: %w", err)
	}
	return key, nil
}

// writeNew writes data to path with mode 0600 unless path exists. The data
// goes to a temporary file first and is linked into place, so no reader
// ever sees a partial key.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-signing-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
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
	return os.Link(tmp.Name(), path)
}
