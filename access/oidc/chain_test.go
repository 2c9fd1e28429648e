package oidc

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tasharuk/tasharuk/access"
)

func TestChain(t *testing.T) {
	s := newRSASigner(t, "k", jwt.SigningMethodRS256)
	p := newProvider(t, s)
	v, _ := newVerifier(t, p)
	local := access.NewIssuer(bytes.Repeat([]byte("k"), access.KeySize), "")
	resident := access.Principal{Subject: "c-1", Role: access.RoleCitizen}
	localToken, err := local.Issue(resident, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	oidcToken := s.sign(t, p.claims())
	clerk := access.Principal{Subject: "f3b1c2d4-user", Role: access.RoleStaff, Council: "50910101"}
	foreign, err := access.NewIssuer(bytes.Repeat([]byte("x"), access.KeySize), "").Issue(resident, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}

	both := Chain{Local: local, OIDC: v}
	now := t0.Add(time.Minute)
	if got, err := both.Verify(ctx, localToken, now); err != nil || got != resident {
		t.Errorf("local token: %+v, %v", got, err)
	}
	if got, err := both.Verify(ctx, oidcToken, now); err != nil || got != clerk {
		t.Errorf("provider token: %+v, %v", got, err)
	}
	fetches := p.fetches.Load()
	for name, tok := range map[string]string{"foreign HS256": foreign, "garbage": "a.b.c", "empty": ""} {
		if _, err := both.Verify(ctx, tok, now); !errors.Is(err, access.ErrInvalidToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := p.fetches.Load(); n != fetches {
		t.Errorf("refused tokens fetched the key set %d times", n-fetches)
	}
	if _, err := both.Verify(ctx, oidcToken, t0.Add(2*time.Hour)); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("expired provider token: %v", err)
	}

	if _, err := (Chain{Local: local}).Verify(ctx, oidcToken, now); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("provider token without the provider: %v", err)
	}
	if got, err := (Chain{OIDC: v}).Verify(ctx, oidcToken, now); err != nil || got != clerk {
		t.Errorf("provider only: %+v, %v", got, err)
	}
	if _, err := (Chain{OIDC: v}).Verify(ctx, localToken, now); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("local token without the issuer: %v", err)
	}
	if _, err := (Chain{}).Verify(ctx, localToken, now); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("empty chain: %v", err)
	}
}
