package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/privacy"
)

// TestSigninConfigRefusesHalfSetups: a sign-in option given without what
// it needs stops the service at start with a message naming the flag,
// rather than serving a sign-in that cannot work.
func TestSigninConfigRefusesHalfSetups(t *testing.T) {
	keys, err := privacy.NewKeys(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		sc   signinConfig
		want string
	}{
		{signinConfig{ClientID: "web"}, "--oidc-issuer"},
		{signinConfig{SMTPURL: "smtp://127.0.0.1:1025"}, "--smtp-from"},
		{signinConfig{SMTPURL: "http://127.0.0.1:1025", SMTPFrom: "a@b.ma"}, "--smtp-url"},
		{signinConfig{SMSGatewayURL: "ftp://gateway"}, "--sms-gateway-url"},
	} {
		_, err := signinWeb(context.Background(), config{SignIn: c.sc}, make([]byte, 32), keys, nil, nil, nil, logger)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.sc, err, c.want)
		}
	}
	var cfg config
	cfg.OIDC.Issuer = "http://127.0.0.1:1"
	cfg.SignIn = signinConfig{ClientID: "web", ClientSecret: "s"}
	if _, err := signinWeb(context.Background(), cfg, make([]byte, 32), keys, nil, nil, nil, logger); err == nil || !strings.Contains(err.Error(), "--oidc-redirect-url") {
		t.Errorf("no redirect URL: %v", err)
	}
	// Nothing configured: sessions only, no provider, no codes.
	wc, err := signinWeb(context.Background(), config{}, make([]byte, 32), keys, nil, nil, nil, logger)
	if err != nil || wc.OIDC != nil || wc.Codes != nil || wc.Sessions == nil || wc.Tokens == nil {
		t.Fatalf("nothing configured: %+v %v", wc, err)
	}
}
