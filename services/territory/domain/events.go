package domain

import (
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the territory context's events with their wire names, for
// es.NewRegistry.
var EventTypes = []es.Type{
	{Name: "territory.CouncilRegistered", Version: 1, Sample: &territoryeventsv1.CouncilRegistered{}},
	{Name: "territory.CouncilPopulationRecorded", Version: 1, Sample: &territoryeventsv1.CouncilPopulationRecorded{}},
	{Name: "territory.RulebookAmended", Version: 1, Sample: &territoryeventsv1.RulebookAmended{}},
	{Name: "territory.CouncilRulesSet", Version: 1, Sample: &territoryeventsv1.CouncilRulesSet{}},
	{Name: "territory.CouncilArabicNameRecorded", Version: 1, Sample: &territoryeventsv1.CouncilArabicNameRecorded{}},
}
