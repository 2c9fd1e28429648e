package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tasharuk/tasharuk/eventstore"
)

// Principal is an authenticated caller.
type Principal struct {
	// Subject identifies the caller; it is recorded on events, so it is a
	// pseudonymous id, not a name or a national identity card number.
	Subject string
	Role    Role
	// Council is the code of the council the caller acts for, e.g.
	// "50910101"; empty for none. Staff and advisory members have one.
	Council string
	// Via says how a person signed in to the web pages whose session the
	// token stands for: "oidc" (the council's provider), "email_code" or
	// "sms_code" (a one-time code to a verified address); empty for a
	// token issued to a machine client or the CLI. (What assurance level a
	// signature gets is read from it.)
	Via string
	// NationalID is the national ID number the caller's identity provider
	// asserts (the claim oidc.Config.NationalIDClaim names), "" if none.
	// It is personal data: never recorded on events (Actor leaves it
	// out), only compared with the number a signer types.
	NationalID string
}

// validate checks what every issued or accepted token must satisfy.
func (p Principal) validate() error {
	if _, err := ParseRole(string(p.Role)); err != nil {
		return err
	}
	if strings.TrimSpace(p.Subject) == "" {
		return errors.New("access: empty subject")
	}
	// JSON would turn invalid UTF-8 into U+FFFD, so two different subjects
	// could come back as one (found by fuzzing).
	if !utf8.ValidString(p.Subject) || !utf8.ValidString(p.Council) {
		return errors.New("access: subject and council must be valid UTF-8")
	}
	if strings.ContainsAny(p.Council, "/ \t\n") {
		return fmt.Errorf("access: council %q: want a council code such as 50910101, not a resource name", p.Council)
	}
	if p.Role.councilBound() && p.Council == "" {
		return fmt.Errorf("access: role %s needs a council", p.Role)
	}
	return nil
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller carried by ctx; false for an anonymous
// caller.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Actor returns p as recorded on the events it causes.
func Actor(p Principal) eventstore.Actor {
	return eventstore.Actor{Subject: p.Subject, Role: string(p.Role), Council: p.Council}
}
