package privacy_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
	"github.com/tasharuk/tasharuk/privacy"
)

// On a real 3-node cluster with a 3-replica bucket, a key made for a
// signature opens at once, whichever replica answers (a lagging one is
// not believed when it says "no such key"), and Bound sees a tombstone
// written just before it and destroys the key.
func TestKeyStoreOnCluster(t *testing.T) {
	c := natstest.Start(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := privacy.OpenKeyStore(ctx, nc, js, "CLUSTER_KEYS", 3, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()

	const n = 400
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			person := fmt.Sprintf("person-%d", i)
			id, k, err := ks.SealingKey(ctx)
			if err != nil {
				errs <- err
				return
			}
			got, err := ks.NameKey(ctx, person, id)
			if err != nil || string(got) != string(k) {
				errs <- fmt.Errorf("%s: a fresh key did not open: %v", person, err)
				return
			}
			if i%4 == 0 {
				// Erased while its signature was being written.
				if err := ks.Erase(ctx, person); err != nil {
					errs <- err
					return
				}
				if err := ks.Bound(ctx, person, id); err != nil {
					errs <- err
					return
				}
				// Bound destroyed the key on the leader; a replica that
				// lags (seen on a loaded CI machine) may still hand the old
				// key out for a moment: the key must be gone from whichever
				// replica answers within a few seconds.
				deadline := time.Now().Add(10 * time.Second)
				for {
					_, err := ks.NameKey(ctx, "someone-else", id)
					if errors.Is(err, privacy.ErrErased) {
						break
					}
					if time.Now().After(deadline) {
						errs <- fmt.Errorf("%s: the key survived Bound after the erasure: %v", person, err)
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
