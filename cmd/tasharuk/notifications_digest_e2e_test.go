package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// TestStaffDigestThroughTheServer (issue 20): serve wires the staff
// digest to identity's grants. Council A's clerk (granted by email, the
// contact sealed by identity) gets one digest a day listing A's petition
// overdue and A's petition due within two weeks, and nothing of council
// B; B's clerk gets B's only; a clerk of A whose grant was revoked gets
// nothing. No address appears in the service's logs.
func TestStaffDigestThroughTheServer(t *testing.T) {
	mp := signintest.StartMailpit(t)
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := &testClock{t: t0}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{
		SignIn: signinConfig{SMTPURL: "smtp://" + mp.SMTPAddr, SMTPFrom: "tasharuk <no-reply@zaouiat-cheikh.ma>"},
		Notify: notifyConfig{DigestEvery: 100 * time.Millisecond}})
	admin := e.token(access.RoleAdmin, "", "admin-1")
	ids := identityv1.NewIdentityServiceClient(e.conn)
	const a, b = "50910113", "50910107"
	const clerkA, clerkB, gone = "clerk.a@example.ma", "clerk.b@example.ma", "former.a@example.ma"
	for _, g := range []struct{ email, council string }{{clerkA, a}, {clerkB, b}, {gone, a}} {
		if _, err := ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: g.email}, Role: "staff", Council: g.council}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ids.RevokeRole(as(admin), &identityv1.RevokeRoleRequest{Account: &identityv1.Account{Email: gone}, Role: "staff", Council: a, Reason: "mutée"})
	if err != nil {
		t.Fatal(err)
	}
	// The grants' read model has applied the revocation.
	if code, body := e.rest(http.MethodGet, fmt.Sprintf("/v1/communes/%s/status?minPosition=%d", a, r.GetLogPosition()), "", nil, nil); code != http.StatusOK {
		t.Fatalf("waiting for the revocation: %d %s", code, body)
	}

	deposit := func(council, title string, n int) time.Time {
		t.Helper()
		staff := e.token(access.RoleStaff, council, "clerk-"+council)
		agent := e.token(access.RoleCitizen, "", "agent-"+title)
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/" + council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: title, Request: "Une demande.", Reasons: "Des raisons."})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			id, full := signer("DG", n*10+i)
			if _, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
				t.Fatal(err)
			}
		}
		d, err := e.petitions.DepositPetition(as(staff), &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiveTime: timestamppb.New(clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		return d.GetPetition().GetDecisionDeadline().AsTime()
	}
	overdueA := deposit(a, "Éclairage public", 1)
	deposit(b, "Marché couvert", 2)
	clock.Advance(10 * 24 * time.Hour)
	dueA := deposit(a, "Jardin d'enfants", 3)
	deposit(a, "Stade municipal", 4) // deposited the same day: due on the same day as the garden
	if dueA.Sub(overdueA) != 10*24*time.Hour {
		t.Fatalf("deadlines %v and %v: want 10 days apart", overdueA, dueA)
	}
	// The day the first deadline has passed by 3 days and the second is a
	// week away.
	time.Sleep(500 * time.Millisecond)
	before := len(mp.Messages(t, clerkA))
	if before != 0 {
		t.Fatalf("council A's clerk got %d messages before any case was due", before)
	}
	clock.Advance(overdueA.Add(3 * 24 * time.Hour).Sub(clock.Now()))
	mailsTo(t, mp, clerkA, before+1)
	time.Sleep(time.Second) // anything more would be a second digest the same day
	msA := mailsTo(t, mp, clerkA, before+1)
	if len(msA) != before+1 {
		t.Fatalf("council A's clerk got %d digests that day, want 1", len(msA)-before)
	}
	digest := msA[len(msA)-1]
	due, overdue, ok := strings.Cut(digest.Text, "متأخرة:")
	if !ok || !strings.Contains(due, "Jardin d'enfants") || !strings.Contains(due, "Stade municipal") || !strings.Contains(overdue, "Éclairage public") || strings.Contains(due, "Éclairage public") {
		t.Errorf("council A's digest does not list A's cases as due and overdue:\n%s", digest.Text)
	}
	if strings.Contains(digest.Text, "Marché couvert") {
		t.Errorf("council A's digest lists council B's petition:\n%s", digest.Text)
	}
	msB := mailsTo(t, mp, clerkB, 1)
	if len(msB) != 1 || !strings.Contains(msB[0].Text, "Marché couvert") || strings.Contains(msB[0].Text, "Jardin") || strings.Contains(msB[0].Text, "Éclairage") {
		t.Errorf("council B's clerk: %d messages: %v", len(msB), msB)
	}
	if n := len(mp.Messages(t, gone)); n != 0 {
		t.Errorf("the clerk whose grant was revoked got %d messages", n)
	}
	for _, addr := range []string{clerkA, clerkB, gone} {
		if strings.Contains(e.logs.String(), addr) {
			t.Errorf("the service's logs name %s", addr)
		}
	}
}
