package main

import (
	"context"
	"flag"
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

// runNATS: `tasharuk nats keys` creates the NATS users' NKey seeds in the
// keys folder (if missing; the embedded server does the same on its first
// start with --nats-listen) and prints their public keys as the
// environment lines deploy/nats/cluster.conf expects. Public keys are not
// secrets; the seeds (0600 files) stay where they are.
func runNATS(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "keys" {
		return fmt.Errorf("usage: tasharuk nats keys [--keys-dir DIR]")
	}
	fs := flag.NewFlagSet("nats keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("keys-dir", "./data", "folder of the keys (serve's --keys-dir, by default its --data-dir)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	pubs, err := natsstore.EnsureUsers(*dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, u := range natsstore.Users {
		fmt.Fprintf(&b, "# %s: seed in %s\n%s=%s\n", u, natsstore.SeedFile(*dir, u), natsKeyEnv[u], pubs[u])
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
