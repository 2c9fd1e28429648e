package audit

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
)

// Problem kinds of the witness check (VerifyOptions.Quorum).
const (
	// A trusted witness cosigned a checkpoint whose root is not the root
	// of the export's tree at that size: the history was rewritten after
	// the witness saw it.
	ProblemWitnessMismatch = "witness-cosignature-mismatch"
	// Fewer than the quorum of trusted witnesses cosigned any checkpoint
	// of the export's tree.
	ProblemWitnessQuorum = "witness-quorum-not-met"
	// A cosignature event that cannot be read.
	ProblemWitnessRecord = "witness-record"
)

// WitnessCoverage says up to which size one trusted witness cosigned the
// export's tree.
type WitnessCoverage struct {
	Witness  string
	TreeSize int64
}

// cosignedNote is a cosigned checkpoint found in the export (or given by
// the auditor): where it was found, and the note.
type cosignedNote struct {
	position int64
	eventID  string
	note     string
}

// noteCosignature keeps a cosignature event's note for checkWitnessed.
func (v *verifier) noteCosignature(e *eventstore.Event) {
	pos := int64(e.Position)
	var c auditeventsv1.CheckpointCosigned
	if e.SchemaVersion != 1 || proto.Unmarshal(e.Payload, &c) != nil {
		v.problem(Problem{Position: pos, EventID: e.ID, Kind: ProblemWitnessRecord,
			Detail: fmt.Sprintf("cosignature event of version %d does not decode", e.SchemaVersion)})
		return
	}
	v.cosigned = append(v.cosigned, cosignedNote{position: pos, eventID: e.ID, note: c.GetCosignedNote()})
}

// checkWitnessed checks the cosignatures of the trusted witnesses against
// the rebuilt tree. A witness's cosignature of a checkpoint of size S and
// root R says R was, when it signed, the largest tree it had seen for the
// log and consistent with every earlier one it had cosigned (C2SP
// tlog-cosignature v1). The export's events 1..S are what that witness
// saw exactly when the rebuilt tree's root at S is R (the root of the
// first S leaves commits to them all, so this is the consistency of the
// cosigned tree with the export's final tree). An operator who rewrote
// history and re-signed every checkpoint with the log's key cannot make
// such a root match: either the old cosignatures are kept and contradict
// the export, or they are dropped and the quorum is not met.
func (v *verifier) checkWitnessed(opts VerifyOptions) error {
	if opts.Quorum > len(opts.Witnesses) {
		return fmt.Errorf("audit: a quorum of %d witnesses, but %d witness keys given", opts.Quorum, len(opts.Witnesses))
	}
	if opts.Quorum < 1 {
		return errors.New("audit: witness keys given without a quorum (at least 1)")
	}
	for _, k := range opts.Witnesses {
		if _, err := NewCosignatureVerifier(k); err != nil {
			return err
		}
	}
	notes := v.cosigned
	if opts.Checkpoint != "" {
		notes = append(notes, cosignedNote{note: opts.Checkpoint})
	}
	best := map[string]int64{}
	n := v.tree.Size()
	type mismatch struct {
		cn   cosignedNote
		by   string
		size int64
		root string
		got  string
	}
	var mismatches []mismatch
	matched := int64(0) // the largest cosigned size that matches
	for _, cn := range notes {
		fail := func(kind, format string, args ...any) {
			v.problem(Problem{Position: cn.position, EventID: cn.eventID, Kind: kind, Detail: fmt.Sprintf(format, args...)})
		}
		sigs, err := Cosignatures(cn.note, opts.Witnesses)
		if err != nil {
			fail(ProblemWitnessRecord, "cosigned checkpoint: %v", err)
			continue
		}
		if len(sigs) == 0 {
			continue // cosigned by witnesses the auditor does not trust
		}
		// A checkpoint of this log: signed by its key, so of its origin (a
		// witness that also follows another log cosigns that log's trees).
		_, size, root, err := OpenCheckpoint(cn.note, v.vkey)
		if err != nil {
			fail(ProblemWitnessRecord, "cosigned checkpoint is not one of this log's: %v", err)
			continue
		}
		names := make([]string, len(sigs))
		for i, s := range sigs {
			names[i] = s.Witness
		}
		by := strings.Join(names, ", ")
		if size > n {
			fail(ProblemWitnessMismatch, "%s cosigned a tree of %d events, the export holds %d: the export is truncated or events are missing", by, size, n)
			continue
		}
		got, _ := v.tree.Root(size)
		if got != root {
			mismatches = append(mismatches, mismatch{cn: cn, by: by, size: size, root: root.String(), got: got.String()})
			continue
		}
		matched = max(matched, size)
		for _, s := range sigs {
			best[s.Witness] = max(best[s.Witness], size)
		}
	}
	for _, m := range mismatches {
		where := fmt.Sprintf("the change lies in positions 1 to %d", m.size)
		if matched > 0 && matched < m.size {
			where = fmt.Sprintf("the first %d events match a witnessed checkpoint, so the change lies in positions %d to %d", matched, matched+1, m.size)
		}
		v.problem(Problem{Position: m.cn.position, EventID: m.cn.eventID, Kind: ProblemWitnessMismatch, Detail: fmt.Sprintf(
			"%s cosigned the tree of the first %d events with root %s, the export's is %s: the history was rewritten after they saw it; %s",
			m.by, m.size, m.root, m.got, where)})
	}
	for w, size := range best {
		v.report.Witnesses = append(v.report.Witnesses, WitnessCoverage{Witness: w, TreeSize: size})
	}
	slices.SortFunc(v.report.Witnesses, func(a, b WitnessCoverage) int {
		return cmp.Or(cmp.Compare(b.TreeSize, a.TreeSize), strings.Compare(a.Witness, b.Witness))
	})
	if len(v.report.Witnesses) < opts.Quorum {
		v.problem(Problem{Kind: ProblemWitnessQuorum, Detail: fmt.Sprintf(
			"%d of the trusted witnesses cosigned a checkpoint of this export's tree, %d are required: nothing shows the history is the one the witnesses saw",
			len(v.report.Witnesses), opts.Quorum)})
		return nil
	}
	v.report.Witnessed = v.report.Witnesses[opts.Quorum-1].TreeSize
	return nil
}
