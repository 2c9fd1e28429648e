package access

import (
	"context"
	"strings"
)

// MaySeeUnpublished reports whether the caller in ctx may see a case that
// is not public yet (a petition drafted but never opened for signatures):
// its author (agent), the staff and the moderator of its council, and the
// installation's admins and auditors. To anyone else such a case does not exist, in every
// read that names it (the petition, its timeline, its audit history).
// council is the case's council resource name ("communes/50910101").
func MaySeeUnpublished(ctx context.Context, council, author string) bool {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return false
	}
	switch p.Role {
	case RoleAdmin, RoleAuditor:
		return true
	case RoleStaff, RoleModerator:
		_, code, _ := strings.Cut(council, "/")
		return p.Council != "" && p.Council == code
	}
	return author != "" && p.Subject == author
}
