package audit_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

func newSigner(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := audit.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func TestCheckpointSignOpen(t *testing.T) {
	signer, vkey := newSigner(t, origin)
	root := tlog.RecordHash([]byte("root"))
	signed, err := audit.SignCheckpoint(signer, origin, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	text := audit.CheckpointText(origin, 42, root)
	if text != origin+"\n42\n"+root.String()+"\n" || !strings.HasPrefix(signed, text+"\n— "+origin+" ") {
		t.Fatalf("signed checkpoint:\n%s", signed)
	}
	o, size, r, err := audit.OpenCheckpoint(signed, vkey)
	if err != nil || o != origin || size != 42 || r != root {
		t.Fatalf("OpenCheckpoint = %q %d %s %v", o, size, r, err)
	}

	// Signed by another key, even one of the same name.
	other, otherVkey := newSigner(t, origin)
	forged, _ := audit.SignCheckpoint(other, origin, 42, root)
	if _, _, _, err := audit.OpenCheckpoint(forged, vkey); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("other key: %v", err)
	}
	if _, _, _, err := audit.OpenCheckpoint(signed, otherVkey); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("checked with another key: %v", err)
	}
	// Text changed after signing.
	altered := strings.Replace(signed, "\n42\n", "\n43\n", 1)
	if _, _, _, err := audit.OpenCheckpoint(altered, vkey); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("altered text: %v", err)
	}
	// Not a note at all.
	for _, bad := range []string{"", "hello", text, "x\n\n— nope\n"} {
		if _, _, _, err := audit.OpenCheckpoint(bad, vkey); !errors.Is(err, audit.ErrMalformedCheckpoint) {
			t.Errorf("OpenCheckpoint(%q): %v", bad, err)
		}
	}
	// Validly signed, but not a checkpoint.
	for _, body := range []string{"just one line\n", origin + "\nforty\n" + root.String() + "\n", origin + "\n-1\n" + root.String() + "\n", origin + "\n042\n" + root.String() + "\n", origin + "\n1\nnotbase64\n"} {
		b, err := note.Sign(&note.Note{Text: body}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := audit.OpenCheckpoint(string(b), vkey); !errors.Is(err, audit.ErrMalformedCheckpoint) {
			t.Errorf("signed %q: %v", body, err)
		}
	}
	// Extension lines are allowed.
	b, _ := note.Sign(&note.Note{Text: text + "extra\n"}, signer)
	if _, size, _, err := audit.OpenCheckpoint(string(b), vkey); err != nil || size != 42 {
		t.Errorf("with an extension line: %d %v", size, err)
	}
	// A bad verifier key is neither.
	if _, _, _, err := audit.OpenCheckpoint(signed, "nonsense"); err == nil || errors.Is(err, audit.ErrBadSignature) || errors.Is(err, audit.ErrMalformedCheckpoint) {
		t.Errorf("bad verifier key: %v", err)
	}
	if _, err := audit.SignCheckpoint(signer, "bad origin", 1, root); err == nil {
		t.Error("bad origin signed")
	}
}
