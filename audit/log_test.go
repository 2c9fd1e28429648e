package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	envelopev1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/envelope/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t *testing.T) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// startCheckpointer runs c until the test ends, and checks that Run then
// returns nil.
func startCheckpointer(t *testing.T, c *audit.Checkpointer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func appendEvent(t *testing.T, s eventstore.Store, stream string, i int) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, eventstore.Any, []eventstore.Proposed{{
		ID:            uuid.Must(uuid.NewV7()).String(),
		Type:          "test.Happened",
		SchemaVersion: 1,
		Payload:       fmt.Appendf(nil, "payload of event %d", i),
		Actor:         eventstore.Actor{Subject: "tester", Role: "staff", Council: "50910101"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// logFixture is a log of 200 ordinary events across 20 streams with a
// checkpoint after every 50, and its export.
type logFixture struct {
	store  *natsstore.Store
	ck     *audit.Checkpointer
	signer note.Signer
	vkey   string
	export []byte
	sum    audit.ExportSummary
}

// Layout of the fixture's log: events 1-50, checkpoint 51 (size 50),
// events 52-101, checkpoint 102 (size 101), events 103-152, checkpoint 153
// (size 152), events 154-203, checkpoint 204 (size 203). Ordinary event i
// (0-based) goes to stream test.s<i mod 20>, or test.s<i mod 10> from
// i = 150 on, so streams test.s10 to test.s19 end before checkpoint 153.
var checkpointPositions = []int64{51, 102, 153, 204}

const fixtureEvents = 204

func newLogFixture(t *testing.T) *logFixture {
	t.Helper()
	ctx := context.Background()
	f := &logFixture{store: openStore(t)}
	f.signer, f.vkey = newSigner(t, origin)
	f.ck = &audit.Checkpointer{
		Store: f.store, Registry: es.NewRegistry(audit.EventTypes), Signer: f.signer,
		Origin: origin, LogName: "main", Every: 1 << 30, Interval: time.Hour, Logger: quiet,
	}
	startCheckpointer(t, f.ck)
	for i := range 200 {
		stream := fmt.Sprintf("test.s%02d", i%20)
		if i >= 150 {
			stream = fmt.Sprintf("test.s%02d", i%10)
		}
		res := appendEvent(t, f.store, stream, i)
		if (i+1)%50 == 0 {
			if err := f.ck.WaitFor(ctx, int64(res.Position)); err != nil {
				t.Fatal(err)
			}
			size, err := f.ck.Checkpoint(ctx)
			if err != nil || size != int64(res.Position) {
				t.Fatalf("Checkpoint = %d, %v; want %d", size, err, res.Position)
			}
		}
	}
	if err := f.ck.WaitFor(ctx, fixtureEvents); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	sum, err := audit.Export(ctx, f.store, f.vkey, &buf)
	if err != nil {
		t.Fatal(err)
	}
	f.export, f.sum = buf.Bytes(), sum
	return f
}

// lines splits an export into its lines: lines[0] is the header and
// lines[p] the event at position p.
func lines(b []byte) [][]byte {
	l := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	out := make([][]byte, len(l))
	for i := range l {
		out[i] = bytes.Clone(l[i])
	}
	return out
}

func join(l [][]byte) []byte { return append(bytes.Join(l, []byte("\n")), '\n') }

func decodeLine(t *testing.T, line []byte) *envelopev1.Envelope {
	t.Helper()
	var l struct {
		Kind     string          `json:"kind"`
		Envelope json.RawMessage `json:"envelope"`
	}
	if err := json.Unmarshal(line, &l); err != nil || l.Kind != "event" {
		t.Fatalf("line %q: %v", line, err)
	}
	var env envelopev1.Envelope
	if err := protojson.Unmarshal(l.Envelope, &env); err != nil {
		t.Fatal(err)
	}
	return &env
}

func encodeLine(t *testing.T, env *envelopev1.Envelope) []byte {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	line, err := json.Marshal(map[string]any{"kind": "event", "envelope": json.RawMessage(b)})
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// rehash recomputes an envelope's hash, as a forger would.
func rehash(env *envelopev1.Envelope) {
	e := eventstore.FromEnvelope(env)
	env.Hash = eventstore.ComputeHash(&e)
}

func checkpointPayload(t *testing.T, env *envelopev1.Envelope) *auditeventsv1.CheckpointRecorded {
	t.Helper()
	var ck auditeventsv1.CheckpointRecorded
	if err := proto.Unmarshal(env.GetPayload(), &ck); err != nil {
		t.Fatal(err)
	}
	return &ck
}

func setCheckpointPayload(t *testing.T, env *envelopev1.Envelope, ck *auditeventsv1.CheckpointRecorded) {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ck)
	if err != nil {
		t.Fatal(err)
	}
	env.Payload = b
}

func verify(t *testing.T, export []byte, opts audit.VerifyOptions) audit.Report {
	t.Helper()
	r, err := audit.Verify(bytes.NewReader(export), opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

// wantProblems checks that the report lists exactly these problems
// (position, kind), in this order.
func wantProblems(t *testing.T, r audit.Report, want ...audit.Problem) {
	t.Helper()
	ok := len(r.Problems) == len(want)
	for i := 0; ok && i < len(want); i++ {
		p := r.Problems[i]
		ok = p.Position == want[i].Position && p.Kind == want[i].Kind && (want[i].EventID == "" || p.EventID == want[i].EventID)
	}
	if !ok {
		var b strings.Builder
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "\n\t%s", p)
		}
		t.Fatalf("problems:%s\nwant %+v", b.String(), want)
	}
	if r.OK() != (len(want) == 0) {
		t.Fatalf("OK() = %v with %d problems", r.OK(), len(want))
	}
}

func TestExportVerify(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	if f.sum.Events != fixtureEvents || f.sum.Checkpoints != 4 || f.sum.LastPosition != fixtureEvents {
		t.Fatalf("export summary %+v", f.sum)
	}
	base := lines(f.export)
	if len(base) != fixtureEvents+1 {
		t.Fatalf("export has %d lines", len(base))
	}
	var hdr map[string]string
	if err := json.Unmarshal(base[0], &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr["kind"] != "header" || hdr["format"] != "tasharuk-export/v1" || hdr["public_key"] != f.vkey {
		t.Fatalf("header %s", base[0])
	}
	if _, err := time.Parse(time.RFC3339, hdr["exported_at"]); err != nil {
		t.Fatalf("exported_at: %v", err)
	}
	for p := int64(1); p <= fixtureEvents; p++ {
		env := decodeLine(t, base[p])
		if int64(env.GetGlobalPosition()) != p {
			t.Fatalf("line %d holds position %d", p, env.GetGlobalPosition())
		}
	}
	for _, p := range checkpointPositions {
		if env := decodeLine(t, base[p]); env.GetType() != "audit.CheckpointRecorded" || env.GetStreamId() != "checkpoint.main" {
			t.Fatalf("position %d is a %s on %s", p, env.GetType(), env.GetStreamId())
		}
	}
	_, root := f.ck.Root()
	idAt := func(l [][]byte, p int64) string { return decodeLine(t, l[p]).GetEventId() }

	t.Run("untouched", func(t *testing.T) {
		r := verify(t, f.export, audit.VerifyOptions{})
		wantProblems(t, r)
		if r.Events != fixtureEvents || r.Streams != 21 || r.Checkpoints != 4 || r.LastPosition != fixtureEvents || r.Root != root.String() {
			t.Fatalf("report %+v, want root %s", r, root)
		}
		// With the key given out of band, and a trusted checkpoint of the
		// whole log.
		trusted, err := audit.SignCheckpoint(f.signer, origin, fixtureEvents, root)
		if err != nil {
			t.Fatal(err)
		}
		wantProblems(t, verify(t, f.export, audit.VerifyOptions{PublicKey: f.vkey, Checkpoint: trusted}))
	})

	t.Run("flipped payload byte", func(t *testing.T) {
		l := lines(f.export)
		env := decodeLine(t, l[60])
		env.Payload[3] ^= 0x01
		l[60] = encodeLine(t, env)
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 60, EventID: env.GetEventId(), Kind: "hash-mismatch"})
	})

	t.Run("flipped byte in the raw line", func(t *testing.T) {
		// Same, editing the base64 text of the payload in place.
		l := lines(f.export)
		env := decodeLine(t, l[61])
		i := bytes.Index(l[61], []byte(`"payload":"`)) + len(`"payload":"`)
		if l[61][i] == 'A' {
			l[61][i] = 'B'
		} else {
			l[61][i] = 'A'
		}
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 61, EventID: env.GetEventId(), Kind: "hash-mismatch"})
	})

	t.Run("removed event", func(t *testing.T) {
		l := lines(f.export)
		l = append(l[:70:70], l[71:]...)
		r := verify(t, join(l), audit.VerifyOptions{})
		for _, p := range r.Problems {
			t.Log(p)
		}
		if len(r.Problems) == 0 || r.Problems[0].Position != 70 || r.Problems[0].Kind != "position-gap" {
			t.Fatalf("problems %v", r.Problems)
		}
		// Its stream's chain breaks at its next event, and the later
		// checkpoints no longer match; nothing is reported before 70.
		for _, p := range r.Problems {
			if p.Position < 70 {
				t.Errorf("problem before the removed event: %s", p)
			}
		}
		if r.Events != fixtureEvents-1 || r.OK() {
			t.Fatalf("report %+v", r)
		}
	})

	t.Run("swapped events", func(t *testing.T) {
		l := lines(f.export)
		l[80], l[81] = l[81], l[80]
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 80, EventID: idAt(base, 80), Kind: "position-out-of-order"})
	})

	t.Run("duplicated event", func(t *testing.T) {
		l := lines(f.export)
		l = append(l[:91:91], append([][]byte{l[90]}, l[91:]...)...)
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 90, EventID: idAt(base, 90), Kind: "position-out-of-order"})
	})

	t.Run("inserted forged event", func(t *testing.T) {
		l := lines(f.export)
		// test.s15's last event is at position 138 (revision 6); forge its
		// revision 7 at position 141, chained and hashed correctly, and
		// renumber what follows.
		last := decodeLine(t, l[138])
		if last.GetStreamId() != "test.s15" || last.GetStreamRevision() != 6 {
			t.Fatalf("position 138 is %s revision %d", last.GetStreamId(), last.GetStreamRevision())
		}
		forged := proto.Clone(last).(*envelopev1.Envelope)
		forged.EventId = uuid.Must(uuid.NewV7()).String()
		forged.StreamRevision = 7
		forged.GlobalPosition = 141
		forged.Payload = []byte("payload of a forged event")
		forged.RecordedAt = timestamppb.New(last.GetRecordedAt().AsTime().Add(time.Millisecond))
		forged.PrevHash = last.GetHash()
		rehash(forged)
		out := append([][]byte{}, l[:141]...)
		out = append(out, encodeLine(t, forged))
		for _, line := range l[141:] {
			env := decodeLine(t, line)
			env.GlobalPosition++
			out = append(out, encodeLine(t, env))
		}
		r := verify(t, join(out), audit.VerifyOptions{})
		for _, p := range r.Problems {
			t.Log(p)
		}
		// Hashes, chains and positions hold: only the checkpoints after it
		// (153 and 204, now 154 and 205) catch it.
		wantProblems(t, r,
			audit.Problem{Position: 154, EventID: idAt(base, 153), Kind: "checkpoint-root-mismatch"},
			audit.Problem{Position: 205, EventID: idAt(base, 204), Kind: "checkpoint-root-mismatch"})
		if d := r.Problems[0].Detail; !strings.Contains(d, "positions 102 to 152") {
			t.Errorf("detail does not narrow the change down: %s", d)
		}
		if r.Events != fixtureEvents+1 {
			t.Errorf("%d events", r.Events)
		}
	})

	t.Run("rewritten checkpoint root", func(t *testing.T) {
		l := lines(f.export)
		env := decodeLine(t, l[204])
		ck := checkpointPayload(t, env)
		ck.RootHash[0] ^= 0x80
		setCheckpointPayload(t, env, ck)
		rehash(env)
		l[204] = encodeLine(t, env)
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 204, EventID: env.GetEventId(), Kind: "checkpoint-root-mismatch"})
	})

	t.Run("rewritten checkpoint size", func(t *testing.T) {
		l := lines(f.export)
		env := decodeLine(t, l[204])
		ck := checkpointPayload(t, env)
		ck.TreeSize--
		setCheckpointPayload(t, env, ck)
		rehash(env)
		l[204] = encodeLine(t, env)
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 204, EventID: env.GetEventId(), Kind: "checkpoint-size"})
	})

	t.Run("rewritten checkpoint without rehashing", func(t *testing.T) {
		l := lines(f.export)
		env := decodeLine(t, l[102])
		ck := checkpointPayload(t, env)
		ck.RootHash[5] ^= 0x01
		setCheckpointPayload(t, env, ck)
		l[102] = encodeLine(t, env)
		wantProblems(t, verify(t, join(l), audit.VerifyOptions{}),
			audit.Problem{Position: 102, EventID: env.GetEventId(), Kind: "hash-mismatch"},
			audit.Problem{Position: 102, EventID: env.GetEventId(), Kind: "checkpoint-root-mismatch"})
	})

	t.Run("checkpoint signed by another key", func(t *testing.T) {
		other, otherVkey := newSigner(t, origin)
		l := lines(f.export)
		env := decodeLine(t, l[204])
		ck := checkpointPayload(t, env)
		_, size, ckRoot, err := audit.OpenCheckpoint(ck.GetSignedNote(), f.vkey)
		if err != nil {
			t.Fatal(err)
		}
		if ck.SignedNote, err = audit.SignCheckpoint(other, origin, size, ckRoot); err != nil {
			t.Fatal(err)
		}
		setCheckpointPayload(t, env, ck)
		rehash(env)
		l[204] = encodeLine(t, env)
		forged := join(l)
		wantProblems(t, verify(t, forged, audit.VerifyOptions{}),
			audit.Problem{Position: 204, EventID: env.GetEventId(), Kind: "checkpoint-signature"})

		// Checked with the other key, the genuine checkpoints fail.
		wantProblems(t, verify(t, forged, audit.VerifyOptions{PublicKey: otherVkey}),
			audit.Problem{Position: 51, Kind: "checkpoint-signature"},
			audit.Problem{Position: 102, Kind: "checkpoint-signature"},
			audit.Problem{Position: 153, Kind: "checkpoint-signature"})

		// The header's key is the exporter's word: an export whose header
		// names the other key verifies against that key alone, and fails
		// against the key the auditor holds.
		l[0] = bytes.Replace(l[0], []byte(f.vkey), []byte(otherVkey), 1)
		r := verify(t, join(l), audit.VerifyOptions{PublicKey: f.vkey})
		wantProblems(t, r, audit.Problem{Position: 204, Kind: "checkpoint-signature"})
	})

	t.Run("trusted checkpoint", func(t *testing.T) {
		trusted, err := audit.SignCheckpoint(f.signer, origin, fixtureEvents, root)
		if err != nil {
			t.Fatal(err)
		}
		// Truncated: the last events are cut off, which nothing else shows.
		l := lines(f.export)
		cut := join(l[:200])
		wantProblems(t, verify(t, cut, audit.VerifyOptions{}))
		wantProblems(t, verify(t, cut, audit.VerifyOptions{Checkpoint: trusted}),
			audit.Problem{Position: fixtureEvents, Kind: "trusted-checkpoint-mismatch"})
		// A trusted checkpoint the export does not match.
		other := root
		other[0] ^= 1
		wrong, _ := audit.SignCheckpoint(f.signer, origin, fixtureEvents, other)
		wantProblems(t, verify(t, f.export, audit.VerifyOptions{Checkpoint: wrong}),
			audit.Problem{Position: fixtureEvents, Kind: "trusted-checkpoint-mismatch"})
		// A trusted checkpoint signed by another key.
		otherSigner, _ := newSigner(t, origin)
		foreign, _ := audit.SignCheckpoint(otherSigner, origin, fixtureEvents, root)
		wantProblems(t, verify(t, f.export, audit.VerifyOptions{Checkpoint: foreign}),
			audit.Problem{Position: 0, Kind: "trusted-checkpoint-mismatch"})
		// A malformed one is the caller's error.
		if _, err := audit.Verify(bytes.NewReader(f.export), audit.VerifyOptions{Checkpoint: "nonsense"}); err == nil {
			t.Error("malformed trusted checkpoint accepted")
		}
	})

	t.Run("malformed lines", func(t *testing.T) {
		l := lines(f.export)
		out := append([][]byte{}, l[:10]...)
		out = append(out, []byte("not json"), []byte(`{"kind":"event","envelope":{"event_id":"x","global_position":"10","payload":"%%%"}}`))
		out = append(out, l[10:]...)
		wantProblems(t, verify(t, join(out), audit.VerifyOptions{}),
			audit.Problem{Position: 0, Kind: "malformed-line"},
			audit.Problem{Position: 10, EventID: "x", Kind: "malformed-line"})
	})

	t.Run("bad header", func(t *testing.T) {
		l := lines(f.export)
		for name, data := range map[string][]byte{
			"empty":        nil,
			"blank":        []byte("\n\n"),
			"no header":    join(l[1:]),
			"other format": join(append([][]byte{[]byte(`{"kind":"header","format":"x/v9","public_key":"` + f.vkey + `"}`)}, l[1:]...)),
			"bad key":      join(append([][]byte{[]byte(`{"kind":"header","format":"tasharuk-export/v1","public_key":"nope"}`)}, l[1:]...)),
		} {
			if _, err := audit.Verify(bytes.NewReader(data), audit.VerifyOptions{}); !errors.Is(err, audit.ErrMalformedHeader) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})

	t.Run("many problems", func(t *testing.T) {
		l := lines(f.export)
		for p := 1; p <= 150; p++ {
			env := decodeLine(t, l[p])
			env.Payload = append(env.Payload, '!')
			l[p] = encodeLine(t, env)
		}
		r := verify(t, join(l), audit.VerifyOptions{})
		if len(r.Problems) != audit.MaxProblems || r.Events != fixtureEvents {
			t.Fatalf("%d problems, %d events", len(r.Problems), r.Events)
		}
	})

	t.Run("inclusion proofs", func(t *testing.T) {
		for _, p := range []int64{1, 2, 50, 51, 100, 153, 203, 204} {
			proof, size, root, err := f.ck.InclusionProof(p)
			if err != nil {
				t.Fatal(err)
			}
			if size != fixtureEvents {
				t.Fatalf("size %d", size)
			}
			h := decodeLine(t, base[p]).GetHash()
			if err := audit.VerifyInclusion(proof, size, root, p-1, h); err != nil {
				t.Fatalf("position %d: %v", p, err)
			}
			wrong := bytes.Clone(h)
			wrong[0] ^= 1
			if err := audit.VerifyInclusion(proof, size, root, p-1, wrong); !errors.Is(err, audit.ErrProofInvalid) {
				t.Fatalf("position %d with a wrong hash: %v", p, err)
			}
			if p < fixtureEvents {
				if err := audit.VerifyInclusion(proof, size, root, p, h); err == nil {
					t.Fatalf("position %d proved at position %d", p, p+1)
				}
			}
		}
		if _, _, _, err := f.ck.InclusionProof(fixtureEvents + 1); !errors.Is(err, audit.ErrOutOfRange) {
			t.Fatalf("beyond the tree: %v", err)
		}
	})

	t.Run("consistency between checkpoints", func(t *testing.T) {
		cks, err := f.store.ReadStream(ctx, "checkpoint.main", 0, 0)
		if err != nil || len(cks) != 4 {
			t.Fatalf("%d checkpoints, %v", len(cks), err)
		}
		type point struct {
			size int64
			root tlog.Hash
		}
		var points []point
		for i, e := range cks {
			if int64(e.Position) != checkpointPositions[i] {
				t.Fatalf("checkpoint %d at %d", i, e.Position)
			}
			var ck auditeventsv1.CheckpointRecorded
			if err := proto.Unmarshal(e.Payload, &ck); err != nil {
				t.Fatal(err)
			}
			o, size, root, err := audit.OpenCheckpoint(ck.GetSignedNote(), f.vkey)
			if err != nil || o != origin || size != int64(ck.GetTreeSize()) || !bytes.Equal(root[:], ck.GetRootHash()) || size != checkpointPositions[i]-1 {
				t.Fatalf("checkpoint %d: %q %d %s %v", i, o, size, root, err)
			}
			points = append(points, point{size, root})
		}
		for i := range points {
			for j := i; j < len(points); j++ {
				a, b := points[i], points[j]
				proof, err := f.ck.ConsistencyProof(a.size, b.size)
				if err != nil {
					t.Fatal(err)
				}
				if err := audit.VerifyConsistency(proof, a.size, a.root, b.size, b.root); err != nil {
					t.Fatalf("%d -> %d: %v", a.size, b.size, err)
				}
				bad := a.root
				bad[31] ^= 1
				if err := audit.VerifyConsistency(proof, a.size, bad, b.size, b.root); !errors.Is(err, audit.ErrProofInvalid) {
					t.Fatalf("%d -> %d with an altered old root: %v", a.size, b.size, err)
				}
			}
		}
		// Inclusion in a checkpointed tree.
		proof, err := f.ck.InclusionProofAt(70, points[1].size)
		if err != nil {
			t.Fatal(err)
		}
		if err := audit.VerifyInclusion(proof, points[1].size, points[1].root, 69, decodeLine(t, base[70]).GetHash()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("restart replays and checks", func(t *testing.T) {
		// A second checkpointer rebuilds the same tree from the log,
		// checking the recorded checkpoints, and records nothing new: no
		// event came after the last checkpoint but itself.
		c2 := &audit.Checkpointer{Store: f.store, Signer: f.signer, Origin: origin, LogName: "main",
			Interval: 20 * time.Millisecond, Logger: quiet}
		stop := startCheckpointer(t, c2)
		if err := c2.WaitFor(ctx, fixtureEvents); err != nil {
			t.Fatal(err)
		}
		size, root2 := c2.Root()
		if size != fixtureEvents || root2 != root {
			t.Fatalf("replayed root %d %s, want %s", size, root2, root)
		}
		time.Sleep(150 * time.Millisecond)
		if last, _ := f.store.LastPosition(ctx); last != fixtureEvents {
			t.Fatalf("an idle log got a checkpoint: last position %d", last)
		}
		stop()
	})
}

func TestCheckpointerRun(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	signer, vkey := newSigner(t, origin)
	c := &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main",
		Every: 10, Interval: time.Hour, Logger: quiet}
	stop := startCheckpointer(t, c)
	var last eventstore.AppendResult
	for i := range 35 {
		last = appendEvent(t, s, fmt.Sprintf("test.s%d", i%3), i)
	}
	if err := c.WaitFor(ctx, int64(last.Position)); err != nil {
		t.Fatal(err)
	}
	countCheckpoints := func() int {
		cks, err := s.ReadStream(ctx, "checkpoint.main", 0, 0)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(cks)
	}
	deadline := time.Now().Add(10 * time.Second)
	for countCheckpoints() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d checkpoints after 35 events with Every 10", countCheckpoints())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Nothing more without new events (Interval is an hour).
	time.Sleep(100 * time.Millisecond)
	if n := countCheckpoints(); n != 3 {
		t.Fatalf("%d checkpoints", n)
	}
	if leakedGoroutines() == "" {
		t.Fatal("the goroutine check does not see the running checkpointer")
	}
	stop()
	// Run's goroutines are gone once it returned (the server may keep its
	// side of the consumer a while: only the client side is checked).
	if leak := leakedGoroutines(); leak != "" {
		t.Fatalf("goroutines left after Run returned:\n%s", leak)
	}
	// Run again: it resumes, and its Interval records the pending events.
	c.Interval = 20 * time.Millisecond
	startCheckpointer(t, c)
	deadline = time.Now().Add(10 * time.Second)
	for countCheckpoints() < 4 {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint on the interval")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := countCheckpoints(); n != 4 {
		t.Fatalf("%d checkpoints on an idle log", n)
	}
	if err := c.Run(ctx); !errors.Is(err, audit.ErrAlreadyRunning) {
		t.Fatalf("second Run: %v", err)
	}

	var buf bytes.Buffer
	if _, err := audit.Export(ctx, s, vkey, &buf); err != nil {
		t.Fatal(err)
	}
	r := verify(t, buf.Bytes(), audit.VerifyOptions{})
	wantProblems(t, r)
	if r.Checkpoints != 4 || r.Events != 39 {
		t.Fatalf("report %+v", r)
	}
}

func TestCheckpointerRefusesAlteredLog(t *testing.T) {
	// A checkpoint on the log's stream whose root is not the log's stops
	// the checkpointer instead of being signed over.
	ctx := context.Background()
	s := openStore(t)
	signer, _ := newSigner(t, origin)
	for i := range 5 {
		appendEvent(t, s, "test.s0", i)
	}
	reg := es.NewRegistry(audit.EventTypes)
	signed, _ := audit.SignCheckpoint(signer, origin, 5, tlog.Hash{7})
	p, err := reg.Propose(&auditeventsv1.CheckpointRecorded{TreeSize: 5, RootHash: make([]byte, 32), SignedNote: signed},
		es.Meta{ID: uuid.Must(uuid.NewV7()).String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "checkpoint.main", eventstore.Any, []eventstore.Proposed{p}); err != nil {
		t.Fatal(err)
	}
	c := &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Logger: quiet}
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Run(runCtx); !errors.Is(err, audit.ErrLogAltered) {
		t.Fatalf("Run: %v", err)
	}
	if err := c.WaitFor(runCtx, 6); !errors.Is(err, audit.ErrLogAltered) {
		t.Fatalf("WaitFor: %v", err)
	}
	if size, _ := c.Root(); size != 5 {
		t.Fatalf("tree of %d", size)
	}
}

func TestCheckpointerRefusesLogRewrittenUnderCosignatures(t *testing.T) {
	// A recorded witness cosignature whose root is not the log's (the log
	// was rewritten after it was witnessed) stops the checkpointer too.
	ctx := context.Background()
	s := openStore(t)
	signer, _ := newSigner(t, origin)
	for i := range 5 {
		appendEvent(t, s, "test.s0", i)
	}
	reg := es.NewRegistry(audit.EventTypes)
	p, err := reg.Propose(&auditeventsv1.CheckpointCosigned{TreeSize: 5, RootHash: make([]byte, 32), Witness: "witness.example/w1"},
		es.Meta{ID: uuid.Must(uuid.NewV7()).String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, audit.CosignatureStream("main"), eventstore.Any, []eventstore.Proposed{p}); err != nil {
		t.Fatal(err)
	}
	c := &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Logger: quiet}
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Run(runCtx); !errors.Is(err, audit.ErrLogAltered) || !strings.Contains(err.Error(), "rewritten after it was witnessed") {
		t.Fatalf("Run: %v", err)
	}
}

// leakedGoroutines returns the stacks of goroutines running the
// checkpointer or a log subscription.
func leakedGoroutines() string {
	buf := make([]byte, 4<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "audit.(*Checkpointer)") || strings.Contains(g, "eventstore/nats.(*Store).Subscribe") ||
			strings.Contains(g, "nats.go/jetstream.(*pullSubscription)") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// A fresh checkpointer replaying a log that already holds checkpoints
// writes nothing while it catches up: the checkpoints it would write are
// still ahead of it in the log (this raced before the catch-up rule).
func TestRestartedCheckpointerDoesNotDuplicate(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	signer, _ := newSigner(t, origin)
	first := &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Every: 5, Interval: time.Hour, Logger: quiet}
	stop := startCheckpointer(t, first)
	var last eventstore.AppendResult
	for i := range 53 {
		last = appendEvent(t, s, fmt.Sprintf("test.s%d", i%4), i)
	}
	if err := first.WaitFor(ctx, int64(last.Position)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	head, _ := s.LastPosition(ctx)
	for round := range 5 {
		again := &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Every: 5, Interval: time.Hour, Logger: quiet}
		stopAgain := startCheckpointer(t, again)
		if err := again.WaitFor(ctx, int64(head)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		stopAgain()
		if now, _ := s.LastPosition(ctx); now != head {
			t.Fatalf("restart %d: the replaying checkpointer wrote %d events", round, now-head)
		}
	}
}

// Two checkpointers on one log (two service replicas): each appends only
// where it last saw the checkpoint stream, so they never duplicate a
// checkpoint, and the log verifies.
func TestTwoCheckpointersDoNotDuplicate(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	signer, vkey := newSigner(t, origin)
	var cps []*audit.Checkpointer
	for range 2 {
		c := &audit.Checkpointer{Store: s, Signer: signer, Origin: origin, LogName: "main", Every: 5, Interval: 50 * time.Millisecond, Logger: quiet}
		startCheckpointer(t, c)
		cps = append(cps, c)
	}
	var last eventstore.AppendResult
	for i := range 120 {
		last = appendEvent(t, s, fmt.Sprintf("test.s%d", i%6), i)
	}
	for _, c := range cps {
		if err := c.WaitFor(ctx, int64(last.Position)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	cks, err := s.ReadStream(ctx, "checkpoint.main", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	prev := uint64(0)
	for _, e := range cks {
		var ck auditeventsv1.CheckpointRecorded
		if err := proto.Unmarshal(e.Payload, &ck); err != nil {
			t.Fatal(err)
		}
		if ck.GetTreeSize() <= prev {
			t.Fatalf("checkpoint of %d events after one of %d: duplicated", ck.GetTreeSize(), prev)
		}
		prev = ck.GetTreeSize()
	}
	if len(cks) < 3 {
		t.Fatalf("only %d checkpoints", len(cks))
	}
	var buf bytes.Buffer
	if _, err := audit.Export(ctx, s, vkey, &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(&buf, audit.VerifyOptions{PublicKey: vkey})
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep.Problems)
	}
}
