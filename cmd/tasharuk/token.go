package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/access"
)

const tokenUsage = `tasharuk token: issue and check API bearer tokens.

Usage:
  tasharuk token issue --role ROLE [--council CODE] [--subject NAME] [--ttl 24h] [--data-dir ./data]
  tasharuk token verify TOKEN [--data-dir ./data]

Tokens are signed with the key in <data-dir>/keys/token-signing.key, which
issue creates the first time. Roles: citizen, staff, advisory, auditor,
admin; staff and advisory need --council.
`

// runToken runs `tasharuk token issue|verify`.
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: say what to do: tasharuk token issue|verify")
	}
	switch args[0] {
	case "issue":
		return runTokenIssue(args[1:], stdout, stderr)
	case "verify":
		return runTokenVerify(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		return fmt.Errorf("token: unknown subcommand %q: want issue or verify", args[0])
	}
}

// runTokenIssue prints a new token, and nothing else, on stdout.
func runTokenIssue(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token issue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "role of the token: citizen, staff, advisory, auditor or admin (required)")
	council := fs.String("council", "", "code of the council the holder acts for, e.g. 50910101 (required for staff and advisory)")
	subject := fs.String("subject", "", "who the token is for, recorded on events (default ROLE-COUNCIL); a pseudonym, not a name")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	dataDir := fs.String("data-dir", "./data", "data folder holding the signing key (created if missing)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token issue: unexpected argument %q", fs.Arg(0))
	}
	if *role == "" {
		return errors.New("token issue: --role is required")
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("token issue: %w", err)
	}
	if (r == access.RoleStaff || r == access.RoleAdvisory) && *council == "" {
		return fmt.Errorf("token issue: role %s acts for one council: give --council CODE", r)
	}
	if *subject == "" {
		*subject = string(r)
		if *council != "" {
			*subject += "-" + *council
		}
	}
	key, err := access.LoadOrCreateKey(*dataDir)
	if err != nil {
		return fmt.Errorf("token issue: %w", err)
	}
	p := access.Principal{Subject: *subject, Role: r, Council: *council}
	tok, err := access.NewIssuer(key, "").Issue(p, *ttl, time.Now())
	if err != nil {
		return fmt.Errorf("token issue: %w", err)
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// runTokenVerify checks a token against the data folder's key and prints
// its principal. It never creates a key: a missing key is an error.
func runTokenVerify(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("token verify", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dataDir := fset.String("data-dir", "./data", "data folder holding the signing key")
	// The token may come before or after the flags.
	var token string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		token, args = args[0], args[1:]
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	rest := fset.Args()
	if token == "" && len(rest) > 0 {
		token, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return fmt.Errorf("token verify: unexpected argument %q", rest[0])
	}
	if token == "" {
		return errors.New("token verify: give the token: tasharuk token verify TOKEN")
	}
	key, err := access.LoadKey(*dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token verify: no signing key in %s (tokens are issued with tasharuk token issue)", *dataDir)
	}
	if err != nil {
		return fmt.Errorf("token verify: %w", err)
	}
	p, err := access.NewIssuer(key, "").Verify(token, time.Now())
	if err != nil {
		return fmt.Errorf("token verify: %w", err)
	}
	council := p.Council
	if council == "" {
		council = "(none)"
	}
	_, err = fmt.Fprintf(stdout, "subject: %s\nrole:    %s\ncouncil: %s\n", p.Subject, p.Role, council)
	return err
}
