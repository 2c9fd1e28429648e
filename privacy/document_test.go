package privacy_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tasharuk/tasharuk/privacy"
)

// A document sealed with its own data key opens with that key only; an
// altered ciphertext, or one presented as another document's, fails; once
// the key is destroyed it reads as erased, also after a restart, while
// another document's key stays.
func TestDocumentKeys(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	keys, err := privacy.LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks, closeStore := openKeyStore(t, dataDir, keys)
	id := privacy.DocumentKeyID("50910113", "019a0000-0000-7000-8000-000000000001", "019a0000-0000-7000-8000-000000000002")
	other := privacy.DocumentKeyID("50910113", "019a0000-0000-7000-8000-000000000001", "019a0000-0000-7000-8000-000000000003")
	plain := []byte("national_id,full_name\nAB123456,Fatima Zahra Alaoui\n")
	k, err := ks.NewDocumentKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.NewDocumentKey(ctx, id); err == nil {
		t.Fatal("a second key under one document's id")
	}
	k2, err := ks.NewDocumentKey(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := privacy.SealDocument(k, id, plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Alaoui")) || bytes.Contains(sealed, []byte("AB123456")) {
		t.Fatal("the sealed bytes hold the plain text")
	}
	got, err := ks.DocumentKey(ctx, id)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("key read back: %v", err)
	}
	if b, err := privacy.OpenDocument(got, id, sealed); err != nil || !bytes.Equal(b, plain) {
		t.Fatalf("open: %v", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := privacy.OpenDocument(k, id, tampered); err == nil {
		t.Error("an altered ciphertext opened")
	}
	if _, err := privacy.OpenDocument(k, other, sealed); err == nil {
		t.Error("a ciphertext opened as another document's")
	}
	if _, err := privacy.OpenDocument(k2, id, sealed); err == nil {
		t.Error("another document's key opened it")
	}
	for _, bad := range []string{"dk.abc", "AB123456", "doc..x", ""} {
		if _, err := ks.NewDocumentKey(ctx, bad); err == nil {
			t.Errorf("document key id %q accepted", bad)
		}
	}
	if err := ks.DestroyDocumentKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := ks.DestroyDocumentKey(ctx, id); err != nil {
		t.Fatalf("destroying twice: %v", err)
	}
	if _, err := ks.DocumentKey(ctx, id); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("after destruction: %v", err)
	}
	closeStore()
	ks, closeStore = openKeyStore(t, dataDir, keys)
	defer closeStore()
	if _, err := ks.DocumentKey(ctx, id); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("after a restart: %v", err)
	}
	if got, err := ks.DocumentKey(ctx, other); err != nil || !bytes.Equal(got, k2) {
		t.Fatalf("the other document's key: %v", err)
	}
	if _, err := ks.DocumentKey(ctx, privacy.DocumentKeyID("50910113", "x", "never")); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("a key never made: %v", err)
	}
}
