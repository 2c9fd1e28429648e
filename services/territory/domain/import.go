package domain

import (
	"fmt"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

// Change is one step of an import plan: a command for one council.
type Change struct {
	Code string
	// Command is a RegisterCouncil or a RecordPopulation.
	Command any
}

// CouncilCodes returns the codes of the councils a census file speaks of,
// each once, in order of first appearance: its communes, and the provinces
// and regions (Slug of their names) they belong to. An importer loads these
// councils before calling PlanImport.
func CouncilCodes(rows []CensusRow) []string {
	var codes []string
	seen := map[string]bool{}
	add := func(code string) {
		if code != "" && !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	for _, r := range rows {
		add(Slug(r.Region))
	}
	for _, r := range rows {
		add(Slug(r.Province))
	}
	for _, r := range rows {
		add(r.Code)
	}
	return codes
}

// aggregate is a province or region summed from a file's communes.
type aggregate struct {
	code, name, parent string
	nameAr             string // the first Arabic name the file gives
	population         int64
	line               int // where it first appears
}

// PlanImport returns the commands that bring the councils in existing (by
// code; at least those of CouncilCodes(rows)) in line with a census file
// whose figures are from censusYear:
//
//   - a RegisterCouncil for each new region, then each new province (parent:
//     Slug of its region), then each new commune (parent: Slug of its
//     province), in order of first appearance;
//   - a RecordPopulation for each known council whose figure or census year
//     differs from the file's;
//   - a RecordArabicName for each known council whose Arabic name the file
//     gives and the council lacks (or spells otherwise).
//
// A province's or region's population is the sum of its communes in the
// file: a file is taken to list every commune of each province it names,
// as census files do. Rows without a province (HCP's national format) can
// only update communes already registered. source is recorded with each
// figure ("sum of communes in <source>" for provinces and regions).
//
// Every command is checked with Decide against the council's current
// state, so a plan that is returned can be carried out; otherwise the error
// names the file line that causes it. Councils already up to date get no
// change; the French names and parents of known councils are left as they
// are. Councils get the Arabic names the file gives (name_ar, province_ar,
// region_ar; a province's or region's from its first row that has one):
// new ones with their registration, known ones without it or with another
// by a RecordArabicName.
func PlanImport(existing map[string]Council, rows []CensusRow, censusYear int32, source string) ([]Change, error) {
	if censusYear < MinCensusYear || censusYear > MaxCensusYear {
		return nil, fieldErr("census_year", "must be between %d and %d, got %d", MinCensusYear, MaxCensusYear, censusYear)
	}
	var regions, provinces []*aggregate
	regionByCode := map[string]*aggregate{}
	provinceByCode := map[string]*aggregate{}
	for _, r := range rows {
		rc, pc := Slug(r.Region), Slug(r.Province)
		if r.Region != "" && rc == "" {
			return nil, censusErr(r.Line, "region %q has no Latin letter or digit to make a code from", r.Region)
		}
		if r.Province != "" && pc == "" {
			return nil, censusErr(r.Line, "province %q has no Latin letter or digit to make a code from", r.Province)
		}
		if rc != "" {
			g := regionByCode[rc]
			if g == nil {
				g = &aggregate{code: rc, name: r.Region, line: r.Line}
				regionByCode[rc] = g
				regions = append(regions, g)
			}
			if g.nameAr == "" {
				g.nameAr = r.RegionAr
			}
			g.population += r.Population
		}
		if pc != "" {
			g := provinceByCode[pc]
			if g == nil {
				g = &aggregate{code: pc, name: r.Province, parent: rc, line: r.Line}
				provinceByCode[pc] = g
				provinces = append(provinces, g)
			} else if g.parent != rc {
				return nil, censusErr(r.Line, "province %s is in region %q here but in %q on line %d", r.Province, rc, g.parent, g.line)
			}
			if g.nameAr == "" {
				g.nameAr = r.ProvinceAr
			}
			g.population += r.Population
		}
	}

	p := planner{existing: existing, year: censusYear, file: source, levels: map[string]territoryeventsv1.CouncilLevel{}}
	aggSource := "sum of communes"
	if source != "" {
		aggSource += " in " + source
	}
	for _, g := range regions {
		c := Council{Code: g.code, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION, NameFR: g.name, NameAR: g.nameAr, Population: g.population, CensusYear: censusYear}
		if err := p.plan(c, g.line, aggSource); err != nil {
			return nil, err
		}
	}
	for _, g := range provinces {
		c := Council{Code: g.code, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE, NameFR: g.name, NameAR: g.nameAr, ParentCode: g.parent, Population: g.population, CensusYear: censusYear}
		if err := p.plan(c, g.line, aggSource); err != nil {
			return nil, err
		}
	}
	for _, r := range rows {
		c := Council{Code: r.Code, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFR: r.Name, NameAR: r.NameAr, ParentCode: Slug(r.Province), Population: r.Population, CensusYear: censusYear}
		if _, known := existing[r.Code]; !known && c.ParentCode == "" {
			// HCP's national file (code24,name24,population24) names no
			// province or region: it can bring figures up to date, not
			// start a log. Say what the file lacks.
			return nil, censusErr(r.Line, "commune %s (%s) is not registered, and the file gives no province (nor region) to register it under: "+
				"to register communes the file needs province and region columns (code,name,province,region,population, as in "+
				"testdata/bmk_communes_2024.csv); a file without them, such as HCP's national code24,name24,population24, "+
				"only updates the population of communes already registered; nothing was written", r.Code, r.Name)
		}
		if err := p.plan(c, r.Line, source); err != nil {
			return nil, err
		}
	}
	return p.changes, nil
}

type planner struct {
	existing map[string]Council
	year     int32
	file     string                                    // the file's name, the source of Arabic names
	levels   map[string]territoryeventsv1.CouncilLevel // codes planned so far
	changes  []Change
}

// plan adds the change that brings council c.Code to c, if any.
func (p *planner) plan(c Council, line int, source string) error {
	if lv, dup := p.levels[c.Code]; dup {
		return censusErr(line, "code %s names both a %s and a %s", c.Code, levelWord(lv), levelWord(c.Level))
	}
	p.levels[c.Code] = c.Level
	var s State
	cmds := []any{RegisterCouncil{Council: c}}
	if ex, ok := p.existing[c.Code]; ok {
		if ex.Level != c.Level {
			return censusErr(line, "code %s is registered as a %s, not a %s", c.Code, levelWord(ex.Level), levelWord(c.Level))
		}
		s = State{Registered: true, Council: ex}
		cmds = []any{RecordPopulation{Population: c.Population, CensusYear: p.year, Source: source}}
		// A known council gets the Arabic name the file gives, if it
		// has none or another (its French name stays as registered).
		if c.NameAR != "" && c.NameAR != ex.NameAR {
			cmds = append(cmds, RecordArabicName{NameAR: c.NameAR, Source: p.file})
		}
	}
	for _, cmd := range cmds {
		evs, err := Decide(s, cmd)
		if err != nil {
			return fmt.Errorf("census file line %d: %s %s: %w", line, levelWord(c.Level), c.Code, err)
		}
		if len(evs) > 0 {
			p.changes = append(p.changes, Change{Code: c.Code, Command: cmd})
		}
	}
	return nil
}

func levelWord(l territoryeventsv1.CouncilLevel) string {
	switch l {
	case territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE:
		return "commune"
	case territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE:
		return "province"
	case territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION:
		return "region"
	}
	return "council"
}
