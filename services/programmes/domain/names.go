package domain

import (
	"regexp"
	"strings"
)

var (
	communePattern = regexp.MustCompile(`^communes/[a-z0-9-]{1,64}$`)
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	sha256Pattern  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// A consultation of the commune: "communes/{code}/consultations/{id}".
	consultationPattern = regexp.MustCompile(`^(communes/[a-z0-9-]{1,64})/consultations/[A-Za-z0-9_-]{1,64}$`)
)

// ProgrammeName returns a programme's resource name,
// "communes/{commune}/programmes/{mandate year}".
func ProgrammeName(council, year string) string { return council + "/programmes/" + year }

// ImportName returns an import's resource name,
// "communes/{commune}/surveyImports/{id}".
func ImportName(council, id string) string { return council + "/surveyImports/" + id }

// CouncilCode returns the code of a council resource name.
func CouncilCode(council string) string {
	_, code, _ := strings.Cut(council, "/")
	return code
}
