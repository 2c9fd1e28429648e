package audit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
)

// FuzzVerify feeds arbitrary exports and trusted checkpoints to Verify: it
// must never panic, and must return an error or a consistent Report.
func FuzzVerify(f *testing.F) {
	export, checkpoint := fuzzExport(f)
	r, err := audit.Verify(bytes.NewReader(export), audit.VerifyOptions{Checkpoint: checkpoint})
	if err != nil || len(r.Problems) > 0 || r.Events != 7 || r.Checkpoints != 1 {
		f.Fatalf("the seed export does not verify: %+v, %v", r, err)
	}
	f.Add(export, checkpoint)
	f.Add(export, "")
	l := bytes.SplitAfter(export, []byte("\n"))
	f.Add(bytes.Join([][]byte{l[0], l[2], l[1], l[3]}, nil), "") // swapped
	f.Add(bytes.Join([][]byte{l[0], l[1], l[1], l[3]}, nil), "") // duplicated
	f.Add(bytes.Join([][]byte{l[0], l[4], l[5], l[6]}, nil), "") // gap, then the checkpoint
	f.Add(l[0], checkpoint)                                      // truncated
	f.Add([]byte(`{"kind":"header","format":"tasharuk-export/v1","public_key":"x"}`), "")
	f.Add([]byte(""), "")

	f.Fuzz(func(t *testing.T, export []byte, checkpoint string) {
		r, err := audit.Verify(bytes.NewReader(export), audit.VerifyOptions{Checkpoint: checkpoint})
		if err != nil {
			return
		}
		if len(r.Problems) > audit.MaxProblems {
			t.Fatalf("%d problems, at most %d", len(r.Problems), audit.MaxProblems)
		}
		if r.Checkpoints > r.Events || r.Streams > r.Events || int64(r.Events) > r.LastPosition {
			t.Fatalf("inconsistent report: %d events, %d checkpoints, %d streams, last position %d",
				r.Events, r.Checkpoints, r.Streams, r.LastPosition)
		}
		if r.Root == "" {
			t.Fatal("a report without a root")
		}
	})
}

// fuzzExport returns a valid export of seven events in two streams, the
// sixth a checkpoint of the first five, and a trusted checkpoint of all
// seven.
func fuzzExport(tb testing.TB) (export []byte, checkpoint string) {
	tb.Helper()
	skey, vkey, err := audit.GenerateKey(origin)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	hdr, _ := json.Marshal(map[string]string{"kind": "header", "format": audit.ExportFormat, "public_key": vkey, "exported_at": "2026-03-02T09:00:00Z"})
	buf.Write(append(hdr, '\n'))
	var tree audit.Tree
	heads := map[string]eventstore.Event{}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	add := func(stream, typ string, payload []byte) {
		prev, ok := heads[stream]
		e := eventstore.Event{
			ID: fmt.Sprintf("0195f0c0-0000-7000-8000-%012d", tree.Size()+1), Stream: stream,
			Position: uint64(tree.Size() + 1), Type: typ, SchemaVersion: 1, Payload: payload,
			OccurredAt: at, RecordedAt: at, Actor: eventstore.Actor{Subject: "tester", Role: "staff", Council: "50910101"},
		}
		if ok {
			e.Revision, e.PrevHash = prev.Revision+1, prev.Hash
		}
		e.Hash = eventstore.ComputeHash(&e)
		heads[stream] = e
		if err := tree.Append(e.Hash); err != nil {
			tb.Fatal(err)
		}
		env, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(eventstore.ToEnvelope(&e))
		if err != nil {
			tb.Fatal(err)
		}
		line, _ := json.Marshal(map[string]any{"kind": "event", "envelope": json.RawMessage(env)})
		buf.Write(append(line, '\n'))
	}
	sign := func(size int64) (string, []byte) {
		root, err := tree.Root(size)
		if err != nil {
			tb.Fatal(err)
		}
		signed, err := audit.SignCheckpoint(signer, origin, size, root)
		if err != nil {
			tb.Fatal(err)
		}
		return signed, root[:]
	}
	for i := range 5 {
		add(fmt.Sprintf("test.s%d", i%2), "test.Happened", fmt.Appendf(nil, "payload %d", i))
	}
	signed, root := sign(5)
	payload, err := proto.Marshal(&auditeventsv1.CheckpointRecorded{TreeSize: 5, RootHash: root, SignedNote: signed})
	if err != nil {
		tb.Fatal(err)
	}
	add(audit.CheckpointStream("main"), audit.CheckpointType, payload)
	add("test.s0", "test.Happened", []byte("payload 6"))
	checkpoint, _ = sign(7)
	return buf.Bytes(), checkpoint
}
