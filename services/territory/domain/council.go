package domain

import (
	"strings"
	"unicode"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/names"
)

// Council is a territorial council as tasharuk knows it.
type Council struct {
	// Code is the HCP numeric code for a commune, a Slug of the French name
	// for a province or a region.
	Code  string
	Level territoryeventsv1.CouncilLevel
	// NameFR is the name in French transliteration, NameAR in Arabic.
	NameFR string
	NameAR string
	// ParentCode is the province of a commune or the region of a province;
	// empty for a region.
	ParentCode string
	// Population is the legal population from the census of CensusYear: the
	// figure the signature threshold depends on.
	Population         int64
	CensusYear         int32
	HasArrondissements bool
}

// Limits on a council's fields.
const (
	MaxCodeLen    = 64
	MaxNameLen    = 200
	MaxSourceLen  = 200
	MinCensusYear = 1900
	MaxCensusYear = 2200
	// MaxPopulation bounds a figure well above any council's, so that sums
	// of a census file's figures cannot overflow.
	MaxPopulation = 10_000_000_000
)

// collections maps a level to the collection of its resource names.
var collections = map[territoryeventsv1.CouncilLevel]string{
	territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE:  string(names.Commune),
	territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE: string(names.Province),
	territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION:   string(names.Region),
}

// ResourceName returns the council's resource name: "communes/{code}",
// "provinces/{code}" or "regions/{code}"; "" for an unspecified level.
func ResourceName(level territoryeventsv1.CouncilLevel, code string) string {
	c, ok := collections[level]
	if !ok {
		return ""
	}
	return c + "/" + code
}

// ParseResourceName splits a council's resource name into its level and
// code. It fails with a *FieldError on field "name".
func ParseResourceName(name string) (territoryeventsv1.CouncilLevel, string, error) {
	collection, code, ok := strings.Cut(name, "/")
	if !ok {
		return 0, "", fieldErr("name", "%q is not a council name: want communes/{code}, provinces/{code} or regions/{code}", name)
	}
	for level, c := range collections {
		if c == collection {
			if !ValidCode(code) {
				return 0, "", fieldErr("name", "%q: code must be 1-%d characters of a-z, 0-9 or '-'", name, MaxCodeLen)
			}
			return level, code, nil
		}
	}
	return 0, "", fieldErr("name", "%q is not a council name: want communes/{code}, provinces/{code} or regions/{code}", name)
}

// ValidCode reports whether code can be a council code: 1 to 64 characters
// of a-z, 0-9 or '-'.
func ValidCode(code string) bool {
	if code == "" || len(code) > MaxCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Slug returns the code of a province or region from its French name:
// lower-case ASCII, accents removed, each run of other characters turned
// into one '-', no '-' at either end. Slug("Béni Mellal-Khénifra") is
// "beni-mellal-khenifra". A name with no Latin letter or digit gives "".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent of a decomposed letter
		}
		s, ok := foldLatin(r)
		if !ok {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
	}
	return b.String()
}

// foldLatin returns the ASCII letters or digit a lower-case rune stands for,
// accents removed, or false for a separator. It covers the Latin letters of
// French and of Moroccan place names' transliterations.
func foldLatin(r rune) (string, bool) {
	switch {
	case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return string(r), true
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a", true
	case 'æ':
		return "ae", true
	case 'ç', 'ć', 'č':
		return "c", true
	case 'ď', 'đ', 'ḍ':
		return "d", true
	case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
		return "e", true
	case 'ğ', 'ġ':
		return "g", true
	case 'ḥ', 'ħ':
		return "h", true
	case 'ì', 'í', 'î', 'ï', 'ī', 'ı':
		return "i", true
	case 'ñ', 'ń', 'ň':
		return "n", true
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return "o", true
	case 'œ':
		return "oe", true
	case 'ŕ', 'ř':
		return "r", true
	case 'ß':
		return "ss", true
	case 'ś', 'š', 'ş', 'ṣ':
		return "s", true
	case 'ť', 'ţ', 'ṭ':
		return "t", true
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű':
		return "u", true
	case 'ý', 'ÿ':
		return "y", true
	case 'ź', 'ż', 'ž', 'ẓ':
		return "z", true
	}
	return "", false
}
