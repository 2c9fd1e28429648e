package web

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// fold brings a text to the form searches compare, so that a reader finds
// a petition however they type a word:
//
//   - Arabic: the short vowels and other marks (tashkeel) and the tatweel
//     are dropped; the alef forms أ إ آ ٱ become ا (and the hamza seats ؤ
//     ئ their letter), taa marbuta ة becomes ه and alef maqsura ى
//     becomes ي;
//   - Latin: accents are dropped and case folded (É → e, Œ → oe);
//   - runs of white space become one space.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	// NFD splits a letter from its marks (é → e + ◌́, أ → ا + ◌ٔ), so
	// dropping the marks (category Mn) strips accents, hamzas above and
	// below, madda and tashkeel alike.
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == 'ـ': // marks, tatweel
			continue
		case unicode.IsSpace(r):
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		switch r {
		case 'ٱ':
			r = 'ا'
		case 'ة':
			r = 'ه'
		case 'ى':
			r = 'ي'
		case 'œ', 'Œ':
			b.WriteString("oe")
			continue
		case 'æ', 'Æ':
			b.WriteString("ae")
			continue
		case 'ß':
			b.WriteString("ss")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimSuffix(b.String(), " ")
}

// index is the folded text a petition is searched in.
func index(texts ...string) string {
	return fold(strings.Join(texts, " \n "))
}

// terms are a query's folded words.
func terms(q string) []string {
	return strings.Fields(fold(q))
}

// matches reports whether every term is found in the folded text (as a
// word or inside one: Arabic joins the article and some prepositions to
// the word, "الشوارع", "بالحي").
func matches(doc string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(doc, t) {
			return false
		}
	}
	return true
}

// finderQuery is what the finder asks: the words, the state ("open": taking
// signatures; "all": every public state; or a state's short name), a
// council (resource name, "" for any) and the order.
type finderQuery struct {
	Text    string
	State   string
	Council string
	Sort    string
	// Names are further texts to search a petition's council by (its
	// Arabic and French names), by council resource name.
	Names map[string]string
	// Doc, if set, gives a petition's folded text (a cache of index).
	Doc func(p *petitionsv1.Petition, council string) string
}

// Sort orders of the finder.
const (
	sortSignatures = "signatures" // most valid signatures first
	sortRecent     = "recent"     // newest first
	sortClosing    = "closing"    // soonest decision deadline first
)

// findPetitions selects and orders the public petitions a query asks for.
// It is pure: the page gives it the petitions of the scope.
func findPetitions(list []*petitionsv1.Petition, q finderQuery) []*petitionsv1.Petition {
	words := terms(q.Text)
	var out []*petitionsv1.Petition
	for _, p := range list {
		if !stateWanted(p.GetState(), q.State) {
			continue
		}
		if q.Council != "" && p.GetCouncil() != q.Council {
			continue
		}
		if len(words) > 0 {
			var doc string
			if q.Doc != nil {
				doc = q.Doc(p, q.Names[p.GetCouncil()])
			} else {
				doc = index(p.GetTitle(), p.GetRequest(), p.GetReasons(), q.Names[p.GetCouncil()])
			}
			if !matches(doc, words) {
				continue
			}
		}
		out = append(out, p)
	}
	bySignatures := func(a, b *petitionsv1.Petition) bool {
		if x, y := a.GetSignatures().GetValid(), b.GetSignatures().GetValid(); x != y {
			return x > y
		}
		return a.GetName() < b.GetName()
	}
	less := bySignatures
	switch q.Sort {
	case sortRecent:
		less = func(a, b *petitionsv1.Petition) bool {
			if x, y := a.GetCreateTime().AsTime(), b.GetCreateTime().AsTime(); !x.Equal(y) {
				return x.After(y)
			}
			return a.GetName() < b.GetName()
		}
	case sortClosing:
		less = func(a, b *petitionsv1.Petition) bool {
			da, db := a.GetDecisionDeadline(), b.GetDecisionDeadline()
			switch {
			case da != nil && db != nil && !da.AsTime().Equal(db.AsTime()):
				return da.AsTime().Before(db.AsTime())
			case da != nil && db == nil:
				return true
			case da == nil && db != nil:
				return false
			}
			return bySignatures(a, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// stateWanted: drafts are never public; "open" is taking signatures.
func stateWanted(s petitionseventsv1.PetitionState, want string) bool {
	short := strings.TrimPrefix(s.String(), "PETITION_STATE_")
	public := false
	for _, st := range stateOrder {
		public = public || st == short
	}
	switch {
	case !public:
		return false
	case want == "all":
		return true
	case want == "" || want == "open":
		return s == petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING
	}
	return want == short
}

// councilOfName is the council of a petition's resource name.
func councilOfName(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}
