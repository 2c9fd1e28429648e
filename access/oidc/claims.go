package oidc

import (
	"maps"

	"github.com/tasharuk/tasharuk/access"
)

// ClaimMap reads the tasharuk role and council from a provider's verified
// claims, the same way Verifier reads a bearer token's: the web sign-in
// uses it on ID tokens.
type ClaimMap struct {
	// RoleClaim, CouncilClaim and RoleMap mean what they mean in Config
	// (defaults "tasharuk_role" and "tasharuk_council").
	RoleClaim    string
	CouncilClaim string
	RoleMap      map[string]access.Role
}

// Claims returns the claim mapping of cfg.
func (cfg Config) Claims() ClaimMap {
	return ClaimMap{RoleClaim: cfg.RoleClaim, CouncilClaim: cfg.CouncilClaim, RoleMap: maps.Clone(cfg.RoleMap)}
}

// HasRole reports whether claims carry the role claim at all: an account
// the provider gives no role is an ordinary (citizen) account.
func (m ClaimMap) HasRole(claims map[string]any) bool {
	_, ok := claims[m.verifier().roleClaim]
	return ok
}

// Principal returns the caller the claims name, with the rules Verifier
// applies to tokens: a subject, exactly one tasharuk role, and a council
// code for staff and advisory members.
func (m ClaimMap) Principal(claims map[string]any) (access.Principal, error) {
	return m.verifier().principal(claims)
}

func (m ClaimMap) verifier() *Verifier {
	v := &Verifier{roleClaim: m.RoleClaim, councilClaim: m.CouncilClaim, roleMap: m.RoleMap}
	if v.roleClaim == "" {
		v.roleClaim = DefaultRoleClaim
	}
	if v.councilClaim == "" {
		v.councilClaim = DefaultCouncilClaim
	}
	return v
}
