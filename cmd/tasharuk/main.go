// Command tasharuk is the one binary of tasharuk: it serves the API and
// pages, and runs the operator's tools.
//
//	tasharuk serve     run the service (embedded NATS JetStream by default)
//	tasharuk bench     measure the event log beside the raw engine
//	tasharuk version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

const usage = `tasharuk: an event-sourced case tracker for participatory democracy.

Usage:
  tasharuk serve [flags]            run the service (see: tasharuk serve -h)
  tasharuk territory import FILE    import councils from a census CSV
  tasharuk token issue --role R     issue a bearer token (--council CODE for staff)
  tasharuk authz matrix             print who may call each RPC
  tasharuk audit export --out FILE  export the log (JSON Lines) with its checkpoints
  tasharuk audit verify FILE        check hashes, chains, Merkle roots, signatures offline
  tasharuk replay --verify          check the log, rebuild the read models, compare with the live ones
  tasharuk privacy erase --council CODE --national-id ID   erase a person's name (law 09-08)
  tasharuk nats keys                create the NATS users' keys, print their public keys
  tasharuk bench append|replay|all  measure the event log beside the raw engine
  tasharuk healthcheck [--url URL]  probe /readyz; exit 0 when ready (container health check)
  tasharuk version                  print the version

Every flag can also be set with an environment variable: --data-dir is
TASHARUK_DATA_DIR, --nats-url is TASHARUK_NATS_URL, and so on.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "territory":
		err = runTerritory(ctx, args[1:], stdout, stderr)
	case "token":
		err = runToken(ctx, args[1:], stdout, stderr)
	case "authz":
		err = runAuthz(ctx, args[1:], stdout, stderr)
	case "audit":
		err = runAudit(ctx, args[1:], stdout, stderr)
	case "replay":
		err = runReplay(ctx, args[1:], stdout, stderr)
	case "privacy":
		err = runPrivacy(ctx, args[1:], stdout, stderr)
	case "nats":
		err = runNATS(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		err = runHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "tasharuk", versionString())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "tasharuk: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tasharuk:", err)
		return 1
	}
	return 0
}
