package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tasharuk/tasharuk/eventstore"
)

// ExportFormat names the export format in its header.
const ExportFormat = "tasharuk-export/v1"

// exportPage is the number of events read from the store at a time.
const exportPage = 1000

// ExportSummary says what an export holds.
type ExportSummary struct {
	// Events is the number of event lines written, checkpoints included.
	Events int
	// Checkpoints is the number of checkpoint events among them.
	Checkpoints int
	// LastPosition is the position of the last event written (0: none).
	LastPosition int64
	// MissingFrom, if not 0, is the first position the log's head counts
	// but the log no longer holds (a lost tail): the export stops there.
	MissingFrom int64
}

type exportHeader struct {
	Kind       string `json:"kind"`
	Format     string `json:"format"`
	PublicKey  string `json:"public_key"`
	ExportedAt string `json:"exported_at"`
}

type exportLine struct {
	Kind     string          `json:"kind"`
	Envelope json.RawMessage `json:"envelope"`
}

var envelopeJSON = protojson.MarshalOptions{UseProtoNames: true}

// Export writes the whole log, as recorded when it starts, to w in the
// tasharuk-export/v1 format (see the package documentation), with vkey (the
// checkpoint verifier key) in the header. Envelopes are written as stored;
// events hold no personal data in clear.
func Export(ctx context.Context, store eventstore.Store, vkey string, w io.Writer) (ExportSummary, error) {
	var sum ExportSummary
	last, err := store.LastPosition(ctx)
	if err != nil {
		return sum, fmt.Errorf("audit: export: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	hdr, err := json.Marshal(exportHeader{
		Kind: "header", Format: ExportFormat, PublicKey: vkey,
		ExportedAt: time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return sum, fmt.Errorf("audit: export header: %w", err)
	}
	if _, err := bw.Write(append(hdr, '\n')); err != nil {
		return sum, fmt.Errorf("audit: export: %w", err)
	}
	for from := uint64(1); from <= last; {
		page, err := store.ReadAll(ctx, from, exportPage)
		if err != nil {
			return sum, fmt.Errorf("audit: export from position %d: %w", from, err)
		}
		if len(page) == 0 {
			// A damaged log (its tail lost, its head still counting it):
			// export what is left and say where it ends.
			sum.MissingFrom = int64(from)
			break
		}
		for i := range page {
			e := &page[i]
			if e.Position > last {
				break
			}
			env, err := envelopeJSON.Marshal(eventstore.ToEnvelope(e))
			if err != nil {
				return sum, fmt.Errorf("audit: export event at position %d: %w", e.Position, err)
			}
			// json.Marshal compacts the envelope: protojson's spacing is
			// deliberately unstable.
			line, err := json.Marshal(exportLine{Kind: "event", Envelope: env})
			if err != nil {
				return sum, fmt.Errorf("audit: export event at position %d: %w", e.Position, err)
			}
			if _, err := bw.Write(append(line, '\n')); err != nil {
				return sum, fmt.Errorf("audit: export: %w", err)
			}
			sum.Events++
			if e.Type == CheckpointType {
				sum.Checkpoints++
			}
			sum.LastPosition = int64(e.Position)
		}
		from = page[len(page)-1].Position + 1
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("audit: export: %w", err)
	}
	return sum, nil
}
