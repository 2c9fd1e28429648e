// Command bench measures tasharuk beside the raw engine (NATS JetStream)
// on the same server in the same run. It is not part of the product
// binary: the measured code paths are the product's own packages and the
// real `tasharuk serve`, which the bench builds and starts as a
// subprocess. Method and figures: docs/bench.md.
//
//	go run ./tools/bench append|replay|all [flags]   the event store alone
//	go run ./tools/bench petitions [flags]           signing, status queries, memory
//	go run ./tools/bench scenario --census FILE      a day on a region's communes
//	go run ./tools/bench mechanisms [flags]          advisory bodies and consultations
//	go run ./tools/bench restart [flags]             time to ready on a large log
//	go run ./tools/bench programmes --census FILE    survey-form imports and the regional dashboard
//	go run ./tools/bench surge [flags]               a viral petition: signatures and reads offered together, open-loop
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `bench: measure tasharuk beside the raw engine (docs/bench.md).

Usage:
  go run ./tools/bench append|replay|all [flags]   the event store alone, embedded JetStream
  go run ./tools/bench petitions [flags]           signing via gRPC, status queries, read-model memory
  go run ./tools/bench scenario --census FILE      a day on a region's communes through the API
  go run ./tools/bench mechanisms [flags]          advisory and consultation load, status queries
  go run ./tools/bench restart [flags]             time to ready on a large log (snapshot, audit tree file)
  go run ./tools/bench programmes --census FILE    10,000 survey forms imported vs raw appends, dashboard p99
  go run ./tools/bench surge [flags]               a viral petition: 2,000 signatures/s and 20,000 reads/s offered, open-loop

petitions, scenario, mechanisms, restart and surge run the real server: they build
./cmd/tasharuk (or take --binary PATH) and start "tasharuk serve".
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
	case "append", "replay", "all":
		err = runLog(ctx, args, stdout, stderr)
	case "petitions":
		err = runBenchPetitions(ctx, args[1:], stdout, stderr)
	case "scenario":
		err = runBenchScenario(ctx, args[1:], stdout, stderr)
	case "mechanisms":
		err = runBenchMechanisms(ctx, args[1:], stdout, stderr)
	case "restart":
		err = runBenchRestart(ctx, args[1:], stdout, stderr)
	case "programmes":
		err = runBenchProgrammes(ctx, args[1:], stdout, stderr)
	case "surge":
		err = runBenchSurge(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "bench: say what to measure: append|replay|all|petitions|mechanisms|scenario [flags]\n\n%s", usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// newFlagSet is a flag set whose messages go to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// usagef is an error in how a bench was called.
func usagef(path, format string, args ...any) error {
	return fmt.Errorf(path+": "+format, args...)
}

// parseFlags parses args after applying TASHARUK_* environment variables
// as defaults, as the product binary does, so a flag on the command line
// wins over the environment.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "TASHARUK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return fs.Parse(args)
}
