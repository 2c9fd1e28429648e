package access

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"

	"github.com/tasharuk/tasharuk/internal/kernel/keyfile"
)

// KeySize is the length of a token-signing key in bytes: the output size
// of SHA-256, as RFC 7518 §3.2 asks of HS256 keys.
const KeySize = 32

// KeyFile is the token-signing key's file name in the keys folder.
const KeyFile = "token-signing.key"

// keyFile is the token-signing key of a keys folder:
// <keysDir>/token-signing.key, base64 text of at least KeySize bytes.
func keyFile(keysDir string) keyfile.File {
	return keyfile.File{
		Path: filepath.Join(keysDir, KeyFile),
		New: func() ([]byte, error) {
			key := make([]byte, KeySize)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
			return []byte(base64.StdEncoding.EncodeToString(key) + "\n"), nil
		},
		Check: func(text []byte) error {
			_, err := decodeKey(text)
			return err
		},
	}
}

func decodeKey(text []byte) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if len(key) < KeySize {
		return nil, fmt.Errorf("%d bytes, want at least %d", len(key), KeySize)
	}
	return key, nil
}

// LoadKey reads the token-signing key of the keys folder keysDir (the
// folder itself: <keysDir>/token-signing.key). It fails with an error
// matching fs.ErrNotExist when there is none yet.
func LoadKey(keysDir string) ([]byte, error) {
	return decoded(keyFile(keysDir).Load())
}

// LoadOrCreateKey returns the token-signing key of the keys folder keysDir,
// creating <keysDir>/token-signing.key (folder 0700, file 0600, base64 text)
// with KeySize random bytes the first time. Processes that race to create
// it all end up with the same key: the file appears whole, once
// (internal/kernel/keyfile). A file there that is not a valid key is an
// error, never replaced.
func LoadOrCreateKey(keysDir string) ([]byte, error) {
	return decoded(keyFile(keysDir).LoadOrCreate())
}

func decoded(text []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, fmt.Errorf("access: signing key: %w", err)
	}
	return decodeKey(text)
}
