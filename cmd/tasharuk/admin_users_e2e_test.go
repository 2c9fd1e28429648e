package main

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	"github.com/tasharuk/tasharuk/privacy"
)

// adminSignIn provisions an administrator (a grant made with a bootstrap
// admin token, as `tasharuk users add --role admin` does) and signs her in
// by a code sent to her address (real Mailpit).
func adminSignIn(t *testing.T, s *signinEnv, email string) *browserless {
	t.Helper()
	g, err := identityv1.NewIdentityServiceClient(s.conn).GrantRole(as(s.token(access.RoleAdmin, "", "admin-bootstrap")),
		&identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: email}, Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := s.rest(http.MethodGet, "/v1/communes/50910113/status?minPosition="+uitoa(g.GetLogPosition()), "", nil, nil); code != http.StatusOK {
		t.Fatalf("waiting for the admin grant: %d %s", code, body)
	}
	return codeSignIn(t, s, email, 0)
}

// codeSignIn signs in by the n-th code sent to email.
func codeSignIn(t *testing.T, s *signinEnv, email string, n int) *browserless {
	t.Helper()
	b := newBrowserless(t, s.base)
	if code, _, body := b.codeAsk("email", email, ""); code != http.StatusSeeOther {
		t.Fatalf("asking a code for %s: %d\n%s", email, code, body)
	}
	if code, _, body := b.codeEnter(s.mp.Code(t, email, n)); code != http.StatusSeeOther {
		t.Fatalf("entering the code for %s: %d\n%s", email, code, body)
	}
	return b
}

// TestWebAdminGrants (issue 16, "also an admin page"): the signed-in
// administrator grants a clerk the staff role of her commune on
// /admin/users — a RoleGranted in the log, the address sealed, never in
// clear — and the clerk, signing in by code, acts as that council's
// staff; the page lists the grant by user key, never by address, and a
// revocation with its reason ends it. Refusals (a malformed address, an
// unknown council, a revocation of nothing) are shown beside their field
// in the reader's language with the form refilled, and record nothing; a
// form without its CSRF token is refused; a staff member, a citizen and a
// visitor cannot grant anything.
func TestWebAdminGrants(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	const adminEmail, clerkEmail = "admin.grants@example.ma", "leila.clerk@example.ma"
	keys, err := privacy.LoadKeys(keysOf(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	clerkKey := keys.UserKey(keys.ContactSubject(privacy.ContactEmail, clerkEmail))
	admin := adminSignIn(t, s, adminEmail)

	code, _, page := admin.do("GET", "/admin/users?lang=en", nil)
	if code != http.StatusOK || !strings.Contains(page, `action="/admin/users/grant"`) || !strings.Contains(page, `action="/admin/users/revoke"`) {
		t.Fatalf("the admin page: %d\n%s", code, page)
	}
	if !strings.Contains(page, `<option value="" disabled selected>`) {
		t.Fatalf("the role select must start with no role chosen:\n%s", page)
	}
	tok := csrfInput.FindStringSubmatch(page)[1]
	grantForm := func(email, role, council string) url.Values {
		return url.Values{"csrf": {tok}, "email": {email}, "role": {role}, "council": {council}}
	}

	t.Run("Refusals", func(t *testing.T) {
		fr := catalogue(t, "fr")
		for _, c := range []struct {
			name, email, council, field, reason string
			code                                int
		}{
			{"malformed address", "pas-une-adresse", "50910113", "grant-email", "INVALID_ARGUMENT", http.StatusUnprocessableEntity},
			{"unknown council", clerkEmail, "99999999", "grant-council", "COUNCIL_NOT_FOUND", http.StatusNotFound},
			{"staff without council", clerkEmail, "", "grant-council", "INVALID_ARGUMENT", http.StatusUnprocessableEntity},
		} {
			before := s.quietHead()
			code, _, body := admin.do("POST", "/admin/users/grant?lang=fr", grantForm(c.email, "staff", c.council))
			if code != c.code {
				t.Fatalf("%s: %d, want %d\n%s", c.name, code, c.code, body)
			}
			want := `<p class="field-error" id="` + c.field + `-error"><strong>` + htmlText(fr["reason."+c.reason]) + `</strong></p>`
			if !strings.Contains(body, want) {
				t.Fatalf("%s: no French error beside %s (%s):\n%s", c.name, c.field, want, body)
			}
			if !strings.Contains(body, `id="grant-email" name="email"`) || !strings.Contains(body, `value="`+c.email+`"`) ||
				!strings.Contains(body, `<option value="staff" selected>`) {
				t.Fatalf("%s: the grant form is not refilled:\n%s", c.name, body)
			}
			if strings.Contains(body, `id="revoke-email" name="email" dir="ltr" autocomplete="off" value="`+c.email) {
				t.Fatalf("%s: the revocation form was refilled with the grant's address", c.name)
			}
			if after := s.head(); after != before {
				t.Fatalf("%s: the log moved %d → %d", c.name, before, after)
			}
		}
	})

	t.Run("ForgedForm", func(t *testing.T) {
		before := s.quietHead()
		f := grantForm(clerkEmail, "staff", "50910113")
		f.Del("csrf")
		if code, _, _ := admin.do("POST", "/admin/users/grant", f); code != http.StatusForbidden {
			t.Fatalf("a grant without CSRF token: %d, want 403", code)
		}
		f.Set("csrf", "forged")
		if code, _, _ := admin.do("POST", "/admin/users/grant", f); code != http.StatusForbidden {
			t.Fatalf("a grant with a forged CSRF token: %d, want 403", code)
		}
		if after := s.head(); after != before {
			t.Fatalf("a forged form moved the log %d → %d", before, after)
		}
	})

	t.Run("OthersCannot", func(t *testing.T) {
		staff := newBrowserless(t, s.base)
		if code, _ := s.oidcSignIn(staff, "/", "clerk-zc", "clerk-zc-pass"); code != http.StatusSeeOther {
			t.Fatalf("the provider's clerk signing in: %d", code)
		}
		citizen := codeSignIn(t, s, "hamid.resident@example.ma", 0)
		for who, b := range map[string]*browserless{"staff": staff, "citizen": citizen} {
			if code, _, body := b.do("GET", "/admin/users", nil); code != http.StatusForbidden || strings.Contains(body, `action="/admin/users/grant"`) {
				t.Fatalf("%s opens the admin page: %d", who, code)
			}
			before := s.quietHead()
			// With the form token of their own session: the page, and the
			// API behind it, refuse.
			f := url.Values{"csrf": {b.csrf("/open-data")}, "email": {who + ".self@example.ma"}, "role": {"admin"}}
			if code, _, _ := b.do("POST", "/admin/users/grant", f); code != http.StatusForbidden {
				t.Fatalf("%s grants: %d, want 403", who, code)
			}
			if after := s.head(); after != before {
				t.Fatalf("%s's grant moved the log %d → %d", who, before, after)
			}
		}
		visitor := newBrowserless(t, s.base)
		if code, loc, _ := visitor.do("GET", "/admin/users", nil); code != http.StatusSeeOther || loc != "/signin?next=/admin/users" {
			t.Fatalf("a visitor on the admin page: %d → %q, want sign-in and back", code, loc)
		}
		before := s.quietHead()
		f := url.Values{"csrf": {visitor.csrf("/signin")}, "email": {"visitor@example.ma"}, "role": {"admin"}}
		if code, loc, _ := visitor.do("POST", "/admin/users/grant", f); code != http.StatusSeeOther || loc != "/signin?next=/admin/users" {
			t.Fatalf("a visitor's grant: %d → %q, want sign-in", code, loc)
		}
		if after := s.head(); after != before {
			t.Fatalf("a visitor's grant moved the log %d → %d", before, after)
		}
	})

	var grantedAt uint64
	t.Run("GrantAndSignIn", func(t *testing.T) {
		before := s.quietHead()
		code, loc, body := admin.do("POST", "/admin/users/grant", grantForm("Leila.Clerk@Example.MA", "staff", "50910113"))
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/users?") {
			t.Fatalf("the grant: %d → %q\n%s", code, loc, body)
		}
		u, _ := url.Parse(loc)
		grantedAt = uint64(atoiOr(u.Query().Get("at")))
		if grantedAt <= before || u.Query().Get("ok") != "granted" {
			t.Fatalf("the grant's redirect %q (log was at %d)", loc, before)
		}
		_, _, list := admin.do("GET", loc+"&lang=en", nil)
		row := `<tr><th scope="row"><code dir="ltr">` + clerkKey + `</code></th><td>council staff</td><td><bdi>50910113</bdi></td></tr>`
		if !strings.Contains(list, row) {
			t.Fatalf("the grant is not listed by user key (%s):\n%s", row, list)
		}
		if strings.Contains(strings.ToLower(list), "leila") {
			t.Fatal("the admin page shows the granted address")
		}
		clerk := codeSignIn(t, s, clerkEmail, 0)
		if _, loc, _ := clerk.do("GET", "/desk", nil); loc != "/communes/50910113/desk" {
			t.Fatalf("the granted clerk's /desk goes to %q, want her council's desk", loc)
		}
		// Granting it again is refused beside the role, and records nothing.
		before = s.quietHead()
		code, _, body = admin.do("POST", "/admin/users/grant?lang=en", grantForm(clerkEmail, "staff", "50910113"))
		if code != http.StatusConflict || !strings.Contains(body, `id="grant-role-error"`) {
			t.Fatalf("the same grant again: %d\n%s", code, body)
		}
		if after := s.head(); after != before {
			t.Fatalf("the repeated grant moved the log %d → %d", before, after)
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		f := url.Values{"csrf": {tok}, "email": {clerkEmail}, "role": {"staff"}, "council": {"50910113"}, "reason": {"mutée à Fès"}}
		code, loc, body := admin.do("POST", "/admin/users/revoke", f)
		if code != http.StatusSeeOther || !strings.Contains(loc, "ok=revoked") {
			t.Fatalf("the revocation: %d → %q\n%s", code, loc, body)
		}
		if _, _, list := admin.do("GET", loc, nil); strings.Contains(list, clerkKey) {
			t.Fatal("the revoked grant is still listed")
		}
		before := s.quietHead()
		code, _, body = admin.do("POST", "/admin/users/revoke?lang=en", f)
		if code != http.StatusNotFound || !strings.Contains(body, `id="revoke-role-error"`) || !strings.Contains(body, "mutée à Fès") {
			t.Fatalf("revoking nothing: %d (want 404 beside the role, reason refilled)\n%s", code, body)
		}
		if after := s.head(); after != before {
			t.Fatalf("revoking nothing moved the log %d → %d", before, after)
		}
	})

	t.Run("InTheLog", func(t *testing.T) {
		s.stop()
		reg := newRegistry()
		var granted, revoked bool
		for _, ev := range readEvents(t, s.env) {
			if strings.Contains(strings.ToLower(string(ev.Payload)), "leila") {
				t.Fatalf("the clerk's address in clear in event %s", ev.Type)
			}
			p, err := reg.DecodeEvent(&ev)
			if err != nil {
				t.Fatal(err)
			}
			switch p := p.(type) {
			case *identityeventsv1.RoleGranted:
				if ev.Position == grantedAt-1 || ev.Position == grantedAt {
					granted = granted || (p.GetRole() == "staff" && p.GetCouncil() == "50910113" && strings.HasSuffix(ev.Stream, clerkKey))
				}
			case *identityeventsv1.RoleRevoked:
				revoked = revoked || (p.GetRole() == "staff" && p.GetReason() == "mutée à Fès" && strings.HasSuffix(ev.Stream, clerkKey))
			}
		}
		if !granted || !revoked {
			t.Fatalf("in the log: the page's grant %v, its revocation %v", granted, revoked)
		}
	})
}

// htmlText is s as html/template writes it in a page.
func htmlText(s string) string { return html.EscapeString(s) }

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
