package web

import (
	"slices"
	"testing"

	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// filterCommunes keeps the communes whose Arabic or French name holds every
// word, however it is typed; no words keep them all, in their order.
func TestFilterCommunes(t *testing.T) {
	byName := map[string]*territoryv1.Council{
		"communes/1": {Name: "communes/1", NameFr: "Zaouiat Cheikh", NameAr: "زاوية الشيخ"},
		"communes/2": {Name: "communes/2", NameFr: "Zaouiat Ahansal"},
		"communes/3": {Name: "communes/3", NameFr: "Béni Mellal", NameAr: "بني ملال"},
		"communes/4": {Name: "communes/4", NameFr: "Oulad Ayad", NameAr: "أولاد عياد"},
	}
	var list []*statusv1.CouncilStatus
	for _, n := range []string{"communes/1", "communes/2", "communes/3", "communes/4", "communes/5"} {
		s := &statusv1.CouncilStatus{Council: n}
		if c := byName[n]; c != nil {
			s.NameFr = c.GetNameFr()
		}
		list = append(list, s)
	}
	// A council the index does not know (communes/5): its status's own
	// French name is still searched.
	list[4].NameFr = "Tanougha"
	names := func(l []*statusv1.CouncilStatus) []string {
		var out []string
		for _, s := range l {
			out = append(out, s.GetCouncil())
		}
		return out
	}
	for q, want := range map[string][]string{
		"":               {"communes/1", "communes/2", "communes/3", "communes/4", "communes/5"},
		"   ":            {"communes/1", "communes/2", "communes/3", "communes/4", "communes/5"},
		"zaouiat":        {"communes/1", "communes/2"},
		"ZAOUÏAT chéikh": {"communes/1"},
		"زَاوِيَةُ":      {"communes/1"},
		"زاويه":          {"communes/1"}, // taa marbuta typed as haa
		"اولاد":          {"communes/4"}, // alef without its hamza
		"beni mellal":    {"communes/3"},
		"tanougha":       {"communes/5"},
		"mellal zaouiat": nil, // every word, not any
		"nowhere at all": nil,
	} {
		if got := names(filterCommunes(list, byName, q)); !slices.Equal(got, want) {
			t.Errorf("filter %q: %v, want %v", q, got, want)
		}
	}
}
