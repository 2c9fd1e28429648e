// Package privacy keeps signers' personal data out of the log (law 09-08).
//
// A national ID number never leaves this package in clear: it is normalised
// and turned into a signer key, HMAC-SHA256 under a per-council key derived
// from the master key, so one person counts once per petition without the
// number being stored. A name is encrypted with the person's own data key
// (AES-256-GCM); data keys live in a key store outside the log, sealed with
// the master key. Deleting a person's data key erases their name everywhere
// while every event hash still verifies (crypto-shredding).
package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tasharuk/tasharuk/internal/kernel/keyfile"
)

// ErrInvalidNationalID: the text is not a national ID (CIN) number.
var ErrInvalidNationalID = errors.New("privacy: not a national ID number")

// isCIN: one or two letters then 1 to 7 digits ("AB123456", "A12345"), as
// on the Moroccan electronic national ID card. (It runs twice on every
// signature, so it is written out rather than a regular expression; the
// fuzz test holds it to ^[A-Z]{1,2}[0-9]{1,7}$.)
func isCIN(id string) bool {
	letters := 0
	for letters < len(id) && letters < 3 && id[letters] >= 'A' && id[letters] <= 'Z' {
		letters++
	}
	digits := len(id) - letters
	if letters < 1 || letters > 2 || digits < 1 || digits > 7 {
		return false
	}
	for i := letters; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizeNationalID upper-cases the number and removes spaces, dashes,
// dots and slashes, so "ab 123-456" and "AB123456" are the same person.
func NormalizeNationalID(raw string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(raw) {
		switch r {
		case ' ', '\t', '-', '.', '/', '\u00a0':
			continue
		}
		b.WriteRune(r)
	}
	id := b.String()
	if !isCIN(id) {
		return "", fmt.Errorf("%w: expected one or two letters followed by up to 7 digits", ErrInvalidNationalID)
	}
	return id, nil
}

// Keys holds the master key and derives the keyed hashes.
type Keys struct {
	master []byte
	seal   cipher.AEAD
}

// MasterKeyEnv names the environment variable that may hold the master key
// (base64 of 32 bytes); otherwise it is read from, or created in,
// <keys-dir>/master.key (by default <data-dir>/keys/master.key).
const MasterKeyEnv = "TASHARUK_MASTER_KEY"

// MasterKeyFile is the master key's file name in the keys folder.
const MasterKeyFile = "master.key"

// LoadKeys loads the master key from the environment or the keys folder
// keysDir (the folder itself), creating <keysDir>/master.key (0600) on
// first start.
func LoadKeys(keysDir string) (*Keys, error) {
	if v := os.Getenv(MasterKeyEnv); v != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("privacy: %s must be base64 of 32 bytes", MasterKeyEnv)
		}
		return NewKeys(k)
	}
	// Processes that start together on one data folder all get the same
	// master key (internal/kernel/keyfile): two master keys would seal data
	// keys that the other cannot open. A damaged file is an error, never
	// replaced, for the same reason.
	b, err := keyfile.File{
		Path: filepath.Join(keysDir, MasterKeyFile),
		New: func() ([]byte, error) {
			k := make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				return nil, err
			}
			return []byte(base64.StdEncoding.EncodeToString(k) + "\n"), nil
		},
		Check: func(b []byte) error {
			_, err := decodeMasterKey(b)
			return err
		},
	}.LoadOrCreate()
	if err != nil {
		return nil, fmt.Errorf("privacy: master key: %w", err)
	}
	k, err := decodeMasterKey(b)
	if err != nil {
		return nil, err
	}
	return NewKeys(k)
}

func decodeMasterKey(b []byte) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != 32 {
		return nil, errors.New("not base64 of 32 bytes")
	}
	return k, nil
}

// NewKeys uses a 32-byte master key.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) != 32 {
		return nil, errors.New("privacy: master key must be 32 bytes")
	}
	aead, err := newAEAD(derive(master, "seal-data-keys/v1"))
	if err != nil {
		return nil, err
	}
	return &Keys{master: master, seal: aead}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// SignerKey returns the keyed hash (hex) of a normalised national ID number
// under the council's key: stable for one person and council, useless
// without the master key.
func (k *Keys) SignerKey(councilCode, normalizedID string) string {
	m := hmac.New(sha256.New, derive(k.master, "signer-key/v1/"+councilCode))
	m.Write([]byte(normalizedID))
	return hex.EncodeToString(m.Sum(nil))
}

// SignerAccountKey returns the keyed hash (hex) of an account's subject
// under the council's key, recorded on the account's signatures and
// bindings instead of the subject: a provider's subject is not ours to
// publish, and a per-council key keeps one account's acts in two councils
// unlinkable in the log.
func (k *Keys) SignerAccountKey(councilCode, subject string) string {
	m := hmac.New(sha256.New, derive(k.master, "signer-account-key/v1/"+councilCode))
	m.Write([]byte(subject))
	return hex.EncodeToString(m.Sum(nil))
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func sealWith(aead cipher.AEAD, plain, ad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, ad), nil
}

func openWith(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("privacy: ciphertext too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], ad)
}

// sealDataKey encrypts a person's data key for the key store.
func (k *Keys) sealDataKey(person string, dataKey []byte) ([]byte, error) {
	return sealWith(k.seal, dataKey, []byte(person))
}

func (k *Keys) openDataKey(person string, sealed []byte) ([]byte, error) {
	return openWith(k.seal, sealed, []byte(person))
}

// SealName encrypts a name with a person's data key.
func SealName(dataKey []byte, name string) ([]byte, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	return sealWith(aead, []byte(name), []byte("name"))
}

// OpenName decrypts a name.
func OpenName(dataKey, sealed []byte) (string, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return "", err
	}
	b, err := openWith(aead, sealed, []byte("name"))
	if err != nil {
		return "", fmt.Errorf("privacy: decrypt name: %w", err)
	}
	return string(b), nil
}

// AccountKey returns the keyed hash (hex, 128 bits) of a verified contact
// address (kind "email" or "phone", the address normalised): the subject of
// the account a one-time code opens, stable for one address, useless
// without the master key, so the address itself is never recorded.
func (k *Keys) AccountKey(kind, normalizedAddress string) string {
	m := hmac.New(sha256.New, derive(k.master, "account-key/v1/"+kind))
	m.Write([]byte(normalizedAddress))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
