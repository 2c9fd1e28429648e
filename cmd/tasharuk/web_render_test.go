package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// serverTime reads the render time the page reports in Server-Timing
// ("app;dur=12.34", milliseconds).
func serverTime(t *testing.T, h http.Header) time.Duration {
	t.Helper()
	v := h.Get("Server-Timing")
	_, dur, ok := strings.Cut(v, "dur=")
	ms, err := strconv.ParseFloat(dur, 64)
	if !ok || err != nil {
		t.Fatalf("Server-Timing %q", v)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// TestWebRenderTime renders the region page (135 communes) and a commune
// page 50 times each, in Arabic, and reports the server time (p50, p99) and
// the round trip. It asserts no time: the figure is for the closing note
// and the log.
func TestWebRenderTime(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	// Petitions, so the pages have rows and bars to draw: 60 in four
	// communes, a third of them deposited.
	agent := e.token(access.RoleCitizen, "", "perf-agent")
	codes := []string{"50910101", "50910107", "50910113", "50910103"}
	var last uint64
	for i := range 60 {
		code := codes[i%len(codes)]
		c, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/" + code,
			Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: fmt.Sprintf("Pétition %d", i),
			Request: "Inscrire un point à l'ordre du jour.", Reasons: "Pour mesurer le temps de rendu."})
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			d, err := e.petitions.DepositPetition(as(agent), &petitionsv1.DepositPetitionRequest{Name: c.GetPetition().GetName(), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE})
			if err != nil {
				t.Fatal(err)
			}
			last = d.GetLogPosition()
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, page := range []string{"/regions/beni-mellal-khenifra", "/communes/50910113"} {
		var server, total []time.Duration
		for i := range 51 {
			start := time.Now()
			resp, err := client.Get(e.base + page + "?lang=ar&at=" + strconv.FormatUint(last, 10))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(body) == 0 {
				t.Fatalf("GET %s: %d", page, resp.StatusCode)
			}
			if i == 0 {
				continue // the first request warms the connections
			}
			total = append(total, time.Since(start))
			server = append(server, serverTime(t, resp.Header))
		}
		t.Logf("%s: server time p50 %v p99 %v max %v; round trip p50 %v (50 renders)", page,
			percentile(server, 0.50).Round(10*time.Microsecond), percentile(server, 0.99).Round(10*time.Microsecond),
			slices.Max(server).Round(10*time.Microsecond), percentile(total, 0.50).Round(10*time.Microsecond))
	}
}
