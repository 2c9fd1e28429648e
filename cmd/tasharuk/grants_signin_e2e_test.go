package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
)

// TestGrantedRoleBySignInCode: a clerk provisioned by an admin with her
// email (a grant event in the log) signs in by a code sent to that address
// (real Mailpit) and acts as staff of her council; once revoked, the same
// address signs in as a citizen. The address, typed in another case, names
// the same account (privacy's normalization on both sides).
func TestGrantedRoleBySignInCode(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	ids := identityv1.NewIdentityServiceClient(s.conn)
	admin := s.token(access.RoleAdmin, "", "admin-grants")
	const email = "samira.clerk@example.ma"
	// caughtUp waits until the read models (the grants among them) have
	// applied pos.
	caughtUp := func(pos uint64) {
		t.Helper()
		if code, body := s.rest(http.MethodGet, fmt.Sprintf("/v1/communes/50910113/status?minPosition=%d", pos), "", nil, nil); code != http.StatusOK {
			t.Fatalf("waiting for position %d: %d %s", pos, code, body)
		}
	}
	g, err := ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: "Samira.Clerk@Example.MA"}, Role: "staff", Council: "50910113"})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp(g.GetLogPosition())
	signIn := func(n int) *browserless {
		t.Helper()
		b := newBrowserless(t, s.base)
		if code, _, body := b.codeAsk("email", email, ""); code != http.StatusSeeOther {
			t.Fatalf("asking a code: %d\n%s", code, body)
		}
		if code, _, body := b.codeEnter(s.mp.Code(t, email, n)); code != http.StatusSeeOther {
			t.Fatalf("entering the code: %d\n%s", code, body)
		}
		return b
	}
	b := signIn(0)
	if _, loc, _ := b.do("GET", "/desk", nil); loc != "/communes/50910113/desk" {
		t.Fatalf("the granted clerk's /desk goes to %q, want her council's desk", loc)
	}
	if code, _, _ := b.do("GET", "/communes/50910113/desk", nil); code != http.StatusOK {
		t.Fatalf("the clerk's desk: %d", code)
	}
	r, err := ids.RevokeRole(as(admin), &identityv1.RevokeRoleRequest{Account: &identityv1.Account{Email: email}, Role: "staff", Council: "50910113", Reason: "mutée"})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp(r.GetLogPosition())
	c := signIn(1)
	if _, loc, _ := c.do("GET", "/desk", nil); strings.HasSuffix(loc, "/desk") && strings.HasPrefix(loc, "/communes/") {
		t.Fatalf("after revocation the address still signs in as staff (/desk → %s)", loc)
	}
}
