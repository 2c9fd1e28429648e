package web

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		// Arabic: tashkeel and tatweel dropped, alef forms, taa marbuta
		// and alef maqsura unified.
		"إِنَارَةُ الشَّوَارِعِ": "اناره الشوارع",
		"إنارة الشوارع":          "اناره الشوارع",
		"الـمـدرسة":              "المدرسه",
		"أآإٱا":                  "ااااا",
		"مستشفى":                 "مستشفي",
		"مَسْجِد":                "مسجد",
		// Latin: accents stripped, case folded; œ and æ spelled out.
		"Éclairage PUBLIC":       "eclairage public",
		"Aménagement de l'Œuvre": "amenagement de l'oeuvre",
		"Ça  va\tbien":           "ca va bien",
		"Beni Mellal-Khénifra":   "beni mellal-khenifra",
		"":                       "",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatches(t *testing.T) {
	doc := index("إِنارة الشوارع بحي الأمل", "Éclairage public du quartier Al Amal")
	for q, want := range map[string]bool{
		"انارة":           true, // without hamza
		"إِنَارَة":        true, // with diacritics
		"الشوارع انارة":   true, // every word, any order
		"eclairage":       true,
		"ÉCLAIRAGE amal":  true,
		"quartier":        true,
		"quart":           true, // a word's start
		"bibliotheque":    false,
		"eclairage ecole": false, // every word must be found
		"   ":             true,  // no words: everything
	} {
		if got := matches(doc, terms(q)); got != want {
			t.Errorf("query %q: %v, want %v", q, got, want)
		}
	}
}

func TestFindPetitions(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	ts := func(days int) *timestamppb.Timestamp { return timestamppb.New(now.AddDate(0, 0, days)) }
	p := func(name, title string, state petitionseventsv1.PetitionState, valid int32, created, deadline int) *petitionsv1.Petition {
		x := &petitionsv1.Petition{Name: name, Council: councilOfName(name), Title: title, State: state,
			Signatures: &petitionsv1.SignatureCounts{Valid: valid}, SignatureThreshold: 100, CreateTime: ts(created)}
		if deadline != 0 {
			x.DecisionDeadline = ts(deadline)
		}
		return x
	}
	collecting, deposited := petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING, petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED
	list := []*petitionsv1.Petition{
		p("communes/1/petitions/a", "إنارة الشوارع", collecting, 10, -10, 0),
		p("communes/1/petitions/b", "Bibliothèque municipale", collecting, 80, -2, 0),
		p("communes/2/petitions/c", "Éclairage de la place", deposited, 120, -30, 40),
		p("communes/2/petitions/d", "Marché couvert", deposited, 100, -40, 10),
		p("communes/2/petitions/e", "Brouillon", petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, 0, -1, 0),
	}
	names := func(ps []*petitionsv1.Petition) []string {
		var out []string
		for _, x := range ps {
			out = append(out, x.GetName()[len(x.GetName())-1:])
		}
		return out
	}
	for _, c := range []struct {
		q    finderQuery
		want string
	}{
		{finderQuery{State: "open", Sort: "signatures"}, "[b a]"},
		{finderQuery{State: "all", Sort: "signatures"}, "[c d b a]"},
		{finderQuery{State: "all", Sort: "recent"}, "[b a c d]"},
		{finderQuery{State: "all", Sort: "closing"}, "[d c b a]"},
		{finderQuery{State: "DEPOSITED", Sort: "signatures"}, "[c d]"},
		{finderQuery{State: "all", Council: "communes/1", Sort: "signatures"}, "[b a]"},
		{finderQuery{State: "all", Text: "انارة", Sort: "signatures"}, "[a]"},
		{finderQuery{State: "all", Text: "eclairage", Sort: "signatures"}, "[c]"},
		{finderQuery{State: "all", Text: "BIBLIOTHEQUE", Sort: "signatures"}, "[b]"},
		// Drafts are never public.
		{finderQuery{State: "DRAFT", Sort: "signatures"}, "[]"},
	} {
		got := names(findPetitions(list, c.q))
		if s := "[" + join(got) + "]"; s != c.want {
			t.Errorf("%+v: %s, want %s", c.q, s, c.want)
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// A council's listing serves readers while the log has not moved, or for a
// moment after, unless a reader asks for a position it does not reflect.
func TestListingCache(t *testing.T) {
	var c listingCache
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	list := []*petitionsv1.Petition{{Name: "communes/1/petitions/a"}}
	if _, ok := c.get("communes/1|", 10, 0, now); ok {
		t.Fatal("an empty cache answered")
	}
	c.put("communes/1|", 10, now, list)
	for _, k := range []struct {
		head, want uint64
		after      time.Duration
		ok         bool
	}{
		{10, 0, time.Hour, true},     // the log has not moved
		{12, 0, time.Second, true},   // moved a moment ago
		{12, 10, time.Second, true},  // the reader's act is in it
		{12, 11, time.Second, false}, // the reader's act is not
		{12, 0, listingFresh, false}, // moved, and not a moment ago
	} {
		if _, ok := c.get("communes/1|", k.head, k.want, now.Add(k.after)); ok != k.ok {
			t.Errorf("%+v: %v", k, ok)
		}
	}
	if _, ok := c.get("communes/1|state=COLLECTING", 10, 0, now); ok {
		t.Error("another filter's listing answered")
	}
}
