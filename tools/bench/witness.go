package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	"github.com/tasharuk/tasharuk/audit"
)

// Witnesses in the scenario (issue 23, acceptance 3): n `tasharuk
// witness` processes of the measured binary, the server told of them with
// --witness URL=KEY, and the delay from each append's acknowledgement to
// the first checkpoint covering it that all n cosigned, as the audit API
// (ListCheckpoints, what the audit page shows) reports it.

// startBenchWitnesses makes the log's checkpoint key in dir's keys folder
// (the key serve will load), starts n witnesses following that log, and
// returns the serve flags naming them and a stop that ends them and
// removes their state folders.
func startBenchWitnesses(ctx context.Context, bin, dir string, n int) ([]string, func(), error) {
	_, logKey, err := audit.LoadOrCreateKey(benchKeys(dir), "tasharuk.ma/TASHARUK_LOG")
	if err != nil {
		return nil, nil, err
	}
	var stops []func()
	stop := func() {
		for _, s := range stops {
			s()
		}
	}
	var args []string
	for i := range n {
		state, err := os.MkdirTemp("", "tasharuk-bench-witness-")
		if err != nil {
			stop()
			return nil, nil, err
		}
		port, err := freePort()
		if err != nil {
			stop()
			return nil, nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(bin, "witness", "--state-dir", state, "--name", fmt.Sprintf("witness%d.bench.example/w", i),
			"--listen", addr, "--log-key", logKey, "--log-level", "warn")
		cmd.Env = childEnv()
		logs := &tail{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			os.RemoveAll(state)
			stop()
			return nil, nil, err
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		stops = append(stops, func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
			os.RemoveAll(state)
		})
		// The witness writes its public key, then serves.
		url := "http://" + addr
		deadline := time.Now().Add(time.Minute)
		for {
			pub, err := os.ReadFile(filepath.Join(state, audit.WitnessPublicKeyFile))
			if err == nil {
				if resp, herr := http.Get(url + "/"); herr == nil {
					resp.Body.Close()
					args = append(args, "--witness", url+"="+strings.TrimSpace(string(pub)))
					break
				}
			}
			select {
			case e := <-exited:
				stop()
				return nil, nil, fmt.Errorf("bench witness %d exited: %v: %s", i, e, logs)
			default:
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				stop()
				return nil, nil, fmt.Errorf("bench witness %d did not start: %s", i, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return args, stop, nil
}

// cosignWatch records when each append was acknowledged (the log
// position its reply carries) and when the audit API first showed a
// checkpoint of each size cosigned by all the witnesses.
type cosignWatch struct {
	n     int
	mu    sync.Mutex
	acks  []ack
	marks []ack // growing tree sizes cosigned by all, when first seen
}

type ack struct {
	pos uint64
	at  time.Time
}

// dial is a connection to the server that records the acknowledgement of
// every reply carrying a log position (every command's).
func (w *cosignWatch) dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if p, ok := reply.(interface{ GetLogPosition() uint64 }); ok && err == nil && p.GetLogPosition() > 0 {
				at := time.Now()
				w.mu.Lock()
				w.acks = append(w.acks, ack{p.GetLogPosition(), at})
				w.mu.Unlock()
			}
			return err
		}))
}

// poll reads the checkpoints every interval until ctx ends (with no
// witnesses, it marks the signed checkpoints).
func (w *cosignWatch) poll(ctx context.Context, ac auditv1.AuditServiceClient, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r, err := ac.ListCheckpoints(ctx, &auditv1.ListCheckpointsRequest{}); err == nil {
			now := time.Now()
			var size uint64
			for _, c := range r.GetCheckpoints() {
				if len(c.GetWitnesses()) >= w.n {
					size = max(size, c.GetTreeSize())
				}
			}
			w.mu.Lock()
			if len(w.marks) == 0 || size > w.marks[len(w.marks)-1].pos {
				w.marks = append(w.marks, ack{size, now})
			}
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// wait waits until every acknowledged append is covered by a checkpoint
// cosigned by all the witnesses.
func (w *cosignWatch) wait(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		var last, cosigned uint64
		for _, a := range w.acks {
			last = max(last, a.pos)
		}
		if len(w.marks) > 0 {
			cosigned = w.marks[len(w.marks)-1].pos
		}
		w.mu.Unlock()
		if cosigned >= last {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("bench scenario: %d witnesses cosigned up to %d events within %s, the last append is at %d", w.n, cosigned, timeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cosignDelays are the delays from each append's acknowledgement to the
// first checkpoint covering it cosigned by all the witnesses, sorted.
func cosignDelays(acks, marks []ack) []time.Duration {
	var d []time.Duration
	for _, a := range acks {
		i := sort.Search(len(marks), func(i int) bool { return marks[i].pos >= a.pos })
		if i == len(marks) {
			continue
		}
		d = append(d, max(0, marks[i].at.Sub(a.at)))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d
}

// summary is the delay line of the report.
func (w *cosignWatch) summary(pacing string) string {
	w.mu.Lock()
	d := cosignDelays(w.acks, w.marks)
	w.mu.Unlock()
	to := fmt.Sprintf("cosigned by all %d witnesses", w.n)
	if w.n == 0 {
		to = "signed (no witnesses)"
	}
	if len(d) == 0 {
		return "no append was covered by a checkpoint " + to
	}
	return fmt.Sprintf("delay, append acknowledged to first checkpoint %s (checkpoint %s, audit API polled every 25ms), %d appends: p50 %s, p90 %s, max %s",
		to, pacing, len(d), d[len(d)/2].Round(time.Millisecond), d[len(d)*9/10].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
}
