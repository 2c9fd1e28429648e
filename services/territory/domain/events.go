package domain

import (
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the territory context's events with their wire names, for
// es.NewRegistry.
var EventTypes = []es.Type{
	{Name: "territory.CouncilRegistered", Version: 1, Sample: &territoryv1.CouncilRegistered{}},
	{Name: "territory.CouncilPopulationRecorded", Version: 1, Sample: &territoryv1.CouncilPopulationRecorded{}},
}
