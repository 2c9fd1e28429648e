// Package natstest starts real nats-server clusters for tests: one process
// per node on loopback ports, with JetStream syncing every write, stopped
// when the test ends.
package natstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Binary finds the pinned nats-server: $TASHARUK_NATS_SERVER, then PATH,
// then $GOPATH/bin; failing that it builds the version go.mod pins.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TASHARUK_NATS_SERVER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "nats-server")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p := filepath.Join(t.TempDir(), "nats-server")
	t.Logf("nats-server not installed; building the version pinned in go.mod")
	build := exec.Command("go", "build", "-o", p, "github.com/nats-io/nats-server/v2")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build nats-server: %v (install it: go install github.com/nats-io/nats-server/v2@v2.15.2)", err)
	}
	return p
}

// FreePorts returns n free loopback ports.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// Node is one nats-server process.
type Node struct {
	Name   string
	URL    string
	config string
	cmd    *exec.Cmd
	logf   *os.File
}

// Cluster is a real nats-server cluster.
type Cluster struct {
	t     testing.TB
	bin   string
	Nodes []*Node
}

// Start starts an n-node cluster with JetStream (sync_interval: always)
// and waits until JetStream answers.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	ports := FreePorts(t, 2*n)
	c := &Cluster{t: t, bin: bin}
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  sync_interval: always
}
cluster {
  name: tasharuk-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, ports[i], filepath.Join(dir, name), ports[n+i], strings.Join(routes, ", "))
		path := filepath.Join(dir, name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		node := &Node{Name: name, URL: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), config: path}
		node.logf, _ = os.Create(filepath.Join(dir, name+".log"))
		c.Nodes = append(c.Nodes, node)
		c.Start(node)
	}
	t.Cleanup(func() {
		for _, node := range c.Nodes {
			c.Kill(node)
			_ = node.logf.Close()
		}
	})
	c.WaitReady()
	return c
}

// Start (re)starts a node's process.
func (c *Cluster) Start(n *Node) {
	c.t.Helper()
	n.cmd = exec.Command(c.bin, "-c", n.config)
	n.cmd.Stdout, n.cmd.Stderr = n.logf, n.logf
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.Name, err)
	}
}

// Kill kills a node with SIGKILL.
func (c *Cluster) Kill(n *Node) {
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

// URLs returns the client URLs of every node, comma-separated.
func (c *Cluster) URLs() string {
	var u []string
	for _, n := range c.Nodes {
		u = append(u, n.URL)
	}
	return strings.Join(u, ",")
}

// WaitReady waits until JetStream answers through the cluster.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(c.URLs(), nats.Timeout(time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			info, err := js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil && info != nil {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatal("cluster did not become ready in 60s")
}

// Leader returns the node leading a stream.
func (c *Cluster) Leader(stream string) *Node {
	c.t.Helper()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		c.t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil || info.Cluster == nil {
		c.t.Fatalf("stream info: %v", err)
	}
	for _, n := range c.Nodes {
		if n.Name == info.Cluster.Leader {
			return n
		}
	}
	c.t.Fatalf("leader %q is not one of the nodes", info.Cluster.Leader)
	return nil
}
