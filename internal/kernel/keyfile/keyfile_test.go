package keyfile_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tasharuk/tasharuk/internal/kernel/keyfile"
)

// testKey is a 32-byte key file of 64 hex digits and a newline.
func testKey(path string, made *atomic.Int32) keyfile.File {
	return keyfile.File{
		Path: path,
		New: func() ([]byte, error) {
			if made != nil {
				made.Add(1)
			}
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return nil, err
			}
			return fmt.Appendf(nil, "%x\n", b), nil
		},
		Check: func(b []byte) error {
			if len(b) != 65 || b[64] != '\n' {
				return fmt.Errorf("%d bytes, want 65", len(b))
			}
			return nil
		},
	}
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")
	f := testKey(filepath.Join(dir, "k.key"), nil)
	if _, err := f.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load before creation: %v, want fs.ErrNotExist", err)
	}
	k1, err := f.LoadOrCreate()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(k1); err != nil {
		t.Fatalf("created key: %v", err)
	}
	if got := perm(t, f.Path); got != 0o600 {
		t.Errorf("key file mode %o, want 600", got)
	}
	if got := perm(t, dir); got != 0o700 {
		t.Errorf("key folder mode %o, want 700", got)
	}
	k2, err := f.LoadOrCreate()
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second LoadOrCreate: %q, %v; first %q", k2, err, k1)
	}
	if k3, err := f.Load(); err != nil || !bytes.Equal(k1, k3) {
		t.Fatalf("Load: %q, %v; created %q", k3, err, k1)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("key folder holds %d files, want 1 (no temporary file left)", len(entries))
	}

	pub := f
	pub.Path = filepath.Join(dir, "k.pub")
	pub.Mode = 0o644
	if _, err := pub.LoadOrCreate(); err != nil {
		t.Fatal(err)
	}
	if got := perm(t, pub.Path); got != 0o644 {
		t.Errorf("public key file mode %o, want 644", got)
	}
}

// TestDamagedFileIsNeverReplaced: a half-written, empty or wrong-size
// file is an error matching ErrInvalid, and the file is left as it was.
func TestDamagedFileIsNeverReplaced(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "",
		"half written": "0123456789abcdef0123",
		"too long":     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00\n",
	} {
		t.Run(name, func(t *testing.T) {
			var made atomic.Int32
			f := testKey(filepath.Join(t.TempDir(), "k.key"), &made)
			if err := os.WriteFile(f.Path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := f.LoadOrCreate()
			if !errors.Is(err, keyfile.ErrInvalid) {
				t.Fatalf("LoadOrCreate: %v, want ErrInvalid", err)
			}
			if b, _ := os.ReadFile(f.Path); string(b) != text {
				t.Errorf("the damaged file was changed to %q", b)
			}
			if made.Load() != 0 {
				t.Error("a new key was made for a damaged file")
			}
		})
	}
}

// TestNewKeyIsChecked: a New that makes an invalid key creates nothing.
func TestNewKeyIsChecked(t *testing.T) {
	f := testKey(filepath.Join(t.TempDir(), "k.key"), nil)
	f.New = func() ([]byte, error) { return []byte("short\n"), nil }
	if _, err := f.LoadOrCreate(); !errors.Is(err, keyfile.ErrInvalid) {
		t.Fatalf("LoadOrCreate: %v, want ErrInvalid", err)
	}
	if _, err := os.Stat(f.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an invalid new key was written: %v", err)
	}
}

// TestConcurrentGoroutines: many goroutines loading one fresh folder,
// released together, all get the same key, and that key is the file's.
func TestConcurrentGoroutines(t *testing.T) {
	for round := range 20 {
		var made atomic.Int32
		f := testKey(filepath.Join(t.TempDir(), "keys", "k.key"), &made)
		const n = 64
		keys := make([][]byte, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				keys[i], errs[i] = f.LoadOrCreate()
			})
		}
		close(start)
		wg.Wait()
		onDisk, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, errs[i])
			}
			if !bytes.Equal(keys[i], onDisk) {
				t.Fatalf("round %d, caller %d got %q, the file holds %q", round, i, keys[i], onDisk)
			}
		}
		if entries, _ := os.ReadDir(filepath.Dir(f.Path)); len(entries) != 1 {
			t.Fatalf("round %d: key folder holds %d files, want 1", round, len(entries))
		}
		if round == 0 {
			t.Logf("%d goroutines made %d candidate keys; one was kept", n, made.Load())
		}
	}
}
