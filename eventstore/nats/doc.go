// Package natsstore keeps tasharuk's event log in one NATS JetStream stream.
//
// # Layout
//
// One stream (TASHARUK_LOG by default) holds the whole log; each event stream
// is one subject, <prefix>.<stream id> (prefix "tasharuk.log"). An event's
// global position is its JetStream stream sequence. The stream denies
// deletes and purges, keeps everything (no limits), and answers direct gets,
// which is how streams, heads and pages of the log are read.
//
// # Concurrency and idempotency
//
// An append reads (or remembers) the stream's head, checks the caller's
// expected revision, chains the events' hashes, and publishes with
// Nats-Expected-Last-Subject-Sequence set to the head's stream sequence, so
// the server refuses the write if anyone got there first, whatever process
// they ran in. Each message carries Nats-Msg-Id = event id, so the server
// drops a resent message within its duplicate window; beyond that window a
// retried append is recognised by looking where it would have landed
// ([eventstore.FindRecorded]'s rule), located from the stream's head in a
// few small reads whatever the stream's length. Appends to the same stream
// from one process are serialised in the process, in arrival order, so they
// queue instead of failing each other; one whose expectation the remembered
// head already contradicts fails at once, without the lock or a read.
//
// # Atomicity and group commit
//
// An append of several events is one JetStream atomic batch (nats-server
// 2.12+, stream option AllowAtomicPublish): the server stages the messages
// and stores all or none. The same mechanism gives group commit: appends to
// different streams that arrive while earlier commits are in flight are
// packed into one atomic batch (each append's first message carrying its own
// expected-sequence check), which the server writes to the log with one
// sync. On one replica the server first stages the batch in a file store of
// its own, made and removed for each batch (nats-server 2.15: three fsyncs,
// two synchronous writes and three folders per batch besides the log's
// sync, whatever its size; see docs/bench.md, "i17-batch"), so a batch
// pays only from a few dozen appends.
// A batch fails as a whole if any check fails; the committer then reads the
// heads of the batch's subjects, answers the appends whose check really
// failed, and commits the others again. A lone append, or one of a few in
// flight, is a plain publish, which the server syncs on its own: no server
// mode stores several messages with one fsync without the staging (a "fast
// batch" syncs each message), which is why few writers are bounded by one
// fsync per append.
//
// # Durability
//
// The embedded server runs with SyncAlways: every write (every batch) is
// fsynced before it is acknowledged, so an acknowledged event survives a
// crash or a power cut. Against an external cluster, durability comes from
// replication (3 replicas by default) and the cluster's own sync settings;
// see the README's production guide.
package natsstore
