package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/fault"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
)

// runPrivacy: tasharuk privacy erase --council CODE --national-id ID.
func runPrivacy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "erase" {
		return fmt.Errorf("privacy: usage: tasharuk privacy erase --council CODE --national-id ID [--keys-dir DIR] [store flags]")
	}
	fs := flag.NewFlagSet("privacy erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sc storeConfig
	sc.register(fs)
	council := fs.String("council", "", "code of the council where the person signed (their key is per council)")
	nationalID := fs.String("national-id", "", "the person's national ID number (used only to find their key; not stored)")
	keysDir := fs.String("keys-dir", "", "folder of the master key (default: --data-dir)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *council == "" || *nationalID == "" {
		return fmt.Errorf("privacy erase: --council and --national-id are required")
	}
	if *keysDir == "" {
		*keysDir = sc.DataDir
	}
	ls, err := openQuiet(ctx, sc, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	// A council that is not registered has no signers to erase: say so
	// rather than record an erasure nobody can have asked for (and before
	// loading, or creating, a master key).
	if _, _, exists, err := tapp.LoadCouncil(ctx, ls.Log, newRegistry(), *council); err != nil {
		return fmt.Errorf("privacy erase: --council: %w", err)
	} else if !exists {
		return fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "privacy erase: COUNCIL_NOT_FOUND: no council %s in this log (communes use the HCP code); nothing was erased or recorded", *council)
	}
	// The erasure is recorded in the log: never over a damaged one.
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	keys, err := privacy.LoadKeys(*keysDir)
	if err != nil {
		return err
	}
	js, err := jetstream.New(ls.NATS.Conn())
	if err != nil {
		return err
	}
	ks, err := privacy.OpenKeyStore(ctx, ls.NATS.Conn(), js, "TASHARUK_PERSON_KEYS", ls.NATS.Replicas(), keys)
	if err != nil {
		return err
	}
	defer ks.Close()
	key, err := papp.ErasePerson(ctx, ls.Log, newRegistry(), keys, ks, *council, *nationalID, cliActor(), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased: the person's data key in council %s (signature reference %s) is deleted; their name now reads %q everywhere\n", *council, papp.Ref(key), papp.Erased)
	return nil
}
