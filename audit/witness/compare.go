package witness

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

// ErrFork: two checkpoints signed by the log's key cannot both be true —
// the same size with different roots, or no valid consistency proof
// between them. The log showed different histories to different parties.
var ErrFork = errors.New("witness: the log forked")

// View is one witness's latest cosigned checkpoint of a log, checked.
type View struct {
	Witness string
	Size    int64
	Root    tlog.Hash
	Note    string // the checkpoint with the log's signature and the witness's cosignature
}

// OpenView checks a checkpoint served by a witness's monitoring API: the
// log's signature (logKey) and the witness's cosignature (witnessKey).
func OpenView(signedNote []byte, logKey, witnessKey string) (View, error) {
	_, size, root, err := audit.OpenCheckpoint(string(signedNote), logKey)
	if err != nil {
		return View{}, err
	}
	sigs, err := audit.Cosignatures(string(signedNote), []string{witnessKey})
	if err != nil {
		return View{}, err
	}
	if len(sigs) == 0 {
		return View{}, fmt.Errorf("%w: no cosignature by the witness's key", audit.ErrBadSignature)
	}
	return View{Witness: sigs[0].Witness, Size: size, Root: root, Note: string(signedNote)}, nil
}

// Compare says whether two witnesses' views of a log can both be true. At
// equal sizes the roots must be equal; otherwise prove, when not nil, is
// asked for a consistency proof from the smaller tree to the larger (the
// log serves them) and the proof must verify. It returns ErrFork when the
// views contradict each other, and another error when it cannot tell.
func Compare(a, b View, prove func(oldSize, newSize int64) (tlog.TreeProof, error)) error {
	if a.Size > b.Size {
		a, b = b, a
	}
	switch {
	case a.Size == b.Size && a.Root != b.Root:
		return fmt.Errorf("%w: %s and %s cosigned trees of %d events with roots %s and %s", ErrFork, a.Witness, b.Witness, a.Size, a.Root, b.Root)
	case a.Size == b.Size || a.Size == 0:
		return nil
	case prove == nil:
		return fmt.Errorf("witness: %s is at %d events, %s at %d: a consistency proof from the log is needed to compare them", a.Witness, a.Size, b.Witness, b.Size)
	}
	p, err := prove(a.Size, b.Size)
	if err != nil {
		return fmt.Errorf("witness: consistency proof from %d to %d: %w", a.Size, b.Size, err)
	}
	if err := tlog.CheckTree(p, b.Size, b.Root, a.Size, a.Root); err != nil {
		return fmt.Errorf("%w: the tree %s cosigned at %d (root %s) is not a prefix of the one %s cosigned at %d (root %s)",
			ErrFork, a.Witness, a.Size, a.Root, b.Witness, b.Size, b.Root)
	}
	return nil
}
