package main

import (
	"context"
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

const territoryLong = `import registers the communes of a census file, with their provinces and
regions, and records changed population figures of those already known.
The file is CSV with a header naming code, name and population (optionally
with a year: population_2024, code24), and province and region to register
new communes (testdata/bmk_communes_2024.csv is one). A file without them,
such as HCP's national code24,name24,population24, can only update the
figures of communes already registered. A malformed file is refused as a
whole, naming the line, and nothing is written. Importing the same file
again changes nothing. The data folder must hold a log (serve makes one),
unless --create starts a new one there.
`

// runTerritory runs `tasharuk territory import`.
func runTerritory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, byPath["territory"], args, stdout, stderr)
}

func runTerritoryImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("territory import", stderr)
	censusYear := fs.Int("census-year", 2024, "census year of the file's figures")
	source := fs.String("source", "", "where the figures come from, recorded with each (default: the file's name)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "write logs as JSON lines")
	create := fs.Bool("create", false, "start a new log if --data-dir holds none (without it, a folder with no log is refused)")
	var sc storeConfig
	sc.register(fs, storeWrite)
	// Flags may come after the file too.
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("territory import", "give one CSV file, got %d", len(files))
	}
	if *censusYear < domain.MinCensusYear || *censusYear > domain.MaxCensusYear {
		return usagef("territory import", "--census-year %d: want a year from %d to %d", *censusYear, domain.MinCensusYear, domain.MaxCensusYear)
	}
	path := files[0]
	if *source == "" {
		*source = filepath.Base(path)
	}
	if err := sc.resolveKeys(); err != nil {
		return fmt.Errorf("territory import: %w", err)
	}

	// The whole file is read and checked before the log is opened: a
	// malformed file writes nothing.
	rows, err := readCensus(path)
	if err != nil {
		return err
	}
	if err := sc.requireLog(*create); err != nil {
		return fmt.Errorf("territory import: %w; --create starts a new log there", err)
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
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("territory import: %w", err)
	}

	prog := startProgress(stderr, "territory import", "councils written", int64(len(domain.CouncilCodes(rows))))
	defer prog.finish()
	start := time.Now()
	im := &app.Importer{Store: appendCounter{Store: ls.Log, p: prog}, Registry: newRegistry(), Now: time.Now}
	rep, err := im.Import(ctx, rows, int32(*censusYear), *source, cliActor())
	prog.finish()
	if err != nil {
		if rep.Registered+rep.Updated > 0 {
			fmt.Fprintf(stderr, "territory import: stopped after %d registered, %d updated; run it again to finish\n", rep.Registered, rep.Updated)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "%d registered, %d updated, %d unchanged; log position %d\n", rep.Registered, rep.Updated, rep.Unchanged, rep.LastPosition)
	fmt.Fprintf(stderr, "territory import: %d rows of %s in %s\n", len(rows), path, time.Since(start).Round(time.Millisecond))
	return nil
}

// appendCounter counts the appends (one per council) into p.
type appendCounter struct {
	eventstore.Store
	p *progress
}

func (s appendCounter) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.Proposed) (eventstore.AppendResult, error) {
	res, err := s.Store.Append(ctx, stream, expected, events)
	if err == nil {
		s.p.add(1)
	}
	return res, err
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
