package natsstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/internal/streams"
)

// Config configures a Store. With URL empty the store runs an embedded
// nats-server on DataDir; otherwise it connects to the cluster at URL.
type Config struct {
	// DataDir is the embedded server's data folder.
	DataDir string
	// Listen, in embedded mode, opens a NATS listener ("127.0.0.1:4222")
	// for other clients (the nats CLI, the integration feed's subscribers).
	// Empty means no network listener. With a listener the server
	// requires credentials: NKey users whose seeds are created in KeysDir
	// on first start (see UserService, UserFeed, UserOperator).
	Listen string
	// KeysDir is the folder of the NATS users' seeds (default DataDir/keys).
	KeysDir string
	// FeedStream and FeedSubjectPrefix name the integration feed's stream
	// and subjects (default TASHARUK_EVENTS, "tasharuk.events", as in
	// services/feed), which the feed user may read.
	FeedStream, FeedSubjectPrefix string

	// URL of an existing NATS cluster (comma-separated server URLs).
	URL string
	// CredsFile is a NATS credentials file (JWT + NKey) for URL.
	CredsFile string
	// NKeyFile is the service user's NKey seed for URL (a cluster
	// configured as deploy/nats/cluster.conf), FeedNKeyFile the feed
	// publisher's, in the cluster's feed account: with it, FeedConn is a
	// connection of its own signed in with that key.
	NKeyFile, FeedNKeyFile string
	// TLSCAFile, TLSCertFile, TLSKeyFile configure TLS to URL.
	TLSCAFile, TLSCertFile, TLSKeyFile string
	// Replicas of the log stream: 1 embedded, 3 by default on a cluster.
	Replicas int

	// Stream is the JetStream stream name (default TASHARUK_LOG).
	Stream string
	// SubjectPrefix is the subject prefix of event streams (default
	// "tasharuk.log").
	SubjectPrefix string
	// DuplicateWindow is the server's message-id deduplication window
	// (default 2 minutes).
	DuplicateWindow time.Duration
	// MaxBatch bounds the messages of one group commit (default 500, at most
	// 1,000: the server's atomic batch limit).
	MaxBatch int
	// MaxInflight bounds concurrent group commits. Default 1 embedded: the
	// server commits a single-replica stream's batches one at a time and
	// each costs about the same whatever its size, so one large batch beats
	// several small ones. Default 4 on a cluster, where commits pipeline.
	MaxInflight int
	// Linger is how long the committer waits for more appends to join a
	// batch once arrivals pause, when more are known to be coming or the
	// previous commit was a batch (default 1ms; negative disables).
	Linger time.Duration
	// MaxPlain: a commit of at most this many one-event appends is sent as
	// plain publishes instead of an atomic batch, whose fixed cost is higher
	// below a handful of messages (default 8; negative: always a batch).
	MaxPlain int
	// Now is the clock for recorded_at (default time.Now).
	Now func() time.Time
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = "TASHARUK_LOG"
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "tasharuk.log"
	}
	if c.KeysDir == "" {
		c.KeysDir = filepath.Join(c.DataDir, "keys")
	}
	if c.FeedStream == "" {
		c.FeedStream = defaultFeedStream
	}
	if c.FeedSubjectPrefix == "" {
		c.FeedSubjectPrefix = defaultFeedSubject
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
		if c.URL != "" {
			c.Replicas = 3
		}
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 500
	}
	if c.MaxBatch > 1000 {
		c.MaxBatch = 1000
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = 1
		if c.URL != "" {
			c.MaxInflight = 4
		}
	}
	if c.Linger == 0 {
		c.Linger = time.Millisecond
	}
	if c.MaxPlain == 0 {
		c.MaxPlain = defaultMaxPlain
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Store is the JetStream backend of eventstore.Store.
type Store struct {
	cfg Config
	emb *embedded
	nc  *nats.Conn
	// feedNC is the feed publisher's connection, in the feed's account,
	// when the embedded server has users; nil otherwise (the feed then
	// uses nc).
	feedNC *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream

	heads     streams.HeadCache[cachedHead]
	locks     streams.Locks
	committer *committer

	// lastWritten is the highest position this store has written; reads
	// against a replicated stream wait until the replica that answers has
	// it (read-your-writes across replicas).
	lastWritten atomic.Uint64
	closed      atomic.Bool
	closeOnce   sync.Once

	stats Stats
}

// Stats are counters of the store's work, for metrics.
type Stats struct {
	Appends       atomic.Uint64
	Events        atomic.Uint64
	Commits       atomic.Uint64
	BatchCommits  atomic.Uint64
	Conflicts     atomic.Uint64
	BatchRetries  atomic.Uint64
	CommittedMsgs atomic.Uint64
	// CommitNanos is the time spent in commit round trips, from the first
	// message sent to the acknowledgement.
	CommitNanos atomic.Uint64
	// Reads counts read requests to the server (heads and direct gets),
	// ReadMsgs the messages they returned.
	Reads, ReadMsgs atomic.Uint64
}

var _ eventstore.Store = (*Store)(nil)

// Open starts (embedded) or connects to (external) NATS and makes sure the
// log stream exists with the configured settings.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	s := &Store{cfg: cfg}
	s.heads.Init(1 << 16)
	var err error
	if cfg.URL == "" {
		if cfg.Replicas != 1 {
			return nil, errors.New("natsstore: the embedded server holds one replica; use --nats-url for replicated streams")
		}
		s.emb, err = startEmbedded(cfg.DataDir, cfg.Listen, embeddedAuth{keysDir: cfg.KeysDir, feedStream: cfg.FeedStream, feedPrefix: cfg.FeedSubjectPrefix})
		if err != nil {
			return nil, err
		}
		s.nc, err = s.emb.connect("tasharuk", asService)
		if err == nil && s.emb.users != nil {
			s.feedNC, err = s.emb.connect("tasharuk-feed", asFeedPublisher)
		}
		if err == nil && s.emb.users != nil {
			cfg.Logger.Info("NATS listener: credentials required", "listen", cfg.Listen,
				"feed_user_nkey", SeedFile(cfg.KeysDir, UserFeed), "operator_nkey", SeedFile(cfg.KeysDir, UserOperator))
		}
	} else {
		var opts []nats.Option
		opts, err = cfg.clientOptions()
		if err == nil && cfg.NKeyFile != "" {
			opts, err = withNKey(opts, cfg.NKeyFile)
		}
		if err == nil {
			s.nc, err = nats.Connect(cfg.URL, opts...)
		}
		if err == nil && cfg.FeedNKeyFile != "" {
			if opts, err = cfg.clientOptions(); err == nil {
				opts, err = withNKey(append(opts, nats.Name("tasharuk-feed")), cfg.FeedNKeyFile)
			}
			if err == nil {
				s.feedNC, err = nats.Connect(cfg.URL, opts...)
			}
		}
	}
	if err != nil {
		s.shutdown()
		return nil, fmt.Errorf("%w: connect to NATS: %v", eventstore.ErrUnavailable, err)
	}
	s.js, err = jetstream.New(s.nc)
	if err != nil {
		s.shutdown()
		return nil, fmt.Errorf("natsstore: JetStream context: %w", err)
	}
	if err := s.ensureStream(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	s.committer = newCommitter(s.nc, func(ctx context.Context, subject string) (uint64, error) {
		h, err := s.readHead(ctx, subject)
		return h.seq, err
	}, &s.stats, cfg.MaxBatch, cfg.MaxPlain, cfg.MaxInflight, cfg.Linger)
	return s, nil
}

func withNKey(opts []nats.Option, seedFile string) ([]nats.Option, error) {
	o, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		return nil, fmt.Errorf("natsstore: NKey seed %s: %w", seedFile, err)
	}
	return append(opts, o), nil
}

func (c *Config) clientOptions() ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name("tasharuk"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				c.Logger.Warn("disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.Logger.Info("reconnected to NATS", "server", nc.ConnectedUrlRedacted())
		}),
	}
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.TLSCAFile != "" || c.TLSCertFile != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.TLSCAFile != "" {
			pem, err := os.ReadFile(c.TLSCAFile)
			if err != nil {
				return nil, fmt.Errorf("natsstore: read TLS CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("natsstore: no certificate in %s", c.TLSCAFile)
			}
			tc.RootCAs = pool
		}
		if c.TLSCertFile != "" {
			cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
			if err != nil {
				return nil, fmt.Errorf("natsstore: load TLS client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

func (s *Store) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.cfg.Stream,
		Description: "tasharuk event log: one subject per event stream, never deleted",
		Subjects:    []string{s.cfg.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      0,
		MaxMsgSize:  -1,
		Storage:     jetstream.FileStorage,
		Replicas:    s.cfg.Replicas,
		Duplicates:  s.cfg.DuplicateWindow,
		// Events are never updated or deleted.
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

func (s *Store) ensureStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	for {
		s.stream, err = s.js.CreateOrUpdateStream(ctx, s.streamConfig())
		if err == nil {
			return nil
		}
		// A cluster that is still electing its meta leader answers with a
		// transient error; keep trying until the deadline.
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: create log stream %s: %v", eventstore.ErrUnavailable, s.cfg.Stream, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Conn returns the store's NATS connection (benchmarks and the integration
// feed, unless it has a FeedConn of its own, use it).
func (s *Store) Conn() *nats.Conn { return s.nc }

// FeedConn returns the connection the integration feed publishes on: the
// store's own, or, when the embedded server has users or a FeedNKeyFile is
// given, one in the feed's account (the feed's stream lives there, out of
// reach of the log).
func (s *Store) FeedConn() *nats.Conn {
	if s.feedNC != nil {
		return s.feedNC
	}
	return s.nc
}

// Connect opens another connection to the store's NATS (in process for the
// embedded server, signed in as the service when it has users). A server
// reads each connection's messages in order, so short requests (key
// lookups) on their own connection do not queue behind the log's group
// commits. The caller closes it.
func (s *Store) Connect(name string) (*nats.Conn, error) {
	if s.emb != nil {
		return s.emb.connect(name, asService)
	}
	opts, err := s.cfg.clientOptions()
	if err == nil && s.cfg.NKeyFile != "" {
		opts, err = withNKey(opts, s.cfg.NKeyFile)
	}
	if err != nil {
		return nil, err
	}
	return nats.Connect(s.cfg.URL, append(opts, nats.Name(name))...)
}

// StreamName returns the JetStream stream that holds the log.
func (s *Store) StreamName() string { return s.cfg.Stream }

// Replicas returns the log stream's replica count.
func (s *Store) Replicas() int { return s.cfg.Replicas }

// Stats returns the store's counters.
func (s *Store) Stats() *Stats { return &s.stats }

func (s *Store) subject(stream string) string { return s.cfg.SubjectPrefix + "." + stream }

// Close stops the committer, closes the connection and, in embedded mode,
// shuts the server down. Writes acknowledged before Close are on disk.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.committer != nil {
			s.committer.close()
		}
		s.shutdown()
	})
	return nil
}

func (s *Store) shutdown() {
	if s.feedNC != nil {
		s.feedNC.Close()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.emb != nil {
		s.emb.shutdown()
	}
}

// defaultMaxPlain is Config.MaxPlain's default: measured here with every
// write synced, a plain publish costs about 0.2 ms of the server's time and
// an atomic batch about 1.5 ms plus 0.03 ms a message, so below about eight
// messages plain publishes are cheaper.
const defaultMaxPlain = 8

// maxAppendAttempts bounds the retries of an append whose expectation still
// holds but whose write lost a race (another process wrote the stream).
const maxAppendAttempts = 8

// Append implements eventstore.Store.
//
// Appends to one stream queue on the stream's lock while they read the
// head and write. What is found slow on the way — whether a refused append
// is a retry of one that landed earlier — is looked up after the lock is
// released, since it writes nothing.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.Proposed) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.closed.Load() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	s.stats.Appends.Add(1)
	looked := false
	for {
		res, look, appendErr := s.appendLocked(ctx, stream, expected, events, looked)
		if look == nil {
			return res, appendErr
		}
		head := look.head
		var err error
		if look.duplicate {
			// The server refused a message id it holds: read where it is.
			if head, err = s.readHead(ctx, s.subject(stream)); err != nil {
				return eventstore.AppendResult{}, err
			}
		}
		res, found, err := s.findRecorded(ctx, stream, expected, head, events)
		switch {
		case err != nil:
			return eventstore.AppendResult{}, err
		case found:
			return res, nil
		case !expected.Matches(head.Head):
			s.stats.Conflicts.Add(1)
			return eventstore.AppendResult{}, &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: eventstore.ActualRevision(head.Head)}
		case look.duplicate:
			return eventstore.AppendResult{}, fmt.Errorf("%w: %v", eventstore.ErrDuplicateEventID, appendErr)
		}
		// The expectation holds and the head merely ends with the last id
		// proposed, yet not all of the events are there: write, and let the
		// server's deduplication decide.
		looked = true
	}
}

// lookup asks Append to look, outside the stream's lock, for an earlier
// identical append: the stream's head refused the expectation or already
// ends with the events' last id (head is fresh), or the server refused a
// message id as a duplicate.
type lookup struct {
	head      cachedHead
	duplicate bool
}

// provenStale reports whether a remembered head already settles an
// expectation it contradicts. A remembered head can be behind the stream
// (another process wrote since), never ahead of it, and what it says of
// the revisions up to it never changes. So an expectation of a revision
// below it (or of no stream) fails whatever came after, and whether an
// earlier identical append landed there can be looked up from it: no read
// of the head is needed, which keeps the hot stream's losers from queuing
// reads on its lock.
func provenStale(expected eventstore.ExpectedRevision, h cachedHead, n int) bool {
	if !h.Exists {
		return false
	}
	if expected.IsNoStream() {
		return uint64(n)-1 <= h.Revision
	}
	rev, exact := expected.ExactRevision()
	return exact && rev < h.Revision && rev+uint64(n) <= h.Revision
}

// appendLocked is one append under the stream's lock. It returns a lookup
// when the outcome depends on whether the events were appended before.
func (s *Store) appendLocked(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.Proposed, looked bool) (eventstore.AppendResult, *lookup, error) {
	// A remembered head that already contradicts the expectation settles
	// it without the lock, before or while waiting for it.
	var seen cachedHead
	skip := func() bool {
		h, ok := s.heads.Get(stream)
		if ok && provenStale(expected, h, len(events)) {
			seen = h
			return true
		}
		return false
	}
	unlock, locked := s.locks.LockUnless(stream, skip)
	if !locked {
		return eventstore.AppendResult{}, &lookup{head: seen}, nil
	}
	defer unlock()

	subject := s.subject(stream)
	fresh := false
	// minSeq is the subject's last sequence as the server reported it when
	// it refused a write; a head read that is older comes from a replica
	// that lags, and is read again.
	var minSeq uint64
	for attempt := 0; ; attempt++ {
		h, ok := s.heads.Get(stream)
		if !ok && !fresh && expected.IsNoStream() && minSeq == 0 {
			// Creating a stream (a signature, a new case) needs no read:
			// the server's check that the subject is empty decides, and a
			// refusal brings us back here to read the head.
			ok = true
		}
		if !ok || fresh {
			var err error
			h, err = s.readHeadAtLeast(ctx, subject, minSeq)
			if err != nil {
				return eventstore.AppendResult{}, nil, err
			}
			fresh = true
		}
		if !expected.Matches(h.Head) || (!looked && h.Exists && h.LastID == events[len(events)-1].ID) {
			if !fresh && !provenStale(expected, h, len(events)) {
				// The remembered head may be stale: look again before failing.
				s.heads.Forget(stream)
				continue
			}
			return eventstore.AppendResult{}, &lookup{head: h}, nil
		}
		// More is coming: the committer may wait for this one.
		s.committer.coming.Add(1)
		sealed := eventstore.Seal(stream, h.Head, events, s.cfg.Now())
		msgs := make([][]byte, len(sealed))
		ids := make([]string, len(sealed))
		for i := range sealed {
			b, err := eventstore.MarshalStored(&sealed[i])
			if err != nil {
				s.committer.coming.Add(-1)
				return eventstore.AppendResult{}, nil, fmt.Errorf("natsstore: encode event: %w", err)
			}
			msgs[i], ids[i] = b, sealed[i].ID
		}
		lastSeq, err := s.committer.submit(ctx, &commitReq{subject: subject, expectSeq: h.seq, msgs: msgs, ids: ids, announced: true})
		var wrong *wrongLastSeqError
		switch {
		case err == nil:
		case errors.As(err, &wrong):
			// Someone else (another process) wrote the stream since we read
			// its head. Re-read and decide again: the caller's expectation
			// may still hold (Any, StreamExists) or now fail with the
			// typed error.
			s.heads.Forget(stream)
			fresh = false
			if wrong.actual > minSeq {
				minSeq = wrong.actual
			}
			if attempt+1 >= maxAppendAttempts {
				return eventstore.AppendResult{}, nil, fmt.Errorf("natsstore: append to %s kept losing races after %d attempts: %w", stream, attempt+1, err)
			}
			continue
		case errors.Is(err, errDuplicateMsgID):
			// In an atomic batch the server checks message ids before
			// expected sequences, so a retry of an append that landed comes
			// back as a duplicate id: look where it would be.
			s.heads.Forget(stream)
			return eventstore.AppendResult{}, &lookup{duplicate: true}, err
		default:
			s.heads.Forget(stream)
			return eventstore.AppendResult{}, nil, err
		}
		first := lastSeq - uint64(len(sealed)) + 1
		for i := range sealed {
			sealed[i].Position = first + uint64(i)
		}
		last := sealed[len(sealed)-1]
		s.heads.Put(stream, cachedHead{Head: eventstore.Head{Exists: true, Revision: last.Revision, Hash: last.Hash, LastID: last.ID}, seq: lastSeq})
		s.noteWritten(lastSeq)
		s.stats.Events.Add(uint64(len(sealed)))
		return eventstore.AppendResult{Revision: last.Revision, Position: lastSeq, Events: sealed}, nil, nil
	}
}

func (s *Store) noteWritten(seq uint64) {
	for {
		cur := s.lastWritten.Load()
		if seq <= cur || s.lastWritten.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// readHeadAtLeast reads a subject's head, reading again for a while if the
// replica that answers has not yet seen sequence atLeast.
func (s *Store) readHeadAtLeast(ctx context.Context, subject string, atLeast uint64) (cachedHead, error) {
	deadline := time.Now().Add(5 * time.Second)
	for wait := time.Millisecond; ; wait *= 2 {
		h, err := s.readHead(ctx, subject)
		if err != nil || h.seq >= atLeast || time.Now().After(deadline) {
			return h, err
		}
		select {
		case <-ctx.Done():
			return cachedHead{}, ctx.Err()
		case <-time.After(min(wait, 50*time.Millisecond)):
		}
	}
}

// readHead asks the server for a subject's last message.
func (s *Store) readHead(ctx context.Context, subject string) (cachedHead, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	s.stats.Reads.Add(1)
	s.stats.ReadMsgs.Add(1)
	msg, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return cachedHead{}, nil
	}
	if err != nil {
		return cachedHead{}, fmt.Errorf("%w: read head of %s: %v", eventstore.ErrUnavailable, subject, err)
	}
	e, err := eventstore.UnmarshalStored(msg.Data, msg.Sequence)
	if err != nil {
		return cachedHead{}, err
	}
	return cachedHead{Head: eventstore.Head{Exists: true, Revision: e.Revision, Hash: e.Hash, LastID: e.ID}, seq: msg.Sequence}, nil
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, 10*time.Second)
}

// LastPosition implements eventstore.Store.
func (s *Store) LastPosition(ctx context.Context) (uint64, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: stream info: %v", eventstore.ErrUnavailable, err)
	}
	return info.State.LastSeq, nil
}

// LastRecordedAt returns when the last event was stored, zero for an empty
// log.
func (s *Store) LastRecordedAt(ctx context.Context) (time.Time, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	info, err := s.stream.Info(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: stream info: %v", eventstore.ErrUnavailable, err)
	}
	if info.State.Msgs == 0 {
		return time.Time{}, nil
	}
	return info.State.LastTime, nil
}
