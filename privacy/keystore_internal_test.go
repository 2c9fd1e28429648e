package privacy

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// A person whose own data key was stored before pooled keys (signatures
// without name_key_id) keeps it: names recorded then open with it, and
// erasure removes it.
func TestOwnKeyOfEarlierSignatures(t *testing.T) {
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	js, _ := jetstream.New(s.Conn())
	keys, err := LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := OpenKeyStore(ctx, s.Conn(), js, "OWN_KEYS", 1, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	own := make([]byte, 32)
	own[0] = 7
	sealed, err := keys.sealDataKey("p-old", own)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.pub.Publish(ctx, "$KV.OWN_KEYS.p-old", 0, "p-old", sealed); err != nil {
		t.Fatal(err)
	}
	if k, err := ks.NameKey(ctx, "p-old", ""); err != nil || string(k) != string(own) {
		t.Fatalf("name key: %v", err)
	}
	if _, err := ks.NameKey(ctx, "p-new", ""); !errors.Is(err, ErrErased) {
		t.Fatalf("a person with no key and no pooled key id: %v", err)
	}
	if err := ks.Erase(ctx, "p-old"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.NameKey(ctx, "p-old", ""); !errors.Is(err, ErrErased) {
		t.Fatalf("after erasure: %v", err)
	}
	if _, err := ks.entry(ctx, "bad key!"); err == nil {
		t.Fatal("a malformed key was read")
	}
}
