package domain

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Form file formats.
const (
	// FormatTasharuk: columns form, area, sex, age_band, disability and
	// one per service (civil_status, roads, ...), comma separated.
	FormatTasharuk = "tasharuk"
	// FormatKobo: a KoBoToolbox CSV export: ';' or ',' separated, group
	// paths in the headers ("group_profile/sex"), its meta columns
	// (start, end, _id, _uuid, _submission_time, ...) ignored and _uuid
	// taken as the form's reference.
	FormatKobo = "kobo"
)

// Import limits.
const (
	MaxForms     = 50000
	FormsPerPart = 1000
	maxReported  = 20
)

// ServiceColumns maps a column name to the service it scores.
var ServiceColumns = map[string]eventsv1.Service{
	"civil_status":   eventsv1.Service_SERVICE_CIVIL_STATUS,
	"roads":          eventsv1.Service_SERVICE_ROADS,
	"lighting":       eventsv1.Service_SERVICE_LIGHTING,
	"waste":          eventsv1.Service_SERVICE_WASTE,
	"water":          eventsv1.Service_SERVICE_WATER,
	"sanitation":     eventsv1.Service_SERVICE_SANITATION,
	"green_spaces":   eventsv1.Service_SERVICE_GREEN_SPACES,
	"markets":        eventsv1.Service_SERVICE_MARKETS,
	"sports_culture": eventsv1.Service_SERVICE_SPORTS_CULTURE,
	"certification":  eventsv1.Service_SERVICE_CERTIFICATION,
}

// ServiceColumn returns the column name of a service.
func ServiceColumn(s eventsv1.Service) string {
	for k, v := range ServiceColumns {
		if v == s {
			return k
		}
	}
	return ""
}

// koboMeta are the columns a KoBoToolbox export adds to the form's own.
var koboMeta = map[string]bool{
	"start": true, "end": true, "today": true, "deviceid": true, "_id": true, "_uuid": true, "uuid": true,
	"instanceid": true, "_submission_time": true, "_validation_status": true, "_notes": true, "_status": true,
	"_submitted_by": true, "__version__": true, "_version_": true, "_tags": true, "_index": true, "_parent_index": true,
}

// ImportedRow is one form of the file and where it was.
type ImportedRow struct {
	Line int
	Form *eventsv1.SurveyForm
}

// ImportForms records a file of forms for a commune.
type ImportForms struct {
	ID      string
	Council string
	Period  string
	Format  string
	CSV     string
}

var periodPattern = regexp.MustCompile(`^\d{4}(-(0[1-9]|1[0-2]))?$`)

// DecideImport parses the file and returns its forms in parts, with the
// report of its rows; a file with one bad row imports nothing and the
// error names every bad line (up to 20).
func DecideImport(c ImportForms, ctx Context) ([]Event, []ImportedRow, error) {
	if c.ID == "" {
		return nil, nil, fmt.Errorf("programmes: import without an id")
	}
	if !communePattern.MatchString(c.Council) {
		return nil, nil, fault.Field("parent", "%q is not a commune: want communes/{code}", c.Council)
	}
	if !periodPattern.MatchString(c.Period) {
		return nil, nil, fault.Field("period", "a year YYYY or a month YYYY-MM")
	}
	layout := "2006"
	if len(c.Period) > 4 {
		layout = "2006-01"
	}
	if start, _ := time.Parse(layout, c.Period); start.After(today(ctx.Now)) {
		return nil, nil, fault.Field("period", "%s is in the future", c.Period)
	}
	rows, err := ParseForms(c.Format, c.CSV)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256([]byte(c.CSV))
	parts := (len(rows) + FormsPerPart - 1) / FormsPerPart
	var evs []Event
	for i := 0; i < parts; i++ {
		ev := &eventsv1.SurveyFormsImported{Council: c.Council, ImportId: c.ID, Period: c.Period, Format: c.Format,
			FileSha256: hex.EncodeToString(sum[:]), Part: int32(i + 1), Parts: int32(parts)}
		for _, r := range rows[i*FormsPerPart : min(len(rows), (i+1)*FormsPerPart)] {
			ev.Forms = append(ev.Forms, r.Form)
		}
		evs = append(evs, Event{Payload: ev})
	}
	return evs, rows, nil
}

// ParseForms reads a file of forms. It never keeps a column it does not
// know: a form holds no name, so a "name" column refuses the file.
func ParseForms(format, text string) ([]ImportedRow, error) {
	if !utf8.ValidString(text) {
		return nil, malformed([]string{"the file is not UTF-8 text"})
	}
	text = strings.TrimPrefix(text, "\ufeff")
	var sep rune
	switch format {
	case FormatTasharuk:
		sep = ','
	case FormatKobo:
		head, _, _ := strings.Cut(text, "\n")
		sep = ','
		if strings.Count(head, ";") > strings.Count(head, ",") {
			sep = ';'
		}
	default:
		return nil, fault.Field("format", "%q: want %s or %s", format, FormatTasharuk, FormatKobo)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sep
	header, err := r.Read()
	if err != nil {
		return nil, malformed([]string{"line 1: " + csvProblem(err)})
	}
	cols, problems := columns(format, header)
	if len(problems) > 0 {
		return nil, malformed(problems)
	}
	var rows []ImportedRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			problems = append(problems, fmt.Sprintf("line %d: %s", line, csvProblem(err)))
			if len(problems) >= maxReported || pe == nil || pe.Err != csv.ErrFieldCount {
				break
			}
			continue
		}
		if len(rows)+len(problems) >= MaxForms {
			problems = append(problems, fmt.Sprintf("line %d: a file holds at most %d forms; split it", line, MaxForms))
			break
		}
		f, bad := form(cols, rec, line)
		if bad != "" {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, bad))
			if len(problems) >= maxReported {
				break
			}
			continue
		}
		rows = append(rows, ImportedRow{Line: line, Form: f})
	}
	if len(problems) > 0 {
		return nil, malformed(problems)
	}
	if len(rows) == 0 {
		return nil, malformed([]string{"the file has a header and no forms"})
	}
	return rows, nil
}

func malformed(problems []string) error {
	return fault.New(fault.Invalid, ReasonMalformedCSV, "nothing was imported: %s", strings.Join(problems, "; "))
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	return err.Error()
}

// column is what one column of the file holds.
type column struct {
	name    string // "form", "area", "sex", "age_band", "disability", a service column, or "" (ignored)
	service eventsv1.Service
}

func columns(format string, header []string) ([]column, []string) {
	cols := make([]column, len(header))
	var problems []string
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if format == FormatKobo {
			if j := strings.LastIndex(name, "/"); j >= 0 {
				name = name[j+1:]
			}
			if name == "_uuid" {
				name = "form"
			} else if koboMeta[name] {
				continue
			}
			name = strings.TrimPrefix(strings.TrimPrefix(name, "satisfaction_"), "score_")
		}
		switch {
		case name == "form" || name == "area" || name == "sex" || name == "age_band" || name == "disability":
			cols[i] = column{name: name}
		case ServiceColumns[name] != 0:
			cols[i] = column{name: name, service: ServiceColumns[name]}
		default:
			problems = append(problems, fmt.Sprintf("line 1: column %d %q is not a column of a satisfaction form (a form never holds a name; columns: form, area, sex, age_band, disability and the services civil_status, roads, lighting, waste, water, sanitation, green_spaces, markets, sports_culture, certification)", i+1, h))
			continue
		}
		if seen[name] {
			problems = append(problems, fmt.Sprintf("line 1: column %q twice", name))
		}
		seen[name] = true
	}
	for _, need := range []string{"sex", "age_band", "disability", "area"} {
		if !seen[need] {
			problems = append(problems, fmt.Sprintf("line 1: no %s column", need))
		}
	}
	return cols, problems
}

func form(cols []column, rec []string, line int) (*eventsv1.SurveyForm, string) {
	f := &eventsv1.SurveyForm{}
	var bad []string
	for i, c := range cols {
		if i >= len(rec) {
			break
		}
		v := strings.TrimSpace(rec[i])
		switch c.name {
		case "":
		case "form":
			if utf8.RuneCountInString(v) > 64 {
				bad = append(bad, "form: at most 64 characters")
			}
			f.FormRef = v
		case "area":
			if utf8.RuneCountInString(v) > MaxShort {
				bad = append(bad, fmt.Sprintf("area: at most %d characters", MaxShort))
			}
			f.Area = v
		case "sex":
			s, ok := sexes[strings.ToLower(v)]
			if !ok {
				bad = append(bad, fmt.Sprintf("sex %q: female, male or empty", v))
			}
			f.Sex = s
		case "age_band":
			a, ok := ageBands[strings.ToLower(v)]
			if !ok {
				bad = append(bad, fmt.Sprintf("age_band %q: under_18, 18_34, 35_59, 60_plus or empty", v))
			}
			f.AgeBand = a
		case "disability":
			d, ok := disabilities[strings.ToLower(v)]
			if !ok {
				bad = append(bad, fmt.Sprintf("disability %q: yes, no or empty", v))
			}
			f.Disability = d
		default:
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 5 {
				bad = append(bad, fmt.Sprintf("%s %q: a score from 1 to 5, or empty", c.name, v))
				continue
			}
			f.Scores = append(f.Scores, &eventsv1.ServiceScore{Service: c.service, Score: int32(n)})
		}
	}
	if len(bad) == 0 && len(f.Scores) == 0 {
		bad = append(bad, "the form rates no service")
	}
	if f.FormRef == "" {
		f.FormRef = strconv.Itoa(line)
	}
	return f, strings.Join(bad, ", ")
}

var (
	sexes = map[string]eventsv1.Sex{"": eventsv1.Sex_SEX_UNSPECIFIED, "female": eventsv1.Sex_SEX_FEMALE, "f": eventsv1.Sex_SEX_FEMALE,
		"femme": eventsv1.Sex_SEX_FEMALE, "male": eventsv1.Sex_SEX_MALE, "m": eventsv1.Sex_SEX_MALE, "homme": eventsv1.Sex_SEX_MALE}
	ageBands = map[string]eventsv1.AgeBand{"": eventsv1.AgeBand_AGE_BAND_UNSPECIFIED, "under_18": eventsv1.AgeBand_AGE_BAND_UNDER_18,
		"<18": eventsv1.AgeBand_AGE_BAND_UNDER_18, "18_34": eventsv1.AgeBand_AGE_BAND_18_34, "18-34": eventsv1.AgeBand_AGE_BAND_18_34,
		"35_59": eventsv1.AgeBand_AGE_BAND_35_59, "35-59": eventsv1.AgeBand_AGE_BAND_35_59, "60_plus": eventsv1.AgeBand_AGE_BAND_60_PLUS,
		"60+": eventsv1.AgeBand_AGE_BAND_60_PLUS}
	disabilities = map[string]eventsv1.Disability{"": eventsv1.Disability_DISABILITY_UNSPECIFIED, "yes": eventsv1.Disability_DISABILITY_YES,
		"oui": eventsv1.Disability_DISABILITY_YES, "1": eventsv1.Disability_DISABILITY_YES, "no": eventsv1.Disability_DISABILITY_NO,
		"non": eventsv1.Disability_DISABILITY_NO, "0": eventsv1.Disability_DISABILITY_NO}
)
