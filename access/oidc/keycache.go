package oidc

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// refetchInterval is the least time between two fetches of the key set
// that a token naming an unknown key may cause, and between retries after
// a failed fetch: random key ids cannot make us hammer the provider.
const refetchInterval = 10 * time.Second

// keyCache holds the provider's key set, fetched again when it has been
// held for ttl or, at most once per refetchInterval, when a token names a
// key it does not hold (the provider has rotated its keys).
type keyCache struct {
	url    string
	client *http.Client
	ttl    time.Duration
	// fetching is held by the one caller fetching the set; the others
	// wait (or give up with their context) and use its result.
	fetching chan struct{}

	mu          sync.Mutex
	keys        keySet
	fetchedAt   time.Time // of keys; zero: never fetched
	attemptedAt time.Time // last fetch, successful or not
	failedAt    time.Time // last failed fetch, zero after a success
	failure     error     // of that fetch
}

func newKeyCache(url string, client *http.Client, ttl time.Duration) *keyCache {
	return &keyCache{url: url, client: client, ttl: ttl, fetching: make(chan struct{}, 1)}
}

// fresh reports whether the cached set may be used at now; c.mu is held.
func (c *keyCache) fresh(now time.Time) bool {
	return !c.fetchedAt.IsZero() && now.Sub(c.fetchedAt) < c.ttl
}

// lookup returns the keys with id kid as of now.
func (c *keyCache) lookup(ctx context.Context, kid string, now time.Time) ([]publicKey, error) {
	c.mu.Lock()
	keys, fresh := c.keys, c.fresh(now)
	c.mu.Unlock()
	if fresh {
		if ks := keys[kid]; len(ks) > 0 {
			return ks, nil
		}
	}
	keys, err := c.refresh(ctx, now, fresh)
	if err != nil {
		return nil, err
	}
	if ks := keys[kid]; len(ks) > 0 {
		return ks, nil
	}
	return nil, fmt.Errorf("the provider has no key %q", kid)
}

// refresh fetches the key set, unless another caller did so while this one
// waited, and returns the set to use. unknownKey says the cached set is
// fresh but lacks a token's key: such fetches are rate-limited, and a
// failed one keeps the cached set.
func (c *keyCache) refresh(ctx context.Context, now time.Time, unknownKey bool) (keySet, error) {
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the key set: %w", ErrUnavailable, ctx.Err())
	}
	defer func() { <-c.fetching }()

	c.mu.Lock()
	switch {
	case unknownKey && now.Sub(c.attemptedAt) < refetchInterval:
		// Fetched a moment ago, maybe by the caller we waited for.
		keys := c.keys
		c.mu.Unlock()
		return keys, nil
	case !unknownKey && c.fresh(now):
		keys := c.keys
		c.mu.Unlock()
		return keys, nil
	case !unknownKey && c.failure != nil && now.Sub(c.failedAt) < refetchInterval:
		err := c.failure
		c.mu.Unlock()
		return nil, err
	}
	c.attemptedAt = now
	c.mu.Unlock()

	keys, err := fetchKeySet(ctx, c.client, c.url)

	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		// A caller that gave up says nothing about the provider.
		if ctx.Err() == nil {
			c.failedAt, c.failure = now, err
		}
		return nil, err
	}
	c.keys, c.fetchedAt, c.failedAt, c.failure = keys, now, time.Time{}, nil
	return keys, nil
}
