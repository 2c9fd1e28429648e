// Package access decides who may call which RPC of the tasharuk API.
//
// Callers prove who they are with a short-lived HS256 token (see Issuer);
// what each role may do is one declarative table (see Policy and
// DefaultPolicy); the gRPC interceptors join the two and put the caller's
// Principal in the request context for the handlers, which record it on
// the events they append (see Actor).
package access

import "fmt"

// Role is what a caller acts as.
type Role string

// The roles a token can carry.
const (
	// RoleCitizen is a resident, a civil-society association or the agent
	// of a petition's signatories.
	RoleCitizen Role = "citizen"
	// RoleStaff is a clerk of one council's services or bureau.
	RoleStaff Role = "staff"
	// RoleAdvisory is a member of one council's advisory bodies (the
	// equity, equal opportunities and gender approach body).
	RoleAdvisory Role = "advisory"
	// RoleInformation is one council's designated official for access to
	// information (law 31-13 art. 12): registers requests, extends, answers
	// and refuses them, and keeps the publication register.
	RoleInformation Role = "information"
	// RoleModerator screens one council's petitions before they collect
	// online signatures (excluded subjects, the council's powers,
	// insulting or personal content).
	RoleModerator Role = "moderator"
	// RoleAuditor reviews records without acting on them.
	RoleAuditor Role = "auditor"
	// RoleAdmin runs the installation: registers councils and their
	// populations, and is never limited to one council.
	RoleAdmin Role = "admin"
)

// Roles returns every role, in a fixed order.
func Roles() []Role {
	return []Role{RoleCitizen, RoleStaff, RoleAdvisory, RoleAuditor, RoleAdmin, RoleInformation, RoleModerator}
}

// ParseRole returns the role named s, exactly as spelled by the constants.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("access: unknown role %q (want citizen, staff, advisory, auditor, admin, information or moderator)", s)
}

// councilBound reports whether the role acts for exactly one council, so
// that its tokens name a council and scoped rules check it.
func (r Role) councilBound() bool {
	return r.CouncilBound()
}

// CouncilBound reports whether the role acts for exactly one council
// (staff, advisory, information, moderator): its tokens must name that council.
func (r Role) CouncilBound() bool {
	return r == RoleStaff || r == RoleAdvisory || r == RoleInformation || r == RoleModerator
}
