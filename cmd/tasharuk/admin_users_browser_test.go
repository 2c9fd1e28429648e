package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
)

// TestWebAdminGrantsBrowser in Chromium, in Arabic and French: a visitor
// opening /admin/users is sent to sign-in and, signed in by email code as
// an administrator, back to the page; axe-core finds no violation on the
// page, on a refusal (an unknown council, its message beside the field
// in the reader's language) nor on the list after a grant.
func TestWebAdminGrantsBrowser(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := startSigninEnv(t, clock)
	ids := identityv1.NewIdentityServiceClient(s.conn)
	bootstrap := s.token(access.RoleAdmin, "", "admin-bootstrap")
	for _, lang := range []string{"ar", "fr"} {
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			email := "admin." + lang + "@example.ma"
			g, err := ids.GrantRole(as(bootstrap), &identityv1.GrantRoleRequest{Account: &identityv1.Account{Email: email}, Role: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			if code, body := s.rest(http.MethodGet, "/v1/communes/50910113/status?minPosition="+uitoa(g.GetLogPosition()), "", nil, nil); code != http.StatusOK {
				t.Fatalf("waiting for the grant: %d %s", code, body)
			}
			b := newBrowser(t, s.base, shots, axe, lang)
			b.open("/admin/users?lang=" + lang)
			if loc := b.location(); loc != "/signin" {
				t.Fatalf("a visitor on /admin/users is at %s, want the sign-in page", loc)
			}
			b.do("type the address", chromedp.SetValue(chromedp.ID("email"), email))
			b.submit("ask a code", "#email-submit")
			b.do("type the code", chromedp.SetValue(chromedp.ID("code"), s.mp.Code(t, email, 0)))
			b.submit("enter the code", "#code-submit")
			if loc := b.location(); loc != "/admin/users" {
				t.Fatalf("after sign-in at %s, want back on /admin/users", loc)
			}
			if got := b.text("h1"); got != msg["admin.title"] {
				t.Fatalf("heading %q, want %q", got, msg["admin.title"])
			}
			b.shot("admin_users")
			b.noViolations("admin_users")

			clerk := "clerk." + lang + "@example.ma"
			b.do("fill the grant", chromedp.SetValue(chromedp.ID("grant-email"), clerk),
				chromedp.SetValue(chromedp.ID("grant-role"), "staff"), chromedp.SetValue(chromedp.ID("grant-council"), "99999999"))
			resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("#grant-form button[type=submit]")))
			if err != nil || resp.Status != http.StatusNotFound {
				t.Fatalf("an unknown council: %v %v, want 404", resp, err)
			}
			if got := b.text("#grant-council-error"); got != msg["reason.COUNCIL_NOT_FOUND"] {
				t.Fatalf("beside the council %q, want %q", got, msg["reason.COUNCIL_NOT_FOUND"])
			}
			b.shot("admin_users-error")
			b.noViolations("admin_users-error")

			b.do("fix the council", chromedp.SetValue(chromedp.ID("grant-council"), "50910113"))
			b.submit("grant", "#grant-form button[type=submit]")
			if got := b.text("#flash"); got != msg["flash.granted"] {
				t.Fatalf("flash %q, want %q", got, msg["flash.granted"])
			}
			if got := b.text("#grants"); !strings.Contains(got, "50910113") || strings.Contains(got, clerk) {
				t.Fatalf("the grants listed: %q", got)
			}
			b.shot("admin_users-list")
			b.noViolations("admin_users-list")
		})
	}
}
