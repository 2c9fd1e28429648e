package audit

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	envelopev1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/envelope/v1"
	"github.com/tasharuk/tasharuk/eventstore"
)

// ErrMalformedHeader: the export does not start with a usable header.
var ErrMalformedHeader = errors.New("audit: malformed export header")

// Problem kinds reported by Verify.
const (
	// The stored hash does not match the event's contents.
	ProblemHashMismatch = "hash-mismatch"
	// The event does not follow its stream's previous event (revision or
	// prev_hash).
	ProblemChainBroken = "chain-broken"
	// Positions are missing: Position is the first missing one.
	ProblemPositionGap = "position-gap"
	// The event comes after a higher position, or its position appears
	// twice.
	ProblemPositionOutOfOrder = "position-out-of-order"
	// A checkpoint's signed note is not validly signed by the public key
	// (or its payload or note cannot be read).
	ProblemCheckpointSignature = "checkpoint-signature"
	// A checkpoint's root differs from the rebuilt tree's, or its payload's
	// root from its signed note's.
	ProblemCheckpointRootMismatch = "checkpoint-root-mismatch"
	// A checkpoint covers more events than precede it, or its payload's
	// tree size differs from its signed note's.
	ProblemCheckpointSize = "checkpoint-size"
	// A line is not an event line.
	ProblemMalformedLine = "malformed-line"
	// The trusted checkpoint given in VerifyOptions does not match the
	// rebuilt tree (or is not signed by the public key).
	ProblemTrustedCheckpointMismatch = "trusted-checkpoint-mismatch"
)

// MaxProblems bounds the problems a Report lists.
const MaxProblems = 100

// Limits of the reader.
const (
	maxLineLen = 8 << 20
	// maxPending is how many events past a missing position Verify holds
	// back, waiting for the missing one, before it declares a gap.
	maxPending = 64
)

// VerifyOptions says what Verify trusts besides the export.
type VerifyOptions struct {
	// PublicKey is the log's checkpoint verifier key; it overrides the
	// export header's, which whoever wrote the export chose.
	PublicKey string
	// Checkpoint is a signed checkpoint obtained out of band; the rebuilt
	// tree must match it (which catches a truncated export). Cosignatures
	// on it by Witnesses count like those recorded in the export.
	Checkpoint string
	// Witnesses are the verifier keys of the witnesses the auditor trusts
	// (audit.NewCosignatureVerifier), and Quorum how many of them must
	// have cosigned a checkpoint of the rebuilt tree: with Quorum > 0 the
	// export is accepted only if its tree, up to some size, was cosigned
	// by Quorum of them, and none of them cosigned a root the export
	// contradicts (see verify_witness.go).
	Witnesses []string
	Quorum    int
}

// Report is the result of Verify.
type Report struct {
	// Events is the number of events verified, Streams the number of
	// distinct streams, Checkpoints the number of checkpoint events.
	Events, Streams, Checkpoints int
	// LastPosition is the highest position verified.
	LastPosition int64
	// Root is the base64 root hash of the tree rebuilt over all events.
	Root string
	// Problems are what failed, in the order found, at most MaxProblems.
	Problems []Problem
	// Witnessed is, with VerifyOptions.Quorum, the largest tree size
	// cosigned by Quorum of the trusted witnesses (0: none), and
	// Witnesses how far each trusted witness cosigned the export's tree.
	Witnessed int64
	Witnesses []WitnessCoverage
}

// OK reports whether the export verified without any problem.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Problem names one event or checkpoint that fails.
type Problem struct {
	// Position is the event's global position (for a gap, the first
	// missing position; for a trusted checkpoint, its tree size; 0 when
	// unknown).
	Position int64
	// EventID is the event's id, when there is one.
	EventID string
	// Kind is one of the Problem* constants.
	Kind   string
	Detail string
}

func (p Problem) String() string {
	id := ""
	if p.EventID != "" {
		id = " (event " + p.EventID + ")"
	}
	return fmt.Sprintf("position %d%s: %s: %s", p.Position, id, p.Kind, p.Detail)
}

type streamHead struct {
	revision uint64
	hash     []byte
	position int64
}

type verifier struct {
	vkey   string
	report Report
	// cosigned are the cosigned notes found (cosignature events).
	cosigned []cosignedNote
	tree     Tree
	heads    map[string]streamHead
	// Sequencing: next is the position expected next, maxSeen the highest
	// seen, pending the events read ahead of a missing position.
	next    int64
	maxSeen int64
	pending map[int64]eventstore.Event
	// lastGood is the tree size of the latest checkpoint that matched.
	lastGood int64
}

// Verify reads an export (see Export) and checks, without trusting anything
// but the public key: every event's hash, every stream's chain (revision and
// prev_hash), the continuity of positions (1, 2, 3, …), and every checkpoint
// event (its signature, that it covers no more events than precede it, that
// its root is the root of the tree rebuilt over the events up to its size and
// the root its signed note holds); with opts.Checkpoint also that trusted
// checkpoint. It reads on after a problem, reporting at most MaxProblems.
//
// A tampered export yields a Report with Problems; Verify returns an error
// only when reading fails, or when the header is missing or unusable
// (ErrMalformedHeader), or when opts holds a malformed key or checkpoint.
//
// The tree is rebuilt in position order: events read out of order are held
// back (at most 64) until the missing positions come, so swapped lines are
// reported as out of order and do not otherwise change the result.
// Truncation at the end is only detectable with opts.Checkpoint.
func Verify(r io.Reader, opts VerifyOptions) (Report, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	lineNo := 0
	var line []byte
	var err error
	for {
		line, err = readLine(br)
		lineNo++
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, errLineTooLong) {
				return Report{}, fmt.Errorf("%w: header line longer than %d bytes", ErrMalformedHeader, maxLineLen)
			}
			return Report{}, fmt.Errorf("audit: verify: %w", err)
		}
		if len(bytes.TrimSpace(line)) > 0 || err != nil {
			break
		}
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return Report{}, fmt.Errorf("%w: empty export", ErrMalformedHeader)
	}
	var hdr exportHeader
	if err := json.Unmarshal(line, &hdr); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrMalformedHeader, err)
	}
	if hdr.Kind != "header" || hdr.Format != ExportFormat {
		return Report{}, fmt.Errorf("%w: kind %q format %q, want header %q", ErrMalformedHeader, hdr.Kind, hdr.Format, ExportFormat)
	}
	v := &verifier{
		vkey:    hdr.PublicKey,
		heads:   make(map[string]streamHead),
		next:    1,
		pending: make(map[int64]eventstore.Event),
	}
	if opts.PublicKey != "" {
		v.vkey = opts.PublicKey
	}
	if _, err := note.NewVerifier(v.vkey); err != nil {
		if opts.PublicKey != "" {
			return Report{}, fmt.Errorf("audit: public key %q: %w", v.vkey, err)
		}
		return Report{}, fmt.Errorf("%w: public key %q: %v", ErrMalformedHeader, v.vkey, err)
	}
	if opts.Checkpoint != "" {
		// Fail early on a checkpoint that cannot be read at all; its
		// signature is checked with the rest.
		if _, _, _, err := OpenCheckpoint(opts.Checkpoint, v.vkey); errors.Is(err, ErrMalformedCheckpoint) {
			return Report{}, fmt.Errorf("audit: trusted checkpoint: %w", err)
		}
	}

	for err == nil {
		line, err = readLine(br)
		lineNo++
		switch {
		case errors.Is(err, errLineTooLong):
			v.problem(Problem{Kind: ProblemMalformedLine, Detail: fmt.Sprintf("line %d is longer than %d bytes", lineNo, maxLineLen)})
			err = nil
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return v.report, fmt.Errorf("audit: verify: line %d: %w", lineNo, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, p, ok := parseEventLine(line, lineNo)
		if !ok {
			v.problem(p)
			continue
		}
		v.sequence(e)
	}
	for len(v.pending) > 0 {
		v.flushGap()
	}
	if opts.Checkpoint != "" {
		v.checkTrusted(opts.Checkpoint)
	}
	if opts.Quorum > 0 || len(opts.Witnesses) > 0 {
		if err := v.checkWitnessed(opts); err != nil {
			return v.report, err
		}
	}
	root, _ := v.tree.Root(v.tree.Size())
	v.report.Root = root.String()
	v.report.Streams = len(v.heads)
	return v.report, nil
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its "\n"; a line longer than
// maxLineLen is skipped and reported with errLineTooLong. At the end of the
// input it returns the last (unterminated) line, maybe empty, with io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLineLen {
			// Skip the rest of the line.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		return buf, err
	}
}

// parseEventLine decodes one event line.
func parseEventLine(line []byte, lineNo int) (eventstore.Event, Problem, bool) {
	var l exportLine
	if err := json.Unmarshal(line, &l); err != nil {
		return eventstore.Event{}, Problem{Kind: ProblemMalformedLine, Detail: fmt.Sprintf("line %d is not JSON: %v", lineNo, err)}, false
	}
	bad := func(format string, args ...any) (eventstore.Event, Problem, bool) {
		p := Problem{Kind: ProblemMalformedLine, Detail: fmt.Sprintf("line %d: ", lineNo) + fmt.Sprintf(format, args...)}
		// Name the event if the line lets us.
		var hint struct {
			Pos json.Number `json:"global_position"`
			ID  string      `json:"event_id"`
		}
		if json.Unmarshal(l.Envelope, &hint) == nil {
			if n, err := hint.Pos.Int64(); err == nil {
				p.Position = n
			}
			p.EventID = hint.ID
		}
		return eventstore.Event{}, p, false
	}
	if l.Kind != "event" {
		return bad("kind %q, want \"event\"", l.Kind)
	}
	if len(l.Envelope) == 0 {
		return bad("no envelope")
	}
	var env envelopev1.Envelope
	if err := protojson.Unmarshal(l.Envelope, &env); err != nil {
		return bad("envelope does not decode: %v", err)
	}
	if env.GetGlobalPosition() == 0 || env.GetGlobalPosition() > 1<<62 {
		return bad("envelope has no valid global_position")
	}
	return eventstore.FromEnvelope(&env), Problem{}, true
}

func (v *verifier) problem(p Problem) {
	if len(v.report.Problems) < MaxProblems {
		v.report.Problems = append(v.report.Problems, p)
	}
}

// sequence puts events in position order and reports what breaks it.
func (v *verifier) sequence(e eventstore.Event) {
	pos := int64(e.Position)
	defer func() { v.maxSeen = max(v.maxSeen, pos) }()
	if _, dup := v.pending[pos]; dup || pos < v.next {
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemPositionOutOfOrder,
			Detail: fmt.Sprintf("position %d appears again (after position %d): a duplicate or a late event; skipped", pos, v.maxSeen)})
		return
	}
	if pos > v.next {
		v.pending[pos] = e
		if len(v.pending) > maxPending {
			v.flushGap()
		}
		return
	}
	if pos < v.maxSeen {
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemPositionOutOfOrder,
			Detail: fmt.Sprintf("position %d comes after position %d", pos, v.maxSeen)})
	}
	v.process(&e)
	v.next++
	v.drain()
}

// drain processes the held-back events that are now next.
func (v *verifier) drain() {
	for {
		e, ok := v.pending[v.next]
		if !ok {
			return
		}
		delete(v.pending, v.next)
		v.process(&e)
		v.next++
	}
}

// flushGap gives up waiting for the missing positions before the lowest
// held-back event.
func (v *verifier) flushGap() {
	low := int64(-1)
	for p := range v.pending {
		if low < 0 || p < low {
			low = p
		}
	}
	if low < 0 {
		return
	}
	e := v.pending[low]
	detail := fmt.Sprintf("position %d is missing", v.next)
	if low-1 > v.next {
		detail = fmt.Sprintf("positions %d to %d are missing", v.next, low-1)
	}
	v.problem(Problem{Position: v.next, Kind: ProblemPositionGap,
		Detail: fmt.Sprintf("%s: the export goes from position %d to position %d (event %s)", detail, v.next-1, low, e.ID)})
	v.next = low
	v.drain()
}

// process checks one event in position order and adds it to the tree.
func (v *verifier) process(e *eventstore.Event) {
	pos := int64(e.Position)
	v.report.Events++
	v.report.LastPosition = pos
	if got := eventstore.ComputeHash(e); !bytes.Equal(got, e.Hash) {
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemHashMismatch,
			Detail: fmt.Sprintf("stream %s revision %d: stored hash %s, recomputed %s", e.Stream, e.Revision, hex.EncodeToString(e.Hash), hex.EncodeToString(got))})
	}
	h, exists := v.heads[e.Stream]
	switch {
	case !exists && e.Revision != 0:
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemChainBroken,
			Detail: fmt.Sprintf("stream %s starts at revision %d, not 0", e.Stream, e.Revision)})
	case exists && e.Revision != h.revision+1:
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemChainBroken,
			Detail: fmt.Sprintf("stream %s: revision %d follows revision %d (position %d)", e.Stream, e.Revision, h.revision, h.position)})
	case !bytes.Equal(e.PrevHash, h.hash):
		prev := "no previous event"
		if exists {
			prev = fmt.Sprintf("revision %d (position %d) has hash %s", h.revision, h.position, hex.EncodeToString(h.hash))
		}
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemChainBroken,
			Detail: fmt.Sprintf("stream %s revision %d: prev_hash %s, but %s", e.Stream, e.Revision, hex.EncodeToString(e.PrevHash), prev)})
	}
	v.heads[e.Stream] = streamHead{revision: e.Revision, hash: e.Hash, position: pos}
	if e.Type == CheckpointType {
		v.report.Checkpoints++
		v.checkCheckpoint(e)
	}
	if e.Type == CosignatureType {
		v.noteCosignature(e)
	}
	// Cannot fail: the tree is built in order.
	_ = v.tree.Append(e.Hash)
}

// checkCheckpoint checks a checkpoint event against the tree of the events
// before it.
func (v *verifier) checkCheckpoint(e *eventstore.Event) {
	pos := int64(e.Position)
	fail := func(kind, format string, args ...any) {
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: kind, Detail: "checkpoint: " + fmt.Sprintf(format, args...)})
	}
	if e.SchemaVersion != 1 {
		fail(ProblemCheckpointSignature, "unknown schema version %d", e.SchemaVersion)
		return
	}
	var ck auditeventsv1.CheckpointRecorded
	if err := proto.Unmarshal(e.Payload, &ck); err != nil {
		fail(ProblemCheckpointSignature, "payload does not decode: %v", err)
		return
	}
	size := int64(ck.GetTreeSize())
	if ck.GetTreeSize() > 1<<62 {
		size = 1 << 62
	}
	root := ck.GetRootHash()
	_, noteSize, noteRoot, err := OpenCheckpoint(ck.GetSignedNote(), v.vkey)
	if err != nil {
		fail(ProblemCheckpointSignature, "%v", err)
	} else {
		if noteSize != size {
			fail(ProblemCheckpointSize, "payload tree_size %d, signed note %d", size, noteSize)
		}
		if !bytes.Equal(noteRoot[:], root) {
			fail(ProblemCheckpointRootMismatch, "payload root_hash %s, signed note %s", b64(root), noteRoot)
		}
		// The signed values are the ones to check against the log.
		size, root = noteSize, noteRoot[:]
	}
	before := v.tree.Size()
	if size > before {
		fail(ProblemCheckpointSize, "covers %d events, but %d precede it", size, before)
		return
	}
	got, _ := v.tree.Root(size)
	if !bytes.Equal(got[:], root) {
		fail(ProblemCheckpointRootMismatch, "root of the first %d events is %s, the checkpoint says %s; %s",
			size, got, b64(root), v.divergence(size))
		return
	}
	if err == nil {
		v.lastGood = max(v.lastGood, size)
	}
}

// b64 formats a root hash as checkpoints do.
func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }

// divergence says where the log differs from a failing checkpoint of size
// events, as far as the checkpoints that matched tell.
func (v *verifier) divergence(size int64) string {
	if v.lastGood > 0 && v.lastGood < size {
		return fmt.Sprintf("the events up to position %d match an earlier checkpoint, so the change lies in positions %d to %d", v.lastGood, v.lastGood+1, size)
	}
	return fmt.Sprintf("the change lies in positions 1 to %d", size)
}

// checkTrusted checks the rebuilt tree against a checkpoint the auditor
// trusts.
func (v *verifier) checkTrusted(signed string) {
	_, size, root, err := OpenCheckpoint(signed, v.vkey)
	fail := func(pos int64, format string, args ...any) {
		v.problem(Problem{Position: pos, Kind: ProblemTrustedCheckpointMismatch, Detail: "trusted checkpoint: " + fmt.Sprintf(format, args...)})
	}
	if err != nil {
		fail(0, "%v", err)
		return
	}
	if n := v.tree.Size(); size > n {
		fail(size, "covers %d events, the export holds %d: the export is truncated or events are missing", size, n)
		return
	}
	got, _ := v.tree.Root(size)
	if got != root {
		fail(size, "root of the first %d events is %s, the trusted checkpoint says %s; %s", size, got, root, v.divergence(size))
	}
}
