package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// runBenchSurge is one petition going viral (issue 17, acceptance 4):
// signatures through gRPC and reads of the petition (its status as JSON
// through the REST gateway, and its HTML page, in turn) offered together,
// each open-loop at its own rate: a request is sent when it is due, whether
// or not the earlier ones have been answered, and its latency runs from
// when it was due (so queueing counts). A request due while --max-inflight
// of its kind are outstanding is not sent and counted as dropped.
func runBenchSurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench surge", stderr)
	census := fs.String("census", "", "census CSV of the communes (default: the demo communes)")
	binary := fs.String("binary", "", binaryHelp)
	signRate := fs.Float64("sign-rate", 2000, "signatures offered per second")
	readRate := fs.Float64("read-rate", 20000, "reads offered per second (status JSON and HTML page in turn)")
	duration := fs.Duration("duration", 10*time.Second, "how long both are offered")
	maxInflight := fs.Int("max-inflight", 2048, "outstanding requests of each kind beyond which a due request is dropped")
	slowest := fs.Int("slowest", 0, "also print the N slowest requests of each kind, with when each was due (a timeline of stalls)")
	traceOut := fs.String("trace", "", "write the server's execution trace of the whole phase to this file (go tool trace; serve --debug-addr on loopback)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench surge", "unexpected argument %q", fs.Arg(0))
	}
	dir, bin, cleanup, err := benchFolder(ctx, "surge", *binary, *census, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	var serveArgs []string
	debugAddr := ""
	if *traceOut != "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		debugAddr = fmt.Sprintf("127.0.0.1:%d", port)
		serveArgs = append(serveArgs, "--debug-addr", debugAddr)
	}
	srv, err := startBenchServer(ctx, bin, dir, "", serveArgs...)
	if err != nil {
		return err
	}
	defer srv.stop()
	pc := petitionsv1.NewPetitionServiceClient(srv.conn)
	agent := srv.as(access.RoleCitizen, "", "bench-agent")
	created, err := pc.CreatePetition(agent, &petitionsv1.CreatePetitionRequest{Parent: "communes/50910101", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Pétition virale", Request: "Inscrire la question à l'ordre du jour.", Reasons: "Mesure d'une vague de signatures."})
	if err != nil {
		return err
	}
	name := created.GetPetition().GetName()
	if _, err := pc.OpenPetitionForSignatures(agent, &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		return err
	}
	// The council's moderation clears it before it collects signatures
	// (and before the public can read it).
	if _, err := pc.ModeratePetition(srv.as(access.RoleStaff, "50910101", "bench-clerk"), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true}); err != nil {
		return err
	}
	nSign := int(*signRate * duration.Seconds())
	nRead := int(*readRate * duration.Seconds())
	// One account per signature, its token issued before the clock starts.
	accounts := make([]context.Context, nSign)
	for i := range accounts {
		accounts[i] = srv.as(access.RoleCitizen, "", fmt.Sprintf("surge-account-%d", i))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, DisableCompression: false}, Timeout: time.Minute}
	urls := []string{"http://" + srv.addr + "/v1/" + name, "http://" + srv.addr + "/" + name}
	fmt.Fprintf(stderr, "bench surge: %s: %.0f signatures/s and %.0f reads/s for %v\n", name, *signRate, *readRate, *duration)

	sign := openLoop{name: "SignPetition (gRPC)", rate: *signRate, n: nSign, max: *maxInflight, op: func(i int) error {
		_, err := pc.SignPetition(accounts[i], &petitionsv1.SignPetitionRequest{Name: name, NationalId: fmt.Sprintf("B%07d", i), FullName: "Surge Signer"})
		return err
	}}
	read := openLoop{name: "read the petition (REST JSON / HTML page in turn)", rate: *readRate, n: nRead, max: *maxInflight, op: func(i int) error {
		resp, err := client.Get(urls[i%2])
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}}
	traced := make(chan error, 1)
	if *traceOut != "" {
		go func() {
			traced <- fetchTrace(ctx, "http://"+debugAddr+"/debug/pprof/trace", *duration+time.Second, *traceOut)
		}()
	}
	before := markCPU(srv.pid)
	start := time.Now()
	var wg sync.WaitGroup
	for _, l := range []*openLoop{&sign, &read} {
		wg.Add(1)
		go func() { defer wg.Done(); l.run(ctx, start) }()
	}
	wg.Wait()
	after := markCPU(srv.pid)
	if *traceOut != "" {
		if err := <-traced; err != nil {
			fmt.Fprintf(stderr, "bench surge: no trace: %v\n", err)
		}
	}
	for _, l := range []*openLoop{&sign, &read} {
		l.print(stdout)
	}
	for _, l := range []*openLoop{&sign, &read} {
		l.printSlowest(stdout, *slowest, start)
	}
	// Signatures and reads share the CPU: per signature and per request
	// answered, each figure is the whole phase's CPU.
	if c, err := cpuBetween(before, after, len(sign.lat)); err == nil {
		c.print(stdout, "signature answered (reads included)")
	} else {
		fmt.Fprintf(stderr, "bench surge: no CPU per signature: %v\n", err)
	}
	if c, err := cpuBetween(before, after, len(sign.lat)+len(read.lat)); err == nil {
		c.print(stdout, "request answered (signature or read)")
	}
	return nil
}

// fetchTrace saves the server's execution trace of the next d.
func fetchTrace(ctx context.Context, url string, d time.Duration, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s?seconds=%d", url, int(d.Seconds()+0.999)), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openLoop offers n requests at rate per second from start.
type openLoop struct {
	name string
	rate float64
	n    int
	max  int
	op   func(i int) error

	mu       sync.Mutex
	lat      []time.Duration
	slow     []sample // each answered request, for printSlowest
	errs     int
	firstErr error
	dropped  atomic.Int64
	elapsed  time.Duration
}

func (l *openLoop) run(ctx context.Context, start time.Time) {
	var inflight atomic.Int64
	var wg sync.WaitGroup
	for i := range l.n {
		due := start.Add(time.Duration(float64(i) / l.rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		if inflight.Load() >= int64(l.max) {
			l.dropped.Add(1)
			continue
		}
		inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inflight.Add(-1)
			err := l.op(i)
			d := time.Since(due)
			l.mu.Lock()
			defer l.mu.Unlock()
			if err != nil {
				l.errs++
				if l.firstErr == nil {
					l.firstErr = err
				}
				return
			}
			l.lat = append(l.lat, d)
			l.slow = append(l.slow, sample{due: due.Sub(start), lat: d})
		}()
	}
	wg.Wait()
	l.elapsed = time.Since(start)
}

// sample is one answered request: when it was due (from start) and how
// long it took from then.
type sample struct{ due, lat time.Duration }

// printSlowest prints the n slowest answered requests in the order they
// were due: stalls that hit many requests at once show as a run of close
// due times.
func (l *openLoop) printSlowest(w io.Writer, n int, start time.Time) {
	if n <= 0 || len(l.slow) == 0 {
		return
	}
	s := append([]sample(nil), l.slow...)
	sort.Slice(s, func(i, j int) bool { return s[i].lat > s[j].lat })
	s = s[:min(n, len(s))]
	sort.Slice(s, func(i, j int) bool { return s[i].due < s[j].due })
	fmt.Fprintf(w, "%s: the %d slowest, by when due (from %s):\n", l.name, len(s), start.UTC().Format(time.StampMilli))
	for _, x := range s {
		fmt.Fprintf(w, "  due +%v (%s)  took %v\n", x.due.Round(time.Millisecond), start.Add(x.due).UTC().Format("15:04:05.000"), x.lat.Round(time.Millisecond))
	}
}

func (l *openLoop) print(w io.Writer) {
	sort.Slice(l.lat, func(i, j int) bool { return l.lat[i] < l.lat[j] })
	q := func(p float64) time.Duration {
		if len(l.lat) == 0 {
			return 0
		}
		return l.lat[min(len(l.lat)-1, int(p*float64(len(l.lat))))]
	}
	fmt.Fprintf(w, "%s: offered %.0f/s (%d), answered %d in %v = %.0f/s, p50 %v, p99 %v, max %v, errors %d, dropped (over %d in flight) %d",
		l.name, l.rate, l.n, len(l.lat), l.elapsed.Round(time.Millisecond), float64(len(l.lat))/l.elapsed.Seconds(),
		q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond), q(1).Round(time.Millisecond), l.errs, l.max, l.dropped.Load())
	if l.firstErr != nil {
		fmt.Fprintf(w, " (first: %v)", l.firstErr)
	}
	fmt.Fprintln(w)
}
