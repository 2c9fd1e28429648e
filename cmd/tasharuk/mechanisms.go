package main

import (
	"time"

	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// uuidV7 makes the ids of new resources: time-ordered UUIDs.
type uuidV7 struct{}

// NewID returns a new lower-case UUID v7.
func (uuidV7) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// latestFacts answers the advisory and consultations command handlers'
// questions about other streams from the read model as it is now.
type latestFacts struct {
	model *projections.Model
	now   func() time.Time
}

func (f latestFacts) Council(code string) (tdomain.Council, bool) { return f.model.Council(code) }

func (f latestFacts) Body(name string) (adomain.State, bool) {
	return f.model.Body(name, projections.AsOf{Now: f.now()})
}

func (f latestFacts) Consultation(name string) (cdomain.State, bool) {
	return f.model.Consultation(name, projections.AsOf{Now: f.now()})
}

func (f latestFacts) Exists(name string) bool { return f.model.Exists(name) }
