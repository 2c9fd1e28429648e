package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/tasharuk/tasharuk/internal/kernel/keyfile"
)

// ErrKeyMismatch: a stored signing key does not fit what is asked of it.
var ErrKeyMismatch = errors.New("audit: stored checkpoint key does not match")

// Key file names in the keys folder.
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

// LoadOrCreateKey returns the checkpoint signer kept in the keys folder
// keysDir (the folder itself), creating it on first use:
// <keysDir>/checkpoint.key (mode 0600) holds the signer key,
// <keysDir>/checkpoint.pub (mode 0644) the verifier key to give auditors;
// folders it creates get mode 0700. A stored key named other than origin is
// refused with ErrKeyMismatch, as is a checkpoint.pub that is not the stored
// key's (a missing checkpoint.pub is written again). Processes that start
// together on one folder all get the same key (internal/kernel/keyfile); a
// key file that is there but damaged is an error, never replaced.
func LoadOrCreateKey(keysDir, origin string) (note.Signer, string, error) {
	keyPath := filepath.Join(keysDir, KeyFile)
	pubPath := filepath.Join(keysDir, PublicKeyFile)

	b, err := keyfile.File{
		Path: keyPath,
		New: func() ([]byte, error) {
			skey, _, err := GenerateKey(origin)
			return []byte(skey + "\n"), err
		},
		Check: func(b []byte) error {
			_, err := verifierKey(strings.TrimSpace(string(b)))
			return err
		},
	}.LoadOrCreate()
	if err != nil {
		return nil, "", fmt.Errorf("audit: checkpoint key: %w", err)
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
	_, err = keyfile.File{
		Path: pubPath,
		Mode: 0o644,
		New:  func() ([]byte, error) { return []byte(vkey + "\n"), nil },
		Check: func(b []byte) error {
			if strings.TrimSpace(string(b)) != vkey {
				return fmt.Errorf("%w: not the public key of %s", ErrKeyMismatch, keyPath)
			}
			return nil
		},
	}.LoadOrCreate()
	if err != nil {
		return nil, "", fmt.Errorf("audit: public key: %w", err)
	}
	return s, vkey, nil
}
