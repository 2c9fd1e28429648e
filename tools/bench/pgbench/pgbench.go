// Package pgbench runs tools/bench's event-store workloads against
// PostgreSQL, the yardstick the figures are measured against: one
// INSERT per append into one table with a unique (stream, revision), every
// commit synchronous (synchronous_commit=on, fsync=on: scripts/postgres
// starts such a server), rows holding the same stored envelopes tasharuk
// writes, and a replay that reads and decodes them the same way.
package pgbench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

const schema = `
DROP TABLE IF EXISTS events;
CREATE TABLE events (
	position    bigserial PRIMARY KEY,
	stream      text NOT NULL,
	revision    bigint NOT NULL,
	id          uuid NOT NULL UNIQUE,
	type        text NOT NULL,
	data        bytea NOT NULL,
	recorded_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (stream, revision)
);`

const insert = `INSERT INTO events (stream, revision, id, type, data) VALUES ($1, $2, $3, $4, $5)`

// Yardstick is a PostgreSQL database the workloads run against.
type Yardstick struct {
	pool *pgxpool.Pool
}

// Open connects to url (pools of up to 300 connections) and makes the
// events table afresh.
func Open(ctx context.Context, url string) (*Yardstick, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.MaxConns = 300
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var sync string
	if err := pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&sync); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if sync != "on" {
		pool.Close()
		return nil, fmt.Errorf("postgres: synchronous_commit is %q; the comparison needs on", sync)
	}
	if _, err := pool.Exec(ctx, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: schema: %w", err)
	}
	return &Yardstick{pool: pool}, nil
}

// Close closes the pool.
func (y *Yardstick) Close() { y.pool.Close() }

// envelope returns a stored envelope of a one-event append, the bytes a
// tasharuk append stores, with its id.
func envelope(stream string, rev uint64, payloadSize int) (string, []byte) {
	p := natsbench.Proposed(payloadSize)
	h := eventstore.Head{}
	if rev > 0 {
		h = eventstore.Head{Exists: true, Revision: rev - 1}
	}
	sealed := eventstore.Seal(stream, h, []eventstore.Proposed{p}, time.Now())
	b, _ := eventstore.MarshalStored(&sealed[0])
	return p.ID, b
}

// Append is natsbench.Append on PostgreSQL: writers appending single
// events to their own streams, a new stream every 10 events.
func (y *Yardstick) Append(ctx context.Context, writers, total, payloadSize int) (natsbench.Result, error) {
	run := uuid.NewString()[:8]
	return natsbench.Workers(fmt.Sprintf("PostgreSQL append, %d writers, distinct streams", writers), writers, total/writers, func(w, i int) error {
		st := fmt.Sprintf("bench.%s.w%d.s%d", run, w, i/10)
		id, data := envelope(st, uint64(i%10), payloadSize)
		_, err := y.pool.Exec(ctx, insert, st, i%10, id, "petitions.SignatureAdded", data)
		return err
	})
}

// OneStream is natsbench.OneStream on PostgreSQL: writers append to one
// stream at the revision after the one they last saw; a unique violation
// is the conflict, answered by reading the stream's last revision and
// trying again.
func (y *Yardstick) OneStream(ctx context.Context, writers, total, payloadSize int) (natsbench.Result, error) {
	st := "bench.one." + uuid.NewString()[:8]
	id, data := envelope(st, 0, payloadSize)
	if _, err := y.pool.Exec(ctx, insert, st, 0, id, "petitions.SignatureAdded", data); err != nil {
		return natsbench.Result{}, err
	}
	seen := make([]int64, writers)
	var conflicts atomic.Int64
	r, err := natsbench.Workers(fmt.Sprintf("PostgreSQL one stream, %d writers, expected revisions", writers), writers, total/writers, func(w, _ int) error {
		for {
			id, data := envelope(st, uint64(seen[w]+1), payloadSize)
			_, err := y.pool.Exec(ctx, insert, st, seen[w]+1, id, "petitions.SignatureAdded", data)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23505" {
				conflicts.Add(1)
				if err := y.pool.QueryRow(ctx, "SELECT max(revision) FROM events WHERE stream = $1", st).Scan(&seen[w]); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			seen[w]++
			return nil
		}
	})
	r.Retries = int(conflicts.Load())
	return r, err
}

// Fill adds events (multi-row COPY, unmeasured) until the table holds
// total.
func (y *Yardstick) Fill(ctx context.Context, total, payloadSize int) error {
	var have int
	if err := y.pool.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&have); err != nil {
		return err
	}
	const per = 10000
	for have < total {
		n := min(per, total-have)
		rows := make([][]any, n)
		for i := range rows {
			st := fmt.Sprintf("fill.s%d", (have+i)/100)
			rev := (have + i) % 100
			id, data := envelope(st, uint64(rev), payloadSize)
			rows[i] = []any{st, int64(rev), id, "petitions.SignatureAdded", data}
		}
		if _, err := y.pool.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"stream", "revision", "id", "type", "data"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		have += n
	}
	return nil
}

// Replay reads the whole table in position order in one streamed query
// and decodes every envelope, as a projection rebuild would.
func (y *Yardstick) Replay(ctx context.Context) (natsbench.Result, error) {
	start := time.Now()
	rows, err := y.pool.Query(ctx, "SELECT position, data FROM events ORDER BY position")
	if err != nil {
		return natsbench.Result{}, err
	}
	defer rows.Close()
	n := 0
	var pos int64
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&pos, &data); err != nil {
			return natsbench.Result{}, err
		}
		if _, err := eventstore.UnmarshalStored(data, uint64(pos)); err != nil {
			return natsbench.Result{}, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return natsbench.Result{}, err
	}
	return natsbench.Measured("PostgreSQL replay (one query, decoded)", n, time.Since(start)), nil
}
