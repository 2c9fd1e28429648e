// Package esdbtest is an in-process EventStoreDB (KurrentDB) for tests: a
// gRPC server on a real loopback listener that speaks the server side of
// the protocol EventStore-Client-Go v4 uses, built on the client module's
// own generated service definitions (protos/streams, protos/serverfeatures,
// protos/gossip).
//
//	srv, err := esdbtest.New()
//	...
//	defer srv.Close()
//	client, err := esdb.NewClient(mustParse(srv.URL())) // "esdb://127.0.0.1:PORT?tls=false"
//
// # What it reproduces
//
// The behaviours below follow the server's sources (EventStore.Core,
// Services/Transport/Grpc and the index writer's commit check), as of the
// 23.10–24.x releases.
//
//   - Streams.Append (client streaming: the options first, then the proposed
//     messages). The first message must be the options, with a stream name
//     and an expected revision; every later message must be a proposed
//     message with an id and the "type" and "content-type" metadata. A
//     missing metadata key fails with InvalidArgument and the
//     "missing-required-metadata-property" exception trailer; more than
//     1 MiB of events in one append fails with InvalidArgument and the
//     "maximum-append-size-exceeded" trailer; any other malformed request
//     fails with Unknown, as an exception in the real server's handler
//     does.
//   - Expected revisions exactly as the server's commit check decides them:
//     any, no stream, stream exists, or a revision. A mismatch is not a gRPC
//     error but an AppendResp carrying WrongExpectedVersion, with both the
//     current fields (current_revision / current_no_stream, expected_*) and
//     the deprecated 20.6.0 ones filled in as the server does.
//   - Idempotency by event id: an append whose events already sit right
//     after the expected revision (no stream or a revision) succeeds
//     without writing, answering the original revision and position; with
//     any / stream exists, events whose ids were already committed to the
//     same stream, in order, are recognised the same way. A partial match
//     ("corrupted idempotency") is a WrongExpectedVersion, as on the server.
//     Event ids are not unique across streams, as on the server.
//   - An append is atomic, and all its events share one commit position;
//     positions are log offsets, so they grow with the size of the events
//     and are not dense. The commit position of an event is never below its
//     prepare position.
//   - Streams.Read of one stream, forwards or backwards, from the start, the
//     end or a revision, with a count: a stream with no events answers one
//     StreamNotFound message; anything else answers only events. Every event
//     carries the "type", "content-type" (application/json or
//     application/octet-stream: the server keeps only an is-json flag) and
//     "created" (100 ns ticks since the Unix epoch) metadata, its stream
//     revision and its commit and prepare positions; events read from a
//     stream have no ReadEvent position (no_position), events read from
//     $all carry the commit position.
//   - Streams.Read of $all, forwards (from a position inclusive) or
//     backwards (from a position exclusive), with or without a filter on
//     the stream name or the event type (prefixes or a regular expression).
//     A position whose commit part is below its prepare part is refused.
//   - Catch-up subscriptions to a stream (from the start, the end or after a
//     revision) and to $all (from the start, the end or after a position),
//     $all optionally filtered, with checkpoints every
//     max-search-window × checkpoint-interval-multiplier considered events.
//     Each answers a SubscriptionConfirmation first, then the recorded
//     events, then CaughtUp (sent since 23.10), then live events as they are
//     appended. A stream subscription to a stream that does not exist waits
//     for it.
//   - ServerFeatures.GetSupportedMethods (what the client asks on connect)
//     and Gossip.Read (asked only in cluster mode, esdb+discover://), which
//     answers one live leader: this server.
//   - UUIDs in the structured or the string form, as the read request asks.
//
// # What it does not reproduce
//
//   - Persistence: the log lives in memory and ends with Close.
//   - Streams.Delete, Streams.Tombstone and Streams.BatchAppend, and the
//     projections, persistent subscriptions, operations, users and monitoring
//     services: they answer Unimplemented.
//   - Stream metadata semantics ($$stream events are stored like any other:
//     no max count, max age, ACLs or truncate-before), scavenging, link
//     events and their resolution (resolve_links is accepted and ignored),
//     and the system streams the server writes itself ($stats, $users,
//     $settings, ...).
//   - Authentication and authorisation: no TLS, credentials are ignored and
//     everyone may read and write everything, $all included.
//   - Clusters: no elections, followers, read-only replicas or not-leader
//     redirects; "requires-leader" is ignored.
//   - Slow-consumer handling: a subscription never falls behind on its own
//     (no FellBehind); the server writes to it at the pace the client
//     reads. DropSubscriptions ends the subscriptions in progress the way
//     the real server ends a slow consumer's (Aborted, "Client
//     resubscription required"), so that tests can check resumption.
//   - The real server's committed-event-id cache is bounded; here every id
//     is remembered. Regular expressions in filters use Go's RE2 syntax,
//     not .NET's.
//   - Transaction-file details: positions are offsets into an imaginary
//     log, not the byte offsets a real server would give the same events.
package esdbtest
