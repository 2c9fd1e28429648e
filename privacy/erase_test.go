package privacy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/privacy"
)

// openKeyStore opens the key store of the log in dataDir.
func openKeyStore(t *testing.T, dataDir string, keys *privacy.Keys) (*privacy.KeyStore, func()) {
	t.Helper()
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := privacy.OpenKeyStore(ctx, s.Conn(), js, "PERSON_KEYS", 1, keys)
	if err != nil {
		t.Fatal(err)
	}
	return ks, func() {
		ks.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

// A name sealed before its person was erased can no longer be opened
// through the key store, also after a restart; a signature of theirs bound
// after the erasure loses its key at once; other persons keep theirs.
func TestEraseLeavesNamesUnreadable(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	keys, err := privacy.LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks, closeStore := openKeyStore(t, dataDir, keys)
	type sealed struct {
		id string
		ct []byte
	}
	seal := func(person, name string) sealed {
		t.Helper()
		id, dk, err := ks.SealingKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ks.Bound(ctx, person, id); err != nil {
			t.Fatal(err)
		}
		ct, err := privacy.SealName(dk, name)
		if err != nil {
			t.Fatal(err)
		}
		return sealed{id, ct}
	}
	open := func(ks *privacy.KeyStore, person string, s sealed) (string, error) {
		t.Helper()
		dk, err := ks.NameKey(ctx, person, s.id)
		if err != nil {
			return "", err
		}
		return privacy.OpenName(dk, s.ct)
	}
	erased := seal("signer-a", "Fatima Zahra El Idrissi")
	kept := seal("signer-b", "Youssef Amrani")
	if name, err := open(ks, "signer-a", erased); err != nil || name != "Fatima Zahra El Idrissi" {
		t.Fatalf("before erase: %q, %v", name, err)
	}

	if err := ks.Erase(ctx, "signer-a"); err != nil {
		t.Fatal(err)
	}
	if err := ks.Erase(ctx, "signer-a"); err != nil {
		t.Fatalf("erasing twice: %v", err)
	}
	if err := ks.Destroy(ctx, erased.id); err != nil {
		t.Fatal(err)
	}
	// Erasing someone who never signed keeps them from getting a key.
	if err := ks.Erase(ctx, "signer-c"); err != nil {
		t.Fatal(err)
	}
	if err := ks.Erase(ctx, ""); err == nil {
		t.Error("erasing the empty person succeeded")
	}
	check := func(ks *privacy.KeyStore, when string) {
		t.Helper()
		if name, err := open(ks, "signer-a", erased); !errors.Is(err, privacy.ErrErased) {
			t.Errorf("%s: erased name opened: %q, %v", when, name, err)
		}
		// Even past the tombstone, the key itself is gone.
		if name, err := open(ks, "someone-else", erased); !errors.Is(err, privacy.ErrErased) {
			t.Errorf("%s: the destroyed key opened: %q, %v", when, name, err)
		}
		// A signature of an erased person recorded after the erasure (the
		// erasure was not yet known where it was signed) has its key
		// destroyed as soon as it is bound.
		for _, p := range []string{"signer-a", "signer-c"} {
			late := seal(p, "Late Signer")
			if name, err := open(ks, "someone-else", late); !errors.Is(err, privacy.ErrErased) {
				t.Errorf("%s: %s signed after erasure and the key survived: %q, %v", when, p, name, err)
			}
		}
		if name, err := open(ks, "signer-b", kept); err != nil || name != "Youssef Amrani" {
			t.Errorf("%s: another person's name: %q, %v", when, name, err)
		}
	}
	check(ks, "after erase")
	closeStore()

	ks, closeStore = openKeyStore(t, dataDir, keys)
	defer closeStore()
	check(ks, "after a restart")
}
