package domain

import (
	"errors"
	"testing"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"Béni Mellal-Khénifra": "beni-mellal-khenifra",
		"Béni Mellal":          "beni-mellal",
		"Fquih Ben Salah":      "fquih-ben-salah",
		"Khénifra":             "khenifra",
		"  Ouled M'barek  ":    "ouled-m-barek",
		"Tizi N’isly":          "tizi-n-isly",
		"Aït Ourir":            "ait-ourir",
		"Casablanca--Settat":   "casablanca-settat",
		"Be\u0301ni Mellal":    "beni-mellal", // decomposed é
		"ŒUVRE ÇA":             "oeuvre-ca",
		"Région 2":             "region-2",
		"بني ملال":             "",
		"":                     "",
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidCode(t *testing.T) {
	for _, c := range []string{"50910101", "beni-mellal", "a", "x-1"} {
		if !ValidCode(c) {
			t.Errorf("ValidCode(%q) = false", c)
		}
	}
	long := make([]byte, MaxCodeLen+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, c := range []string{"", "Beni", "beni mellal", "béni", "a/b", "a.b", string(long)} {
		if ValidCode(c) {
			t.Errorf("ValidCode(%q) = true", c)
		}
	}
}

func TestResourceNames(t *testing.T) {
	tests := []struct {
		level territoryeventsv1.CouncilLevel
		code  string
		name  string
	}{
		{commune, "50910101", "communes/50910101"},
		{province, "beni-mellal", "provinces/beni-mellal"},
		{region, "beni-mellal-khenifra", "regions/beni-mellal-khenifra"},
	}
	for _, tt := range tests {
		if got := ResourceName(tt.level, tt.code); got != tt.name {
			t.Errorf("ResourceName(%v, %q) = %q, want %q", tt.level, tt.code, got, tt.name)
		}
		level, code, err := ParseResourceName(tt.name)
		if err != nil || level != tt.level || code != tt.code {
			t.Errorf("ParseResourceName(%q) = %v, %q, %v", tt.name, level, code, err)
		}
	}
	if got := ResourceName(territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_UNSPECIFIED, "x"); got != "" {
		t.Errorf("ResourceName(unspecified) = %q, want empty", got)
	}
	for _, bad := range []string{"", "communes", "communes/", "communes/Béni", "communes/a/b", "petitions/1", "council.50910101"} {
		_, _, err := ParseResourceName(bad)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "name" || !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseResourceName(%q) = %v, want a *FieldError on name", bad, err)
		}
	}
	if got := StreamID("50910101"); got != "council.50910101" {
		t.Errorf("StreamID = %q", got)
	}
}
