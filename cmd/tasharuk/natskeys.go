package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
)

// natsKeyEnv names the environment variable through which
// deploy/nats/cluster.conf receives each user's public key.
var natsKeyEnv = map[string]string{
	natsstore.UserService:       "TASHARUK_NATS_SERVICE_KEY",
	natsstore.UserFeedPublisher: "TASHARUK_NATS_FEED_PUBLISHER_KEY",
	natsstore.UserFeed:          "TASHARUK_NATS_FEED_KEY",
	natsstore.UserOperator:      "TASHARUK_NATS_OPERATOR_KEY",
}

// runNATSKeys: `tasharuk nats keys` creates the NATS users' NKey seeds in the
// keys folder (if missing; the embedded server does the same on its first
// start with --nats-listen) and prints their public keys as the
// environment lines deploy/nats/cluster.conf expects. Public keys are not
// secrets; the seeds (0600 files) stay where they are.
func runNATSKeys(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("nats keys", stderr)
	var dataDir, keysFlag string
	registerDirs(fs, &dataDir, &keysFlag, "data folder whose keys/ holds the seeds (unless --keys-dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("nats keys", "unexpected argument %q", fs.Arg(0))
	}
	dir, err := keysDir(keysFlag, dataDir)
	if err != nil {
		return fmt.Errorf("nats keys: %w", err)
	}
	pubs, err := natsstore.EnsureUsers(dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, u := range natsstore.Users {
		fmt.Fprintf(&b, "# %s: seed in %s\n%s=%s\n", u, natsstore.SeedFile(dir, u), natsKeyEnv[u], pubs[u])
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
