package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestEveryPostFormCarriesCSRF: every POST form of every template carries
// the CSRF token (the server refuses a POST without it).
func TestEveryPostFormCarriesCSRF(t *testing.T) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	form := regexp.MustCompile(`(?s)<form\b[^>]*method="post"[^>]*>(.*?)</form>`)
	total := 0
	for _, n := range names {
		b, err := templateFiles.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range form.FindAllStringSubmatch(string(b), -1) {
			total++
			if !strings.Contains(m[1], `{{template "csrf"`) {
				t.Errorf("%s: a POST form without the CSRF token: %.120s", n, m[0])
			}
		}
	}
	if total < 30 {
		t.Fatalf("found %d POST forms, expected the templates' 30 or more: the pattern missed some", total)
	}
}
