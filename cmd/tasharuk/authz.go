package main

import (
	"context"
	"io"

	"github.com/tasharuk/tasharuk/access"
)

// runAuthzMatrix prints the authorization matrix: every RPC against every
// role.
func runAuthzMatrix(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("authz matrix", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("authz matrix", "unexpected argument %q", fs.Arg(0))
	}
	access.DefaultPolicy().Print(stdout)
	return nil
}
