package notifications

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// The planner snapshot: the planner's state at a log position, with the
// messages not yet settled then, kept in a JetStream object store so a
// restart (or a new replica) reads the log from that position instead of
// from the first event.
//
// Why the unsettled messages go with it: the durable position ("position"
// in the bucket) lags the planner (messages are being sent); a restart
// that resumed the planner at the snapshot but queued only later events
// would lose the messages of the events in between. With them, every
// message of an event up to the snapshot is either settled in the bucket
// or in the snapshot; a message queued again that was settled meanwhile
// is skipped by its claim (sent, dead, dropped).
//
// It holds what the planner holds: facts of the log, and contact details
// sealed as the identity context sealed them (an erased person's key is
// destroyed, so an older snapshot's copy opens no more than the log's).

// plannerSnapshotVersion changes whenever the planner's state or how it
// reads an event changes: a snapshot of another version is ignored and
// the log replayed.
const plannerSnapshotVersion = 1

// plannerObject is the object's name in the store.
const plannerObject = "planner"

type plannerState struct {
	Version   int
	Position  uint64
	Petitions map[string]*petition
	Follows   map[string]*follow
	Requests  map[string]*request
	Contacts  map[string]sealedContact
	Erased    map[string]bool
	// Pending are the messages not settled at Position.
	Pending []Message
}

// SnapshotStore opens (or creates) the planner snapshot's object store.
func SnapshotStore(ctx context.Context, js jetstream.JetStream, name string, replicas int) (jetstream.ObjectStore, error) {
	if replicas < 1 {
		replicas = 1
	}
	return js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: name, Storage: jetstream.FileStorage, Replicas: replicas,
		Description: "tasharuk notifications: the outbox planner's state at a log position"})
}

// snapshot encodes the planner and the unsettled messages, if the planner
// is at the outbox's planned position (not in the middle of an event).
// It is called with o.mu held.
func (o *Outbox) snapshotLocked() ([]byte, uint64, bool) {
	p := o.Planner
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.position != o.planned || p.position == 0 {
		return nil, 0, false
	}
	st := plannerState{Version: plannerSnapshotVersion, Position: p.position, Petitions: p.petitions, Follows: p.follows, Requests: p.requests,
		Contacts: p.contacts, Erased: p.erased}
	for _, q := range o.queue {
		st.Pending = append(st.Pending, q.m)
	}
	for _, m := range o.active {
		st.Pending = append(st.Pending, m)
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(st); err != nil {
		return nil, 0, false
	}
	return b.Bytes(), st.Position, true
}

// saveSnapshot writes a snapshot if the planner moved SnapshotEvery
// events since the last.
func (o *Outbox) saveSnapshot(ctx context.Context) {
	o.mu.Lock()
	if o.planned < o.snapped+uint64(o.SnapshotEvery) {
		o.mu.Unlock()
		return
	}
	data, pos, ok := o.snapshotLocked()
	o.mu.Unlock()
	if !ok {
		return
	}
	if _, err := o.Snapshots.PutBytes(ctx, plannerObject, data); err != nil {
		o.Logger.Warn("saving the notifications planner snapshot failed", "position", pos, "err", err)
		return
	}
	o.mu.Lock()
	o.snapped = pos
	o.mu.Unlock()
}

// loadSnapshot restores the planner from the snapshot, if one of this
// version and not past the log's head exists, and returns its position
// and unsettled messages.
func (o *Outbox) loadSnapshot(ctx context.Context) (uint64, []Message, error) {
	data, err := o.Snapshots.GetBytes(ctx, plannerObject)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read the planner snapshot: %w", err)
	}
	var st plannerState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil || st.Version != plannerSnapshotVersion {
		o.Logger.Warn("notifications planner snapshot ignored (another version or unreadable): the log is replayed", "err", err)
		return 0, nil, nil
	}
	head, err := o.Store.LastPosition(ctx)
	if err != nil {
		return 0, nil, err
	}
	if st.Position > head {
		// The log is shorter than the snapshot (restored from an older
		// backup): the snapshot describes another log.
		o.Logger.Warn("notifications planner snapshot ignored: past the log's head", "snapshot", st.Position, "head", head)
		return 0, nil, nil
	}
	p := o.Planner
	p.mu.Lock()
	p.petitions, p.follows, p.requests, p.contacts, p.erased, p.position = st.Petitions, st.Follows, st.Requests, st.Contacts, st.Erased, st.Position
	for _, m := range []any{&p.petitions, &p.follows, &p.requests, &p.contacts, &p.erased} {
		ensureMap(m)
	}
	p.mu.Unlock()
	return st.Position, st.Pending, nil
}

// ensureMap makes a nil map decoded from an empty one usable.
func ensureMap(m any) {
	switch v := m.(type) {
	case *map[string]*petition:
		if *v == nil {
			*v = map[string]*petition{}
		}
	case *map[string]*follow:
		if *v == nil {
			*v = map[string]*follow{}
		}
	case *map[string]*request:
		if *v == nil {
			*v = map[string]*request{}
		}
	case *map[string]sealedContact:
		if *v == nil {
			*v = map[string]sealedContact{}
		}
	case *map[string]bool:
		if *v == nil {
			*v = map[string]bool{}
		}
	}
}

// PlannerStart is the log position the planner was rebuilt from at the
// last Run: 1 without a snapshot, the snapshot's position + 1 with one.
func (o *Outbox) PlannerStart() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.plannerStart
}

// Snapshotted is the log position of the last planner snapshot this
// replica saved or restored (0 for none).
func (o *Outbox) Snapshotted() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.snapped
}
