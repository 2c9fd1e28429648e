package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// territoryCensusFile returns the path of the census file in testdata/.
func territoryCensusFile(t *testing.T) string {
	t.Helper()
	return sharedData(t, "bmk_communes_2024.csv")
}

func lastPosition(t *testing.T, dir string) uint64 {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pos, err := s.LastPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

func TestTerritoryImport(t *testing.T) {
	file := territoryCensusFile(t)
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if err := runTerritory(context.Background(), []string{"import", file, "--data-dir", dir, "--create"}, &out, &errs); err != nil {
		t.Fatalf("import: %v\n%s", err, errs.String())
	}
	if got, want := out.String(), "141 registered, 0 updated, 0 unchanged; log position 141\n"; got != want {
		t.Fatalf("report %q, want %q", got, want)
	}

	// Again, with the flags before the file: nothing changes.
	out.Reset()
	if err := runTerritory(context.Background(), []string{"import", "--data-dir", dir, "--census-year", "2024", "--source", "again", file}, &out, &errs); err != nil {
		t.Fatalf("re-import: %v\n%s", err, errs.String())
	}
	if got, want := out.String(), "0 registered, 0 updated, 141 unchanged; log position 141\n"; got != want {
		t.Fatalf("report %q, want %q", got, want)
	}
	if pos := lastPosition(t, dir); pos != 141 {
		t.Fatalf("log position %d, want 141", pos)
	}
}

func TestTerritoryImportMalformedWritesNothing(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "bad.csv")
	content := "code,name,province,region,population_2024\n" +
		"50910101,Béni Mellal,Béni Mellal,Béni Mellal-Khénifra,209104\n" +
		"50910107,Kasba Tadla,Béni Mellal,Béni Mellal-Khénifra,many\n"
	if err := os.WriteFile(csv, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errs bytes.Buffer
	err := runTerritory(context.Background(), []string{"import", "--data-dir", dir, csv}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), `population "many"`) {
		t.Fatalf("import = %v, want an error naming line 3", err)
	}
	if out.Len() != 0 {
		t.Errorf("report printed: %q", out.String())
	}
	if pos := lastPosition(t, dir); pos != 0 {
		t.Fatalf("log position %d after a refused file, want 0", pos)
	}
}

func TestTerritoryUsageErrors(t *testing.T) {
	file := territoryCensusFile(t)
	for _, args := range [][]string{
		nil,
		{"export"},
		{"import"},
		{"import", file, file},
		{"import", file, "--census-year", "24"},
		{"import", filepath.Join(t.TempDir(), "missing.csv")},
	} {
		var out, errs bytes.Buffer
		if err := runTerritory(context.Background(), append(args, "--data-dir", t.TempDir()), &out, &errs); err == nil {
			t.Errorf("runTerritory(%q) succeeded", args)
		}
	}
}

// HCP's national format (code24,name24,population24) names no province:
// on a fresh log it is refused with what the file lacks and nothing is
// written; once the communes are registered it updates their figures.
func TestTerritoryImportNationalFormat(t *testing.T) {
	national := filepath.Join(t.TempDir(), "national.csv")
	if err := os.WriteFile(national, []byte("code24,name24,population24\n50910101,Béni Mellal,210000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errs bytes.Buffer
	err := runTerritory(context.Background(), []string{"import", national, "--data-dir", dir, "--create"}, &out, &errs)
	for _, want := range []string{"line 2", "commune 50910101", "province and region columns", "code24,name24,population24", "only updates the population of communes already registered"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("national file on a fresh log: %v; want an error saying %q", err, want)
		}
	}
	if pos := lastPosition(t, dir); pos != 0 {
		t.Fatalf("log position %d after a refused file, want 0", pos)
	}
	if err := runTerritory(context.Background(), []string{"import", territoryCensusFile(t), "--data-dir", dir}, &out, &errs); err != nil {
		t.Fatalf("regional import: %v\n%s", err, errs.String())
	}
	out.Reset()
	if err := runTerritory(context.Background(), []string{"import", national, "--data-dir", dir}, &out, &errs); err != nil {
		t.Fatalf("national import over registered communes: %v\n%s", err, errs.String())
	}
	// The commune alone: the file says nothing of provinces or regions.
	if got := out.String(); !strings.HasPrefix(got, "0 registered, 1 updated, 0 unchanged") {
		t.Fatalf("national import report %q, want the one commune updated", got)
	}
}
