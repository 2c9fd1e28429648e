package web

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
)

// shownEnums are the API enums the pages name.
var shownEnums = []protoreflect.EnumDescriptor{
	petitionseventsv1.PetitionState(0).Descriptor(), petitionseventsv1.PetitionerKind(0).Descriptor(),
	petitionseventsv1.DepositChannel(0).Descriptor(), petitionseventsv1.Admissibility(0).Descriptor(),
	petitionseventsv1.DeliberationOutcome(0).Descriptor(), petitionseventsv1.NotificationSubject(0).Descriptor(),
	petitionsv1.SignatureStatus(0).Descriptor(), petitionsv1.ImportRowStatus(0).Descriptor(),
	advisoryeventsv1.BodyKind(0).Descriptor(), advisoryeventsv1.Sex(0).Descriptor(), advisoryeventsv1.AgeBand(0).Descriptor(),
	advisoryeventsv1.BureauRole(0).Descriptor(), advisoryeventsv1.CouncilResponse(0).Descriptor(), advisoryeventsv1.OpinionState(0).Descriptor(),
	consultationseventsv1.ConsultationState(0).Descriptor(), territoryeventsv1.CouncilLevel(0).Descriptor(),
	ieventsv1.RequestChannel(0).Descriptor(), ieventsv1.RequesterKind(0).Descriptor(), ieventsv1.AnswerKind(0).Descriptor(),
	ieventsv1.Exception(0).Descriptor(), ieventsv1.ComplaintLevel(0).Descriptor(), ieventsv1.ComplaintOutcome(0).Descriptor(),
	ieventsv1.PublicationCategory(0).Descriptor(),
}

// petitionEvents are the event types of a petition's timeline.
var petitionEvents = []string{"PetitionDrafted", "PetitionOpenedForSignatures", "SignatureAdded", "SignatureWithdrawn",
	"SignatureStruck", "PetitionDeposited", "ReceiptIssued", "PetitionReferredToBureau", "AdmissibilityDecided", "AgentNotified",
	"PetitionScheduled", "PetitionReferredToCommittee", "CommitteeReportRecorded", "PetitionDeliberated", "PetitionWithdrawn",
	"PetitionClosed", "RecordCorrected", "PersonDataErased"}

func loadTestCatalogues(t *testing.T) catalogues {
	t.Helper()
	cs, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	cs := loadTestCatalogues(t)
	ref := cs["en"].msgs
	for _, l := range languages {
		msgs := cs[l.Code].msgs
		for k := range ref {
			// Formats may be white space (French groups digits with a
			// narrow no-break space); other texts may not.
			if v, ok := msgs[k]; !ok || (strings.TrimSpace(v) == "" && !strings.HasPrefix(k, "fmt.")) {
				t.Errorf("%s: %q missing or empty", l.Code, k)
			}
		}
		for k := range msgs {
			if _, ok := ref[k]; !ok {
				t.Errorf("%s: %q is in no other catalogue", l.Code, k)
			}
		}
	}
}

// usedKey finds the catalogue keys named in templates and Go code.
var usedKey = regexp.MustCompile(`(?:\.T|localError\(q\.L,|bar\()\(?\s*"([a-z0-9_]+\.[a-zA-Z0-9_.]*[a-zA-Z0-9])"`)

func TestEveryKeyUsedIsInEveryCatalogue(t *testing.T) {
	cs := loadTestCatalogues(t)
	used := map[string]bool{}
	scan := func(name string, b []byte) {
		for _, m := range usedKey.FindAllSubmatch(b, -1) {
			used[string(m[1])] = true
		}
	}
	err := fs.WalkDir(templateFiles, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFiles, p)
		scan(p, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(".")
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".go") && !strings.HasSuffix(f.Name(), "_test.go") {
			b, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			scan(f.Name(), b)
		}
	}
	if len(used) < 300 {
		t.Fatalf("found only %d keys in use: is the pattern still right?", len(used))
	}
	// Keys built from data: flashes, error headings, enums, events, roles.
	for f := range flashes {
		used["flash."+f] = true
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		used["error."+codeName(c)] = true
	}
	for _, ed := range shownEnums {
		for i := range ed.Values().Len() {
			used["enum."+string(ed.Values().Get(i).Name())] = true
		}
	}
	for _, ev := range petitionEvents {
		used["event."+ev] = true
	}
	for _, r := range []string{"citizen", "staff", "advisory", "auditor", "admin", "information"} {
		used["role."+r] = true
	}
	for _, l := range languages {
		for k := range used {
			if _, ok := cs[l.Code].msgs[k]; !ok {
				t.Errorf("%s: key %q is used but not in the catalogue", l.Code, k)
			}
		}
	}
}

func TestLocale(t *testing.T) {
	cs := loadTestCatalogues(t)
	fr, ar := cs["fr"], cs["ar"]
	if got := fr.T("chart.of", 3, 135); got != "3 sur 135" {
		t.Errorf("fr chart.of = %q", got)
	}
	if got := fr.E(petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE); got != "Irrecevable" {
		t.Errorf("fr state = %q", got)
	}
	if got := ar.StateName("DEPOSITED"); got != "مودعة" {
		t.Errorf("ar DEPOSITED = %q", got)
	}
	if got := fr.T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key shows as %q", got)
	}
	if ar.Dir != "rtl" || fr.Dir != "ltr" {
		t.Errorf("directions: ar %s fr %s", ar.Dir, fr.Dir)
	}
	if got := fr.Event("petitions.PetitionDeposited"); got != "Déposée, récépissé délivré" {
		t.Errorf("fr event = %q", got)
	}
	if got := fr.Event("future.SomethingNew"); got != "SomethingNew" {
		t.Errorf("unknown event = %q", got)
	}
}

func TestPickLanguage(t *testing.T) {
	for _, c := range []struct {
		query, cookie, accept string
		want                  string
		fromQuery             bool
	}{
		{want: "ar"},
		{accept: "fr-MA,fr;q=0.9,ar;q=0.8", want: "fr"},
		{accept: "de-DE,en;q=0.5,fr;q=0.7", want: "fr"},
		{accept: "de-DE", want: "ar"},
		{accept: "en-GB", cookie: "fr", want: "fr"},
		{query: "en", cookie: "fr", want: "en", fromQuery: true},
		{query: "xx", cookie: "bogus", accept: "en", want: "en"},
		{accept: "fr;q=0, en", want: "en"},
	} {
		r := httptest.NewRequest("GET", "/?lang="+c.query, nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+c.cookie)
		}
		r.Header.Set("Accept-Language", c.accept)
		got, fromQuery := pickLanguage(r)
		if got != c.want || fromQuery != c.fromQuery {
			t.Errorf("%+v: got %s %v", c, got, fromQuery)
		}
	}
}

// Every value of every tasharuk enum has its text in every language, not
// only those of shownEnums: an enum value added to a proto (or an enum a
// page starts to show) without ar/fr/en text fails here.
func TestEveryEnumValueIsTranslated(t *testing.T) {
	cs := loadTestCatalogues(t)
	n := 0
	protoregistry.GlobalTypes.RangeEnums(func(et protoreflect.EnumType) bool {
		d := et.Descriptor()
		if !strings.HasPrefix(string(d.FullName()), "tasharuk.") {
			return true
		}
		for i := range d.Values().Len() {
			k := "enum." + string(d.Values().Get(i).Name())
			n++
			for _, l := range languages {
				if strings.TrimSpace(cs[l.Code].msgs[k]) == "" {
					t.Errorf("%s: %s (%s) has no text", l.Code, k, d.FullName())
				}
			}
		}
		return true
	})
	if n < 100 {
		t.Fatalf("only %d enum values registered: are the API packages still linked?", n)
	}
}
