package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/privacy"
)

// The data folder and the keys folder. --data-dir is the embedded log's
// folder; --keys-dir the folder of the keys itself (the token-signing key,
// the master key, the checkpoint key and its public half, the NATS users'
// seeds), by default <data-dir>/keys. Every command that reads or makes a
// key takes both, so TASHARUK_DATA_DIR and TASHARUK_KEYS_DIR mean the same
// folders to all of them.

const keysDirUsage = "folder of the keys itself: token-signing, master and checkpoint keys, NATS seeds (default: <data-dir>/keys)"

// registerDirs registers --data-dir and --keys-dir.
func registerDirs(fs *flag.FlagSet, dataDir, keysDir *string, dataUsage string) {
	fs.StringVar(dataDir, "data-dir", "./data", dataUsage)
	fs.StringVar(keysDir, "keys-dir", "", keysDirUsage)
}

// isKeyFile says whether name is one of the files tasharuk keeps in a
// keys folder.
func isKeyFile(name string) bool {
	switch name {
	case access.KeyFile, privacy.MasterKeyFile, audit.KeyFile, audit.PublicKeyFile:
		return true
	}
	return strings.HasPrefix(name, "nats-") && strings.HasSuffix(name, ".nk")
}

// holdsKeys says whether dir holds any of tasharuk's key files.
func holdsKeys(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Type().IsRegular() && isKeyFile(e.Name()) {
			return true
		}
	}
	return false
}

// errOldKeysLayout: --keys-dir names a folder laid out as before, with the
// keys in its keys/ subfolder.
var errOldKeysLayout = errors.New("old keys layout")

// keysDir resolves --keys-dir: the folder given, or <dataDir>/keys. Until
// issue 14 --keys-dir DIR kept the keys in DIR/keys/; such a folder (no key
// in DIR, keys in DIR/keys/) is refused rather than given new keys: a new
// master key would orphan every sealed name, a new checkpoint key every
// signed checkpoint, a new token key every token in use.
func keysDir(flagValue, dataDir string) (string, error) {
	if flagValue == "" {
		return filepath.Join(dataDir, "keys"), nil
	}
	old := filepath.Join(flagValue, "keys")
	if !holdsKeys(flagValue) && holdsKeys(old) {
		return "", fmt.Errorf("%w: --keys-dir %s holds no key, but %s does: --keys-dir now names the keys folder itself. "+
			"Move the keys up once (mv %s/* %s/ && rmdir %s) and start again; nothing was created",
			errOldKeysLayout, flagValue, old, old, flagValue, old)
	}
	return flagValue, nil
}

// resolveKeys sets sc.KeysDir to the keys folder itself.
func (sc *storeConfig) resolveKeys() error {
	k, err := keysDir(sc.KeysDir, sc.DataDir)
	if err != nil {
		return err
	}
	sc.KeysDir = k
	return nil
}

// embeddedLog says whether the store flags name an embedded log, kept in
// --data-dir (not a cluster's, not EventStoreDB's).
func (sc storeConfig) embeddedLog() bool {
	return sc.NATSURL == "" && (sc.Backend == "" || sc.Backend == "nats")
}

// hasLog says whether dataDir holds an embedded tasharuk log: the
// JetStream store of its stream.
func hasLog(dataDir, stream string) bool {
	if stream == "" {
		stream = "TASHARUK_LOG"
	}
	m, _ := filepath.Glob(filepath.Join(dataDir, "jetstream", "*", "streams", stream))
	return len(m) > 0
}

// errNoLog: the data folder holds no tasharuk log.
var errNoLog = errors.New("no tasharuk event log")

// requireLog is for the commands that read a log outside the service: a
// mistyped --data-dir must not silently become a new, empty store (and
// then a new key). With create, a missing log may be started (territory
// import --create). Checked before the store is opened, which would make
// the folder.
func (sc storeConfig) requireLog(create bool) error {
	if !sc.embeddedLog() || create || hasLog(sc.DataDir, sc.Stream) {
		return nil
	}
	what := "it does not exist"
	if _, err := os.Stat(sc.DataDir); err == nil {
		what = "it has no JetStream stream " + sc.Stream
	} else if !errors.Is(err, fs.ErrNotExist) {
		what = err.Error()
	}
	return fmt.Errorf("%w in --data-dir %s (%s): is the folder right? Nothing was created", errNoLog, sc.DataDir, what)
}

// flagGiven says whether the flag was set on the command line or in the
// environment.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	_, inEnv := os.LookupEnv("TASHARUK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
	return given || inEnv
}

// noteNewLog is serve's word on a log it has just created. serve creates
// the log it is pointed at, whatever the folder: a first start (the
// README's one command on a fresh machine, a container on an empty
// volume, a new systemd unit) must just work, and a flag needed only the
// first time would stay in every unit file ever after. But a log created
// in a folder the operator named is said loudly, at WARN, with what to
// check: a mistyped --data-dir is then visible in the first log line,
// and no data was lost (the real folder is untouched).
func noteNewLog(logger *slog.Logger, dataDir string, given bool) {
	if !given {
		logger.Info("created a new, empty event log", "data_dir", dataDir)
		return
	}
	logger.Warn("created a new, empty event log: --data-dir held no tasharuk log; if you meant an existing one, stop and check --data-dir (TASHARUK_DATA_DIR)", "data_dir", dataDir)
}

// refuseNewKeysForServedLog is serve's last guard before it makes keys: a
// log that a service has already signed checkpoints over (checkpoint
// events in the log, or the latest one saved beside it) has keys
// somewhere. If the keys folder held none when serve started, it is the
// wrong folder (a mistyped or forgotten --keys-dir, an empty mount): new
// keys there would orphan every sealed name, break the checkpoints' chain
// of signatures and refuse every token in use.
func refuseNewKeysForServedLog(ctx context.Context, sc storeConfig, ls *logStore, keysHeld bool) error {
	if keysHeld {
		return nil
	}
	signed := ""
	if saved := savedCheckpointPath(sc, ls.Backend); saved != "" {
		if _, err := os.Stat(saved); err == nil {
			signed = saved
		}
	}
	if signed == "" {
		evs, err := ls.Log.ReadStream(ctx, audit.CheckpointStream(ls.NATS.StreamName()), 0, 1)
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return err
		}
		if len(evs) > 0 {
			signed = "its checkpoint events"
		}
	}
	if signed == "" {
		return nil
	}
	return fmt.Errorf("the event log in %s has been served and signed (%s), but the keys folder %s holds no key: "+
		"give the folder its keys are in (--keys-dir, TASHARUK_KEYS_DIR; default <data-dir>/keys); no token, master or checkpoint key was made",
		sc.DataDir, signed, sc.KeysDir)
}
