package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestMinPositionAheadOfLog (issue 13, 7): an anonymous read with a
// minPosition far past the log's head is answered at once, 400 with
// POSITION_AHEAD_OF_LOG and the head in the message, and is not logged as
// an error; a position a write just returned is still waited for and read.
func TestMinPositionAheadOfLog(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	head := e.head()
	far := head + 1_000_000
	for _, path := range []string{
		"/v1/communes/50910113",
		"/v1/communes/50910113/status",
		"/v1/communes/50910113/petitions",
	} {
		start := time.Now()
		code, body := e.rest(http.MethodGet, fmt.Sprintf("%s?minPosition=%d", path, far), "", nil, nil)
		took := time.Since(start)
		if took > 2*time.Second {
			t.Errorf("GET %s?minPosition=%d took %v: the request was held", path, far, took)
		}
		if code != http.StatusBadRequest || !strings.Contains(body, "POSITION_AHEAD_OF_LOG") ||
			!strings.Contains(body, fmt.Sprintf("the log's head is %d; min_position %d is ahead of it", head, far)) {
			t.Errorf("GET %s?minPosition=%d: %d %s", path, far, code, body)
		}
	}
	if e.head() != head {
		t.Errorf("the refused reads moved the log from %d to %d", head, e.head())
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("logged as an error: %s", line)
		}
	}

	// Read-your-writes still works: the position a write returned, and the
	// head itself, are read, not refused.
	agent := e.token(access.RoleCitizen, "", "agent-minpos")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "Éclairage de la rue", Request: "r", Reasons: "r"})
	if err != nil {
		t.Fatal(err)
	}
	pos := created.GetLogPosition()
	if code, body := e.rest(http.MethodGet, fmt.Sprintf("/v1/%s?minPosition=%d", created.GetPetition().GetName(), pos), agent, nil, nil); code != http.StatusOK {
		t.Fatalf("read at the position just written (%d): %d %s", pos, code, body)
	}
	if code, body := e.rest(http.MethodGet, fmt.Sprintf("/v1/communes/50910113?minPosition=%d", e.head()), "", nil, nil); code != http.StatusOK {
		t.Fatalf("read at the head: %d %s", code, body)
	}
}
