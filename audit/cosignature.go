package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// Witness cosignatures follow C2SP tlog-cosignature v1.0.1 (Ed25519
// "cosignature/v1", https://c2sp.org/tlog-cosignature@v1.0.1): a note
// signature line
//
//	— <witness name> base64(key id || timestamp || Ed25519 signature)
//
// where the key id is SHA-256(<name> "\n" 0x04 <32-byte public key>)[:4],
// the timestamp a big-endian uint64 of POSIX seconds, and the signature is
// over
//
//	cosignature/v1
//	time <timestamp>
//	<the checkpoint's text: origin, size, base64 root>
//
// A v1 cosignature says: as of that time, this is the largest consistent
// tree the witness has seen for the log named by the origin. The signing
// side is filippo.io/torchwood's CosignatureSigner (maintained by the
// spec's author); the verifier below parses the 0x04 vkeys the spec allows
// ("<name>+<key id hex>+base64(0x04 || public key)"), which torchwood
// v0.6.1 — the last release that builds on this module's Go 1.26 — cannot
// yet (its v0.10.0 NewCosignatureVerifier does the same and can replace it
// once go.mod moves to Go 1.27). The checkpoints themselves are C2SP
// tlog-checkpoint v1.0.0 notes, as they always were (see CheckpointText).

// cosignatureAlg is the signature type byte of Ed25519 cosignature/v1
// keys (tlog-cosignature, "Format").
const cosignatureAlg = 0x04

// Key file names of a witness's state folder.
const (
	WitnessKeyFile       = "witness.key"
	WitnessPublicKeyFile = "witness.pub"
)

var (
	// ErrNotCosignatureKey: a key is not an Ed25519 cosignature/v1 key.
	ErrNotCosignatureKey = errors.New("audit: not an Ed25519 cosignature/v1 key")
)

// cosignerKeyID is the key id of an Ed25519 cosignature/v1 key.
func cosignerKeyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{cosignatureAlg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// GenerateWitnessKey returns a new witness key: skey, the private key in
// the signed-note form "PRIVATE+KEY+<name>+<key id>+base64(0x04 || seed)",
// and vkey, its verifier key "<name>+<key id>+base64(0x04 || public key)"
// to give to the logs and auditors that trust the witness.
func GenerateWitnessKey(name string) (skey, vkey string, err error) {
	if err := validOrigin(name); err != nil {
		return "", "", fmt.Errorf("audit: witness name: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return "", "", err
	}
	id := cosignerKeyID(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, id, base64.StdEncoding.EncodeToString(append([]byte{cosignatureAlg}, priv.Seed()...)))
	vkey = fmt.Sprintf("%s+%08x+%s", name, id, base64.StdEncoding.EncodeToString(append([]byte{cosignatureAlg}, pub...)))
	return skey, vkey, nil
}

// NewWitnessSigner returns the note signer of a witness private key (see
// GenerateWitnessKey): its Sign makes timestamped cosignature/v1
// signatures, and the verifier key that checks them.
func NewWitnessSigner(skey string) (note.Signer, string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, "", fmt.Errorf("%w: not a private key", ErrNotCosignatureKey)
	}
	name := parts[2]
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != cosignatureAlg {
		return nil, "", ErrNotCosignatureKey
	}
	priv := ed25519.NewKeyFromSeed(b[1:])
	pub := priv.Public().(ed25519.PublicKey)
	if parts[3] != fmt.Sprintf("%08x", cosignerKeyID(name, pub)) {
		return nil, "", fmt.Errorf("%w: key id %s does not match the key", ErrNotCosignatureKey, parts[3])
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		return nil, "", fmt.Errorf("audit: witness key %q: %w", name, err)
	}
	vkey := fmt.Sprintf("%s+%08x+%s", name, s.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{cosignatureAlg}, pub...)))
	return s, vkey, nil
}

// cosignatureVerifier verifies Ed25519 cosignature/v1 signatures.
type cosignatureVerifier struct {
	name string
	id   uint32
	key  ed25519.PublicKey
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.id }

// Verify checks sig (timestamp || signature) over msg, the checkpoint's
// text, as tlog-cosignature "Ed25519 signed message" defines it.
func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > math.MaxInt64 {
		return false
	}
	// The message is a checkpoint: three lines, maybe extension lines.
	if _, _, _, err := ParseCheckpointText(string(msg)); err != nil {
		return false
	}
	m := "cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n" + string(msg)
	return ed25519.Verify(v.key, []byte(m), sig[8:])
}

// NewCosignatureVerifier returns the note verifier of a witness verifier
// key "<name>+<key id hex>+base64(0x04 || Ed25519 public key)".
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, _ := strings.Cut(vkey, "+")
	id16, key64, _ := strings.Cut(rest, "+")
	id, err1 := strconv.ParseUint(id16, 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(key64)
	if validOrigin(name) != nil || len(id16) != 8 || err1 != nil || err2 != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: malformed verifier key %q", ErrNotCosignatureKey, vkey)
	}
	if key[0] != cosignatureAlg || len(key) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %q has signature type %#x (a log's checkpoint key is 0x01; a witness's is 0x04)", ErrNotCosignatureKey, name, key[0])
	}
	v := &cosignatureVerifier{name: name, key: ed25519.PublicKey(key[1:])}
	v.id = cosignerKeyID(name, v.key)
	if uint32(id) != v.id {
		return nil, fmt.Errorf("%w: %q: key id %s does not match the key", ErrNotCosignatureKey, name, id16)
	}
	return v, nil
}

// Cosignature is one witness's verified cosignature of a checkpoint.
type Cosignature struct {
	// Witness is the witness's name, KeyID its key id.
	Witness string
	KeyID   uint32
	// Time is when the witness signed.
	Time time.Time
	// Line is the signature line, "— <name> <base64>\n".
	Line string
}

// Cosignatures returns the cosignatures in signedNote (a checkpoint with
// its signature lines) that verify under one of the witness keys vkeys,
// at most one per witness; signatures by other keys are ignored. It fails
// when a key is not a witness key or the note cannot be read; a signature
// line whose name and key id match a given key but that does not verify
// makes it fail with ErrBadSignature (signed-note: such a note is
// malformed).
func Cosignatures(signedNote string, vkeys []string) ([]Cosignature, error) {
	vs := make([]note.Verifier, 0, len(vkeys))
	for _, k := range vkeys {
		v, err := NewCosignatureVerifier(k)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	n, err := note.Open([]byte(signedNote), note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, nil
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		default:
			return nil, fmt.Errorf("%w: %v", ErrMalformedCheckpoint, err)
		}
	}
	var out []Cosignature
	seen := map[string]bool{}
	for _, s := range n.Sigs {
		if seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		t, err := torchwood.CosignatureTimestamp(s)
		if err != nil {
			return nil, fmt.Errorf("%w: cosignature by %s: %v", ErrMalformedCheckpoint, s.Name, err)
		}
		out = append(out, Cosignature{Witness: s.Name, KeyID: s.Hash, Time: time.Unix(t, 0).UTC(),
			Line: "— " + s.Name + " " + s.Base64 + "\n"})
	}
	return out, nil
}

// CosignatureLines returns the signature lines of a note, each ending in
// "\n" (what a witness's add-checkpoint answers, and what it adds to a
// checkpoint).
func CosignatureLines(body string) ([]string, error) {
	var out []string
	for line := range strings.Lines(body) {
		if !strings.HasPrefix(line, "— ") || !strings.HasSuffix(line, "\n") {
			return nil, fmt.Errorf("%w: %q is not a note signature line", ErrMalformedCheckpoint, strings.TrimSpace(line))
		}
		out = append(out, line)
	}
	return out, nil
}

// AddSignatures returns signedNote with the signature lines lines added
// after its own (lines already there are not repeated).
func AddSignatures(signedNote string, lines ...string) string {
	out := signedNote
	for _, l := range lines {
		if !strings.Contains(out, l) {
			out += l
		}
	}
	return out
}

// CosignatureTimes returns the timestamps of the cosignature lines in
// lines (unverified: for display).
func CosignatureTimes(lines string) ([]time.Time, error) {
	ls, err := CosignatureLines(lines)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, l := range ls {
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: signature line %q", ErrMalformedCheckpoint, strings.TrimSpace(l))
		}
		t, err := torchwood.CosignatureTimestamp(note.Signature{Name: f[1], Base64: f[2]})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedCheckpoint, err)
		}
		out = append(out, time.Unix(t, 0).UTC())
	}
	return out, nil
}
