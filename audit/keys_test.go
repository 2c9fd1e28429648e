package audit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

const origin = "tasharuk.test/log"

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoadOrCreateKey(t *testing.T) {
	// The keys folder is the folder given, created with its parent.
	dir := filepath.Join(t.TempDir(), "data", "keys")
	s1, vkey1, err := audit.LoadOrCreateKey(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	if s1.Name() != origin || !strings.HasPrefix(vkey1, origin+"+") {
		t.Fatalf("signer %q, vkey %q", s1.Name(), vkey1)
	}
	kdir := dir
	for path, want := range map[string]os.FileMode{
		filepath.Dir(dir):                     0o700,
		kdir:                                  0o700,
		filepath.Join(kdir, "checkpoint.key"): 0o600,
		filepath.Join(kdir, "checkpoint.pub"): 0o644,
	} {
		if got := mode(t, path); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(kdir, "checkpoint.pub"))
	if strings.TrimSpace(string(pub)) != vkey1 {
		t.Errorf("checkpoint.pub = %q, want %q", pub, vkey1)
	}
	entries, _ := os.ReadDir(kdir)
	if len(entries) != 2 {
		t.Errorf("key folder holds %d files, want 2", len(entries))
	}

	// Reused on the next start: what the first signer signed, the second
	// key verifies, and the other way round.
	s2, vkey2, err := audit.LoadOrCreateKey(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	if vkey2 != vkey1 {
		t.Fatalf("second start: vkey %q, first %q", vkey2, vkey1)
	}
	signed, err := audit.SignCheckpoint(s2, origin, 3, tlog.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := audit.OpenCheckpoint(signed, vkey1); err != nil {
		t.Fatal(err)
	}

	// A missing public key file is written again.
	if err := os.Remove(filepath.Join(kdir, "checkpoint.pub")); err != nil {
		t.Fatal(err)
	}
	if _, vkey3, err := audit.LoadOrCreateKey(dir, origin); err != nil || vkey3 != vkey1 {
		t.Fatalf("after removing checkpoint.pub: %q, %v", vkey3, err)
	}
	if got := mode(t, filepath.Join(kdir, "checkpoint.pub")); got != 0o644 {
		t.Errorf("rewritten checkpoint.pub: mode %o", got)
	}

	// A key of another log is refused.
	if _, _, err := audit.LoadOrCreateKey(dir, "other.test/log"); !errors.Is(err, audit.ErrKeyMismatch) {
		t.Fatalf("key of another origin: %v", err)
	}
	// So is a public key that is not the key's.
	_, other, _ := audit.GenerateKey(origin)
	if err := os.WriteFile(filepath.Join(kdir, "checkpoint.pub"), []byte(other+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := audit.LoadOrCreateKey(dir, origin); !errors.Is(err, audit.ErrKeyMismatch) {
		t.Fatalf("foreign checkpoint.pub: %v", err)
	}
	// And a damaged key file.
	if err := os.WriteFile(filepath.Join(kdir, "checkpoint.key"), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := audit.LoadOrCreateKey(dir, origin); err == nil {
		t.Fatal("damaged key accepted")
	}
}

func TestGenerateKeyOrigin(t *testing.T) {
	for _, bad := range []string{"", "has space", "a+b", "line\nbreak"} {
		if _, _, err := audit.GenerateKey(bad); err == nil {
			t.Errorf("GenerateKey(%q) accepted", bad)
		}
	}
	skey, vkey, err := audit.GenerateKey(origin)
	if err != nil || !strings.HasPrefix(skey, "PRIVATE+KEY+"+origin+"+") || !strings.HasPrefix(vkey, origin+"+") {
		t.Fatalf("GenerateKey: %q %q %v", skey, vkey, err)
	}
}
