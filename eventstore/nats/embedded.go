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
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// embedded is an in-process nats-server with JetStream on a data folder.
type embedded struct {
	srv  *server.Server
	lock *os.File
	// users is set when the server listens on the network: then every
	// client, the store's in-process ones too, signs in as one of them.
	users *users
}

// embeddedAuth configures the users of a listening embedded server.
type embeddedAuth struct {
	keysDir                string
	feedStream, feedPrefix string
}

// startEmbedded starts nats-server in this process. It listens for NATS
// clients only if listen is set ("host:port"), and then requires every
// client to sign in (see auth.go); otherwise the store talks to it through
// an in-process connection and nobody else can reach it.
func startEmbedded(dataDir, listen string, auth embeddedAuth) (*embedded, error) {
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
	var u *users
	if listen != "" {
		if u, err = loadOrCreateUsers(auth.keysDir); err != nil {
			_ = lock.Close()
			return nil, err
		}
		if err := configureAuth(opts, u, auth.feedStream, auth.feedPrefix); err != nil {
			_ = lock.Close()
			return nil, err
		}
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
	if u != nil {
		if err := enableAccounts(srv); err != nil {
			srv.Shutdown()
			_ = lock.Close()
			return nil, err
		}
	}
	return &embedded{srv: srv, lock: lock, users: u}, nil
}

// connect opens an in-process connection, signed in as kp when the server
// has users (kp picks the account: the service's or the feed's).
func (e *embedded) connect(name string, kp func(*users) nkeys.KeyPair) (*nats.Conn, error) {
	opts := []nats.Option{nats.InProcessServer(e.srv), nats.Name(name), nats.MaxReconnects(-1)}
	if e.users != nil {
		opts = append(opts, signIn(kp(e.users)))
	}
	return nats.Connect("", opts...)
}

func asService(u *users) nkeys.KeyPair       { return u.service }
func asFeedPublisher(u *users) nkeys.KeyPair { return u.feedPublisher }

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
