package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU per operation: the server's (the `tasharuk serve` subprocess, from
// /proc/<pid>/stat) and the bench's own (its clients, from getrusage),
// read before and after a phase. On this 2-core machine both share the
// cores, so CPU per signature says what a rate alone cannot: whether a
// change made the work cheaper or the machine was just quieter.

// clockTicks is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 for the /proc interface on every architecture
// Go supports (sysconf(_SC_CLK_TCK); `getconf CLK_TCK` says 100).
const clockTicks = 100

// procCPU is the user and system CPU time a process has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields counted from 3 start after the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 (utime) and 15 (stime)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// selfCPU is the user and system CPU time the bench itself has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMark is both CPU times at one moment.
type cpuMark struct {
	server, bench time.Duration
	at            time.Time
	err           error
}

func markCPU(pid int) cpuMark {
	s, err := procCPU(pid)
	return cpuMark{server: s, bench: selfCPU(), at: time.Now(), err: err}
}

// cpuPer is the CPU used between two marks, per operation.
type cpuPer struct {
	Ops                int     `json:"ops"`
	ServerMicros       float64 `json:"server_cpu_us_per_op"`
	BenchMicros        float64 `json:"bench_cpu_us_per_op"`
	ServerCores        float64 `json:"server_cores"`
	BenchCores         float64 `json:"bench_cores"`
	Seconds            float64 `json:"seconds"`
	ServerCPUSeconds   float64 `json:"server_cpu_s"`
	BenchCPUSeconds    float64 `json:"bench_cpu_s"`
	LoadAverage1Minute float64 `json:"load_average_1m"`
}

func cpuBetween(a, b cpuMark, ops int) (cpuPer, error) {
	if a.err != nil {
		return cpuPer{}, a.err
	}
	if b.err != nil {
		return cpuPer{}, b.err
	}
	if ops <= 0 {
		return cpuPer{}, fmt.Errorf("no operations")
	}
	wall := b.at.Sub(a.at).Seconds()
	s, c := (b.server - a.server).Seconds(), (b.bench - a.bench).Seconds()
	return cpuPer{Ops: ops, ServerMicros: 1e6 * s / float64(ops), BenchMicros: 1e6 * c / float64(ops),
		ServerCores: s / wall, BenchCores: c / wall, Seconds: wall, ServerCPUSeconds: s, BenchCPUSeconds: c, LoadAverage1Minute: loadAverage()}, nil
}

func (c cpuPer) print(w io.Writer, what string) {
	fmt.Fprintf(w, "server CPU per %s: %.0f µs; bench (clients) CPU per %s: %.0f µs (%d in %.2f s: server %.2f cores, bench %.2f cores; load average %.2f)\n",
		what, c.ServerMicros, what, c.BenchMicros, c.Ops, c.Seconds, c.ServerCores, c.BenchCores, c.LoadAverage1Minute)
}

// loadAverage is the machine's 1-minute load average (0 if unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// serverProfile fetches a CPU profile of the bench server from its
// profiling listener (serve --debug-addr) for the given seconds; wait
// returns once it is written to file. Samples are taken only while the
// server runs, so seconds past the end of the phase add none.
func serverProfile(ctx context.Context, debugAddr string, seconds int, file string) (wait func() error) {
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", debugAddr, seconds)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				return fmt.Errorf("server profile: %s: %s", resp.Status, b)
			}
			f, err := os.Create(file)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, resp.Body); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}()
	}()
	return func() error { return <-done }
}
