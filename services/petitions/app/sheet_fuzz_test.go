package app

import (
	"strings"
	"testing"
)

// FuzzParseSheet feeds arbitrary files to the signature sheet parser: it
// must never panic, and every row it returns comes after the header line
// and carries either a national ID or the reason it is invalid.
func FuzzParseSheet(f *testing.F) {
	for _, s := range []string{
		"national_id,full_name\nAB123456,Fatima Zahra El Idrissi\n",
		"\ufeffcin;nom\nAB123456;Youssef\n",
		"CIN,Nom,Province\nAB123456,Youssef,50910000\n,Empty,50910000\n",
		"full_name,national_id\n\"El Idrissi, Fatima\",\"AB 123-456\"\n\n\"multi\nline\",A1\n",
		"national_id,full_name\nAB1,x,extra\n",
		"national_id\nAB1\n",
		"national_id,full_name\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseSheet(data)
		if err != nil {
			if rows != nil {
				t.Fatalf("rows returned with error %v", err)
			}
			return
		}
		if len(rows) == 0 || len(rows) > MaxImportRows {
			t.Fatalf("%d rows without an error", len(rows))
		}
		for i, r := range rows {
			if r.line <= 1 {
				t.Fatalf("row %d on line %d, at or before the header", i, r.line)
			}
			if r.err == "" && strings.TrimSpace(r.id) == "" {
				t.Fatalf("row %d (line %d) has neither a national ID nor an error", i, r.line)
			}
			if i > 0 && r.line <= rows[i-1].line {
				t.Fatalf("row %d on line %d, after a row on line %d", i, r.line, rows[i-1].line)
			}
		}
	})
}
