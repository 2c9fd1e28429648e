package access

import identity "github.com/tasharuk/tasharuk/services/identity/domain"

// RoleSource says which roles an administrator granted an account, from
// the grant and revocation events of the log: for a caller signed in
// without role claims (a one-time code by email or SMS), it is where
// staff, advisory members, auditors and admins get their roles. The
// identity read model (services/identity/readmodel.Roles) implements it.
type RoleSource interface {
	// RolesOf returns the grants in force for the account with this
	// subject; none for a citizen.
	RolesOf(subject string) []identity.Grant
}

// GrantedPrincipals returns the principals the account with subject may
// act as: one per grant in force whose role access knows, each carrying
// the grant's council. A session chooses one of them (a principal acts in
// one role); none means a citizen.
func GrantedPrincipals(src RoleSource, subject string) []Principal {
	var out []Principal
	for _, g := range src.RolesOf(subject) {
		role, err := ParseRole(g.Role)
		if err != nil || role == RoleCitizen {
			continue
		}
		p := Principal{Subject: subject, Role: role, Council: g.Council}
		if p.validate() != nil {
			continue
		}
		out = append(out, p)
	}
	return out
}
