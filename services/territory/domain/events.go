package domain

import (
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/services/events"
)

// EventTypes are the territory context's events with their wire names, for
// events.NewRegistry.
var EventTypes = []events.Type{
	{Name: "territory.CouncilRegistered", Version: 1, Sample: &territoryv1.CouncilRegistered{}},
	{Name: "territory.CouncilPopulationRecorded", Version: 1, Sample: &territoryv1.CouncilPopulationRecorded{}},
}
