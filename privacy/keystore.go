package privacy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// ErrErased: the person's data key was deleted; their name is gone.
var ErrErased = errors.New("privacy: personal data erased")

// KeyStore holds the data keys that seal signers' names, outside the event
// log: a JetStream key-value bucket (replicated like the log on a cluster),
// each value sealed with the master key.
//
// Two kinds of entries live there:
//   - "dk.<id>": a data key made ahead of demand in batches (the pool) and
//     bound to a signer by the signature event that names it. A signature
//     then costs one durable write on its path (the event), not two (a new
//     key, then the event), and the key is durable before anything sealed
//     with it is.
//   - "<person>" (the signer key): the person's own data key, for
//     signatures recorded before pooled keys; and, purged, the tombstone of
//     an erased person, which hides every name sealed for them and makes
//     Bound destroy the key of any signature of theirs still being written.
type KeyStore struct {
	keys *Keys
	nc   *nats.Conn
	kv   jetstream.KeyValue
	// replicated: the bucket has several replicas, and a direct get may be
	// answered by one that lags the leader.
	replicated bool
	st         jetstream.Stream // the bucket's stream, to tell a tombstone from nothing
	bucket     string
	// pub writes keys with group commit: a refill of the pool is one synced
	// batch.
	pub  *natsstore.Publisher
	pool keyPool
	// binds queues BindLater's checks for one background worker; closed
	// (under bindMu) by Close.
	bindMu   sync.RWMutex
	closed   bool
	binds    chan binding
	bindDone chan struct{}
}

// binding is a recorded signature's key to confirm.
type binding struct{ person, id string }

// dataKeyPrefix starts the ids of pooled data keys.
const dataKeyPrefix = "dk."

// Pool sizes: refills start small (a test server signs a handful) and
// double each time signers had to wait, up to the server's atomic batch
// limit.
const (
	minRefill = 32
	maxRefill = 1000
	// refillTimeout bounds one refill's writes.
	refillTimeout = 10 * time.Second
)

// OpenKeyStore opens (creating if needed) the bucket.
func OpenKeyStore(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, bucket string, replicas int, keys *Keys) (*KeyStore, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "tasharuk: per-person data keys (personal data stays out of the log)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: open key bucket %s: %w", bucket, err)
	}
	st, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("privacy: key bucket %s: %w", bucket, err)
	}
	pub, err := natsstore.NewPublisher(ctx, nc, js, "KV_"+bucket, 0)
	if err != nil {
		return nil, err
	}
	s := &KeyStore{keys: keys, nc: nc, kv: kv, replicated: replicas > 1, st: st, bucket: bucket, pub: pub,
		binds: make(chan binding, 4096), bindDone: make(chan struct{})}
	s.pool.store = s
	s.pool.size = minRefill
	go s.bindLoop()
	return s, nil
}

// Close stops the key store's publisher. Keys still in the pool stay in
// the bucket unused: they sealed nothing.
func (s *KeyStore) Close() {
	s.bindMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.binds)
	}
	s.bindMu.Unlock()
	<-s.bindDone
	s.pool.close()
	s.pub.Close()
}

// SealingKey returns a key to seal a new signature's name with, and its id
// to record in the signature event: a fresh key from the pool, already
// durable. Refusing an erased person is the caller's business (it knows
// from the log); after the signature is durable, call Bound, which
// destroys the key if the person turns out to be erased. If the signature
// was refused, give the key back with Unused.
func (s *KeyStore) SealingKey(ctx context.Context) (id string, key []byte, err error) {
	k, err := s.pool.take(ctx)
	if err != nil {
		return "", nil, err
	}
	return k.id, k.key, nil
}

// ownKey reads the person's entry: their own key, ErrErased for a
// tombstone, jetstream.ErrKeyNotFound for none.
func (s *KeyStore) ownKey(ctx context.Context, person string) ([]byte, error) {
	if strings.HasPrefix(person, dataKeyPrefix) || strings.HasPrefix(person, documentKeyPrefix) {
		return nil, fmt.Errorf("privacy: %q is not a person key", person)
	}
	return s.entry(ctx, person)
}

// entry reads a key's value, opened: ErrErased if it was deleted or
// purged, jetstream.ErrKeyNotFound if it never existed. (KeyValue.Get
// reports both as not found.)
func (s *KeyStore) entry(ctx context.Context, key string) ([]byte, error) {
	if !jetstreamKey(key) {
		return nil, fmt.Errorf("privacy: %q is not a key-store key", key)
	}
	m, err := s.st.GetLastMsgForSubject(ctx, "$KV."+s.bucket+"."+key)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return nil, jetstream.ErrKeyNotFound
	case err != nil:
		return nil, fmt.Errorf("privacy: read data key: %w", err)
	}
	if op := m.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
		return nil, ErrErased
	}
	return s.keys.openDataKey(key, m.Data)
}

// leaderEntry is entry read from the stream leader, which has every
// acknowledged write: on a replicated bucket a direct get may come from a
// replica a few writes behind. (A plain message get, not a direct one.)
func (s *KeyStore) leaderEntry(ctx context.Context, key string) ([]byte, error) {
	if !jetstreamKey(key) {
		return nil, fmt.Errorf("privacy: %q is not a key-store key", key)
	}
	req, err := json.Marshal(map[string]string{"last_by_subj": "$KV." + s.bucket + "." + key})
	if err != nil {
		return nil, err
	}
	reply, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+s.bucket, req)
	if err != nil {
		return nil, fmt.Errorf("privacy: read data key: %w", err)
	}
	var resp struct {
		Message *struct {
			Header []byte `json:"hdrs"`
			Data   []byte `json:"data"`
		} `json:"message"`
		Error *struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return nil, fmt.Errorf("privacy: read data key: %w", err)
	}
	switch {
	case resp.Error != nil && resp.Error.Code == 404:
		return nil, jetstream.ErrKeyNotFound
	case resp.Error != nil:
		return nil, fmt.Errorf("privacy: read data key: %s", resp.Error.Description)
	case resp.Message == nil:
		return nil, errors.New("privacy: read data key: empty answer")
	}
	if len(resp.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return nil, fmt.Errorf("privacy: read data key: %w", err)
		}
		if op := h.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			return nil, ErrErased
		}
	}
	return s.keys.openDataKey(key, resp.Message.Data)
}

// jetstreamKey: letters, digits, '-', '_', '=', '.' and no empty token.
func jetstreamKey(k string) bool {
	if k == "" || k[0] == '.' || k[len(k)-1] == '.' || strings.Contains(k, "..") {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '=', r == '.':
		default:
			return false
		}
	}
	return true
}

// Unused gives back a pooled key whose signature was refused: nothing
// sealed with it was recorded.
func (s *KeyStore) Unused(id string, key []byte) {
	if id != "" {
		s.pool.put(pooledKey{id: id, key: key})
	}
}

// Bound is called once the signature naming key id is durable. If the
// person was erased in the meantime, it destroys the key: an erasure that
// ran while the signature was being written may not have seen it, and the
// name must still be shredded.
func (s *KeyStore) Bound(ctx context.Context, person, id string) error {
	if id == "" {
		return nil
	}
	var err error
	if s.replicated {
		// A tombstone written just now must be seen: ask the leader.
		_, err = s.leaderEntry(ctx, person)
	} else {
		_, err = s.ownKey(ctx, person)
	}
	switch {
	case errors.Is(err, ErrErased):
		return s.Destroy(ctx, id)
	case err == nil, errors.Is(err, jetstream.ErrKeyNotFound):
		return nil
	default:
		return err
	}
}

// BindLater does Bound in the background, so that a signer is answered as
// soon as their signature is durable: the check only matters when an
// erasure of the same person runs at that very moment, and then the
// person's tombstone already hides the name everywhere. When the queue is
// full it binds at once. Close waits for the queue.
func (s *KeyStore) BindLater(person, id string) {
	if id == "" {
		return
	}
	s.bindMu.RLock()
	queued := false
	if !s.closed {
		select {
		case s.binds <- binding{person, id}:
			queued = true
		default:
		}
	}
	s.bindMu.RUnlock()
	if queued {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), refillTimeout)
	defer cancel()
	if err := s.Bound(ctx, person, id); err != nil {
		slog.Warn("privacy: could not confirm a signature's data key", "key_id", id, "err", err)
	}
}

func (s *KeyStore) bindLoop() {
	defer close(s.bindDone)
	for b := range s.binds {
		ctx, cancel := context.WithTimeout(context.Background(), refillTimeout)
		err := s.Bound(ctx, b.person, b.id)
		cancel()
		if err != nil {
			// The person's tombstone still hides the name; an erasure run
			// again destroys the key.
			slog.Warn("privacy: could not confirm a signature's data key", "key_id", b.id, "err", err)
		}
	}
}

// NameKey returns the key that opens a name sealed for person: the pooled
// key id, or the person's own key when id is "". It fails with ErrErased
// when the person was erased or the key destroyed.
func (s *KeyStore) NameKey(ctx context.Context, person, id string) ([]byte, error) {
	own, err := s.ownKey(ctx, person)
	switch {
	case err == nil && id == "":
		return own, nil
	case errors.Is(err, jetstream.ErrKeyNotFound) && id == "":
		return nil, ErrErased
	case err != nil && !errors.Is(err, jetstream.ErrKeyNotFound):
		return nil, err
	}
	if !strings.HasPrefix(id, dataKeyPrefix) {
		return nil, fmt.Errorf("privacy: %q is not a data key id", id)
	}
	return s.durableKey(ctx, id)
}

// durableKey reads a data key that was made durable before anything
// sealed with it was recorded (a signature's, a document's): a replica
// that lacks it lags, so the leader is asked, which has it or its
// destruction. Not found there, it was destroyed: ErrErased.
func (s *KeyStore) durableKey(ctx context.Context, id string) ([]byte, error) {
	k, err := s.entry(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) && s.replicated {
		k, err = s.leaderEntry(ctx, id)
	}
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrErased
	}
	return k, err
}

// Erase tombstones a person: their own key, if any, is deleted with its
// history; the tombstone hides every name sealed for them and makes Bound
// destroy the key of a signature of theirs still being written. Their
// pooled keys are destroyed with Destroy (the caller finds them in the
// log).
func (s *KeyStore) Erase(ctx context.Context, person string) error {
	if strings.HasPrefix(person, dataKeyPrefix) || strings.HasPrefix(person, documentKeyPrefix) {
		return fmt.Errorf("privacy: %q is not a person key", person)
	}
	if err := s.kv.Purge(ctx, person); err != nil {
		return fmt.Errorf("privacy: erase: %w", err)
	}
	return nil
}

// Destroy deletes pooled data keys and their history.
func (s *KeyStore) Destroy(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if !strings.HasPrefix(id, dataKeyPrefix) {
			return fmt.Errorf("privacy: %q is not a data key id", id)
		}
		if err := s.kv.Purge(ctx, id); err != nil {
			return fmt.Errorf("privacy: destroy data key: %w", err)
		}
	}
	return nil
}

// pooledKey is a durable data key not yet bound to anyone.
type pooledKey struct {
	id  string
	key []byte
}

// keyPool keeps durable data keys ready. When it runs below half a refill,
// one refill makes the next batch of keys in one group commit. Each
// refill during which a signer found the pool empty doubles the refills
// that follow (up to maxRefill), so the pool grows until half a refill
// outlasts a refill at the rate signatures arrive.
type keyPool struct {
	store *KeyStore

	mu        sync.Mutex
	ready     []pooledKey
	size      int
	closed    bool
	refilling bool
	// starved: a signer found the pool empty since the running refill
	// started (the next refill is already larger).
	starved bool
	waits   int           // times a signer found the pool empty
	done    chan struct{} // closed when the running refill ends
	err     error         // the last refill's failure
	running sync.WaitGroup
}

func (p *keyPool) take(ctx context.Context) (pooledKey, error) {
	for {
		p.mu.Lock()
		if n := len(p.ready); n > 0 {
			k := p.ready[n-1]
			p.ready = p.ready[:n-1]
			if n-1 < p.size/2 {
				p.refillLocked()
			}
			p.mu.Unlock()
			return k, nil
		}
		if p.closed {
			p.mu.Unlock()
			return pooledKey{}, errKeyStoreClosed
		}
		// Signers had to wait: make the next refills larger, once per
		// refill that ran dry. Usually a refill is already running (it
		// starts at half a refill left); growing only when none ran kept
		// the pool at its first size whatever the rate, so a refill
		// slowed by the disk (a synced batch can take hundreds of
		// milliseconds on a busy machine) held every signer behind it.
		p.waits++
		if !p.starved {
			p.starved = true
			p.size = min(2*p.size, maxRefill)
		}
		p.refillLocked()
		done := p.done
		p.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return pooledKey{}, ctx.Err()
		}
		p.mu.Lock()
		err := p.err
		empty := len(p.ready) == 0
		p.mu.Unlock()
		if empty && err != nil {
			return pooledKey{}, err
		}
	}
}

func (p *keyPool) put(k pooledKey) {
	p.mu.Lock()
	p.ready = append(p.ready, k)
	p.mu.Unlock()
}

// refillLocked starts a refill unless one runs.
func (p *keyPool) refillLocked() {
	if p.refilling || p.closed {
		return
	}
	p.refilling = true
	p.done = make(chan struct{})
	p.running.Add(1)
	go p.refill(p.size, p.done)
}

// refill makes n keys durable in one group commit (each write is submitted
// at once, so the key store's publisher packs them into one batch).
func (p *keyPool) refill(n int, done chan struct{}) {
	defer p.running.Done()
	s := p.store
	made := make([]pooledKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := s.newKey()
			if err == nil {
				made[i] = k
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var ok []pooledKey
	var firstErr error
	for i, k := range made {
		switch {
		case errs[i] == nil:
			ok = append(ok, k)
		case firstErr == nil:
			firstErr = errs[i]
		}
	}
	p.mu.Lock()
	p.ready = append(p.ready, ok...)
	p.err = firstErr
	p.refilling = false
	p.starved = false
	p.mu.Unlock()
	close(done)
}

// close stops refills and waits for a running one.
func (p *keyPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.running.Wait()
}

var errKeyStoreClosed = errors.New("privacy: key store closed")

// newKey makes one data key and stores it (only if its id is new).
func (s *KeyStore) newKey() (pooledKey, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return pooledKey{}, err
	}
	id := dataKeyPrefix + nuid.Next()
	sealed, err := s.keys.sealDataKey(id, k)
	if err != nil {
		return pooledKey{}, err
	}
	// Refills run on their own: a signer that stops waiting does not stop
	// the keys being made for the others.
	ctx, cancel := context.WithTimeout(context.Background(), refillTimeout)
	defer cancel()
	if _, err := s.pub.Publish(ctx, "$KV."+s.bucket+"."+id, 0, id, sealed); err != nil {
		return pooledKey{}, fmt.Errorf("privacy: store data key: %w", err)
	}
	return pooledKey{id: id, key: k}, nil
}
