package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/access/oidc"
	"github.com/tasharuk/tasharuk/internal/session"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/web"
	"github.com/tasharuk/tasharuk/web/signin"
)

// signinConfig is how people sign in to the web pages: through the
// council's OpenID provider (--oidc-issuer with a client id), with a
// one-time code by email (--smtp-url) or SMS (--sms-gateway-url), or both.
type signinConfig struct {
	ClientID, ClientSecret, ClientSecretFile, RedirectURL string

	SMTPURL, SMTPFrom, SMSGatewayURL string

	SessionIdle, SessionMaxAge time.Duration
	// TokenSignIn offers the form that signs in with a pasted API token
	// (operators, tests): never needed by people.
	TokenSignIn bool
}

func (sc *signinConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&sc.ClientID, "oidc-client-id", "", "web sign-in through --oidc-issuer: tasharuk's client id at the provider (authorization code flow with PKCE)")
	fs.StringVar(&sc.ClientSecret, "oidc-client-secret", "", "the client's secret (prefer --oidc-client-secret-file: flags show in the process list)")
	fs.StringVar(&sc.ClientSecretFile, "oidc-client-secret-file", "", "file holding the client's secret")
	fs.StringVar(&sc.RedirectURL, "oidc-redirect-url", "", "this site's callback as registered at the provider: https://HOST/signin/oidc/callback")
	fs.StringVar(&sc.SMTPURL, "smtp-url", "", "sign-in by email code: smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (implicit TLS)")
	fs.StringVar(&sc.SMTPFrom, "smtp-from", "", "sender address of the sign-in codes (\"tasharuk <no-reply@commune.ma>\")")
	fs.StringVar(&sc.SMSGatewayURL, "sms-gateway-url", "", "sign-in by SMS code: gateway URL receiving a JSON POST {\"to\": \"+212…\", \"message\": \"…\"}")
	fs.DurationVar(&sc.SessionIdle, "session-idle", session.DefaultIdle, "a web session ends after this long without use")
	fs.DurationVar(&sc.SessionMaxAge, "session-max-age", session.DefaultAbsolute, "a web session ends this long after sign-in, used or not")
	fs.BoolVar(&sc.TokenSignIn, "web-token-signin", false, "also offer sign-in with a pasted API token on the web pages (operators; people sign in with the provider or a code)")
}

// signinWeb builds the web pages' sign-in parts: sessions, the token
// issuer they act with, the OpenID relying party and the code sender.
func signinWeb(ctx context.Context, cfg config, tokenKey []byte, keys *privacy.Keys, grants signin.Grants, contacts signin.ContactRecorder, now func() time.Time, logger *slog.Logger) (web.Config, error) {
	sc := cfg.SignIn
	wc := web.Config{
		Sessions:    session.New(session.Options{Idle: sc.SessionIdle, Absolute: sc.SessionMaxAge, Now: now}),
		Tokens:      access.NewIssuer(tokenKey, access.DefaultIssuer),
		TokenSignIn: sc.TokenSignIn,
	}
	if sc.ClientID != "" {
		if cfg.OIDC.Issuer == "" {
			return web.Config{}, errors.New("--oidc-client-id needs --oidc-issuer")
		}
		secret := sc.ClientSecret
		if sc.ClientSecretFile != "" {
			b, err := os.ReadFile(sc.ClientSecretFile)
			if err != nil {
				return web.Config{}, fmt.Errorf("--oidc-client-secret-file: %w", err)
			}
			secret = strings.TrimSpace(string(b))
		}
		if sc.RedirectURL == "" {
			return web.Config{}, errors.New("--oidc-client-id needs --oidc-redirect-url (https://HOST/signin/oidc/callback)")
		}
		rp, err := signin.NewOIDC(ctx, signin.OIDCConfig{Issuer: cfg.OIDC.Issuer, ClientID: sc.ClientID, ClientSecret: secret,
			// The provider's ID tokens are checked against the real clock
			// (they carry the provider's times), as its bearer tokens are.
			RedirectURL: sc.RedirectURL, Claims: claimsOf(cfg.OIDC), NationalIDClaim: cfg.OIDC.NationalIDClaim, Grants: grants})
		if err != nil {
			return web.Config{}, err
		}
		wc.OIDC = rp
		logger.Info("web sign-in through the OpenID provider", "issuer", cfg.OIDC.Issuer, "client_id", sc.ClientID)
	}
	var cc signin.CodesConfig
	if sc.SMTPURL != "" {
		s, err := signin.NewSMTP(sc.SMTPURL, sc.SMTPFrom)
		if err != nil {
			return web.Config{}, err
		}
		cc.Email = s
		logger.Info("web sign-in by email code", "smtp_host", hostOf(sc.SMTPURL))
	}
	if sc.SMSGatewayURL != "" {
		g, err := signin.NewSMSGateway(sc.SMSGatewayURL)
		if err != nil {
			return web.Config{}, err
		}
		cc.SMS = g
		logger.Info("web sign-in by SMS code", "gateway_host", hostOf(sc.SMSGatewayURL))
	}
	if cc.Email != nil || cc.SMS != nil {
		cc.Hash, cc.Now, cc.Grants, cc.Contacts = keys.AccountKey, now, grants, contacts
		codes, err := signin.NewCodes(cc)
		if err != nil {
			return web.Config{}, err
		}
		wc.Codes = codes
	}
	return wc, nil
}

// claimsOf is the claim mapping of the bearer tokens' verifier, used for
// the ID tokens of web sign-in too.
func claimsOf(oc oidc.Config) oidc.ClaimMap { return oc.Claims() }

// hostOf is a URL's host, for the logs (never its credentials).
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}
