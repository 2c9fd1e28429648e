package oidc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tasharuk/tasharuk/access"
)

// Chain verifies a token with tasharuk's own issuer first, then with the
// OIDC provider. Either may be nil. Its Verify has the shape of
// access.Issuer's, plus a context for the provider's key set.
type Chain struct {
	Local *access.Issuer
	OIDC  *Verifier
}

// Verify returns the principal of token as of now. A refusal wraps
// access.ErrInvalidToken; when both verifiers refuse, the error is the one
// of the verifier the token was meant for: the built-in issuer for an
// HMAC-signed token (never sent to the provider's verifier), the provider's
// otherwise.
func (c Chain) Verify(ctx context.Context, token string, now time.Time) (access.Principal, error) {
	if c.Local == nil && c.OIDC == nil {
		return access.Principal{}, fmt.Errorf("%w: no token verifier configured", access.ErrInvalidToken)
	}
	var localErr error
	if c.Local != nil {
		p, err := c.Local.Verify(token, now)
		if err == nil {
			return p, nil
		}
		localErr = err
		if c.OIDC == nil || isHMAC(token) {
			return access.Principal{}, localErr
		}
	}
	return c.OIDC.verify(ctx, token, now)
}

// isHMAC reports whether token's unverified header names an HMAC
// algorithm: such a token can only be the built-in issuer's.
func isHMAC(token string) bool {
	t, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		return false
	}
	alg, _ := t.Header["alg"].(string)
	return strings.HasPrefix(alg, "HS")
}

// VerifyToken makes a Chain an access.TokenVerifier.
func (c Chain) VerifyToken(ctx context.Context, token string, now time.Time) (access.Principal, error) {
	return c.Verify(ctx, token, now)
}
