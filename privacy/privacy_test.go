package privacy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/privacy"
)

func TestNormalizeNationalID(t *testing.T) {
	for raw, want := range map[string]string{"AB123456": "AB123456", "ab 123-456": "AB123456", " a.12345 ": "A12345", "ab/123456": "AB123456"} {
		got, err := privacy.NormalizeNationalID(raw)
		if err != nil || got != want {
			t.Errorf("%q → %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "123456", "ABC123", "AB12345678", "AB", "A B C", "AB12x4"} {
		if _, err := privacy.NormalizeNationalID(bad); !errors.Is(err, privacy.ErrInvalidNationalID) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSignerKeysAndNames(t *testing.T) {
	dir := t.TempDir()
	k, err := privacy.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, privacy.MasterKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", st, err)
	}
	k2, _ := privacy.LoadKeys(dir)
	a := k.SignerKey("50910101", "AB123456")
	if a != k2.SignerKey("50910101", "AB123456") || len(a) != 64 {
		t.Fatal("signer key not stable across loads")
	}
	if a == k.SignerKey("50910107", "AB123456") || a == k.SignerKey("50910101", "AB123457") {
		t.Fatal("signer keys collide across councils or people")
	}
	other, _ := privacy.LoadKeys(t.TempDir())
	if other.SignerKey("50910101", "AB123456") == a {
		t.Fatal("another master key gives the same signer key")
	}
	dk := make([]byte, 32)
	ct, err := privacy.SealName(dk, "Fatima Zahra El Idrissi")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := privacy.OpenName(dk, ct); err != nil || got != "Fatima Zahra El Idrissi" {
		t.Fatalf("open: %q %v", got, err)
	}
	dk[0] = 1
	if _, err := privacy.OpenName(dk, ct); err == nil {
		t.Fatal("wrong key decrypted")
	}
}

// A master key file cut short (as the old plain write could leave it when
// two first starts raced) is an error and is left as it is: a new master
// key would make every sealed data key unreadable.
func TestLoadKeysRefusesDamagedMasterKey(t *testing.T) {
	t.Setenv(privacy.MasterKeyEnv, "")
	dir := t.TempDir()
	if _, err := privacy.LoadKeys(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, privacy.MasterKeyFile)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	half := whole[:len(whole)/2]
	if err := os.WriteFile(path, half, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := privacy.LoadKeys(dir); err == nil {
		t.Fatal("a half-written master key was accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != string(half) {
		t.Fatalf("the damaged master key was replaced by %q", b)
	}
}

// Pooled keys: each new signer gets a distinct durable key that reads back
// by its id; an erased person's names stop opening; a signature recorded
// while its person was being erased has its key destroyed by Bound.
func TestKeyStorePooledKeys(t *testing.T) {
	ctx := context.Background()
	ks, bucket := newKeyStore(t)
	defer ks.Close()

	// Many concurrent signers (more than one refill) get distinct keys.
	const n = 300
	ids := make([]string, n)
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], got[i], errs[i] = ks.SealingKey(ctx)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil || !strings.HasPrefix(ids[i], "dk.") || len(got[i]) != 32 || seen[ids[i]] {
			t.Fatalf("signer %d: id %q, %d-byte key, %v (or a key given twice)", i, ids[i], len(got[i]), errs[i])
		}
		seen[ids[i]] = true
		if err := ks.Bound(ctx, fmt.Sprintf("person-%d", i), ids[i]); err != nil {
			t.Fatal(err)
		}
		back, err := ks.NameKey(ctx, fmt.Sprintf("person-%d", i), ids[i])
		if err != nil || string(back) != string(got[i]) {
			t.Fatalf("signer %d: key read back differs (%v)", i, err)
		}
		// The bucket holds the key sealed, not in clear.
		e, err := bucket.Get(ctx, ids[i])
		if err != nil || bytes.Contains(e.Value(), got[i]) {
			t.Fatalf("signer %d: stored key missing or in clear (%v)", i, err)
		}
	}

	// Erasure: no name opens.
	if err := ks.Erase(ctx, "person-0"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.NameKey(ctx, "person-0", ids[0]); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("an erased person's name key opened: %v", err)
	}
	if err := ks.Destroy(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := bucket.Get(ctx, ids[0]); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("a destroyed key is still in the bucket: %v", err)
	}
	if err := ks.Destroy(ctx, "person-1"); err == nil {
		t.Fatal("Destroy took a person key for a data key id")
	}

	// A signature whose person was erased between taking the key and
	// recording it: Bound destroys the key.
	id, _, err := ks.SealingKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Erase(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	if err := ks.Bound(ctx, "late", id); err != nil {
		t.Fatal(err)
	}
	if _, err := bucket.Get(ctx, id); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("the key of a signature recorded during erasure survived: %v", err)
	}

	// A key given back unused is still a good key.
	id, k, err := ks.SealingKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ks.Unused(id, k)
	if back, err := ks.NameKey(ctx, "someone", id); err != nil || string(back) != string(k) {
		t.Fatalf("an unused key: %v", err)
	}
}

// BindLater confirms keys in the background: Close waits for what was
// queued, so the key of a signature whose person was erased meanwhile is
// destroyed by then; binding after Close does not panic and still binds.
func TestBindLater(t *testing.T) {
	ctx := context.Background()
	ks, bucket := newKeyStore(t)
	var erasedIDs, keptIDs []string
	for i := range 50 {
		id, _, err := ks.SealingKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		person := fmt.Sprintf("p%d", i)
		if i%2 == 0 {
			if err := ks.Erase(ctx, person); err != nil {
				t.Fatal(err)
			}
			erasedIDs = append(erasedIDs, id)
		} else {
			keptIDs = append(keptIDs, id)
		}
		ks.BindLater(person, id)
	}
	ks.Close()
	for _, id := range erasedIDs {
		if _, err := bucket.Get(ctx, id); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Fatalf("key %s of an erased person survived Close: %v", id, err)
		}
	}
	for _, id := range keptIDs {
		if _, err := bucket.Get(ctx, id); err != nil {
			t.Fatalf("key %s of a kept person: %v", id, err)
		}
	}
	// After Close: bound at once.
	id := keptIDs[0]
	if err := ks.Erase(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	ks.BindLater("p1", id)
	if _, err := bucket.Get(ctx, id); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("binding after Close did not destroy the key: %v", err)
	}
}

// newKeyStore opens a key store on a fresh embedded server and returns it
// with its bucket, to look at what is stored.
func newKeyStore(t *testing.T) (*privacy.KeyStore, jetstream.KeyValue) {
	t.Helper()
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// A loaded CI machine (the whole module under -race) once took over the
	// default 5 s to turn on atomic publish: give the API calls room.
	js, err := jetstream.New(s.Conn(), jetstream.WithDefaultTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := privacy.OpenKeyStore(ctx, s.Conn(), js, "TEST_KEYS", 1, keys)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := js.KeyValue(ctx, "TEST_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	return ks, bucket
}
