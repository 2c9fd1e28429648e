package esdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	esdbc "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/eventstore/internal/streams"
)

// DefaultPrefix is the stream-name prefix of tasharuk's streams.
const DefaultPrefix = "tasharuk-"

// Config configures a Store.
type Config struct {
	// URL is the EventStoreDB connection string, e.g.
	// "esdb://host:2113?tls=false" or
	// "esdb://admin:changeit@host:2113?tlsCAFile=/etc/esdb/ca.crt". Any
	// setting of the client's connection string may be given.
	URL string
	// Username and Password, when set, override the URL's credentials. The
	// client sends credentials over TLS only.
	Username, Password string
	// TLSCAFile is a PEM file of the CA that signed the server's
	// certificate (the URL's tlsCAFile setting does the same).
	TLSCAFile string
	// Prefix is prepended to a tasharuk stream id to name its EventStoreDB
	// stream (default "tasharuk-"). Every stream whose name has the prefix
	// belongs to the log, so two logs in one database need prefixes neither
	// of which starts the other.
	Prefix string
	// MaxAppendSize is the server's MaxAppendSize setting: the most bytes
	// of events one append may carry (default 1 MiB, the server's default).
	// Larger appends fail with ErrInvalidEvent before anything is sent.
	MaxAppendSize int
	// Now is the clock for recorded_at (default time.Now).
	Now func() time.Time
	// Logger receives operational messages and the client library's log
	// (default slog.Default()).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.MaxAppendSize <= 0 {
		c.MaxAppendSize = 1 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Store is the EventStoreDB backend of eventstore.Store.
type Store struct {
	cfg      Config
	clientMu sync.Mutex
	client   *esdbc.Client
	clientCf esdbc.Configuration

	heads streams.HeadCache[eventstore.Head]
	locks streams.Locks
	idx   index

	// Operations in flight; Close waits for them before it closes the
	// client, which panics on calls that race with its Close.
	opsMu   sync.Mutex
	ops     sync.WaitGroup
	closing bool
	// stop ends the operations in flight when the store closes.
	stopCtx context.Context
	stop    context.CancelFunc

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the server and builds the position index by reading $all
// from the start (see the package documentation). An unreachable server
// fails with an error wrapping eventstore.ErrUnavailable, within ctx's
// deadline.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if strings.HasPrefix(cfg.Prefix, "$") {
		return nil, fmt.Errorf("esdb: prefix %q: names starting with '$' are the server's system streams", cfg.Prefix)
	}
	conf, err := esdbc.ParseConnectionString(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("esdb: connection string %s: %w", redact(cfg.URL), err)
	}
	if cfg.Username != "" {
		conf.Username, conf.Password = cfg.Username, cfg.Password
	}
	if cfg.TLSCAFile != "" {
		pem, err := os.ReadFile(cfg.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("esdb: read TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("esdb: no certificate in %s", cfg.TLSCAFile)
		}
		conf.RootCAs = pool
	}
	conf.Logger = clientLogger(cfg.Logger)

	s := &Store{cfg: cfg, clientCf: *conf}
	s.heads.Init(1 << 16)
	s.idx.init()
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	s.client, err = esdbc.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: %w", err)
	}

	// The client discovers the node on its first call and does not watch
	// ctx meanwhile, so the first call runs aside and Open keeps ctx's
	// deadline.
	first := s.client
	done := make(chan error, 1)
	go func() { done <- s.idx.extend(ctx, s) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		s.stop()
		go func() {
			<-done
			_ = first.Close()
		}()
		return nil, fmt.Errorf("esdb: open %s: %w: %v", redact(cfg.URL), eventstore.ErrUnavailable, ctx.Err())
	}
	if err != nil {
		s.stop()
		_ = s.conn().Close()
		return nil, fmt.Errorf("esdb: open %s: %w", redact(cfg.URL), err)
	}
	return s, nil
}

// redact hides a password in a connection string.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// clientLogger routes the client library's log to slog. The library logs
// every failed call and every ended subscription as an error; those are
// the store's to report, so they go to the debug level, and only the
// library's warnings stay warnings.
func clientLogger(l *slog.Logger) esdbc.LoggingFunc {
	return func(level esdbc.LogLevel, format string, args ...interface{}) {
		msg := "esdb client: " + fmt.Sprintf(format, args...)
		if level == esdbc.LogWarn {
			l.Warn(msg)
			return
		}
		l.Debug(msg, "level", level)
	}
}

// Prefix returns the stream-name prefix of the store's streams.
func (s *Store) Prefix() string { return s.cfg.Prefix }

func (s *Store) conn() *esdbc.Client {
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	return s.client
}

// replace swaps a client that gave up for a new one. EventStore-Client-Go
// closes itself for good when it fails to discover the node
// MaxDiscoverAttempts times in a row; the old client is left alone, not
// closed, because closing it can panic calls that are blocked in it.
func (s *Store) replace(old *esdbc.Client) {
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	if s.client != old || s.closed.Load() {
		return
	}
	cf := s.clientCf
	c, err := esdbc.NewClient(&cf)
	if err != nil {
		return
	}
	s.cfg.Logger.Info("esdb: the client gave up on the server; opening a new one")
	s.client = c
}

// name returns the EventStoreDB stream name of a tasharuk stream.
func (s *Store) name(stream string) string { return s.cfg.Prefix + stream }

// belongs reports whether an EventStoreDB stream is one of the log's and
// returns its tasharuk id.
func (s *Store) belongs(name string) (string, bool) {
	id, ok := strings.CutPrefix(name, s.cfg.Prefix)
	if !ok || eventstore.ValidateStreamID(id) != nil {
		return "", false
	}
	return id, true
}

// enter registers an operation; it fails once the store is closing. The
// returned context ends with ctx or when the store closes.
func (s *Store) enter(ctx context.Context) (context.Context, func(), error) {
	s.opsMu.Lock()
	if s.closing {
		s.opsMu.Unlock()
		return nil, nil, eventstore.ErrClosed
	}
	s.ops.Add(1)
	s.opsMu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(s.stopCtx, cancel)
	return ctx, func() {
		unhook()
		cancel()
		s.ops.Done()
	}, nil
}

// fail turns a client error into the store's: the caller's context error,
// ErrClosed, or an error wrapping ErrUnavailable when the server cannot be
// reached.
func (s *Store) fail(ctx context.Context, c *esdbc.Client, op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	if ctx.Err() != nil {
		return fmt.Errorf("esdb: %s: %w", op, ctx.Err())
	}
	if errors.Is(err, eventstore.ErrUnavailable) || errors.Is(err, eventstore.ErrClosed) {
		return err
	}
	var e *esdbc.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdbc.ErrorCodeConnectionClosed:
			s.replace(c)
			return fmt.Errorf("%w: %s: %v", eventstore.ErrUnavailable, op, err)
		case esdbc.ErrorUnavailable, esdbc.ErrorCodeDeadlineExceeded, esdbc.ErrorCodeNotLeader, esdbc.ErrorAborted:
			return fmt.Errorf("%w: %s: %v", eventstore.ErrUnavailable, op, err)
		}
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return fmt.Errorf("%w: %s: %v", eventstore.ErrUnavailable, op, err)
	}
	return fmt.Errorf("esdb: %s: %w", op, err)
}

// Close stops the operations in flight and closes the connection.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.opsMu.Lock()
		s.closing = true
		s.opsMu.Unlock()
		s.stop()
		idle := make(chan struct{})
		go func() {
			s.ops.Wait()
			close(idle)
		}()
		closeClient := func() { _ = s.conn().Close() }
		select {
		case <-idle:
			closeClient()
		case <-time.After(10 * time.Second):
			// A call blocked inside the client (node discovery does not
			// watch contexts): close once it returns.
			s.cfg.Logger.Warn("esdb: closing while calls are still blocked in the client")
			go func() {
				<-idle
				closeClient()
			}()
		}
	})
	return nil
}

// maxAppendAttempts bounds the retries of an append whose expectation still
// holds but whose write lost a race (another process wrote the stream).
const maxAppendAttempts = 12

// AppendMulti implements eventstore.Store. EventStoreDB has no transaction
// over several streams, so this backend does not offer one: it validates the
// input and returns eventstore.ErrMultiStreamUnsupported, recording
// nothing; callers append stream by stream instead.
func (s *Store) AppendMulti(_ context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppendMulti(appends); err != nil {
		return nil, err
	}
	return nil, eventstore.ErrMultiStreamUnsupported
}

// Append implements eventstore.Store.
//
// The events are sealed (hash-chained) after the stream's head, so the
// server is asked to append them exactly there: with NoStream for a new
// stream, with the head's revision otherwise. For the caller's NoStream and
// Exact(n) that is the caller's own expectation; Any and StreamExists are
// checked against the head first and retried, with a head read again, when
// another writer got there in between.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.Proposed) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	ctx, leave, err := s.enter(ctx)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer leave()
	unlock := s.locks.Lock(stream)
	defer unlock()

	// mustRead is set when the remembered head proved stale or the server
	// refused a write for its expected revision: the head is read then.
	mustRead := false
	for attempt := 0; ; attempt++ {
		h, ok := s.heads.Get(stream)
		if !ok && !mustRead && expected.IsNoStream() {
			// Creating a stream (a signature, a new case) needs no read:
			// the server's no-stream check decides, and a refusal brings
			// us back here to read the head.
			ok = true
		}
		fresh := false
		if !ok || mustRead {
			h, err = s.readHead(ctx, stream)
			if err != nil {
				return eventstore.AppendResult{}, err
			}
			fresh, mustRead = true, false
		}
		if !expected.Matches(h) || (h.Exists && h.LastID == events[len(events)-1].ID) {
			if !fresh {
				// The remembered head may be stale: look again before failing.
				s.heads.Forget(stream)
				mustRead = true
				continue
			}
			res, found, err := eventstore.FindRecorded(ctx, s, stream, expected, h, events)
			if err != nil {
				return eventstore.AppendResult{}, err
			}
			if found {
				return res, nil
			}
			if !expected.Matches(h) {
				return eventstore.AppendResult{}, &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: eventstore.ActualRevision(h)}
			}
		}
		sealed := eventstore.Seal(stream, h, events, s.cfg.Now())
		data := make([]esdbc.EventData, len(sealed))
		size := 0
		for i := range sealed {
			b, err := eventstore.MarshalStored(&sealed[i])
			if err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("esdb: encode event: %w", err)
			}
			data[i] = esdbc.EventData{
				EventID:     uuid.MustParse(sealed[i].ID),
				EventType:   sealed[i].Type,
				ContentType: esdbc.ContentTypeBinary,
				Data:        b,
			}
			// What the server counts (Event.SizeOnDisk): data, metadata
			// and the type name in UTF-16.
			size += len(b) + 2*len(sealed[i].Type)
		}
		if size > s.cfg.MaxAppendSize {
			return eventstore.AppendResult{}, fmt.Errorf("%w: %d events of %d bytes exceed the server's maximum append size (%d bytes)", eventstore.ErrInvalidEvent, len(events), size, s.cfg.MaxAppendSize)
		}
		var at esdbc.ExpectedRevision = esdbc.NoStream{}
		if h.Exists {
			at = esdbc.Revision(h.Revision)
		}
		c := s.conn()
		wr, err := c.AppendToStream(ctx, s.name(stream), esdbc.AppendToStreamOptions{ExpectedRevision: at}, data...)
		if err != nil {
			s.heads.Forget(stream)
			var e *esdbc.Error
			if errors.As(err, &e) && e.Code() == esdbc.ErrorCodeWrongExpectedVersion {
				// Someone else wrote the stream since we read its head (or
				// the remembered head was stale). Read it again and decide
				// again: the caller's expectation may still hold (Any,
				// StreamExists), be met by an earlier identical append, or
				// fail with the typed error.
				mustRead = true
				if attempt+1 >= maxAppendAttempts {
					return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s kept losing races after %d attempts: %w", stream, attempt+1, err)
				}
				if attempt > 0 {
					// Writers in other processes keep winning: step back
					// a random while so that one of them does not starve.
					select {
					case <-ctx.Done():
						return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: %w", stream, ctx.Err())
					case <-time.After(time.Duration(rand.Int64N(int64(min(time.Millisecond<<attempt, 100*time.Millisecond))))):
					}
				}
				continue
			}
			if status.Code(err) == codes.InvalidArgument {
				return eventstore.AppendResult{}, fmt.Errorf("%w: the server refused the append to %s: %v", eventstore.ErrInvalidEvent, stream, err)
			}
			return eventstore.AppendResult{}, s.fail(ctx, c, "append to "+stream, err)
		}
		res, err := s.appended(ctx, stream, sealed, data, wr.NextExpectedVersion)
		if err != nil {
			s.heads.Forget(stream)
			return eventstore.AppendResult{}, err
		}
		if res.Duplicate {
			s.heads.Forget(stream)
		} else {
			last := sealed[len(sealed)-1]
			s.heads.Put(stream, eventstore.Head{Exists: true, Revision: last.Revision, Hash: last.Hash, LastID: last.ID})
		}
		return res, nil
	}
}

// appended completes a successful append: it finds the positions of the
// events in $all and tells a fresh write from the server's idempotent
// answer to a repeated one (the same ids at the same revisions, recorded
// earlier with other times and hashes), which it answers with the events
// recorded then.
func (s *Store) appended(ctx context.Context, stream string, sealed []eventstore.Event, data []esdbc.EventData, lastRev uint64) (eventstore.AppendResult, error) {
	n := uint64(len(sealed))
	if lastRev+1 < n {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s of %d events answered revision %d", stream, n, lastRev)
	}
	if err := s.idx.ensure(ctx, s, stream, lastRev); err != nil {
		return eventstore.AppendResult{}, s.fail(ctx, s.conn(), "index append to "+stream, err)
	}
	first := lastRev + 1 - n
	ours := first == sealed[0].Revision
	for i := uint64(0); ours && i < n; i++ {
		pos, _ := s.idx.lookup(stream, first+i)
		d, ok := s.idx.digest(pos)
		if !ok {
			ours = false
			break
		}
		ours = d == sha256.Sum256(data[i].Data)
		sealed[i].Position = pos
	}
	if ours {
		last := sealed[n-1]
		return eventstore.AppendResult{Revision: last.Revision, Position: last.Position, Events: sealed}, nil
	}
	// Either the server answered an earlier identical append, or the
	// digests have left the recent window: read what is recorded.
	got, err := s.ReadStream(ctx, stream, first, int(n))
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if uint64(len(got)) != n {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: %d of %d events found at revision %d", stream, len(got), n, first)
	}
	dup := false
	for i := range got {
		if got[i].ID != sealed[i].ID {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: revision %d holds event %s, not %s", stream, got[i].Revision, got[i].ID, sealed[i].ID)
		}
		if !bytes.Equal(got[i].Hash, sealed[i].Hash) {
			dup = true
		}
	}
	last := got[len(got)-1]
	return eventstore.AppendResult{Revision: last.Revision, Position: last.Position, Events: got, Duplicate: dup}, nil
}
