package domain

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// censusFile returns the path of the census reference file, copied into
// the repository's testdata/ so that a clone passes on its own.
func censusFile(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "testdata", "bmk_communes_2024.csv")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testdata/bmk_communes_2024.csv not found in the repository")
		}
		dir = parent
	}
}

func readCensus(t *testing.T) []CensusRow {
	t.Helper()
	f, err := os.Open(censusFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ParseCensus(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestParseCensusRealFile(t *testing.T) {
	rows := readCensus(t)
	if len(rows) != 135 {
		t.Fatalf("%d rows, want 135", len(rows))
	}
	provinces, regions := map[string]int{}, map[string]bool{}
	big := 0
	for _, r := range rows {
		provinces[r.Province]++
		regions[r.Region] = true
		if r.Population > 35_000 {
			big++
		}
	}
	if len(provinces) != 5 || len(regions) != 1 || !regions["Béni Mellal-Khénifra"] {
		t.Errorf("provinces %v, regions %v", provinces, regions)
	}
	if provinces["Azilal"] != 44 || provinces["Khouribga"] != 31 {
		t.Errorf("communes by province: %v", provinces)
	}
	if big != 13 {
		t.Errorf("%d communes above 35,000, want 13", big)
	}
	want := CensusRow{Line: 2, Code: "50910101", Name: "Béni Mellal", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 209_104,
		NameAr: "بني ملال", ProvinceAr: "إقليم بني ملال", RegionAr: "جهة بني ملال خنيفرة"}
	if rows[0] != want {
		t.Errorf("first row %+v, want %+v", rows[0], want)
	}
	if rows[134].Line != 136 {
		t.Errorf("last row on line %d, want 136", rows[134].Line)
	}
}

func TestParseCensusFormats(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []CensusRow
	}{
		{
			name: "HCP national format",
			in:   "code24,name24,population24\n50910101,Béni Mellal,209104\n",
			want: []CensusRow{{Line: 2, Code: "50910101", Name: "Béni Mellal", Population: 209_104}},
		},
		{
			name: "BOM, upper case, other order, spaces, extra column, CRLF",
			in: "\uFEFFPopulation_2024 , Region,NAME,Code,Province,notes\r\n" +
				" 25063 , Béni Mellal-Khénifra , Zaouiat Cheikh , 50910113 , Béni Mellal ,x\r\n",
			want: []CensusRow{{Line: 2, Code: "50910113", Name: "Zaouiat Cheikh", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 25_063}},
		},
		{
			name: "Arabic names, in any order and case",
			in: "code,NAME_AR,name,province,Province_Ar,region,region_ar,population\n" +
				"50910113,زاوية الشيخ,Zaouiat Cheikh,Béni Mellal,إقليم بني ملال,Béni Mellal-Khénifra,جهة بني ملال خنيفرة,25063\n" +
				"50910199,,Sans Nom,Béni Mellal,,Béni Mellal-Khénifra,,10\n",
			want: []CensusRow{
				{Line: 2, Code: "50910113", Name: "Zaouiat Cheikh", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 25_063,
					NameAr: "زاوية الشيخ", ProvinceAr: "إقليم بني ملال", RegionAr: "جهة بني ملال خنيفرة"},
				{Line: 3, Code: "50910199", Name: "Sans Nom", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 10},
			},
		},
		{
			name: "quoted name with a comma, blank line skipped",
			in:   "code,name,population\n\n1,\"Sidi, Bou\",10\n",
			want: []CensusRow{{Line: 3, Code: "1", Name: "Sidi, Bou", Population: 10}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCensus(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseCensusMalformed(t *testing.T) {
	const header = "code,name,province,region,population_2024\n"
	const ok = "50910101,Béni Mellal,Béni Mellal,Béni Mellal-Khénifra,209104\n"
	tests := []struct {
		name    string
		in      string
		line    int
		problem string
	}{
		{"empty file", "", 0, "empty"},
		{"header only", header, 0, "no rows"},
		{"missing population column", "code,name,province,region\n1,a,b,c\n", 1, "missing column population"},
		{"missing code and name", "population\n12\n", 1, "missing column code, name"},
		{"two population columns", "code,name,population_2014,population_2024\n1,a,2,3\n", 1, "two population columns"},
		{"too few fields", header + ok + "50910107,Kasba Tadla,Béni Mellal,47399\n", 3, "4 fields, the header has 5"},
		{"too many fields", header + "1,a,b,c,2,3\n", 2, "6 fields"},
		{"empty code", header + ok + " ,Kasba Tadla,Béni Mellal,R,47399\n", 3, "empty code"},
		{"bad code", header + "5091 0107,Kasba Tadla,Béni Mellal,R,47399\n", 2, "code"},
		{"empty name", header + ok + "50910107,  ,Béni Mellal,R,47399\n", 3, "empty name"},
		{"non-numeric population", header + ok + "50910107,Kasba Tadla,Béni Mellal,R,47 399\n", 3, `population "47 399" is not a whole number`},
		{"decimal population", header + "50910107,Kasba Tadla,Béni Mellal,R,47399.0\n", 2, "not a whole number"},
		{"zero population", header + "50910107,Kasba Tadla,Béni Mellal,R,0\n", 2, "greater than 0"},
		{"negative population", header + ok + "50910107,Kasba Tadla,Béni Mellal,R,-3\n", 3, "greater than 0"},
		{"duplicate code", header + ok + "50910107,K,B,R,1\n" + ok, 4, "code 50910101 already given on line 2"},
		{"bare quote", header + ok + "50910107,Kasba \"Tadla,B,R,1\n", 3, "quote"},
		{"not UTF-8", header + "50910107,Kasba \xe9,B,R,1\n", 2, "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseCensus(strings.NewReader(tt.in))
			if rows != nil {
				t.Errorf("got %d rows with the error, want none", len(rows))
			}
			var ce *CensusError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseCensus = %v, want a *CensusError", err)
			}
			if ce.Line != tt.line || !strings.Contains(ce.Problem, tt.problem) {
				t.Errorf("error %q: want line %d and %q", err, tt.line, tt.problem)
			}
		})
	}
}

func TestParseCensusLimits(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("code,name,population\n")
	for i := range MaxCensusRows + 1 {
		fmt.Fprintf(&b, "%d,n,1\n", i+1)
	}
	_, err := ParseCensus(&b)
	var ce *CensusError
	if !errors.As(err, &ce) || ce.Line != MaxCensusRows+2 || !strings.Contains(ce.Problem, "more than 20000 rows") {
		t.Errorf("too many rows: %v", err)
	}

	big := "code,name,population\n1," + strings.Repeat("n", MaxCensusBytes) + ",1\n"
	_, err = ParseCensus(strings.NewReader(big))
	if !errors.As(err, &ce) || ce.Line != 0 || !strings.Contains(ce.Problem, "larger than") {
		t.Errorf("too big: %v", err)
	}
}
