package names_test

import (
	"errors"
	"testing"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/internal/kernel/names"
)

// The token formats are the ones the lists returned before this package
// (computed here independently of it: base64url of "120", and of
// "50|" + base 36 of FNV-1a-32("state=DRAFT\x00communes/100")), so a
// token a client holds across the upgrade still reads.
func TestPageTokenFormatsUnchanged(t *testing.T) {
	if got := names.EncodePageToken(120); got != "MTIw" {
		t.Errorf("bare token %q, want MTIw", got)
	}
	if got := names.EncodePageToken(50, "state=DRAFT", "communes/100"); got != "NTB8NmI5cjh2" {
		t.Errorf("query token %q, want NTB8NmI5cjh2", got)
	}
	if off, ok := names.DecodePageToken("NTB8NmI5cjh2", "state=DRAFT", "communes/100"); !ok || off != 50 {
		t.Errorf("decode the query token: %d %v", off, ok)
	}
}

func TestPageTokenRefusals(t *testing.T) {
	q := names.EncodePageToken(7, "state=DRAFT", "communes/100")
	for _, c := range []struct {
		what, tok string
		query     []string
	}{
		{"another filter", q, []string{"state=CLOSED", "communes/100"}},
		{"another parent", q, []string{"state=DRAFT", "communes/200"}},
		{"a query token where a bare one is expected", q, nil},
		{"a bare token where a query one is expected", names.EncodePageToken(7), []string{"state=DRAFT", "communes/100"}},
		{"not base64", "%%%", nil},
		{"a negative offset", names.EncodePageToken(-1), nil},
		{"not a number", "YWJj", nil}, // "abc"
	} {
		if off, ok := names.DecodePageToken(c.tok, c.query...); ok {
			t.Errorf("%s: accepted, offset %d", c.what, off)
		}
	}
	if off, ok := names.DecodePageToken(""); !ok || off != 0 {
		t.Errorf("the empty token is the first page: %d %v", off, ok)
	}
	if off, ok := names.DecodePageToken(names.EncodePageToken(42)); !ok || off != 42 {
		t.Errorf("bare round trip: %d %v", off, ok)
	}
}

func TestPageSize(t *testing.T) {
	for _, c := range []struct{ in, def, want int }{{0, 50, 50}, {0, 100, 100}, {1, 50, 1}, {500, 50, 500}, {501, 50, 500}} {
		if got, err := names.PageSize(c.in, c.def); err != nil || got != c.want {
			t.Errorf("PageSize(%d, %d) = %d, %v; want %d", c.in, c.def, got, err, c.want)
		}
	}
	_, err := names.PageSize(-1, 50)
	var f *fault.FieldError
	if !errors.As(err, &f) || f.Field != "page_size" {
		t.Fatalf("negative page size: %v, want a fault naming page_size", err)
	}
}

func TestLevelOf(t *testing.T) {
	for name, want := range map[string]names.Level{
		"communes/081301":                     names.Commune,
		"provinces/081":                       names.Province,
		"regions/08":                          names.Region,
		"communes/100/petitions/x":            names.Commune,
		"regions/08/consultations/y/phases/z": names.Region,
	} {
		if got := names.LevelOf(name); got != want {
			t.Errorf("LevelOf(%q) = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"", "councils/1", "communesx/1"} {
		if got := names.LevelOf(name); got == names.Commune || got == names.Province || got == names.Region {
			t.Errorf("LevelOf(%q) = %q, a level", name, got)
		}
	}
}
