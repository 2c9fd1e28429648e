package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tasharuk/tasharuk/access"
)

const tokenLong = `Tokens are signed with <keys-dir>/token-signing.key (by default
<data-dir>/keys/token-signing.key), the key serve creates on its first
start: give issue the same --keys-dir (or TASHARUK_KEYS_DIR) as serve and
the service accepts its tokens. issue creates the key only with --create.
Roles: citizen, staff, advisory, auditor, admin, information (a council's
designated official for access to information), moderator (screens a
council's petitions before they collect signatures); staff, advisory,
information and moderator need --council.
`

// runToken runs `tasharuk token issue|verify`.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, byPath["token"], args, stdout, stderr)
}

// signingKeysDir is token's keys folder, refused in the old layout.
func signingKeysDir(cmd, dataDir, keysFlag string) (string, error) {
	k, err := keysDir(keysFlag, dataDir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", cmd, err)
	}
	return k, nil
}

// runTokenIssue prints a new token, and nothing else, on stdout.
func runTokenIssue(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token issue", stderr)
	role := fs.String("role", "", "role of the token: citizen, staff, advisory, auditor, admin, information or moderator (required)")
	council := fs.String("council", "", "code of the council the holder acts for, e.g. 50910101 (required for staff, advisory, information and moderator)")
	subject := fs.String("subject", "", "who the token is for, recorded on events (default ROLE-COUNCIL); a pseudonym, not a name")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	var dataDir, keysFlag string
	registerDirs(fs, &dataDir, &keysFlag, "data folder whose keys/ holds the signing key (unless --keys-dir)")
	create := fs.Bool("create", false, "create the signing key if the keys folder has none (serve makes it on its first start)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("token issue", "unexpected argument %q", fs.Arg(0))
	}
	if *role == "" {
		return usagef("token issue", "--role is required")
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("token issue: %w", err)
	}
	if r.CouncilBound() && *council == "" {
		return fmt.Errorf("token issue: role %s acts for one council: give --council CODE", r)
	}
	if *subject == "" {
		*subject = string(r)
		if *council != "" {
			*subject += "-" + *council
		}
	}
	dir, err := signingKeysDir("token issue", dataDir, keysFlag)
	if err != nil {
		return err
	}
	// A token signed with a key no service holds is refused by all of
	// them: a mistyped folder must not silently get a key of its own.
	var key []byte
	if *create {
		key, err = access.LoadOrCreateKey(dir)
	} else if key, err = access.LoadKey(dir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("token issue: no signing key in %s (%s): give serve's --keys-dir or --data-dir, or --create to make one; nothing was created", dir, filepath.Join(dir, access.KeyFile))
	}
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
func runTokenVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlagSet("token verify", stderr)
	var dataDir, keysFlag string
	registerDirs(fset, &dataDir, &keysFlag, "data folder whose keys/ holds the signing key (unless --keys-dir)")
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
		return usagef("token verify", "unexpected argument %q", rest[0])
	}
	if token == "" {
		return usagef("token verify", "give the token: tasharuk token verify TOKEN")
	}
	dir, err := signingKeysDir("token verify", dataDir, keysFlag)
	if err != nil {
		return err
	}
	key, err := access.LoadKey(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token verify: no signing key in %s (serve creates it on its first start)", dir)
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
