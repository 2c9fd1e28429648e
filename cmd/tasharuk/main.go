// Command tasharuk is the one binary of tasharuk: it serves the API and
// pages, and runs the operator's tools. `tasharuk help` lists every
// command; `tasharuk COMMAND --help` gives one's flags.
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

// commands is every command of the binary: run dispatches through it and
// the help lists it, so a command is reachable exactly when it is listed
// (cli.go holds the mechanism). Set in init: the commands' own help reads
// it back.
var commands []*command

func init() {
	commands = []*command{
		{name: "serve", args: "[flags]", short: "run the service: gRPC, REST and the web pages on one port (embedded NATS JetStream by default)", run: runServe},
		{name: "territory", short: "councils from census files", subs: []*command{
			{name: "import", args: "FILE.csv [flags]", short: "import councils from a census CSV (a malformed file imports nothing)", long: territoryLong, run: runTerritoryImport},
		}},
		{name: "token", short: "API bearer tokens signed with the service's key", long: tokenLong, subs: []*command{
			{name: "issue", args: "--role ROLE [--council CODE] [flags]", short: "issue a bearer token (staff and advisory need --council)", long: tokenLong, run: runTokenIssue},
			{name: "verify", args: "TOKEN [flags]", short: "check a token against the signing key and print who it is for", run: runTokenVerify},
		}},
		{name: "authz", short: "the authorization table", subs: []*command{
			{name: "matrix", short: "print who may call each RPC", run: runAuthzMatrix},
		}},
		{name: "audit", short: "the verifiable log, for auditors", subs: []*command{
			{name: "export", args: "--out FILE [flags]", short: "export the log (JSON Lines) with its checkpoints (service stopped, embedded)", run: runAuditExport},
			{name: "verify", args: "FILE | --live [flags]", short: "check hashes, chains, Merkle roots and signatures of an export, offline", long: auditVerifyLong, run: runAuditVerify},
			{name: "document", args: "FILE --export EXPORT", short: "check a document against the SHA-256 its attaching event recorded", long: auditDocumentLong, run: runAuditDocument},
			{name: "checkpoint", args: "[--url URL | --data-dir DIR] [--out FILE]", short: "save the latest signed checkpoint, to check a later export against", long: auditCheckpointLong, run: runAuditCheckpoint},
			{name: "witnesses", args: "--witness URL=KEY... --public-key KEY [--url URL]", short: "compare the checkpoints witnesses cosigned: two that cannot both be true show a fork", long: auditWitnessesLong, run: runAuditWitnesses},
		}},
		{name: "witness", args: "--state-dir DIR --log-key KEY... [flags]", short: "run a witness: cosign the checkpoints of the logs it follows, refuse and keep any that rewrite history (C2SP tlog-witness)", long: witnessLong, run: runWitness},
		{name: "rulebook", short: "the petition rules of each level and council, as recorded versions", long: rulebookLong, subs: []*command{
			{name: "show", args: "COUNCIL [--as-of DAY] [--url URL]", short: "print the rules in force for a council on a day, their articles and every version", run: runRulebookShow},
			{name: "amend", args: "--level LEVEL --reference REF --effective DAY [values] --token TOKEN", short: "record an amendment of a level's rulebook (admin), in force from its effective day", long: rulebookLong, run: runRulebookAmend},
		}},
		{name: "replay", args: "[--verify] [flags]", short: "rebuild the read models from zero; --verify checks the log and compares them with the live ones", run: runReplay},
		{name: "privacy", short: "personal data (law 09-08)", subs: []*command{
			{name: "erase", args: "(--council CODE --national-id ID | --email E | --phone P | --document NAME) [flags]", short: "erase a person's name from a council's signatures and/or an account's contact details, or a sealed document (service stopped, embedded)", run: runPrivacyErase},
		}},
		{name: "users", short: "grant and revoke the roles of accounts (every grant an event in the log)", subs: []*command{
			{name: "add", args: "--role ROLE [--council CODE] (--email E | --phone P | --subject S) [flags]", short: "grant an account a role (service stopped, embedded)", run: runUsersAdd},
			{name: "revoke", args: "--role ROLE [--council CODE] (--email E | --phone P | --subject S) [--reason R] [flags]", short: "revoke a role granted before (service stopped, embedded)", run: runUsersRevoke},
		}},
		{name: "nats", short: "the NATS users", subs: []*command{
			{name: "keys", args: "[--keys-dir DIR]", short: "create the NATS users' keys if missing and print their public keys", run: runNATSKeys},
		}},
		{name: "healthcheck", args: "[--url URL] [--timeout D] [--insecure]", short: "probe /readyz; exit 0 when ready (the container's health check)", run: runHealthcheck},
		{name: "version", short: "print the version", run: runVersion},
		{name: "help", args: "[COMMAND [SUBCOMMAND]]", short: "print the help of tasharuk or of a command (same as COMMAND --help)", run: runHelp},
	}
	indexCommands(commands, "")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command named by args and returns the exit status: 0, 1
// when the command failed, 2 when it was called wrongly (the usage then
// goes to stderr). Help asked for goes to stdout with status 0.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage())
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage())
		return 0
	case "--version", "-version":
		args = []string{"version"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, nil, args, stdout, stderr)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tasharuk: %v\n\n%s", ue.err, ue.usage)
		return 2
	}
	fmt.Fprintln(stderr, "tasharuk:", err)
	return 1
}

// runVersion: tasharuk version.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(newFlagSet("version", stderr), args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, "tasharuk", versionString())
	return err
}
