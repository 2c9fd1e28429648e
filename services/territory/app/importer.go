package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// Importer brings the councils in line with a census file.
type Importer struct {
	Store    eventstore.Store
	Registry *es.Registry
	// Now gives the events' OccurredAt; nil leaves it to the store (the
	// time of recording).
	Now func() time.Time
}

// ImportReport says what an import did.
type ImportReport struct {
	// Registered, Updated and Unchanged count the councils the file speaks
	// of (communes, provinces, regions) by what happened to them.
	Registered, Updated, Unchanged int
	// LastPosition is the log position of the last event written, or the
	// log's last position when nothing was written: a reader that waits for
	// it sees the import.
	LastPosition uint64
}

// Import registers the new councils of a parsed census file and records
// the changed figures of known ones (see domain.PlanImport), one append per
// council, all events of one import sharing a correlation id. The whole
// plan is checked before anything is written: a file the plan refuses
// writes nothing. An import stopped by a store error has made the changes
// its report counts; running it again completes it, since councils already
// up to date are left alone.
func (im *Importer) Import(ctx context.Context, rows []domain.CensusRow, censusYear int32, source string, actor eventstore.Actor) (ImportReport, error) {
	codes := domain.CouncilCodes(rows)
	councils := make(map[string]*loaded, len(codes))
	existing := make(map[string]domain.Council, len(codes))
	for _, code := range codes {
		s, rev, exists, err := LoadCouncil(ctx, im.Store, im.Registry, code)
		if err != nil {
			return ImportReport{}, err
		}
		councils[code] = &loaded{state: s, revision: rev, exists: exists}
		if exists {
			existing[code] = s.Council
		}
	}
	changes, err := domain.PlanImport(existing, rows, censusYear, source)
	if err != nil {
		return ImportReport{}, err
	}

	correlation, err := uuid.NewV7()
	if err != nil {
		return ImportReport{}, fmt.Errorf("correlation id: %w", err)
	}
	w := writer{store: im.Store, registry: im.Registry, now: im.Now}
	var rep ImportReport
	// A council may have two changes (its figure and its Arabic name):
	// it counts once, and the second starts from the first's outcome.
	updated := map[string]bool{}
	for _, ch := range changes {
		out, err := w.execute(ctx, ch.Code, councils[ch.Code], commandFor(ch, source), actor, correlation.String())
		if err != nil {
			rep.Unchanged = len(codes) - rep.Registered - rep.Updated
			return rep, err
		}
		after := out.after
		councils[ch.Code] = &after
		if len(out.events) == 0 {
			continue // someone else recorded the same meanwhile
		}
		if _, ok := out.events[0].(*territoryeventsv1.CouncilRegistered); ok {
			rep.Registered++
		} else if !updated[ch.Code] {
			updated[ch.Code] = true
			rep.Updated++
		}
		rep.LastPosition = max(rep.LastPosition, out.position)
	}
	rep.Unchanged = len(codes) - rep.Registered - rep.Updated
	if rep.LastPosition == 0 {
		if rep.LastPosition, err = im.Store.LastPosition(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// commandFor returns the change's command for a council's current state.
// A council planned as new but registered meanwhile by another writer gets
// its figure recorded instead, so that two imports of one file agree.
func commandFor(ch domain.Change, source string) func(domain.State) any {
	return func(s domain.State) any {
		if reg, ok := ch.Command.(domain.RegisterCouncil); ok && s.Registered {
			return domain.RecordPopulation{Population: reg.Council.Population, CensusYear: reg.Council.CensusYear, Source: source}
		}
		return ch.Command
	}
}
