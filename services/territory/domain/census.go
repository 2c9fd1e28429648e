package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a census file.
const (
	MaxCensusBytes = 10 << 20
	MaxCensusRows  = 20_000
)

// CensusRow is one commune of a census file.
type CensusRow struct {
	// Line is the row's line number in the file (the header is line 1).
	Line int
	Code string
	Name string
	// Province and Region are the French names of the commune's province
	// and region; empty in a file that has no such columns.
	Province   string
	Region     string
	Population int64
	// NameAr, ProvinceAr and RegionAr are the Arabic names of the commune,
	// its province and its region, from the optional columns name_ar,
	// province_ar and region_ar; empty where the file gives none.
	NameAr, ProvinceAr, RegionAr string
}

// CensusError says what is wrong with a census file, and where. It matches
// ErrInvalid.
type CensusError struct {
	// Line is the line of the file, 0 for the file as a whole.
	Line    int
	Problem string
}

func (e *CensusError) Error() string {
	if e.Line == 0 {
		return "census file: " + e.Problem
	}
	return fmt.Sprintf("census file line %d: %s", e.Line, e.Problem)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *CensusError) Is(target error) bool { return target == ErrInvalid }

func censusErr(line int, format string, args ...any) *CensusError {
	return &CensusError{Line: line, Problem: fmt.Sprintf(format, args...)}
}

// headerPattern recognises a column: its name, optionally followed by a
// year ("population_2024", HCP's "code24").
var headerPattern = regexp.MustCompile(`^(code|name|province|region|population)_?(\d{2}|\d{4})?$`)

// arabicPattern recognises the optional Arabic-name columns: name_ar,
// province_ar, region_ar.
var arabicPattern = regexp.MustCompile(`^(name|province|region)_ar$`)

// ParseCensus reads a census file of communes: CSV in UTF-8 (a BOM is
// allowed), a header naming the columns code, name and population (each
// optionally followed by a year: population_2024, code24) and optionally
// province and region, and the Arabic names name_ar, province_ar and
// region_ar, in any order and any case; other columns are ignored. That covers the regional files (code,name,province,region,
// population_2024) and HCP's national one (code24,name24,population24),
// which, naming no province or region, only updates the figures of
// communes already registered (PlanImport refuses to register a commune
// without its province).
// Spaces around values are trimmed.
//
// It reads all or nothing: a malformed file gives a *CensusError naming
// the line and the problem, and no rows. Malformed means: over 10 MB or
// 20,000 rows, not UTF-8, a required column missing or named twice, a row
// with the wrong number of fields, an empty code or name, a code that is
// not a valid council code, a population that is not a whole number
// from 1 to MaxPopulation, a code seen twice, or no rows at all.
func ParseCensus(r io.Reader) ([]CensusRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxCensusBytes+1))
	if err != nil {
		return nil, fmt.Errorf("census file: %w", err)
	}
	if len(data) > MaxCensusBytes {
		return nil, censusErr(0, "larger than %d bytes", MaxCensusBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, censusErr(0, "empty: want a header line code,name,population")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	cols, err := censusColumns(header)
	if err != nil {
		return nil, err
	}
	width := len(header)

	var rows []CensusRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			return nil, censusErr(pe.StartLine, "%d fields, the header has %d", len(rec), width)
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == MaxCensusRows {
			return nil, censusErr(line, "more than %d rows", MaxCensusRows)
		}
		row, err := censusRow(rec, cols, line)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[row.Code]; dup {
			return nil, censusErr(line, "code %s already given on line %d", row.Code, first)
		}
		seen[row.Code] = line
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, censusErr(0, "no rows after the header")
	}
	return rows, nil
}

// columns holds the index of each column of interest; -1 for an absent
// optional one.
type columns struct {
	code, name, province, region, population int
	nameAr, provinceAr, regionAr             int
}

func censusColumns(header []string) (columns, error) {
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(h) {
			return columns{}, censusErr(1, "column %d: not UTF-8", i+1)
		}
		m := headerPattern.FindStringSubmatch(h)
		if a := arabicPattern.FindStringSubmatch(h); a != nil {
			m = []string{h, a[1] + "_ar"}
		}
		if m == nil {
			continue
		}
		if _, dup := idx[m[1]]; dup {
			return columns{}, censusErr(1, "two %s columns", m[1])
		}
		idx[m[1]] = i
	}
	var missing []string
	for _, name := range []string{"code", "name", "population"} {
		if _, ok := idx[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return columns{}, censusErr(1, "missing column %s (the header needs code, name and population)", strings.Join(missing, ", "))
	}
	get := func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		return -1
	}
	return columns{code: get("code"), name: get("name"), province: get("province"), region: get("region"), population: get("population"),
		nameAr: get("name_ar"), provinceAr: get("province_ar"), regionAr: get("region_ar")}, nil
}

func censusRow(rec []string, cols columns, line int) (CensusRow, error) {
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return CensusRow{}, censusErr(line, "field %d is not UTF-8", i+1)
		}
	}
	field := func(i int) string {
		if i < 0 {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	row := CensusRow{
		Line:     line,
		Code:     field(cols.code),
		Name:     field(cols.name),
		Province: field(cols.province),
		Region:   field(cols.region),
		NameAr:   field(cols.nameAr), ProvinceAr: field(cols.provinceAr), RegionAr: field(cols.regionAr),
	}
	switch {
	case row.Code == "":
		return CensusRow{}, censusErr(line, "empty code")
	case !ValidCode(row.Code):
		return CensusRow{}, censusErr(line, "code %q must be 1-%d characters of a-z, 0-9 or '-'", row.Code, MaxCodeLen)
	case row.Name == "":
		return CensusRow{}, censusErr(line, "empty name")
	case utf8.RuneCountInString(row.Name) > MaxNameLen:
		return CensusRow{}, censusErr(line, "name longer than %d characters", MaxNameLen)
	case utf8.RuneCountInString(row.NameAr) > MaxNameLen, utf8.RuneCountInString(row.ProvinceAr) > MaxNameLen, utf8.RuneCountInString(row.RegionAr) > MaxNameLen:
		return CensusRow{}, censusErr(line, "Arabic name longer than %d characters", MaxNameLen)
	}
	pop := field(cols.population)
	n, err := strconv.ParseInt(pop, 10, 64)
	if err != nil {
		return CensusRow{}, censusErr(line, "population %q is not a whole number", pop)
	}
	if n <= 0 {
		return CensusRow{}, censusErr(line, "population %d must be greater than 0", n)
	}
	if n > MaxPopulation {
		return CensusRow{}, censusErr(line, "population %d is more than %d", n, int64(MaxPopulation))
	}
	row.Population = n
	return row, nil
}

// csvErr turns an encoding/csv error into a *CensusError with its line.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return censusErr(pe.Line, "%v", pe.Err)
	}
	return fmt.Errorf("census file: %w", err)
}
