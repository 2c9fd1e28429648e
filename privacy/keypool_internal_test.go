package privacy

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// openPoolStore is a key store on a fresh embedded server, its pool empty
// at its first size.
func openPoolStore(t *testing.T, bucket string) *KeyStore {
	t.Helper()
	ctx := context.Background()
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	js, _ := jetstream.New(s.Conn())
	keys, err := LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := OpenKeyStore(ctx, s.Conn(), js, bucket, 1, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ks.Close)
	return ks
}

// Signers who find the pool empty make the refills that follow larger
// even though a refill is already running when they do (it starts at half
// a refill left, so one nearly always is). Growing only when no refill ran
// kept the pool at 64 keys whatever the rate: under a surge every refill
// slowed by the disk held all signers behind it (issue 17: signatures
// waited seconds in SealingKey while their commits took milliseconds).
func TestKeyPoolGrowsWhenSignersWait(t *testing.T) {
	ks := openPoolStore(t, "POOL_GROWS")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A signer faster than any refill: it empties the pool each time.
	const n = 3000
	seen := make(map[string]bool, n)
	for range n {
		id, key, err := ks.SealingKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || len(key) != 32 {
			t.Fatalf("key %s given twice or of %d bytes", id, len(key))
		}
		seen[id] = true
	}
	p := &ks.pool
	p.mu.Lock()
	size, waits := p.size, p.waits
	p.mu.Unlock()
	if size != maxRefill {
		t.Errorf("after %d keys taken faster than refills make them, refills are %d keys, want %d", n, size, maxRefill)
	}
	// 32 → 64 → … → 1000 is six dry refills; then each 1000-key refill
	// may run dry once for a taker this fast. At a constant 64 keys it
	// would be ~47.
	if waits > 10 {
		t.Errorf("the signer found the pool empty %d times for %d keys, want at most 10", waits, n)
	}
}

// Many signers waiting on one refill grow the pool once, not once each.
func TestKeyPoolGrowsOncePerDryRefill(t *testing.T) {
	ks := openPoolStore(t, "POOL_ONCE")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const signers = 40 // fewer than the first refill makes
	var wg sync.WaitGroup
	errs := make(chan error, signers)
	for range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := ks.SealingKey(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p := &ks.pool
	p.mu.Lock()
	size, waits := p.size, p.waits
	p.mu.Unlock()
	if waits == 0 {
		t.Fatal("no signer waited for the first refill of an empty pool")
	}
	if size != 2*minRefill {
		t.Errorf("%d signers waited on the first refill; refills are now %d keys, want %d (doubled once)", signers, size, 2*minRefill)
	}
}
