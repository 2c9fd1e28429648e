package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	iapp "github.com/tasharuk/tasharuk/services/identity/app"
	icommand "github.com/tasharuk/tasharuk/services/information/app/command"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
)

// runPrivacy runs `tasharuk privacy erase`.
func runPrivacy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, byPath["privacy"], args, stdout, stderr)
}

// runPrivacyErase: tasharuk privacy erase --council CODE --national-id ID
// and/or --email E / --phone P: a signer's name in a council's signatures,
// an account's contact details, or both.
func runPrivacyErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("privacy erase", stderr)
	var sc storeConfig
	sc.register(fs, storeWrite)
	council := fs.String("council", "", "code of the council where the person signed (their key is per council)")
	nationalID := fs.String("national-id", "", "the person's national ID number (used only to find their key; not stored)")
	email := fs.String("email", "", "erase the contact details of the account that signs in with this email (used only to find it; not stored)")
	phone := fs.String("phone", "", "erase the contact details of the account that signs in with this phone number")
	infoRequest := fs.String("information-request", "", "instead: erase the requester of this request for information (communes/{c}/informationRequests/{id}): its sealed name and contact")
	document := fs.String("document", "", "instead: erase a sealed document with personal data ({petition}/documents/{id}): its data key and its bytes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("privacy erase", "unexpected argument %q", fs.Arg(0))
	}
	signer := *council != "" || *nationalID != ""
	contact := *email != "" || *phone != ""
	switch {
	case *document != "" && (signer || contact || *infoRequest != ""):
		return usagef("privacy erase", "give --document alone (it names one document)")
	case *document != "":
	case *infoRequest != "" && (signer || contact):
		return usagef("privacy erase", "give --information-request alone (it names one requester), or --council and --national-id, or --email/--phone")
	case *infoRequest != "":
	case !signer && !contact:
		return usagef("privacy erase", "%v", errNoPerson)
	case signer && (*council == "" || *nationalID == ""):
		return usagef("privacy erase", "--council and --national-id are required together")
	case *email != "" && *phone != "":
		return usagef("privacy erase", "give --email or --phone, not both (each names one account)")
	}
	if err := sc.resolveKeys(); err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	if err := sc.requireLog(false); err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	// The person's key derives from the master key: a new one would find
	// nobody and erase nothing. Never create it here.
	if os.Getenv(privacy.MasterKeyEnv) == "" {
		if _, err := os.Stat(filepath.Join(sc.KeysDir, privacy.MasterKeyFile)); err != nil {
			return fmt.Errorf("privacy erase: the master key: %w (give serve's --keys-dir, or %s); nothing was erased or recorded", err, privacy.MasterKeyEnv)
		}
	}
	ls, err := openQuiet(ctx, sc, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	if *infoRequest != "" {
		return eraseRequester(ctx, sc, ls, *infoRequest, stdout)
	}
	if *document != "" {
		return eraseDocument(ctx, sc, ls, *document, stdout)
	}
	// A council that is not registered has no signers to erase: say so
	// rather than record an erasure nobody can have asked for (and before
	// loading, or creating, a master key).
	if signer {
		if _, _, exists, err := tapp.LoadCouncil(ctx, ls.Log, newRegistry(), *council); err != nil {
			return fmt.Errorf("privacy erase: --council: %w", err)
		} else if !exists {
			return fault.New(fault.NotFound, "COUNCIL_NOT_FOUND", "privacy erase: COUNCIL_NOT_FOUND: no council %s in this log (communes use the HCP code); nothing was erased or recorded", *council)
		}
	}
	// The erasure is recorded in the log: never over a damaged one.
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	keys, ks, err := openPersonKeys(ctx, ls, sc, "privacy erase")
	if err != nil {
		return err
	}
	defer ks.Close()
	if contact {
		// The contact details first: the account is named by the address
		// alone, so a mistyped one is refused before anything is erased.
		svc := identityService(ls.Log, newRegistry(), keys, ks, time.Now)
		key, n, err := svc.EraseContacts(ctx, cliActor(), iapp.Account{Email: *email, Phone: *phone})
		if err != nil {
			return fmt.Errorf("privacy erase: %w", err)
		}
		fmt.Fprintf(stdout, "erased: the contact details of account %s (%d data keys deleted); they can no longer be read anywhere\n", iapp.UserName(key), n)
	}
	if !signer {
		return nil
	}
	prog, store := readingLog(ctx, stderr, "privacy erase: reading the log", ls.Log)
	key, err := papp.ErasePerson(ctx, store, newRegistry(), keys, ks, *council, *nationalID, cliActor(), time.Now())
	prog.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased: the person's data key in council %s (signature reference %s) is deleted; their name now reads %q everywhere\n", *council, papp.Ref(key), papp.Erased)
	return nil
}

// eraseRequester destroys the data key sealing an information request's
// requester and records it (RequesterErased on the request's stream).
func eraseRequester(ctx context.Context, sc storeConfig, ls *logStore, name string, stdout io.Writer) error {
	// The erasure is recorded in the log: never over a damaged one.
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	keys, err := privacy.LoadKeys(sc.KeysDir)
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
	keyID, pos, err := icommand.EraseRequester(ctx, ls.Log, newRegistry(), ks, name, cliActor(), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased: the requester of %s (data key %s destroyed; recorded at position %d); the request and the public figures are unchanged\n", name, keyID, pos)
	return nil
}

// eraseDocument destroys a sealed document's data key, deletes its object
// and records it (PetitionDocumentErased on the petition's stream).
func eraseDocument(ctx context.Context, sc storeConfig, ls *logStore, name string, stdout io.Writer) error {
	// The erasure is recorded in the log: never over a damaged one.
	if err := refuseDamagedLog(ctx, ls, sc); err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	_, ks, err := openPersonKeys(ctx, ls, sc, "privacy erase")
	if err != nil {
		return err
	}
	defer ks.Close()
	js, err := jetstream.New(ls.NATS.Conn())
	if err != nil {
		return err
	}
	docs, err := documentStore(ctx, js, ls.NATS.Replicas())
	if err != nil {
		return err
	}
	svc := &papp.Service{Store: ls.Log, Registry: newRegistry(), Documents: docs, DocumentKeys: ks, Now: time.Now}
	d, pos, err := svc.EraseDocument(ctx, cliActor(), name)
	if err != nil {
		return fmt.Errorf("privacy erase: %w", err)
	}
	fmt.Fprintf(stdout, "erased: document %s (%s; data key %s destroyed, its bytes deleted; recorded at position %d); its SHA-256 stays in the log\n",
		name, domain.StateKindName(d.Kind), d.KeyID, pos)
	return nil
}
