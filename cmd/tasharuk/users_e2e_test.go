package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/privacy"
	idomain "github.com/tasharuk/tasharuk/services/identity/domain"
	irm "github.com/tasharuk/tasharuk/services/identity/readmodel"
)

// TestUsersAndGrants: administrators grant and revoke roles through the
// API and `tasharuk users add/revoke`, every grant and revocation an event
// in the log; RolesOf answers from those events; an email or phone is
// recorded sealed, never in clear, and `privacy erase --email` shreds it.
// Every refusal leaves the log where it was.
func TestUsersAndGrants(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	ids := identityv1.NewIdentityServiceClient(e.conn)
	admin := e.token(access.RoleAdmin, "", "admin-users")
	clerk := e.token(access.RoleStaff, "50910113", "clerk-users")
	const clerkEmail, auditEmail, phone = "clerk.zc@example.ma", "audit.bm@example.ma", "+212 6 61 23 45 67"
	unchanged := func(what string, err error, code codes.Code, why string, before uint64) {
		t.Helper()
		wantCode(t, err, code, why)
		if after := e.head(); after != before {
			t.Fatalf("%s: refused but the log moved from %d to %d", what, before, after)
		}
	}

	t.Run("GrantOverTheAPI", func(t *testing.T) {
		before := e.head()
		r, err := ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: " Clerk.ZC@Example.MA "}, Role: "staff", Council: "50910113"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.GetUser(), "users/") || len(r.GetUser()) != len("users/")+64 || strings.Contains(r.GetUser(), "clerk") {
			t.Fatalf("user name %q", r.GetUser())
		}
		// The sealed email and the grant (a checkpoint may follow).
		if e.head() < before+2 {
			t.Fatalf("a first grant with an email wrote %d events, want 2 (the sealed email, the grant)", e.head()-before)
		}
		before = e.quietHead()
		_, err = ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: clerkEmail}, Role: "staff", Council: "50910113"})
		unchanged("the same grant again", err, codes.AlreadyExists, "ROLE_ALREADY_GRANTED", before)
		// A clerk granting themself admin: refused by the table.
		_, err = ids.GrantRole(as(clerk), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Subject: "clerk-users"}, Role: "admin"})
		unchanged("a clerk's grant", err, codes.PermissionDenied, "", before)
		_, err = ids.GrantRole(as(admin), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: clerkEmail}, Role: "staff", Council: "99999999"})
		unchanged("an unknown council", err, codes.NotFound, "COUNCIL_NOT_FOUND", before)
		for _, bad := range []*identityv1.GrantRoleRequest{
			{Account: &identityv1.Account{Email: "not-an-email"}, Role: "staff", Council: "50910113"},
			{Account: &identityv1.Account{Email: clerkEmail, Phone: phone}, Role: "staff", Council: "50910113"},
			{Account: &identityv1.Account{}, Role: "staff", Council: "50910113"},
			{Account: &identityv1.Account{Email: clerkEmail}, Role: "staff"},
			{Account: &identityv1.Account{Email: clerkEmail}, Role: "citizen"},
		} {
			_, err := ids.GrantRole(as(admin), bad)
			unchanged("bad grant", err, codes.InvalidArgument, "INVALID_ARGUMENT", before)
		}
		// Over REST, by phone.
		if code, body := e.rest(http.MethodPost, "/v1/users:grantRole", admin, map[string]any{"account": map[string]any{"phone": phone}, "role": "advisory", "council": "50910113"}, nil); code != http.StatusOK {
			t.Fatalf("REST grant: %d %s", code, body)
		}
		if _, err := ids.RevokeRole(as(admin), &identityv1.RevokeRoleRequest{Account: &identityv1.Account{Phone: phone}, Role: "advisory", Council: "50910113", Reason: "mandat terminé"}); err != nil {
			t.Fatal(err)
		}
		before = e.head()
		_, err = ids.RevokeRole(as(admin), &identityv1.RevokeRoleRequest{Account: &identityv1.Account{Phone: phone}, Role: "advisory", Council: "50910113"})
		unchanged("revoke twice", err, codes.NotFound, "GRANT_NOT_FOUND", before)
	})

	e.stop()
	users := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := runUsers(context.Background(), append(args, "--data-dir", dir), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	t.Run("UsersAddAndRevoke", func(t *testing.T) {
		if out, err := users("add", "--role", "auditor", "--email", auditEmail); err != nil || !strings.Contains(out, "granted: role auditor, account users/") || strings.Contains(out, "audit.bm") {
			t.Fatalf("users add: %v %s", err, out)
		}
		if out, err := users("add", "--role", "staff", "--council", "50910101", "--email", clerkEmail); err != nil {
			t.Fatalf("users add, second council: %v %s", err, out)
		}
		if out, err := users("revoke", "--role", "staff", "--council", "50910113", "--email", clerkEmail, "--reason", "a quitté la commune"); err != nil || !strings.Contains(out, "revoked: role staff for council 50910113") {
			t.Fatalf("users revoke: %v %s", err, out)
		}
		if out, err := users("revoke", "--role", "staff", "--council", "50910113", "--email", clerkEmail); err == nil || !strings.Contains(err.Error(), "no role staff") {
			t.Fatalf("revoke again: %v %s", err, out)
		}
		if out, err := users("add", "--role", "staff", "--email", clerkEmail); err == nil {
			t.Fatalf("staff without a council accepted: %s", out)
		}
	})

	// Read the log as the service will, with the service's own keys.
	sc := storeConfigFor(e)
	if err := sc.resolveKeys(); err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.LoadKeys(sc.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	readLog := func() []eventstore.Event {
		t.Helper()
		ls, err := openQuiet(context.Background(), sc, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer ls.Close()
		evs, err := ls.Log.ReadAll(context.Background(), 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	clerkSubject := keys.ContactSubject(privacy.ContactEmail, clerkEmail)

	t.Run("RolesOfFromTheLog", func(t *testing.T) {
		roles := irm.NewRoles(keys.UserKey)
		reg := newRegistry()
		for _, ev := range readLog() {
			p, err := reg.DecodeEvent(&ev)
			if err != nil {
				t.Fatal(err)
			}
			if err := roles.Apply(&ev, p); err != nil {
				t.Fatal(err)
			}
		}
		for subject, want := range map[string][]idomain.Grant{
			clerkSubject: {{Role: "staff", Council: "50910101"}},
			keys.ContactSubject(privacy.ContactEmail, auditEmail):      {{Role: "auditor"}},
			keys.ContactSubject(privacy.ContactPhone, "+212661234567"): {},
			"clerk-users": {},
		} {
			if got := roles.RolesOf(subject); !slices.Equal(got, want) {
				t.Errorf("RolesOf(%s) = %v, want %v", subject, got, want)
			}
		}
		if got := access.GrantedPrincipals(roles, clerkSubject); len(got) != 1 || got[0].Role != access.RoleStaff || got[0].Council != "50910101" {
			t.Errorf("principals of the clerk: %v", got)
		}
	})

	t.Run("ContactsSealedAndErasable", func(t *testing.T) {
		// No email or phone in clear anywhere in the data folder or the
		// service's logs.
		needles := []string{clerkEmail, auditEmail, "661234567", "Clerk.ZC"}
		err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, n := range needles {
				if strings.Contains(string(b), n) {
					t.Errorf("%s holds %q in clear", path, n)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if strings.Contains(e.logs.String(), n) {
				t.Errorf("the service's logs hold %q", n)
			}
		}
		// The clerk's sealed email opens with its key (so the test below
		// can fail), until erased.
		clerkKey := keys.UserKey(clerkSubject)
		var recorded *identityeventsv1.ContactRecorded
		reg := newRegistry()
		for _, ev := range readLog() {
			if k, ok := idomain.ParseUserStream(ev.Stream); ok && k == clerkKey {
				if p, _ := reg.DecodeEvent(&ev); p != nil {
					if c, ok := p.(*identityeventsv1.ContactRecorded); ok {
						recorded = c
					}
				}
			}
		}
		if recorded == nil {
			t.Fatal("no sealed contact recorded for the clerk")
		}
		open := func() (string, error) {
			ls, err := openQuiet(context.Background(), sc, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer ls.Close()
			_, ks, err := openPersonKeys(context.Background(), ls, sc, "test")
			if err != nil {
				t.Fatal(err)
			}
			defer ks.Close()
			dk, err := ks.NameKey(context.Background(), clerkKey, recorded.GetContactKeyId())
			if err != nil {
				return "", err
			}
			return privacy.OpenContact(dk, recorded.GetContactCiphertext())
		}
		if got, err := open(); err != nil || got != clerkEmail {
			t.Fatalf("the sealed email opens as %q (%v), want %s", got, err, clerkEmail)
		}
		var out, errOut strings.Builder
		if err := runPrivacy(context.Background(), []string{"erase", "--email", clerkEmail, "--data-dir", dir}, &out, &errOut); err != nil || !strings.Contains(out.String(), "1 data keys deleted") {
			t.Fatalf("privacy erase --email: %v %s %s", err, out.String(), errOut.String())
		}
		if got, err := open(); !errors.Is(err, privacy.ErrErased) {
			t.Fatalf("after erasure the email opens as %q (%v), want ErrErased", got, err)
		}
		before := len(readLog())
		err = runPrivacy(context.Background(), []string{"erase", "--email", clerkEmail, "--data-dir", dir}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "no contact detail") || len(readLog()) != before {
			t.Fatalf("erasing twice: %v (log %d → %d events)", err, before, len(readLog()))
		}
		// Her grants stand: erasure removes personal data, not the record.
		if out, err := users("revoke", "--role", "staff", "--council", "50910101", "--email", clerkEmail); err != nil {
			t.Fatalf("revoke after erasure: %v %s", err, out)
		}
	})
}
