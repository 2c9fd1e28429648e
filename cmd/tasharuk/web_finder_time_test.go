package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// TestWebFinderTime loads 10,000 petitions over the region's 135 communes
// (nine in ten open for signatures, Arabic and French titles), then asks
// the petitions page for words, for every open petition, and for a
// province, 50 times each, and logs the server time (Server-Timing: p50,
// p99). It asserts no time, only that the searches find what they
// should: the figure is for the closing note.
func TestWebFinderTime(t *testing.T) {
	const total = 10_000
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	var communes []string
	req := &territoryv1.ListCouncilsRequest{Filter: "level=COMMUNE", PageSize: 500}
	list, err := e.territory.ListCouncils(e.ctxBG(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.GetCouncils() {
		communes = append(communes, c.GetName())
	}
	if len(communes) != 135 {
		t.Fatalf("%d communes", len(communes))
	}
	subjects := []string{"إنارة الشوارع", "تهيئة ساحة لعب للأطفال", "مكتبة عمومية", "Éclairage public", "Bibliothèque de quartier", "Marché couvert", "Transport scolaire"}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := e.token(access.RoleCitizen, "", fmt.Sprintf("load-agent-%d", w))
			for i := w; i < total; i += 8 {
				c, err := e.petitions.CreatePetition(as(tok), &petitionsv1.CreatePetitionRequest{Parent: communes[i%len(communes)],
					Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: fmt.Sprintf("%s %d", subjects[i%len(subjects)], i),
					Request: "Inscrire ce point à l'ordre du jour du conseil.", Reasons: "Les habitants le demandent."})
				if err != nil {
					errs <- err
					return
				}
				if i%10 != 0 {
					if _, err := e.petitions.OpenPetitionForSignatures(as(tok), &petitionsv1.OpenPetitionForSignaturesRequest{Name: c.GetPetition().GetName()}); err != nil {
						errs <- err
						return
					}
					// Moderation before collection: the council's staff clear it.
					code := strings.Split(c.GetPetition().GetName(), "/")[1]
					if _, err := e.petitions.ModeratePetition(as(e.token(access.RoleStaff, code, "moderating-clerk-"+code)), &petitionsv1.ModeratePetitionRequest{Name: c.GetPetition().GetName(), Clear: true}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("loaded %d petitions in %v", total, time.Since(start).Round(time.Second))
	at := strconv.FormatUint(e.head(), 10)

	client := &http.Client{Timeout: time.Minute}
	drafter := e.token(access.RoleCitizen, "", "load-drafter")
	for _, c := range []struct {
		path  string
		found int
		// cold: an act before each request, which the reader asks to
		// see (?at=), so every council's listing is read again.
		cold bool
	}{
		// 10,000 / 7 subjects, nine in ten open.
		{"/petitions?q=" + url.QueryEscape("انارة الشوارع"), 1286, false},
		{"/petitions?q=" + url.QueryEscape("eclairage"), 1286, false},
		{"/petitions", 9000, false},
		{"/provinces/beni-mellal/petitions?sort=recent", -1, false},
		{"/petitions?q=" + url.QueryEscape("eclairage"), 1286, true},
	} {
		var server, round []time.Duration
		for i := range 51 {
			if c.cold {
				// A draft: it moves the log, not the search's result.
				if _, err := e.petitions.CreatePetition(as(drafter), &petitionsv1.CreatePetitionRequest{Parent: communes[i], Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
					Title: "Brouillon", Request: "Un brouillon.", Reasons: "Pour déplacer la tête du journal."}); err != nil {
					t.Fatal(err)
				}
				at = strconv.FormatUint(e.head(), 10)
			}
			t0 := time.Now()
			resp, err := client.Get(e.base + c.path + sep(c.path) + "lang=ar&at=" + at)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", c.path, resp.StatusCode)
			}
			if i == 0 {
				if c.found >= 0 && !strings.Contains(string(body), `id="found">`+fmt.Sprintf("عدد العرائض: %s", arGroup(c.found))) {
					t.Fatalf("%s: not %d found", c.path, c.found)
				}
				continue // warms the connections
			}
			server = append(server, serverTime(t, resp.Header))
			round = append(round, time.Since(t0))
		}
		t.Logf("%s (cold %v) with %d petitions: server p50 %v p99 %v; round trip p50 %v p99 %v", c.path, c.cold, total,
			percentile(server, 0.5).Round(100*time.Microsecond), percentile(server, 0.99).Round(100*time.Microsecond),
			percentile(round, 0.5).Round(100*time.Microsecond), percentile(round, 0.99).Round(100*time.Microsecond))
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// arGroup groups digits as the Arabic pages do (2.510.799).
func arGroup(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}
