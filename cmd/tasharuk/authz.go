package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tasharuk/tasharuk/access"
)

// runAuthz prints the authorization matrix: every RPC against every role.
func runAuthz(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) != 1 || args[0] != "matrix" {
		return fmt.Errorf("authz: usage: tasharuk authz matrix")
	}
	access.DefaultPolicy().Print(stdout)
	return nil
}
