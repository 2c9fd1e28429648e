package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

//go:embed i18n/*.json
var catalogueFiles embed.FS

// Languages the pages speak, Arabic first: it is the default in Morocco.
var languages = []language{
	{Code: "ar", Name: "العربية", Dir: "rtl"},
	{Code: "fr", Name: "Français", Dir: "ltr"},
	{Code: "en", Name: "English", Dir: "ltr"},
}

// defaultLanguage is used when neither the request nor a cookie chooses.
const defaultLanguage = "ar"

type language struct {
	Code, Name, Dir string
}

// Locale renders the strings of one language. Every string a page shows
// comes from its catalogue (web/i18n/<lang>.json).
type Locale struct {
	Lang string
	Dir  string
	msgs map[string]string
}

// catalogues holds one Locale per language.
type catalogues map[string]*Locale

// loadCatalogues reads the embedded message catalogues.
func loadCatalogues() (catalogues, error) {
	cs := catalogues{}
	for _, l := range languages {
		b, err := catalogueFiles.ReadFile("i18n/" + l.Code + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", l.Code, err)
		}
		msgs := map[string]string{}
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", l.Code, err)
		}
		cs[l.Code] = &Locale{Lang: l.Code, Dir: l.Dir, msgs: msgs}
	}
	return cs, nil
}

// T returns the message key in the locale's language, with {0}, {1}…
// replaced by args. A missing key shows as itself, so that it is seen (and
// the catalogue test fails).
func (l *Locale) T(key string, args ...any) string {
	s, ok := l.msgs[key]
	if !ok {
		s = key
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}

// E names an enum value of the API ("enum.PETITION_STATE_DEPOSITED").
func (l *Locale) E(e protoreflect.Enum) string {
	return l.T(enumKey(e))
}

// Event names an event type ("petitions.PetitionDeposited"); an event
// the catalogue does not name shows as its type.
func (l *Locale) Event(typ string) string {
	short := typ[strings.LastIndex(typ, ".")+1:]
	if s, ok := l.msgs["event."+short]; ok {
		return s
	}
	return short
}

// Role names an actor's role ("staff"); an unknown role shows as itself.
func (l *Locale) Role(role string) string {
	if s, ok := l.msgs["role."+role]; ok {
		return s
	}
	return role
}

// StateName names a petition state given by its short name ("DEPOSITED"),
// as the status figures key them.
func (l *Locale) StateName(short string) string {
	return l.T("enum.PETITION_STATE_" + short)
}

// YesNo says yes or no.
func (l *Locale) YesNo(b bool) string {
	if b {
		return l.T("common.yes")
	}
	return l.T("common.no")
}

func enumKey(e protoreflect.Enum) string {
	v := e.Descriptor().Values().ByNumber(e.Number())
	if v == nil {
		return "enum.UNKNOWN"
	}
	return "enum." + string(v.Name())
}

// pickLanguage chooses the language of a request: ?lang=, then the
// cookie, then Accept-Language, then Arabic. It reports whether ?lang= chose
// it, so the choice can be remembered.
func pickLanguage(r *http.Request) (code string, fromQuery bool) {
	if q := r.URL.Query().Get("lang"); known(q) {
		return q, true
	}
	if c, err := r.Cookie(langCookie); err == nil && known(c.Value) {
		return c.Value, false
	}
	if l := fromAcceptLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l, false
	}
	return defaultLanguage, false
}

func known(code string) bool {
	for _, l := range languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// fromAcceptLanguage returns the known language the header prefers most,
// or "" for none ("fr-MA,fr;q=0.9,ar;q=0.8" gives "fr").
func fromAcceptLanguage(h string) string {
	type pref struct {
		code string
		q    float64
		i    int
	}
	var prefs []pref
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if known(primary) && q > 0 {
			prefs = append(prefs, pref{primary, q, i})
		}
	}
	if len(prefs) == 0 {
		return ""
	}
	sort.SliceStable(prefs, func(a, b int) bool { return prefs[a].q > prefs[b].q })
	return prefs[0].code
}
