package main

import (
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/tasharuk/tasharuk/audit"
)

// warnKeysInDataDir warns, at start, when a production-looking service (a
// NATS cluster or TLS) keeps its checkpoint key inside the data folder:
// whoever holds that folder can then rewrite the log and re-sign every
// checkpoint, and only witnesses would tell (issue 23). The key belongs in
// --keys-dir mounted from a secret (deploy/ does so).
func warnKeysInDataDir(logger *slog.Logger, cfg config, tls bool) {
	if cfg.Store.NATSURL == "" && !tls {
		return
	}
	if !inside(cfg.Store.KeysDir, cfg.Store.DataDir) {
		return
	}
	mode := "TLS"
	if cfg.Store.NATSURL != "" {
		mode = "a NATS cluster"
	}
	logger.Warn("the checkpoint key is in the data folder: whoever holds the folder can rewrite the log and re-sign its checkpoints; keep --keys-dir on a mounted secret, apart from the data, and have witnesses cosign (serve --witness)",
		"key", filepath.Join(cfg.Store.KeysDir, audit.KeyFile), "data_dir", cfg.Store.DataDir, "configuration", mode, "witnesses", len(cfg.Witnesses))
}

// inside says whether path is dir or lies under it.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
