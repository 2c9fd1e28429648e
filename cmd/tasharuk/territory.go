package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/territory/app"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

const territoryUsage = `Usage:
  tasharuk territory import FILE.csv [--census-year 2024] [--source NAME] [store flags]

import registers the communes of a census file, with their provinces and
regions, and records changed population figures of those already known.
The file is CSV with a header naming code, name and population (optionally
with a year: population_2024, code24) and optionally province and region.
A malformed file is refused as a whole, naming the line, and nothing is
written. Importing the same file again changes nothing.
`

// runTerritory runs `tasharuk territory ...`.
func runTerritory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, territoryUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprint(stderr, territoryUsage)
		return fmt.Errorf("territory: say what to do: tasharuk territory import FILE.csv")
	}
	return runTerritoryImport(ctx, args[1:], stdout, stderr)
}

func runTerritoryImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("territory import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, territoryUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	censusYear := fs.Int("census-year", 2024, "census year of the file's figures")
	source := fs.String("source", "", "where the figures come from, recorded with each (default: the file's name)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "write logs as JSON lines")
	var sc storeConfig
	sc.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Flags may come after the file too: take each positional argument and
	// parse what follows it.
	var files []string
	for fs.NArg() > 0 {
		files = append(files, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if len(files) != 1 {
		return fmt.Errorf("territory import: give one CSV file, got %d", len(files))
	}
	if *censusYear < domain.MinCensusYear || *censusYear > domain.MaxCensusYear {
		return fmt.Errorf("territory import: --census-year %d: want a year from %d to %d", *censusYear, domain.MinCensusYear, domain.MaxCensusYear)
	}
	path := files[0]
	if *source == "" {
		*source = filepath.Base(path)
	}

	// The whole file is read and checked before the log is opened: a
	// malformed file writes nothing.
	rows, err := readCensus(path)
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, *logLevel, *logJSON)
	if err != nil {
		return err
	}
	ls, err := openLog(ctx, sc, logger)
	if err != nil {
		return err
	}
	defer ls.Close()
	store := ls.Log
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("territory import: %w", err)
	}

	im := &app.Importer{Store: store, Registry: newRegistry(), Now: time.Now}
	rep, err := im.Import(ctx, rows, int32(*censusYear), *source, cliActor())
	if err != nil {
		if rep.Registered+rep.Updated > 0 {
			fmt.Fprintf(stderr, "territory import: stopped after %d registered, %d updated; run it again to finish\n", rep.Registered, rep.Updated)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "%d registered, %d updated, %d unchanged; log position %d\n", rep.Registered, rep.Updated, rep.Unchanged, rep.LastPosition)
	return nil
}

func readCensus(path string) ([]domain.CensusRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := domain.ParseCensus(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// cliActor is who the events of a command-line import are recorded as: the
// operating-system user, as an administrator.
func cliActor() eventstore.Actor {
	subject := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		subject = "cli:" + u.Username
	}
	if len(subject) > eventstore.MaxMetaLen {
		subject = subject[:eventstore.MaxMetaLen]
	}
	return eventstore.Actor{Subject: subject, Role: "admin"}
}
