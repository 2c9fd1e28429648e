package domain

import (
	"regexp"
	"strings"
)

// Resource-name patterns. A council code is what the territory registers
// (1-64 of a-z, 0-9, '-'); ids are the callers' (UUIDv7 or similar).
const (
	codePart = `[a-z0-9-]{1,64}`
	idPart   = `[A-Za-z0-9_-]{1,64}`
	levels   = `(communes|provinces|regions)`
)

var (
	councilPattern  = regexp.MustCompile(`^` + levels + `/` + codePart + `$`)
	petitionPattern = regexp.MustCompile(`^` + levels + `/` + codePart + `/petitions/` + idPart + `$`)
	bodyPattern     = regexp.MustCompile(`^` + levels + `/` + codePart + `/advisoryBodies/` + idPart + `$`)
	idPattern       = regexp.MustCompile(`^` + idPart + `$`)
)

// councilCode returns the code of a council resource name ("communes/x": "x").
func councilCode(council string) string {
	_, code, _ := strings.Cut(council, "/")
	return code
}

// ConsultationName returns a consultation's resource name,
// "communes/{commune}/consultations/{consultation}".
func ConsultationName(council, id string) string { return council + "/consultations/" + id }

// SurveyName returns a survey's resource name,
// "communes/{commune}/surveys/{survey}".
func SurveyName(council, id string) string { return council + "/surveys/" + id }

// bodyOf reports whether opinion names an opinion of body:
// "<body>/opinions/{opinion}".
func bodyOf(opinion, body string) bool {
	rest, ok := strings.CutPrefix(opinion, body+"/opinions/")
	return ok && idPattern.MatchString(rest)
}
