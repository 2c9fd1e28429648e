// Package audittest holds the attacks the audit tests play: a consistent
// rewrite of an export by someone holding the log's signing key.
package audittest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	envelopev1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/envelope/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
)

// Cosignatures says what a rewrite does with the witnesses' cosignature
// events, which the forger cannot re-sign.
type Cosignatures int

const (
	// KeepCosignatures leaves them as they were.
	KeepCosignatures Cosignatures = iota
	// DropCosignatures removes them and renumbers the positions after
	// them, so the export looks like a log that never had witnesses.
	DropCosignatures
)

// Rewrite is the consistent-rewrite attack of issue 23: it applies change
// to the event at position, then recomputes what depends on it — every
// hash, every stream's chain, every checkpoint's root — and re-signs every
// checkpoint with stolen, the log's own key. The result passes audit
// verify with the log's public key alone; only the witnesses' cosignatures
// (which the forger cannot make) tell.
func Rewrite(export []byte, stolen note.Signer, position int64, change func(*envelopev1.Envelope), cos Cosignatures) ([]byte, error) {
	lines := bytes.Split(bytes.TrimSuffix(export, []byte("\n")), []byte("\n"))
	if len(lines) < 2 {
		return nil, errors.New("audittest: an export with no event")
	}
	out := [][]byte{lines[0]}
	var tree audit.Tree
	heads := map[string][]byte{}
	// kept[i] is the new position of old position i+1 (0: dropped).
	var kept []int64
	newPos := int64(0)
	for _, line := range lines[1:] {
		var l struct {
			Kind     string          `json:"kind"`
			Envelope json.RawMessage `json:"envelope"`
		}
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, err
		}
		var env envelopev1.Envelope
		if err := protojson.Unmarshal(l.Envelope, &env); err != nil {
			return nil, err
		}
		old := int64(env.GetGlobalPosition())
		if cos == DropCosignatures && env.GetType() == audit.CosignatureType {
			kept = append(kept, 0)
			continue
		}
		newPos++
		kept = append(kept, newPos)
		env.GlobalPosition = uint64(newPos)
		if old == position {
			change(&env)
		}
		env.PrevHash = heads[env.GetStreamId()]
		if env.GetType() == audit.CheckpointType {
			if err := resign(&env, &tree, stolen, kept); err != nil {
				return nil, err
			}
		}
		e := eventstore.FromEnvelope(&env)
		env.Hash = eventstore.ComputeHash(&e)
		heads[env.GetStreamId()] = env.GetHash()
		if err := tree.Append(env.GetHash()); err != nil {
			return nil, err
		}
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(&env)
		if err != nil {
			return nil, err
		}
		nl, err := json.Marshal(map[string]any{"kind": "event", "envelope": json.RawMessage(b)})
		if err != nil {
			return nil, err
		}
		out = append(out, nl)
	}
	return append(bytes.Join(out, []byte("\n")), '\n'), nil
}

// resign recomputes a checkpoint event over the rewritten tree.
func resign(env *envelopev1.Envelope, tree *audit.Tree, stolen note.Signer, kept []int64) error {
	var ck auditeventsv1.CheckpointRecorded
	if err := proto.Unmarshal(env.GetPayload(), &ck); err != nil {
		return err
	}
	text := ck.GetSignedNote()
	if i := bytes.Index([]byte(text), []byte("\n\n")); i >= 0 {
		text = text[:i+1]
	}
	origin, oldSize, _, err := audit.ParseCheckpointText(text)
	if err != nil {
		return err
	}
	// The events the checkpoint covered, as many as were kept.
	var size int64
	for _, p := range kept[:min(int(oldSize), len(kept))] {
		if p > 0 {
			size = p
		}
	}
	root, err := tree.Root(size)
	if err != nil {
		return fmt.Errorf("audittest: checkpoint of %d: %w", size, err)
	}
	signed, err := audit.SignCheckpoint(stolen, origin, size, root)
	if err != nil {
		return err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&auditeventsv1.CheckpointRecorded{TreeSize: uint64(size), RootHash: root[:], SignedNote: signed})
	if err != nil {
		return err
	}
	env.Payload = b
	return nil
}

// Checkpoint returns the signed note of the last checkpoint event of an
// export, and the event's position.
func Checkpoint(export []byte) (string, int64, error) {
	return CheckpointAt(export, -1)
}

// CheckpointAt returns the signed note of the checkpoint event of an
// export that covers size events (-1: the last one), and the event's
// position.
func CheckpointAt(export []byte, size int64) (string, int64, error) {
	var signed string
	var pos int64
	for _, line := range bytes.Split(export, []byte("\n")) {
		var l struct {
			Envelope json.RawMessage `json:"envelope"`
		}
		if json.Unmarshal(line, &l) != nil || len(l.Envelope) == 0 {
			continue
		}
		var env envelopev1.Envelope
		if protojson.Unmarshal(l.Envelope, &env) != nil || env.GetType() != audit.CheckpointType {
			continue
		}
		var ck auditeventsv1.CheckpointRecorded
		if err := proto.Unmarshal(env.GetPayload(), &ck); err != nil {
			return "", 0, err
		}
		if size < 0 || int64(ck.GetTreeSize()) == size {
			signed, pos = ck.GetSignedNote(), int64(env.GetGlobalPosition())
		}
	}
	if signed == "" {
		return "", 0, fmt.Errorf("audittest: no checkpoint of size %d in the export", size)
	}
	return signed, pos, nil
}
