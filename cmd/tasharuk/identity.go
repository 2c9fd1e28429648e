package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/privacy"
	iapp "github.com/tasharuk/tasharuk/services/identity/app"
	irm "github.com/tasharuk/tasharuk/services/identity/readmodel"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
	"github.com/tasharuk/tasharuk/web"
)

// logCouncils says whether a council is registered by reading its stream:
// a grant must not name a council the log does not hold, even one
// registered a moment ago.
type logCouncils struct {
	store eventstore.Store
	reg   *es.Registry
}

func (c logCouncils) CouncilExists(ctx context.Context, code string) (bool, error) {
	_, _, exists, err := tapp.LoadCouncil(ctx, c.store, c.reg, code)
	return exists, err
}

// identityService wires the identity commands.
func identityService(store eventstore.Store, reg *es.Registry, keys *privacy.Keys, persons iapp.ContactKeys, now func() time.Time) *iapp.Service {
	return &iapp.Service{Store: store, Registry: reg, Keys: keys, Persons: persons, Councils: logCouncils{store, reg}, Now: now}
}

// verifiedContacts records on an account the address a sign-in code
// proved (signin.ContactRecorder). A failure leaves the sign-in done and
// is logged without the address; the next sign-in tries again.
type verifiedContacts struct {
	identity *iapp.Service
	logger   *slog.Logger
}

func (v *verifiedContacts) RecordVerifiedContact(ctx context.Context, kind, address string) {
	if v.identity == nil {
		return
	}
	recorded, err := v.identity.RecordVerifiedContact(ctx, kind, address)
	switch {
	case err != nil:
		v.logger.Warn("the verified contact of a code sign-in was not recorded", "kind", kind, "error", err)
	case recorded:
		v.logger.Info("contact detail recorded for an account that signed in by code", "kind", kind)
	}
}

// grantsOf gives web sign-in the roles administrators granted
// (signin.Grants), from the identity read model. A session acts in one
// role: an account holding several signs in with the first of
// access.GrantedPrincipals (by role name, then council).
type grantsOf struct{ roles *irm.Roles }

func (g grantsOf) Granted(_ context.Context, subject string) (access.Principal, bool, error) {
	ps := access.GrantedPrincipals(g.roles, subject)
	if len(ps) == 0 {
		return access.Principal{}, false, nil
	}
	return ps[0], true, nil
}

// openPersonKeys opens the master key (which must exist: a new one would
// name nobody) and the key store, for the commands that seal or erase
// personal data with the service stopped.
func openPersonKeys(ctx context.Context, ls *logStore, sc storeConfig, what string) (*privacy.Keys, *privacy.KeyStore, error) {
	if os.Getenv(privacy.MasterKeyEnv) == "" {
		if _, err := os.Stat(filepath.Join(sc.KeysDir, privacy.MasterKeyFile)); err != nil {
			return nil, nil, fmt.Errorf("%s: the master key: %w (give serve's --keys-dir, or %s; start serve once to create it); nothing was recorded", what, err, privacy.MasterKeyEnv)
		}
	}
	keys, err := privacy.LoadKeys(sc.KeysDir)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(ls.NATS.Conn())
	if err != nil {
		return nil, nil, err
	}
	ks, err := privacy.OpenKeyStore(ctx, ls.NATS.Conn(), js, "TASHARUK_PERSON_KEYS", ls.NATS.Replicas(), keys)
	if err != nil {
		return nil, nil, err
	}
	return keys, ks, nil
}

func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, byPath["users"], args, stdout, stderr)
}

// runUsersAdd: tasharuk users add --role ROLE [--council CODE] (--email E | --phone P | --subject S).
func runUsersAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGrant(ctx, "users add", args, stdout, stderr, false)
}

// runUsersRevoke: tasharuk users revoke --role ROLE [--council CODE] (--email E | --phone P | --subject S) [--reason R].
func runUsersRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGrant(ctx, "users revoke", args, stdout, stderr, true)
}

func runGrant(ctx context.Context, name string, args []string, stdout, stderr io.Writer, revoke bool) error {
	fs := newFlagSet(name, stderr)
	var sc storeConfig
	sc.register(fs, storeWrite)
	role := fs.String("role", "", "staff, advisory, auditor or admin")
	council := fs.String("council", "", "code of the council the role acts for (staff and advisory)")
	email := fs.String("email", "", "the account's email (one-time codes); recorded sealed, never in clear")
	phone := fs.String("phone", "", "the account's phone number, +country code (one-time codes by SMS); recorded sealed")
	subject := fs.String("subject", "", "the account's subject at the identity provider")
	reason := new(string)
	if revoke {
		reason = fs.String("reason", "", "why the role is revoked")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef(name, "unexpected argument %q", fs.Arg(0))
	}
	if *role == "" {
		return usagef(name, "--role is required")
	}
	if err := sc.resolveKeys(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := sc.requireLog(false); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ls, err := openQuiet(ctx, sc, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	keys, ks, err := openPersonKeys(ctx, ls, sc, name)
	if err != nil {
		return err
	}
	defer ks.Close()
	svc := identityService(ls.Log, newRegistry(), keys, ks, time.Now)
	acc := iapp.Account{Email: *email, Phone: *phone, Subject: *subject}
	var key string
	if revoke {
		key, _, err = svc.RevokeRole(ctx, cliActor(), iapp.Revocation{Account: acc, Role: *role, Council: *council, Reason: *reason})
	} else {
		key, _, err = svc.GrantRole(ctx, cliActor(), iapp.Grant{Account: acc, Role: *role, Council: *council})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	verb := "granted"
	if revoke {
		verb = "revoked"
	}
	where := ""
	if *council != "" {
		where = " for council " + *council
	}
	fmt.Fprintf(stdout, "%s: role %s%s, account %s\n", verb, *role, where, iapp.UserName(key))
	return nil
}

// errNoPerson is returned by privacy erase given nobody to erase.
var errNoPerson = errors.New("name the person: --council with --national-id, and/or --email or --phone; or --information-request for a requester of information, or --document for a sealed document")

// grantsInForce lists the grants in force for the administrator's page
// (user keys, never addresses).
func grantsInForce(roles *irm.Roles, wait func(context.Context, uint64) error) func(context.Context, uint64) ([]web.Grant, error) {
	return func(ctx context.Context, minPos uint64) ([]web.Grant, error) {
		err := wait(ctx, minPos)
		var out []web.Grant
		for _, g := range roles.InForce() {
			out = append(out, web.Grant{UserKey: g.UserKey, Role: g.Role, Council: g.Council})
		}
		return out, err
	}
}
