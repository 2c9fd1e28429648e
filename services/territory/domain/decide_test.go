package domain

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

var beniMellal = Council{
	Code: "50910101", Level: commune, NameFR: "Béni Mellal", NameAR: "بني ملال",
	ParentCode: "beni-mellal", Population: 209_104, CensusYear: 2024,
}

func registered(c Council) *territoryeventsv1.CouncilRegistered {
	return &territoryeventsv1.CouncilRegistered{
		Code: c.Code, Level: c.Level, NameFr: c.NameFR, NameAr: c.NameAR, ParentCode: c.ParentCode,
		Population: c.Population, CensusYear: c.CensusYear, HasArrondissements: c.HasArrondissements,
	}
}

func with(c Council, change func(*Council)) Council {
	change(&c)
	return c
}

// TestDecide runs the council's rules as given past events, when a
// command, then new events or an error.
func TestDecide(t *testing.T) {
	tests := []struct {
		name  string
		given []proto.Message
		when  any
		then  []proto.Message
		err   error  // matched with errors.Is
		field string // the *FieldError's field, when err is ErrInvalid
	}{
		{
			name: "register a commune",
			when: RegisterCouncil{Council: beniMellal},
			then: []proto.Message{registered(beniMellal)},
		},
		{
			name: "register a region",
			when: RegisterCouncil{Council: Council{Code: "beni-mellal-khenifra", Level: region, NameFR: "Béni Mellal-Khénifra", Population: 2_525_801, CensusYear: 2024}},
			then: []proto.Message{&territoryeventsv1.CouncilRegistered{Code: "beni-mellal-khenifra", Level: region, NameFr: "Béni Mellal-Khénifra", Population: 2_525_801, CensusYear: 2024}},
		},
		{
			name:  "register twice",
			given: []proto.Message{registered(beniMellal)},
			when:  RegisterCouncil{Council: beniMellal},
			err:   ErrCouncilExists,
		},
		{name: "bad code", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.Code = "Béni" })}, err: ErrInvalid, field: "code"},
		{name: "no level", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.Level = 0 })}, err: ErrInvalid, field: "level"},
		{name: "no name", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.NameFR = " " })}, err: ErrInvalid, field: "name_fr"},
		{name: "name too long", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.NameAR = strings.Repeat("ب", MaxNameLen+1) })}, err: ErrInvalid, field: "name_ar"},
		{name: "commune without a parent", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.ParentCode = "" })}, err: ErrInvalid, field: "parent_code"},
		{name: "province without a parent", when: RegisterCouncil{Council: Council{Code: "azilal", Level: province, NameFR: "Azilal", Population: 1, CensusYear: 2024}}, err: ErrInvalid, field: "parent_code"},
		{name: "region with a parent", when: RegisterCouncil{Council: Council{Code: "r", Level: region, NameFR: "R", ParentCode: "x", Population: 1, CensusYear: 2024}}, err: ErrInvalid, field: "parent_code"},
		{name: "bad parent code", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.ParentCode = "Béni Mellal" })}, err: ErrInvalid, field: "parent_code"},
		{name: "own parent", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.ParentCode = c.Code })}, err: ErrInvalid, field: "parent_code"},
		{name: "province with arrondissements", when: RegisterCouncil{Council: Council{Code: "azilal", Level: province, NameFR: "Azilal", ParentCode: "r", Population: 1, CensusYear: 2024, HasArrondissements: true}}, err: ErrInvalid, field: "has_arrondissements"},
		{name: "zero population", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.Population = 0 })}, err: ErrInvalid, field: "population"},
		{name: "negative population", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.Population = -5 })}, err: ErrInvalid, field: "population"},
		{name: "no census year", when: RegisterCouncil{Council: with(beniMellal, func(c *Council) { c.CensusYear = 0 })}, err: ErrInvalid, field: "census_year"},
		{
			name:  "record a new census",
			given: []proto.Message{registered(with(beniMellal, func(c *Council) { c.Population = 192_676; c.CensusYear = 2014 }))},
			when:  RecordPopulation{Population: 209_104, CensusYear: 2024, Source: "bmk_communes_2024.csv"},
			then: []proto.Message{&territoryeventsv1.CouncilPopulationRecorded{
				Code: "50910101", Population: 209_104, CensusYear: 2024, PreviousPopulation: 192_676, Source: "bmk_communes_2024.csv",
			}},
		},
		{
			name:  "correct a figure of the same census",
			given: []proto.Message{registered(beniMellal)},
			when:  RecordPopulation{Population: 209_105, CensusYear: 2024},
			then:  []proto.Message{&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 209_105, CensusYear: 2024, PreviousPopulation: 209_104}},
		},
		{
			name: "correct a figure twice",
			given: []proto.Message{
				registered(beniMellal),
				&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 209_105, CensusYear: 2024, PreviousPopulation: 209_104},
			},
			when: RecordPopulation{Population: 209_104, CensusYear: 2024},
			then: []proto.Message{&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 209_104, CensusYear: 2024, PreviousPopulation: 209_105}},
		},
		{
			name:  "same figure: nothing to record",
			given: []proto.Message{registered(beniMellal)},
			when:  RecordPopulation{Population: 209_104, CensusYear: 2024, Source: "again.csv"},
		},
		{
			name:  "same figure, another census year",
			given: []proto.Message{registered(with(beniMellal, func(c *Council) { c.CensusYear = 2014 }))},
			when:  RecordPopulation{Population: 209_104, CensusYear: 2024},
			then:  []proto.Message{&territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 209_104, CensusYear: 2024, PreviousPopulation: 209_104}},
		},
		{name: "population of an unknown council", when: RecordPopulation{Population: 10, CensusYear: 2024}, err: ErrCouncilNotFound},
		{name: "population not positive", given: []proto.Message{registered(beniMellal)}, when: RecordPopulation{Population: 0, CensusYear: 2024}, err: ErrInvalid, field: "population"},
		{name: "population absurd", given: []proto.Message{registered(beniMellal)}, when: RecordPopulation{Population: MaxPopulation + 1, CensusYear: 2024}, err: ErrInvalid, field: "population"},
		{name: "an older census", given: []proto.Message{registered(beniMellal)}, when: RecordPopulation{Population: 192_676, CensusYear: 2014}, err: ErrInvalid, field: "census_year"},
		{name: "source too long", given: []proto.Message{registered(beniMellal)}, when: RecordPopulation{Population: 1, CensusYear: 2024, Source: strings.Repeat("s", MaxSourceLen+1)}, err: ErrInvalid, field: "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s State
			for _, e := range tt.given {
				s = Evolve(s, e)
			}
			got, err := Decide(s, tt.when)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Decide = %v, %v; want error %v", got, err, tt.err)
				}
				var fe *FieldError
				if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
					t.Fatalf("Decide error %v: want a *FieldError on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if len(got) != len(tt.then) {
				t.Fatalf("Decide = %v, want %v", got, tt.then)
			}
			for i := range got {
				if !proto.Equal(got[i], tt.then[i]) {
					t.Errorf("event %d = %v, want %v", i, got[i], tt.then[i])
				}
			}
		})
	}
}

func TestDecideUnknownCommand(t *testing.T) {
	if _, err := Decide(State{}, struct{}{}); err == nil {
		t.Fatal("Decide(unknown command) succeeded")
	}
}

func TestEvolve(t *testing.T) {
	s := Evolve(State{}, registered(beniMellal))
	if !s.Registered || s.Council != beniMellal {
		t.Fatalf("after CouncilRegistered: %+v", s)
	}
	s = Evolve(s, &territoryeventsv1.CouncilPopulationRecorded{Code: "50910101", Population: 210_000, CensusYear: 2025, PreviousPopulation: 209_104})
	want := with(beniMellal, func(c *Council) { c.Population = 210_000; c.CensusYear = 2025 })
	if !s.Registered || s.Council != want {
		t.Fatalf("after CouncilPopulationRecorded: %+v, want %+v", s.Council, want)
	}
	if got := Evolve(s, &territoryv1.GetCouncilRequest{}); got != s {
		t.Fatalf("an unrelated message changed the state: %+v", got)
	}
}

// TestEventTypesRoundTrip checks that every event Decide emits is
// registered and survives encoding.
func TestEventTypesRoundTrip(t *testing.T) {
	reg := es.NewRegistry(EventTypes)
	s := State{}
	for _, cmd := range []any{RegisterCouncil{Council: beniMellal}, RecordPopulation{Population: 1, CensusYear: 2025}} {
		evs, err := Decide(s, cmd)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Decide(%T) = %v, %v", cmd, evs, err)
		}
		name, version, payload, err := reg.Encode(evs[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "territory.") || version != 1 {
			t.Errorf("wire name %s@%d", name, version)
		}
		back, err := reg.Decode(name, version, payload)
		if err != nil || !proto.Equal(back, evs[0]) {
			t.Fatalf("round trip: %v, %v", back, err)
		}
		s = Evolve(s, back)
	}
}
