package main

import (
	"time"

	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// uuidV7 makes the ids of new resources: time-ordered UUIDs.
type uuidV7 struct{}

// NewID returns a new lower-case UUID v7.
func (uuidV7) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// latestFacts answers the advisory and consultations command handlers'
// questions about other streams from the contexts' read models as they
// are now: councils from territory's, bodies from advisory's,
// consultations from consultations', petitions from petitions'.
type latestFacts struct {
	models *status.ReadModels
	now    func() time.Time
}

func (f latestFacts) Council(code string) (tdomain.Council, bool) {
	return f.models.Territory.Council(code)
}

func (f latestFacts) Body(name string) (adomain.State, bool) {
	return f.models.Advisory.Body(name, projections.AsOf{Now: f.now()})
}

func (f latestFacts) Consultation(name string) (cdomain.State, bool) {
	return f.models.Consultations.Consultation(name, projections.AsOf{Now: f.now()})
}

// Exists reports whether a petition of this full name exists.
func (f latestFacts) Exists(name string) bool { return f.models.Petitions.Exists(name) }
