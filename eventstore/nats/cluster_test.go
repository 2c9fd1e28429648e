package natsstore_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// natsServerBinary finds the pinned nats-server: $TASHARUK_NATS_SERVER, then
// PATH, then $GOPATH/bin; failing that it builds the version go.mod pins.
func natsServerBinary(t *testing.T) string {
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

func freePorts(t *testing.T, n int) []int {
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

type clusterNode struct {
	name   string
	url    string
	config string
	cmd    *exec.Cmd
	logf   *os.File
}

// testCluster is a real 3-node nats-server cluster, one process per node,
// on loopback ports, stopped at the end of the test.
type testCluster struct {
	bin   string
	nodes []*clusterNode
}

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	bin := natsServerBinary(t)
	dir := t.TempDir()
	ports := freePorts(t, 6)
	c := &testCluster{bin: bin}
	var routes []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3+i]))
	}
	for i := range 3 {
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
`, name, ports[i], filepath.Join(dir, name), ports[3+i], strings.Join(routes, ", "))
		path := filepath.Join(dir, name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		n := &clusterNode{name: name, url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), config: path}
		n.logf, _ = os.Create(filepath.Join(dir, name+".log"))
		c.nodes = append(c.nodes, n)
		c.start(t, n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.kill(n)
			_ = n.logf.Close()
		}
	})
	c.waitReady(t)
	return c
}

func (c *testCluster) start(t *testing.T, n *clusterNode) {
	t.Helper()
	n.cmd = exec.Command(c.bin, "-c", n.config)
	n.cmd.Stdout, n.cmd.Stderr = n.logf, n.logf
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
}

func (c *testCluster) kill(n *clusterNode) {
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

func (c *testCluster) urls() string {
	var u []string
	for _, n := range c.nodes {
		u = append(u, n.url)
	}
	return strings.Join(u, ",")
}

// waitReady waits until JetStream answers through the cluster (a meta
// leader is elected).
func (c *testCluster) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(c.urls(), nats.Timeout(time.Second))
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
	t.Fatal("cluster did not become ready in 60s")
}

func (c *testCluster) openStore(t *testing.T, stream string) *natsstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := natsstore.Open(ctx, natsstore.Config{
		URL:           c.urls(),
		Replicas:      3,
		Stream:        stream,
		SubjectPrefix: "tasharuk." + strings.ToLower(stream),
	})
	if err != nil {
		t.Fatalf("open store on the cluster: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestCluster runs the conformance suite on a real 3-node cluster with R3
// streams, then kills the stream leader during a stream of appends.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Log("-short: the 3-node cluster test still runs; it takes about a minute")
	}
	c := startCluster(t)
	var n atomic.Int32
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			return c.openStore(t, fmt.Sprintf("CONF%d", n.Add(1)))
		})
	})
	t.Run("KillStreamLeaderUnderLoad", func(t *testing.T) { testKillLeader(t, c) })
}

func testKillLeader(t *testing.T, c *testCluster) {
	s := c.openStore(t, "FAULT")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type ack struct {
		id  string
		pos uint64
		at  time.Time
	}
	var mu sync.Mutex
	var acks []ack
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				ev := storetest.Event("test.Faulted", fmt.Sprintf("w%d-%d", w, i))
				actx, acancel := context.WithTimeout(ctx, 10*time.Second)
				res, err := s.Append(actx, fmt.Sprintf("fault.w%d.s%d", w, i%5), eventstore.Any, []eventstore.Proposed{ev})
				acancel()
				if err != nil {
					failures.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				mu.Lock()
				acks = append(acks, ack{ev.ID, res.Position, time.Now()})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)

	// Find and kill the stream leader.
	nc, err := nats.Connect(c.urls())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "FAULT")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	var victim *clusterNode
	for _, n := range c.nodes {
		if n.name == info.Cluster.Leader {
			victim = n
		}
	}
	if victim == nil {
		t.Fatalf("leader %q is not one of the nodes", info.Cluster.Leader)
	}
	mu.Lock()
	before := len(acks)
	mu.Unlock()
	killedAt := time.Now()
	c.kill(victim)
	t.Logf("killed stream leader %s after %d acknowledged appends", victim.name, before)

	// A new leader is elected within the raft election timeout (seconds);
	// wait until appends flow again, then let them run a little longer.
	var firstAfter time.Time
	after := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		mu.Lock()
		after = 0
		for _, a := range acks {
			if a.at.After(killedAt) {
				if after == 0 || a.at.Before(firstAfter) {
					firstAfter = a.at
				}
				after++
			}
		}
		mu.Unlock()
		if after >= 200 {
			break
		}
	}
	cancel()
	wg.Wait()
	if after < 200 {
		t.Fatalf("only %d appends acknowledged in the 60s after the leader was killed", after)
	}
	t.Logf("appends resumed %v after the kill", firstAfter.Sub(killedAt).Round(time.Millisecond))

	mu.Lock()
	defer mu.Unlock()
	// Every acknowledged event is in the log, where it was acknowledged,
	// and the chains verify.
	byID := map[string]uint64{}
	var v eventstore.ChainVerifier
	rctx := context.Background()
	for from := uint64(1); ; {
		page, err := s.ReadAll(rctx, from, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			if err := v.Verify(&page[i]); err != nil {
				t.Fatal(err)
			}
			byID[page[i].ID] = page[i].Position
		}
		from = page[len(page)-1].Position + 1
	}
	for _, a := range acks {
		pos, ok := byID[a.id]
		if !ok {
			t.Fatalf("acknowledged event %s (position %d) lost after the leader was killed", a.id, a.pos)
		}
		if pos != a.pos {
			t.Fatalf("event %s acknowledged at %d, found at %d", a.id, a.pos, pos)
		}
	}
	t.Logf("%d appends acknowledged (%d after the kill), %d failed during fail-over, %d events in the log, none lost",
		len(acks), after, failures.Load(), len(byID))
}
