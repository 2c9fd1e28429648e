package main

import (
	"encoding/csv"
	"html"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWebRegionCommuneFilter (issue 22): the region page's table of its 135
// communes takes a filter by name — Arabic or French, with or without
// diacritics or accents, folded as the finder folds — through a plain GET
// form that works without JavaScript; the region's figures and charts stay
// those of every commune, the "as of" date is kept, and a filter matching
// nothing says so.
func TestWebRegionCommuneFilter(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	data := sharedData(t, "bmk_communes_2024.csv")
	e := startEnv(t, t.TempDir(), clock, data)
	const region = "/regions/beni-mellal-khenifra"

	// The communes whose French name holds "oulad", from the census file
	// itself.
	f, err := os.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	oulad := map[string]bool{}
	for _, r := range recs[1:] {
		if strings.Contains(strings.ToLower(r[1]), "oulad") {
			oulad["/communes/"+r[0]] = true
		}
	}
	if len(oulad) < 2 {
		t.Fatalf("the census file has %d communes named Oulad …", len(oulad))
	}

	table := regexp.MustCompile(`(?s)<table id="compare-communes">.*?</table>`)
	row := regexp.MustCompile(`<th scope="row"><a href="(/communes/[0-9]+)"><bdi>([^<]*)</bdi>`)
	rows := func(page string) map[string]string {
		got := map[string]string{}
		for _, m := range row.FindAllStringSubmatch(table.FindString(page), -1) {
			got[m[1]] = html.UnescapeString(m[2])
		}
		return got
	}
	chart := regexp.MustCompile(`(?s)<figure class="chart" id="chart-mechanisms">.*?</figure>`)

	for _, lang := range []string{"ar", "fr"} {
		w := newWebClient(t, e.base, lang)
		all := w.page(region)
		if n := len(rows(all)); n != 135 {
			t.Fatalf("%s: the unfiltered table lists %d communes", lang, n)
		}
		// A GET form: no JavaScript needed, the address can be shared.
		if !strings.Contains(all, `<form method="get" action="`+region+`#commune-filter-form"`) || !strings.Contains(all, `name="commune"`) ||
			!strings.Contains(all, `<label for="commune-filter">`) {
			t.Fatalf("%s: no GET form with a labelled commune filter", lang)
		}
		for _, q := range []string{"زاوية الشيخ", "زَاوِيَةُ الشَّيْخِ", "الشيخ", "zaouiat CHEIKH", "Zaouïat Chéikh", "  cheikh  "} {
			page := w.page(region + "?commune=" + url.QueryEscape(q))
			got := rows(page)
			if len(got) != 1 || got["/communes/50910113"] == "" {
				t.Errorf("%s: filter %q lists %v, not Zaouiat Cheikh alone", lang, q, got)
			}
			if !strings.Contains(page, `id="commune-filter-all"`) || !strings.Contains(page, `value="`+html.EscapeString(strings.TrimSpace(q))+`"`) {
				t.Errorf("%s: filter %q: the field is not refilled or there is no way back to every commune", lang, q)
			}
			// The figures are the region's, whatever the table shows.
			if chart.FindString(page) != chart.FindString(all) || chart.FindString(all) == "" {
				t.Errorf("%s: filter %q changed the region's mechanisms chart", lang, q)
			}
		}
		got := rows(w.page(region + "?commune=OULAD"))
		if len(got) != len(oulad) {
			t.Errorf("%s: filter OULAD lists %d communes, the census file has %d", lang, len(got), len(oulad))
		}
		for c := range got {
			if !oulad[c] {
				t.Errorf("%s: filter OULAD lists %s (%s)", lang, c, got[c])
			}
		}
		// Nothing matches: said, no empty table.
		page := w.page(region + "?commune=" + url.QueryEscape("xyzzy قلعة غير موجودة"))
		if strings.Contains(page, `<table id="compare-communes">`) || !strings.Contains(page, `<p class="muted" id="compare-communes">`) {
			t.Errorf("%s: a filter matching nothing does not say so", lang)
		}
		// The "as of" date goes with the filter.
		page = w.page(region + "?as_of=2026-11-02&commune=cheikh")
		if len(rows(page)) != 1 || !strings.Contains(page, `<input type="hidden" name="as_of" value="2026-11-02">`) {
			t.Errorf("%s: the filter as of a date: %d rows, date kept %v", lang, len(rows(page)),
				strings.Contains(page, `<input type="hidden" name="as_of" value="2026-11-02">`))
		}
		// An over-long filter is cut, not refused.
		if got := rows(w.page(region + "?commune=" + strings.Repeat("z", 500))); len(got) != 0 {
			t.Errorf("%s: a 500-letter filter lists %d communes", lang, len(got))
		}
	}
}
