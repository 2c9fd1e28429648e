package natsstore

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// embedded is an in-process nats-server with JetStream on a data folder.
type embedded struct {
	srv  *server.Server
	lock *os.File
}

// startEmbedded starts nats-server in this process. It listens for NATS
// clients only if listen is set ("host:port"); otherwise the store talks to
// it through an in-process connection.
func startEmbedded(dataDir, listen string) (*embedded, error) {
	if dataDir == "" {
		return nil, errors.New("natsstore: embedded mode needs a data folder")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("natsstore: create data folder: %w", err)
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: "tasharuk-embedded",
		JetStream:  true,
		StoreDir:   dataDir,
		// Every write reaches the disk before it is acknowledged: the default
		// (sync every 2 minutes) loses acknowledged writes on power loss.
		SyncAlways: true,
		// The process owns signals; without this SIGINT would make the
		// embedded server exit the whole process.
		NoSigs:     true,
		NoLog:      true,
		DontListen: listen == "",
		// A bigger payload limit than the default 1 MiB leaves room for
		// atomic batches of large events.
		MaxPayload: 8 << 20,
	}
	if listen != "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			_ = lock.Close()
			return nil, fmt.Errorf("natsstore: listen address %q: %w", listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			_ = lock.Close()
			return nil, fmt.Errorf("natsstore: listen port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("natsstore: configure embedded server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		_ = lock.Close()
		return nil, errors.New("natsstore: embedded server did not become ready within 30s")
	}
	return &embedded{srv: srv, lock: lock}, nil
}

func (e *embedded) shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	_ = e.lock.Close()
}

// lockDataDir takes an exclusive lock on the data folder so that two
// processes never run a store on the same files.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "tasharuk.lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("natsstore: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("natsstore: data folder %s is in use by another process: %w", dir, err)
	}
	return f, nil
}
