package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

// RegisterCouncil makes a council known to tasharuk.
type RegisterCouncil struct {
	Council Council
}

// RecordPopulation records a newer or corrected population figure.
type RecordPopulation struct {
	Population int64
	CensusYear int32
	// Source says where the figure comes from (a file name, "sum of
	// communes in ...").
	Source string
}

// RecordArabicName records a council's name in Arabic after its
// registration (councils imported from a file without Arabic names).
type RecordArabicName struct {
	NameAR string
	// Source says where the name comes from (a file name).
	Source string
}

// State is what a council's stream says of it.
type State struct {
	Registered bool
	Council    Council
}

// Decide returns the events that cmd (a RegisterCouncil, a
// RecordPopulation or a RecordArabicName) adds to the council whose state is s, or why it is
// refused: ErrCouncilExists, ErrCouncilNotFound or a *FieldError. A figure
// equal to the recorded one gives no events and no error.
func Decide(s State, cmd any) ([]proto.Message, error) {
	switch c := cmd.(type) {
	case RegisterCouncil:
		return decideRegister(s, c)
	case RecordPopulation:
		return decideRecordPopulation(s, c)
	case RecordArabicName:
		return decideRecordArabicName(s, c)
	default:
		return nil, fmt.Errorf("territory: unknown command %T", cmd)
	}
}

func decideRegister(s State, cmd RegisterCouncil) ([]proto.Message, error) {
	c := cmd.Council
	if err := validateCouncil(c); err != nil {
		return nil, err
	}
	if s.Registered {
		return nil, fmt.Errorf("%w: %s", ErrCouncilExists, ResourceName(s.Council.Level, s.Council.Code))
	}
	return []proto.Message{&territoryeventsv1.CouncilRegistered{
		Code:               c.Code,
		Level:              c.Level,
		NameFr:             c.NameFR,
		NameAr:             c.NameAR,
		ParentCode:         c.ParentCode,
		Population:         c.Population,
		CensusYear:         c.CensusYear,
		HasArrondissements: c.HasArrondissements,
	}}, nil
}

func decideRecordPopulation(s State, cmd RecordPopulation) ([]proto.Message, error) {
	if err := validateFigure(cmd.Population, cmd.CensusYear); err != nil {
		return nil, err
	}
	if err := validateText("source", cmd.Source, MaxSourceLen); err != nil {
		return nil, err
	}
	if !s.Registered {
		return nil, ErrCouncilNotFound
	}
	cur := s.Council
	// The threshold follows the latest census (DOMAIN.md §1): a figure of
	// an earlier census than the recorded one would take it back in time.
	if cmd.CensusYear < cur.CensusYear {
		return nil, fieldErr("census_year", "%d is earlier than the census already recorded (%d)", cmd.CensusYear, cur.CensusYear)
	}
	if cmd.Population == cur.Population && cmd.CensusYear == cur.CensusYear {
		return nil, nil
	}
	return []proto.Message{&territoryeventsv1.CouncilPopulationRecorded{
		Code:               cur.Code,
		Population:         cmd.Population,
		CensusYear:         cmd.CensusYear,
		PreviousPopulation: cur.Population,
		Source:             cmd.Source,
	}}, nil
}

func decideRecordArabicName(s State, cmd RecordArabicName) ([]proto.Message, error) {
	name := strings.TrimSpace(cmd.NameAR)
	if name == "" {
		return nil, fieldErr("name_ar", "is required")
	}
	if err := validateText("name_ar", name, MaxNameLen); err != nil {
		return nil, err
	}
	if err := validateText("source", cmd.Source, MaxSourceLen); err != nil {
		return nil, err
	}
	if !s.Registered {
		return nil, ErrCouncilNotFound
	}
	if name == s.Council.NameAR {
		return nil, nil
	}
	return []proto.Message{&territoryeventsv1.CouncilArabicNameRecorded{
		Code: s.Council.Code, NameAr: name, PreviousNameAr: s.Council.NameAR, Source: cmd.Source,
	}}, nil
}

// Evolve returns the state after event m. Events of other types leave it
// unchanged.
func Evolve(s State, m proto.Message) State {
	switch e := m.(type) {
	case *territoryeventsv1.CouncilRegistered:
		s.Registered = true
		s.Council = Council{
			Code:               e.GetCode(),
			Level:              e.GetLevel(),
			NameFR:             e.GetNameFr(),
			NameAR:             e.GetNameAr(),
			ParentCode:         e.GetParentCode(),
			Population:         e.GetPopulation(),
			CensusYear:         e.GetCensusYear(),
			HasArrondissements: e.GetHasArrondissements(),
		}
	case *territoryeventsv1.CouncilPopulationRecorded:
		s.Council.Population = e.GetPopulation()
		s.Council.CensusYear = e.GetCensusYear()
	case *territoryeventsv1.CouncilArabicNameRecorded:
		s.Council.NameAR = e.GetNameAr()
	}
	return s
}

// validateCouncil checks a council to register.
func validateCouncil(c Council) error {
	if !ValidCode(c.Code) {
		return fieldErr("code", "%q must be 1-%d characters of a-z, 0-9 or '-'", c.Code, MaxCodeLen)
	}
	if _, ok := collections[c.Level]; !ok {
		return fieldErr("level", "must be COMMUNE, PROVINCE or REGION")
	}
	if strings.TrimSpace(c.NameFR) == "" {
		return fieldErr("name_fr", "is required")
	}
	if err := validateText("name_fr", c.NameFR, MaxNameLen); err != nil {
		return err
	}
	if err := validateText("name_ar", c.NameAR, MaxNameLen); err != nil {
		return err
	}
	switch {
	case c.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION && c.ParentCode != "":
		return fieldErr("parent_code", "a region has no parent council")
	case c.Level != territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION && c.ParentCode == "":
		return fieldErr("parent_code", "is required for a commune or a province")
	case c.ParentCode != "" && !ValidCode(c.ParentCode):
		return fieldErr("parent_code", "%q must be 1-%d characters of a-z, 0-9 or '-'", c.ParentCode, MaxCodeLen)
	case c.ParentCode == c.Code:
		return fieldErr("parent_code", "a council cannot be its own parent")
	}
	if c.HasArrondissements && c.Level != territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE {
		return fieldErr("has_arrondissements", "only a commune has arrondissements")
	}
	return validateFigure(c.Population, c.CensusYear)
}

func validateFigure(population int64, censusYear int32) error {
	if population <= 0 {
		return fieldErr("population", "must be greater than 0, got %d", population)
	}
	if population > MaxPopulation {
		return fieldErr("population", "must be at most %d, got %d", int64(MaxPopulation), population)
	}
	if censusYear < MinCensusYear || censusYear > MaxCensusYear {
		return fieldErr("census_year", "must be between %d and %d, got %d", MinCensusYear, MaxCensusYear, censusYear)
	}
	return nil
}

func validateText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return fieldErr(field, "is not valid UTF-8")
	}
	if utf8.RuneCountInString(s) > max {
		return fieldErr(field, "is longer than %d characters", max)
	}
	return nil
}
