package access

import (
	"fmt"
	"slices"
	"strings"
)

// Rule says who may call one method.
type Rule struct {
	// Public methods may be called by anyone, with or without a token;
	// Roles and Scoped are then ignored.
	Public bool
	// Roles may call the method; any other role, or an anonymous caller,
	// may not.
	Roles []Role
	// Scoped methods act on one council, named by the request's resource
	// name ("communes/{code}/..."). The scope is checked only for the
	// council-bound roles, staff and advisory: their token's council must
	// be the request's council, and a request naming no council is
	// refused. Admins act on every council, and citizens are never
	// scope-checked: a resident may petition any council.
	Scoped bool
}

// allows reports whether role is one of the rule's roles.
func (r Rule) allows(role Role) bool {
	return slices.Contains(r.Roles, role)
}

// Policy is the authorization table: one rule per full gRPC method name,
// such as "/tasharuk.petitions.v1.PetitionService/SignPetition". A method
// without a row is refused to everyone, so a new RPC is unreachable until
// it is given one.
type Policy map[string]Rule

// Methods returns the methods of the table, sorted.
func (p Policy) Methods() []string {
	ms := make([]string, 0, len(p))
	for m := range p {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return ms
}

// Check returns nil when principal may call method with req, or else a
// gRPC status error: Unauthenticated (reason UNAUTHENTICATED) for an
// anonymous caller (nil principal) of a non-public method, PermissionDenied
// (reason PERMISSION_DENIED) otherwise. req is the request message; for
// scoped rules its council is read from GetName() or GetParent().
func (p Policy) Check(method string, principal *Principal, req any) error {
	rule, ok := p[method]
	if !ok {
		return permissionDenied("method not in the authorization table", map[string]string{"method": method})
	}
	if rule.Public {
		return nil
	}
	if principal == nil {
		return unauthenticated(fmt.Sprintf("%s needs a bearer token", shortMethod(method)))
	}
	if !rule.allows(principal.Role) {
		return permissionDenied(
			fmt.Sprintf("%s needs role %s; the token's role is %s", shortMethod(method), roleList(rule.Roles), principal.Role),
			map[string]string{"method": method, "role": string(principal.Role)})
	}
	if !rule.Scoped || !principal.Role.councilBound() {
		return nil
	}
	resource, code, ok := councilOf(req)
	if !ok {
		return permissionDenied(
			fmt.Sprintf("%s of council %s: the request names no council", principal.Role, principal.Council),
			map[string]string{"method": method, "role": string(principal.Role)})
	}
	if code != principal.Council {
		return permissionDenied(
			fmt.Sprintf("%s of council %s cannot act on %s", principal.Role, principal.Council, resource),
			map[string]string{"method": method, "role": string(principal.Role), "council": resource})
	}
	return nil
}

// councilOf returns the council a request acts on, from its name or parent
// field: the resource ("communes/50910101") and its code ("50910101").
func councilOf(req any) (resource, code string, ok bool) {
	var name string
	switch r := req.(type) {
	case interface{ GetName() string }:
		name = r.GetName()
	case interface{ GetParent() string }:
		name = r.GetParent()
	default:
		return "", "", false
	}
	return parseCouncil(name)
}

// parseCouncil reads the council from the first two segments of a
// resource name: "communes/{code}", "provinces/{code}" or
// "regions/{code}", followed by nothing or by "/...".
func parseCouncil(name string) (resource, code string, ok bool) {
	level, rest, found := strings.Cut(name, "/")
	if !found {
		return "", "", false
	}
	switch level {
	case "communes", "provinces", "regions":
	default:
		return "", "", false
	}
	code, _, _ = strings.Cut(rest, "/")
	if code == "" {
		return "", "", false
	}
	return level + "/" + code, code, true
}

// shortMethod returns "SignPetition" for
// "/tasharuk.petitions.v1.PetitionService/SignPetition".
func shortMethod(method string) string {
	return method[strings.LastIndex(method, "/")+1:]
}

// roleList returns "staff", "citizen or staff", "citizen, staff or admin".
func roleList(roles []Role) string {
	if len(roles) == 0 {
		return "(none)"
	}
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
