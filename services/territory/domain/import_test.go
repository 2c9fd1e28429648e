package domain

import (
	"errors"
	"strings"
	"testing"
)

// apply carries out a plan on a map of councils, as an importer would.
func apply(t *testing.T, existing map[string]Council, changes []Change) map[string]Council {
	t.Helper()
	out := make(map[string]Council, len(existing)+len(changes))
	for k, v := range existing {
		out[k] = v
	}
	for _, ch := range changes {
		c, ok := out[ch.Code]
		s := State{Registered: ok, Council: c}
		evs, err := Decide(s, ch.Command)
		if err != nil || len(evs) == 0 {
			t.Fatalf("change %+v: %v, %v", ch, evs, err)
		}
		for _, e := range evs {
			s = Evolve(s, e)
		}
		out[ch.Code] = s.Council
	}
	return out
}

func count(changes []Change) (registers, records int) {
	for _, ch := range changes {
		switch ch.Command.(type) {
		case RegisterCouncil:
			registers++
		case RecordPopulation:
			records++
		}
	}
	return
}

func TestPlanImportRealFile(t *testing.T) {
	rows := readCensus(t)

	// First import: every council is new.
	changes, err := PlanImport(nil, rows, 2024, "bmk_communes_2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	if reg, rec := count(changes); reg != 135+5+1 || rec != 0 {
		t.Fatalf("first import: %d registrations, %d records; want 141, 0", reg, rec)
	}
	// Parents come before their children.
	if changes[0].Code != "beni-mellal-khenifra" || changes[1].Code != "beni-mellal" || changes[6].Code != "50910101" {
		t.Errorf("order: %s, %s, %s", changes[0].Code, changes[1].Code, changes[6].Code)
	}
	councils := apply(t, nil, changes)
	if len(councils) != 141 {
		t.Fatalf("%d councils", len(councils))
	}
	var total int64
	for _, r := range rows {
		total += r.Population
	}
	reg := councils["beni-mellal-khenifra"]
	if reg.Level != region || reg.NameFR != "Béni Mellal-Khénifra" || reg.ParentCode != "" || reg.Population != total || reg.CensusYear != 2024 {
		t.Errorf("region: %+v (total %d)", reg, total)
	}
	if got := DefaultRulebook(region).SignatureThreshold(reg); got != 400 {
		t.Errorf("region threshold %d, want 400 (population %d)", got, reg.Population)
	}
	var sums int64
	for _, code := range []string{"azilal", "beni-mellal", "fquih-ben-salah", "khenifra", "khouribga"} {
		p, ok := councils[code]
		if !ok || p.Level != province || p.ParentCode != "beni-mellal-khenifra" {
			t.Errorf("province %s: %+v", code, p)
		}
		sums += p.Population
	}
	if sums != total {
		t.Errorf("provinces sum to %d, communes to %d", sums, total)
	}
	// The Arabic names the file gives (its demo communes, their province
	// and region); a commune without one has none.
	for code, want := range map[string]string{"50910113": "زاوية الشيخ", "50910103": "القصيبة", "beni-mellal": "إقليم بني ملال",
		"beni-mellal-khenifra": "جهة بني ملال خنيفرة", "azilal": ""} {
		if got := councils[code].NameAR; got != want {
			t.Errorf("%s: Arabic name %q, want %q", code, got, want)
		}
	}
	bm := councils["50910101"]
	if bm.Level != commune || bm.NameFR != "Béni Mellal" || bm.ParentCode != "beni-mellal" || bm.Population != 209_104 {
		t.Errorf("Béni Mellal: %+v", bm)
	}

	// Re-import unchanged: nothing to do.
	again, err := PlanImport(councils, rows, 2024, "bmk_communes_2024.csv")
	if err != nil || len(again) != 0 {
		t.Fatalf("re-import: %+v, %v", again, err)
	}

	// One commune's figure corrected: that commune gets a RecordPopulation,
	// and so do its province and region, whose figures are sums.
	changed := append([]CensusRow(nil), rows...)
	changed[2].Population++ // Zaouiat Cheikh, province Béni Mellal
	plan, err := PlanImport(councils, changed, 2024, "fixed.csv")
	if err != nil {
		t.Fatal(err)
	}
	var communeRecords []Change
	for _, ch := range plan {
		if _, ok := ch.Command.(RecordPopulation); !ok {
			t.Fatalf("unexpected change %+v", ch)
		}
		if councils[ch.Code].Level == commune {
			communeRecords = append(communeRecords, ch)
		}
	}
	if len(communeRecords) != 1 || communeRecords[0].Code != "50910113" {
		t.Fatalf("commune changes %+v, want one for 50910113", communeRecords)
	}
	want := RecordPopulation{Population: 25_064, CensusYear: 2024, Source: "fixed.csv"}
	if communeRecords[0].Command != want {
		t.Errorf("command %+v, want %+v", communeRecords[0].Command, want)
	}
	if len(plan) != 3 || plan[0].Code != "beni-mellal-khenifra" || plan[1].Code != "beni-mellal" {
		t.Errorf("plan %+v: want the region, the province, the commune", plan)
	}
	if src := plan[0].Command.(RecordPopulation).Source; src != "sum of communes in fixed.csv" {
		t.Errorf("aggregate source %q", src)
	}

	// The same correction in HCP's national format (no province or region
	// columns) touches the commune alone.
	national := []CensusRow{{Line: 2, Code: "50910113", Name: "Zaouiat Cheikh", Population: 25_064}}
	plan, err = PlanImport(councils, national, 2024, "national.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || plan[0].Code != "50910113" || plan[0].Command != (RecordPopulation{Population: 25_064, CensusYear: 2024, Source: "national.csv"}) {
		t.Errorf("national plan %+v", plan)
	}

	// A new census updates every council.
	plan, err = PlanImport(councils, rows, 2034, "rgph2034.csv")
	if err != nil {
		t.Fatal(err)
	}
	if reg, rec := count(plan); reg != 0 || rec != 141 {
		t.Errorf("new census: %d registrations, %d records", reg, rec)
	}
}

func TestCouncilCodes(t *testing.T) {
	rows := readCensus(t)
	codes := CouncilCodes(rows)
	if len(codes) != 141 || codes[0] != "beni-mellal-khenifra" || codes[1] != "beni-mellal" || codes[6] != "50910101" {
		t.Errorf("CouncilCodes: %d codes starting %v", len(codes), codes[:7])
	}
	if got := CouncilCodes([]CensusRow{{Code: "1"}, {Code: "2"}}); strings.Join(got, ",") != "1,2" {
		t.Errorf("national rows: %v", got)
	}
}

func TestPlanImportErrors(t *testing.T) {
	row := func(line int, code, name, prov, reg string, pop int64) CensusRow {
		return CensusRow{Line: line, Code: code, Name: name, Province: prov, Region: reg, Population: pop}
	}
	known := map[string]Council{
		"50910101":             beniMellal,
		"beni-mellal":          {Code: "beni-mellal", Level: province, NameFR: "Béni Mellal", ParentCode: "beni-mellal-khenifra", Population: 1, CensusYear: 2024},
		"beni-mellal-khenifra": {Code: "beni-mellal-khenifra", Level: region, NameFR: "Béni Mellal-Khénifra", Population: 1, CensusYear: 2024},
	}
	tests := []struct {
		name     string
		existing map[string]Council
		rows     []CensusRow
		year     int32
		line     string // the error must name this line
		problem  string
	}{
		{
			name:    "new commune without a province",
			rows:    []CensusRow{row(2, "1", "A", "P", "R", 5), row(3, "2", "B", "", "", 5)},
			year:    2024,
			line:    "line 3",
			problem: "not registered",
		},
		{
			name:    "province in two regions",
			rows:    []CensusRow{row(2, "1", "A", "P", "R1", 5), row(3, "2", "B", "P", "R2", 5)},
			year:    2024,
			line:    "line 3",
			problem: "province P is in region",
		},
		{
			name:    "new province without a region",
			rows:    []CensusRow{row(7, "1", "A", "P", "", 5)},
			year:    2024,
			line:    "line 7",
			problem: "parent_code",
		},
		{
			name:    "province name without Latin letters",
			rows:    []CensusRow{row(4, "1", "A", "أزيلال", "R", 5)},
			year:    2024,
			line:    "line 4",
			problem: "no Latin letter",
		},
		{
			name:    "a code for two levels",
			rows:    []CensusRow{row(2, "azilal", "Azilal", "Azilal", "R", 5)},
			year:    2024,
			line:    "line 2",
			problem: "names both a province and a commune",
		},
		{
			name:     "a code registered at another level",
			existing: known,
			rows:     []CensusRow{row(2, "beni-mellal", "X", "Béni Mellal", "Béni Mellal-Khénifra", 5)},
			year:     2024,
			line:     "line 2",
			problem:  "names both a province and a commune",
		},
		{
			name:     "an older census than the recorded one",
			existing: known,
			rows:     []CensusRow{row(9, "50910101", "Béni Mellal", "", "", 192_676)},
			year:     2014,
			line:     "line 9",
			problem:  "census_year",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, err := PlanImport(tt.existing, tt.rows, tt.year, "f.csv")
			if err == nil || changes != nil {
				t.Fatalf("PlanImport = %+v, %v; want an error", changes, err)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.line) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error %q: want %q and %q", err, tt.line, tt.problem)
			}
		})
	}

	// A council known at one level and met at another in the file.
	existing := map[string]Council{"r": {Code: "r", Level: province, NameFR: "R", ParentCode: "x", Population: 1, CensusYear: 2024}}
	_, err := PlanImport(existing, []CensusRow{row(2, "1", "A", "P", "R", 5)}, 2024, "f.csv")
	if err == nil || !strings.Contains(err.Error(), "code r is registered as a province, not a region") {
		t.Errorf("level clash: %v", err)
	}

	_, err = PlanImport(nil, []CensusRow{row(2, "1", "A", "P", "R", 5)}, 0, "f.csv")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "census_year" {
		t.Errorf("census year 0: %v", err)
	}
}

// Councils registered from a file without Arabic names get them from a
// later file that has them: one RecordArabicName for each council the file
// names in Arabic, nothing for the others, nothing on a second import.
func TestPlanImportRecordsArabicNamesOfKnownCouncils(t *testing.T) {
	rows := readCensus(t)
	latin := append([]CensusRow(nil), rows...)
	for i := range latin {
		latin[i].NameAr, latin[i].ProvinceAr, latin[i].RegionAr = "", "", ""
	}
	first, err := PlanImport(nil, latin, 2024, "old.csv")
	if err != nil {
		t.Fatal(err)
	}
	councils := apply(t, nil, first)
	if councils["50910113"].NameAR != "" {
		t.Fatal("a file without Arabic names gave one")
	}
	plan, err := PlanImport(councils, rows, 2024, "bmk_communes_2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]string{}
	for _, ch := range plan {
		cmd, ok := ch.Command.(RecordArabicName)
		if !ok {
			t.Fatalf("unexpected change %+v", ch)
		}
		if cmd.Source != "bmk_communes_2024.csv" {
			t.Errorf("%s: source %q", ch.Code, cmd.Source)
		}
		named[ch.Code] = cmd.NameAR
	}
	want := map[string]string{"beni-mellal-khenifra": "جهة بني ملال خنيفرة", "beni-mellal": "إقليم بني ملال",
		"50910101": "بني ملال", "50910107": "قصبة تادلة", "50910113": "زاوية الشيخ", "50910103": "القصيبة"}
	if len(named) != len(want) {
		t.Errorf("named %v, want %v", named, want)
	}
	for code, name := range want {
		if named[code] != name {
			t.Errorf("%s: %q, want %q", code, named[code], name)
		}
	}
	after := apply(t, councils, plan)
	if after["50910113"].NameAR != "زاوية الشيخ" || after["50910113"].NameFR != "Zaouiat Cheikh" || after["50910113"].Population != councils["50910113"].Population {
		t.Errorf("after: %+v", after["50910113"])
	}
	if again, err := PlanImport(after, rows, 2024, "bmk_communes_2024.csv"); err != nil || len(again) != 0 {
		t.Errorf("second import: %+v, %v", again, err)
	}
}

func TestDecideRecordArabicName(t *testing.T) {
	zc := State{Registered: true, Council: Council{Code: "50910113", NameFR: "Zaouiat Cheikh"}}
	evs, err := Decide(zc, RecordArabicName{NameAR: " زاوية الشيخ ", Source: "f.csv"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	if s := Evolve(zc, evs[0]); s.Council.NameAR != "زاوية الشيخ" || s.Council.NameFR != "Zaouiat Cheikh" {
		t.Errorf("after: %+v", s.Council)
	}
	if evs, err := Decide(Evolve(zc, evs[0]), RecordArabicName{NameAR: "زاوية الشيخ"}); err != nil || len(evs) != 0 {
		t.Errorf("the same name again: %v %v", evs, err)
	}
	if _, err := Decide(zc, RecordArabicName{NameAR: "  "}); !errors.Is(err, ErrInvalid) {
		t.Errorf("an empty name: %v", err)
	}
	if _, err := Decide(zc, RecordArabicName{NameAR: strings.Repeat("م", MaxNameLen+1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a long name: %v", err)
	}
	if _, err := Decide(State{}, RecordArabicName{NameAR: "x"}); !errors.Is(err, ErrCouncilNotFound) {
		t.Errorf("an unknown council: %v", err)
	}
}
