package access_test

import (
	"testing"

	"github.com/tasharuk/tasharuk/access"
	identity "github.com/tasharuk/tasharuk/services/identity/domain"
)

type grants map[string][]identity.Grant

func (g grants) RolesOf(subject string) []identity.Grant { return g[subject] }

// An account's grants become the principals it may act as; a grant that
// access cannot honour (an unknown role, staff without a council, a
// citizen grant) gives none.
func TestGrantedPrincipals(t *testing.T) {
	src := grants{"code-email-1": {{Role: "staff", Council: "50910113"}, {Role: "admin"}, {Role: "mayor"}, {Role: "staff"}, {Role: "citizen"}}}
	got := access.GrantedPrincipals(src, "code-email-1")
	want := []access.Principal{{Subject: "code-email-1", Role: access.RoleStaff, Council: "50910113"}, {Subject: "code-email-1", Role: access.RoleAdmin}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("GrantedPrincipals = %v, want %v", got, want)
	}
	if got := access.GrantedPrincipals(src, "someone"); len(got) != 0 {
		t.Fatalf("an account without grants: %v", got)
	}
}
