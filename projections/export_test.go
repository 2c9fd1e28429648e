package projections

import (
	"encoding/gob"
	"io"
)

// WriteGobSnapshot writes r's snapshot as version 6 files held it (one gob),
// as a data folder written before issue 17 still does.
func WriteGobSnapshot(r *Runner, w io.Writer) error {
	r.applying.Lock()
	defer r.applying.Unlock()
	s := snapshot{Version: gobVersion, Position: r.position, Unknown: r.unknown, Recorded: r.recorded, Sections: map[string][]byte{}}
	for _, m := range r.models {
		b, err := m.Snapshot()
		if err != nil {
			return err
		}
		s.Sections[m.Name()] = b
	}
	return gob.NewEncoder(w).Encode(&s)
}
