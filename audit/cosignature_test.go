package audit_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

func newWitnessSigner(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := audit.GenerateWitnessKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, vkey2, err := audit.NewWitnessSigner(skey)
	if err != nil || vkey2 != vkey {
		t.Fatalf("NewWitnessSigner: %v (vkey %q, generated %q)", err, vkey2, vkey)
	}
	return s, vkey
}

// TestCosignatureFormat checks a witness's cosignature against C2SP
// tlog-cosignature v1.0.1 byte by byte: the key id is SHA-256(name "\n"
// 0x04 key)[:4], the signature is timestamp || Ed25519 over
// "cosignature/v1\ntime <t>\n" + the checkpoint, and torchwood's own
// verifier (the reference implementation) accepts what ours accepts.
func TestCosignatureFormat(t *testing.T) {
	logSigner, logKey := newSigner(t, origin)
	w, wkey := newWitnessSigner(t, "witness.example/w1")
	root := tlog.RecordHash([]byte("root"))
	signed, err := audit.SignCheckpoint(logSigner, origin, 7, root)
	if err != nil {
		t.Fatal(err)
	}
	text := audit.CheckpointText(origin, 7, root)
	before := time.Now().Unix()
	cos, err := note.Sign(&note.Note{Text: text}, w)
	if err != nil {
		t.Fatal(err)
	}
	_, line, _ := strings.Cut(string(cos), "\n\n")

	// The vkey: name, key id, base64(0x04 || public key).
	parts := strings.SplitN(wkey, "+", 3)
	pub, _ := base64.StdEncoding.DecodeString(parts[2])
	if len(parts) != 3 || parts[0] != "witness.example/w1" || len(pub) != 33 || pub[0] != 0x04 {
		t.Fatalf("vkey %q", wkey)
	}
	h := sha256.Sum256(append([]byte("witness.example/w1\n"), pub...))
	if want := binary.BigEndian.Uint32(h[:4]); parts[1] != padHex(want) {
		t.Fatalf("key id %s, want %08x", parts[1], want)
	}

	// The signature line: key id, timestamp, Ed25519 over the message.
	fields := strings.Fields(line)
	sig, err := base64.StdEncoding.DecodeString(fields[2])
	if err != nil || len(fields) != 3 || fields[1] != "witness.example/w1" || len(sig) != 4+8+64 {
		t.Fatalf("cosignature line %q", line)
	}
	if padHex(binary.BigEndian.Uint32(sig)) != parts[1] {
		t.Fatal("the line's key id is not the key's")
	}
	ts := binary.BigEndian.Uint64(sig[4:])
	if int64(ts) < before || int64(ts) > time.Now().Unix() {
		t.Fatalf("timestamp %d not now", ts)
	}
	msg := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + text
	if !ed25519.Verify(ed25519.PublicKey(pub[1:]), []byte(msg), sig[12:]) {
		t.Fatal("the signature is not Ed25519 over the cosignature/v1 message")
	}

	// Ours and torchwood's verifiers accept it; ours finds it in the
	// checkpoint beside the log's signature.
	tw := w.(*torchwood.CosignatureSigner).Verifier()
	if _, err := note.Open([]byte(audit.AddSignatures(signed, line)), note.VerifierList(tw)); err != nil {
		t.Fatalf("torchwood's verifier: %v", err)
	}
	cosigned := audit.AddSignatures(signed, line)
	got, err := audit.Cosignatures(cosigned, []string{wkey})
	if err != nil || len(got) != 1 || got[0].Witness != "witness.example/w1" || got[0].Time.Unix() != int64(ts) || got[0].Line != line {
		t.Fatalf("Cosignatures = %+v, %v", got, err)
	}
	// The log's signature still verifies on the cosigned checkpoint.
	if _, size, r, err := audit.OpenCheckpoint(cosigned, logKey); err != nil || size != 7 || r != root {
		t.Fatalf("OpenCheckpoint(cosigned) = %d %s %v", size, r, err)
	}

	// Another time, another size, another key: no cosignature.
	forgedTime := strings.Replace(cosigned, fields[2], base64.StdEncoding.EncodeToString(append(append(sig[:4:4], binary.BigEndian.AppendUint64(nil, ts+1)...), sig[12:]...)), 1)
	if _, err := audit.Cosignatures(forgedTime, []string{wkey}); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("timestamp changed: %v", err)
	}
	other, _ := audit.SignCheckpoint(logSigner, origin, 8, root)
	if _, err := audit.Cosignatures(audit.AddSignatures(other, line), []string{wkey}); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("moved to another checkpoint: %v", err)
	}
	_, stranger := newWitnessSigner(t, "witness.example/w2")
	if got, err := audit.Cosignatures(cosigned, []string{stranger}); err != nil || len(got) != 0 {
		t.Errorf("an untrusted key's view: %+v %v", got, err)
	}
	// A log key is not a witness key, and the reverse.
	if _, err := audit.NewCosignatureVerifier(logKey); !errors.Is(err, audit.ErrNotCosignatureKey) {
		t.Errorf("log key as witness key: %v", err)
	}
	if _, err := note.NewVerifier(wkey); err == nil {
		t.Error("note.NewVerifier took a cosignature key for a checkpoint key")
	}
}

func padHex(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", 8-len(s)) + s
}

// TestCheckpointIsC2SP: the checkpoints tasharuk has always signed are
// C2SP tlog-checkpoint notes — torchwood's parser (the reference) reads
// them back exactly — so witnesses take them as they are and old exports
// verify unchanged.
func TestCheckpointIsC2SP(t *testing.T) {
	for _, size := range []int64{0, 1, 20852163} {
		root := tlog.RecordHash([]byte("root"))
		text := audit.CheckpointText("tasharuk.ma/TASHARUK_LOG", size, root)
		c, err := torchwood.ParseCheckpoint(text)
		if err != nil || c.Origin != "tasharuk.ma/TASHARUK_LOG" || c.N != size || c.Hash != root || c.Extension != "" || c.String() != text {
			t.Fatalf("torchwood.ParseCheckpoint(%q) = %+v, %v", text, c, err)
		}
	}
}
