// Package esdb keeps tasharuk's event log in EventStoreDB (KurrentDB),
// through EventStore-Client-Go v4, for users who already run it.
//
// # Layout
//
// Each tasharuk stream is one EventStoreDB stream named Prefix + stream id
// (prefix "tasharuk-" by default: "tasharuk-petition.50910101.p1"). Each
// tasharuk event is one EventStoreDB event: its id is the tasharuk event id,
// its type the tasharuk type, its content type application/octet-stream and
// its data the stored envelope (eventstore.MarshalStored: the whole event
// with its hashes, without the global position). The server's own
// "created" time is not used; recorded_at is in the envelope.
//
// # Appends, expected revisions and idempotency
//
// An append reads the stream's head (its last event, read backwards) or
// remembers it from the store's own last append, checks the caller's
// expected revision, seals the events (revisions and hash chain) after that
// head and sends them in one AppendToStream, which EventStoreDB writes
// atomically. Because the hashes fix each event's revision and predecessor,
// the server is always asked to append exactly after the head that was
// sealed against: esdb.NoStream{} for a stream with no events,
// esdb.Revision(head) otherwise. For the caller's NoStream and Exact(n) that
// is exactly the caller's expectation; Any and StreamExists are checked
// against the head first, and when another writer got there in between
// (the server answers WrongExpectedVersion) the head is read again and the
// append retried (a bounded number of times). A WrongExpectedVersion that
// the caller's expectation explains becomes an
// *eventstore.WrongExpectedRevisionError whose Actual is the head read
// after the refusal. Appends to one stream from one process queue on a
// lock instead of racing.
//
// An append the server would refuse for its size (the server's
// MaxAppendSize, 1 MiB by default; Config.MaxAppendSize) fails with
// eventstore.ErrInvalidEvent before anything is sent.
//
// Retries are idempotent. The server itself answers an append whose event
// ids already sit right after the expected revision with the original
// result; the store recognises that answer (the events recorded there have
// other hashes than the ones it just sealed) and returns the events
// recorded the first time, with Duplicate set. A retry that the server
// would refuse (NoStream or Exact against a stream that has moved on, Any
// whose events are still the stream's last) is recognised before writing
// with eventstore.FindRecorded. Event ids are not unique across streams
// in EventStoreDB, and this store does not make them so.
//
// # Global positions
//
// tasharuk's positions are 1-based, dense and in commit order; EventStoreDB's
// $all positions (commit/prepare log offsets) are in commit order but not
// dense, and $all also holds other applications' streams and the server's
// system streams. The store therefore keeps a position index: position i is
// the i-th event of $all whose stream name has the store's prefix (and
// names a valid tasharuk stream). The index is computed by reading $all
// from the start when the store opens, kept in memory (about 24 bytes per
// event plus the stream names), and extended incrementally by reading $all
// from where it stopped: after each append (to learn the new events'
// positions), and on ReadAll, LastPosition and Subscribe. The client cannot
// filter a read of $all on the server (only subscriptions), so the index
// filters those reads itself; opening a store on a database with a large
// $all therefore takes as long as reading it, and reading $all needs a user
// allowed to (an admin or ops user on a secure server).
//
// Positions depend only on the order of the log's events in $all, so every
// store opened on the same database (and prefix) numbers them the same way,
// and they never change: EventStoreDB never reorders $all. They would change
// if events of the log's streams were deleted or scavenged, which tasharuk
// never does; the index refuses a stream whose revisions skip.
//
// # Reads and subscriptions
//
// ReadStream reads the stream forwards from a revision, in pages, and takes
// each event's position from the index. ReadAll reads $all from the $all
// position of its first event. Subscribe opens a catch-up subscription to
// $all, filtered on the server by the prefix, from the start or after the
// $all position of the event before the first wanted: the server sends the
// recorded events, then live ones; the store numbers them as the index does
// (and checks that they agree). A subscription the server drops (it cannot
// be reached, or it asks for a resubscription, as it does for a consumer
// too slow to keep up) is resumed after the last delivered event, with a
// growing pause between attempts; other errors end Subscribe.
//
// # Connection
//
// Open reads $all once, so an unreachable server fails Open with an error
// wrapping eventstore.ErrUnavailable within the context's deadline (the
// client does not watch contexts while it discovers the node, so Open runs
// that first call aside). Later calls fail with errors wrapping
// ErrUnavailable while the server cannot be reached. EventStore-Client-Go
// v4.2.0 closes itself for good after MaxDiscoverAttempts failed discoveries
// (connection string setting, default 10, 100 ms apart); the store then
// opens a new client on the next call, so it recovers once the server is
// back.
package esdb
