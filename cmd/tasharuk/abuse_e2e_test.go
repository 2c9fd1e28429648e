package main

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// TestAbuse: a flood of signing requests from one token is throttled with
// ResourceExhausted while another user is served; oversize and malformed
// bodies are refused without writing anything.
func TestAbuse(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{Limits: limits{SignPerToken: 2, SignBurst: 5, SignPerAddress: 1000, FilePerToken: 0.01, FileBurst: 3}})
	agent := e.token(access.RoleCitizen, "", "agent-abuse")
	flooder := e.token(access.RoleCitizen, "", "flooder")
	honest := e.token(access.RoleCitizen, "", "honest")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	cleared(t, e, nil, name)
	var ok, throttled atomic.Int32
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, full := signer("AB", i)
			_, err := e.petitions.SignPetition(as(flooder), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
			switch code, reason := reason(err); {
			case err == nil:
				ok.Add(1)
			case code == codes.FailedPrecondition && reason == "ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID":
				// Served, and refused: one account signs with one ID
				// number (issue 16).
				ok.Add(1)
			case code == codes.ResourceExhausted && reason == "RATE_LIMITED":
				throttled.Add(1)
			default:
				t.Errorf("flood: %v", err)
			}
		}()
	}
	wg.Wait()
	if throttled.Load() < 40 || ok.Load() < 5 {
		t.Fatalf("flood of 60: %d served, %d throttled", ok.Load(), throttled.Load())
	}
	// Another user is served meanwhile.
	id, full := signer("HN", 1)
	if _, err := e.petitions.SignPetition(as(honest), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
		t.Fatalf("another user was refused during the flood: %v", err)
	}
	// Filing is limited too.
	var filed, refused int
	for range 6 {
		_, err := e.petitions.CreatePetition(as(flooder), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"})
		if c, _ := reason(err); c == codes.ResourceExhausted {
			refused++
		} else if err == nil {
			filed++
		}
	}
	if filed != 3 || refused != 3 {
		t.Fatalf("filing: %d filed, %d refused (burst 3)", filed, refused)
	}

	before := e.head()
	// An oversize REST body.
	big := bytes.Repeat([]byte("x"), 9<<20)
	req, _ := http.NewRequest(http.MethodPost, e.base+"/v1/communes/50910113/petitions", bytes.NewReader(append(append([]byte(`{"kind":"PETITIONER_KIND_CITIZENS","title":"`), big...), []byte(`"}`)...)))
	req.Header.Set("Authorization", "Bearer "+honest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("oversize body: %d", resp.StatusCode)
	}
	// An oversize gRPC message.
	_, err = e.petitions.ImportSignatures(as(e.token(access.RoleStaff, "50910113", "clerk")), &petitionsv1.ImportSignaturesRequest{Name: name, Csv: big})
	if c, _ := reason(err); c != codes.ResourceExhausted && c != codes.InvalidArgument {
		t.Fatalf("oversize gRPC message: %v", err)
	}
	// Malformed bodies.
	for _, body := range []string{`{"kind":`, `[1,2,3]`, `{"title":{"x":1}}`, strings.Repeat("{", 10000)} {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/v1/communes/50910113/petitions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+honest)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("malformed body %.20q: %d", body, resp.StatusCode)
		}
	}
	if after := e.head(); after != before {
		t.Fatalf("refused requests wrote %d events", after-before)
	}
	t.Logf("flood of 60 from one token: %d served, %d throttled; another user served", ok.Load(), throttled.Load())
}
