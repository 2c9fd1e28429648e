package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/status"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// runBenchPetitions measures signing through gRPC beside the raw engine,
// then the status query and the read model's memory under a large load.
func runBenchPetitions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench petitions", stderr)
	census := fs.String("census", "", "census CSV of the communes (default: the demo communes)")
	signers := fs.Int("signers", 64, "concurrent signers")
	signatures := fs.Int("signatures", 20000, "signatures to add through gRPC")
	loadPetitions := fs.Int("load-petitions", 10000, "petitions to load for the status query (0: skip)")
	loadSignatures := fs.Int("load-signatures", 1000000, "signatures to load for the status query")
	queries := fs.Int("queries", 5000, "status queries to time")
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the signing phase to this file (the bench's gRPC clients; the server runs in its own process)")
	serverProfileFile := fs.String("server-cpu-profile", "", "write a CPU profile of the server's signing phase to this file (fetched from serve --debug-addr; the binary must have it)")
	serverProfileSeconds := fs.Int("server-cpu-profile-seconds", 10, "seconds the server's profile covers from the start of signing (the bench waits for it before the raw rows)")
	binary := fs.String("binary", "", binaryHelp)
	asJSON := fs.Bool("json", false, "print the rows and the CPU per signature as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench petitions", "unexpected argument %q", fs.Arg(0))
	}
	dir, bin, cleanup, err := benchFolder(ctx, "petitions", *binary, *census, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	var rows []natsbench.Result

	// Phase 1: signing through gRPC, with the raw engine on the same server.
	natsPort, err := freePort()
	if err != nil {
		return err
	}
	var serveArgs []string
	debugAddr := ""
	if *serverProfileFile != "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		debugAddr = fmt.Sprintf("127.0.0.1:%d", port)
		serveArgs = append(serveArgs, "--debug-addr", debugAddr)
	}
	srv, err := startBenchServer(ctx, bin, dir, fmt.Sprintf("127.0.0.1:%d", natsPort), serveArgs...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench petitions: signing, %d signers, %d signatures\n", *signers, *signatures)
	var before cpuMark
	waitProfile := func() error { return nil }
	sign, err := benchSigningFrom(ctx, srv, *signers, *signatures, func() {
		// The clock starts: everything before (filing, tokens) is not
		// counted in the CPU per signature.
		if *serverProfileFile != "" {
			waitProfile = serverProfile(ctx, debugAddr, *serverProfileSeconds, *serverProfileFile)
		}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err == nil {
				err = pprof.StartCPUProfile(f)
			}
			if err != nil {
				fmt.Fprintf(stderr, "bench petitions: no CPU profile of the bench: %v\n", err)
			}
		}
		before = markCPU(srv.pid)
	})
	after := markCPU(srv.pid)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	var cpu *cpuPer
	if err == nil {
		c, cerr := cpuBetween(before, after, sign.Ops)
		if cerr != nil {
			fmt.Fprintf(stderr, "bench petitions: no CPU figures: %v\n", cerr)
		} else {
			cpu = &c
			c.print(stderr, "signature")
		}
	}
	if perr := waitProfile(); perr != nil {
		fmt.Fprintf(stderr, "bench petitions: server profile: %v\n", perr)
	} else if *serverProfileFile != "" {
		fmt.Fprintf(stderr, "bench petitions: server CPU profile of the signing phase (%d s from its start) in %s\n", *serverProfileSeconds, *serverProfileFile)
	}
	if m, merr := scrape("http://"+srv.addr+"/metrics", "tasharuk_store_commits_total", "tasharuk_store_committed_messages_total", "tasharuk_store_commit_seconds_total"); merr == nil && m[0] > 0 {
		fmt.Fprintf(stderr, "bench petitions: the log took %.0f messages in %.0f commits (%.1f per commit, %.2f ms per commit round trip)\n", m[1], m[0], m[1]/m[0], 1000*m[2]/m[0])
	}
	if err != nil {
		srv.stop()
		return err
	}
	nc, err := benchNATS(fmt.Sprintf("nats://127.0.0.1:%d", natsPort), benchKeys(dir))
	if err != nil {
		srv.stop()
		return err
	}
	size := natsbench.MessageSize(180)
	rawSync, err := natsbench.RawSyncPublish(ctx, nc, *signers, *signatures, size)
	if err == nil {
		var rawBatch natsbench.Result
		rawBatch, err = natsbench.RawAtomicBatch(ctx, nc, 100, *signatures, size)
		s2 := sign
		natsbench.Compare(&sign, rawSync)
		natsbench.Compare(&s2, rawBatch)
		rows = append(rows, rawSync, rawBatch, sign, s2)
	}
	nc.Close()
	srv.stop()
	if err != nil {
		return err
	}

	// Phase 2: the status query over a large load.
	if *loadPetitions > 0 {
		fmt.Fprintf(stderr, "bench petitions: loading %d petitions and %d signatures\n", *loadPetitions, *loadSignatures)
		load, err := benchLoad(ctx, dir, *loadPetitions, *loadSignatures)
		if err != nil {
			return err
		}
		rows = append(rows, load)
		mem, err := benchModelMemory(ctx, dir)
		if err != nil {
			return err
		}
		rows = append(rows, mem...)
		srv, err := startBenchServer(ctx, bin, dir, "")
		if err != nil {
			return err
		}
		q, err := benchStatusQueries(srv, *queries)
		srv.stop()
		if err != nil {
			return err
		}
		rows = append(rows, q...)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Rows []natsbench.Result `json:"rows"`
			CPU  *cpuPer            `json:"signing_cpu,omitempty"`
		}{rows, cpu})
	}
	natsbench.Print(stdout, rows)
	if cpu != nil {
		cpu.print(stdout, "signature")
	}
	return nil
}

// benchKeys is the keys folder of a bench server on dir: serve's default.
func benchKeys(dir string) string { return filepath.Join(dir, "keys") }

// benchNATS connects to the bench server's NATS listener, which admits
// no anonymous client, as the service's user (the raw engine measures its
// own streams in the service's account).
func benchNATS(url, keysDir string) (*nats.Conn, error) {
	opt, err := natsstore.UserOption(keysDir, natsstore.UserService)
	if err != nil {
		return nil, err
	}
	return nats.Connect(url, opt)
}

// benchSigning files, opens and clears one petition, then signs it from
// signers clients at once.
func benchSigning(ctx context.Context, b *benchServer, signers, total int) (natsbench.Result, error) {
	return benchSigningFrom(ctx, b, signers, total, func() {})
}

// benchSigningFrom is benchSigning calling start once the tokens are
// issued, just before the first signature.
func benchSigningFrom(ctx context.Context, b *benchServer, signers, total int, start func()) (natsbench.Result, error) {
	pc := petitionsv1.NewPetitionServiceClient(b.conn)
	agent := b.as(access.RoleCitizen, "", "bench-agent")
	created, err := pc.CreatePetition(agent, &petitionsv1.CreatePetitionRequest{Parent: "communes/50910101", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Pétition virale", Request: "Inscrire la question à l'ordre du jour.", Reasons: "Mesure de la signature en ligne."})
	if err != nil {
		return natsbench.Result{}, err
	}
	name := created.GetPetition().GetName()
	if _, err := pc.OpenPetitionForSignatures(agent, &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		return natsbench.Result{}, err
	}
	// The council's moderation clears it before it collects signatures.
	if _, err := pc.ModeratePetition(b.as(access.RoleStaff, "50910101", "bench-clerk"), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true}); err != nil {
		return natsbench.Result{}, err
	}
	per := total / signers
	// One account per signature (an account signs a petition once, with
	// one ID number: issue 16), its token issued before the clock starts.
	accounts := make([]context.Context, signers*per)
	for i := range accounts {
		accounts[i] = b.as(access.RoleCitizen, "", fmt.Sprintf("bench-account-%d", i))
	}
	start()
	return natsbench.Workers(fmt.Sprintf("tasharuk SignPetition via gRPC, %d signers, one petition", signers), signers, per, func(w, i int) error {
		_, err := pc.SignPetition(accounts[w*per+i], &petitionsv1.SignPetitionRequest{Name: name, NationalId: fmt.Sprintf("B%07d", w*per+i), FullName: "Bench Signer"})
		return err
	})
}

// benchLoad writes petitions and signatures straight to the log (the
// events the API would write, with a placeholder ciphertext), spread over
// the communes.
func benchLoad(ctx context.Context, dir string, petitions, signatures int) (natsbench.Result, error) {
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
	if err != nil {
		return natsbench.Result{}, err
	}
	defer s.Close()
	reg := newRegistry()
	model := status.NewReadModels(reg)
	if err := projections.Rebuild(ctx, s, model.Runner); err != nil {
		return natsbench.Result{}, err
	}
	communes := model.Territory.Councils("", 2)
	var codes []string
	for _, c := range communes {
		codes = append(codes, c.Code)
	}
	if len(codes) == 0 {
		return natsbench.Result{}, fmt.Errorf("no communes loaded")
	}
	actor := eventstore.Actor{Subject: "bench-clerk", Role: "staff"}
	propose := func(m proto.Message, at time.Time) eventstore.Proposed {
		p, _ := reg.Propose(m, es.Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: at, Actor: actor})
		return p
	}
	type job struct {
		stream string
		evs    []eventstore.Proposed
	}
	jobs := make(chan job, 1024)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := s.Append(ctx, j.stream, eventstore.NoStream, j.evs); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	start := time.Now()
	now := time.Now().UTC()
	perPetition := signatures / petitions
	n := 0
	for i := range petitions {
		code := codes[i%len(codes)]
		id := uuid.Must(uuid.NewV7()).String()
		council := "communes/" + code
		received := now.AddDate(0, 0, -(i % 200))
		evs := []eventstore.Proposed{
			propose(&petitionseventsv1.PetitionDrafted{PetitionId: id, Council: council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: fmt.Sprint("Pétition ", i), Request: "r", Reasons: "r", Agent: "bench-agent"}, received),
			propose(&petitionseventsv1.PetitionOpenedForSignatures{}, received),
		}
		if i%4 != 0 {
			evs = append(evs, propose(&petitionseventsv1.PetitionDeposited{ReceiptNumber: fmt.Sprintf("%s-%d", code, i), ReceivedAt: timestamppb.New(received), DecisionDeadline: timestamppb.New(received.AddDate(0, 3, 0)), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE}, received))
			if i%3 == 0 {
				d := petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE
				if i%2 == 0 {
					d = petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE
				}
				at := received.AddDate(0, 0, 10+i%50)
				evs = append(evs, propose(&petitionseventsv1.AdmissibilityDecided{Decision: d, Reasons: "motifs écrits de la décision"}, at),
					propose(&petitionseventsv1.AgentNotified{Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter"}, at))
			}
		}
		jobs <- job{pdomain.PetitionStream(code, id), evs}
		n += len(evs)
		for j := range perPetition {
			key := fmt.Sprintf("%016x%048x", i, j)
			jobs <- job{pdomain.SignatureStream(id, key), []eventstore.Proposed{propose(&petitionseventsv1.SignatureAdded{Petition: council + "/petitions/" + id, SignerKey: key, NameCiphertext: []byte("sealed-name-placeholder-32-bytes"), Channel: petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE}, received)}}
			n++
		}
	}
	close(jobs)
	wg.Wait()
	if e, _ := firstErr.Load().(error); e != nil {
		return natsbench.Result{}, e
	}
	d := time.Since(start)
	return natsbench.Result{Name: fmt.Sprintf("load: %d petitions, %d signatures (256 writers)", petitions, perPetition*petitions), Ops: n, Duration: d, Rate: float64(n) / d.Seconds()}, nil
}

// benchModelMemory rebuilds the read model alone and reports the heap it
// holds.
func benchModelMemory(ctx context.Context, dir string) ([]natsbench.Result, error) {
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	raw, err := natsbench.RawOrderedConsume(ctx, s.Conn(), s.StreamName())
	if err != nil {
		return nil, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	model := status.NewReadModels(newRegistry())
	start := time.Now()
	if err := projections.RebuildFollowing(ctx, s, model.Runner); err != nil {
		return nil, err
	}
	d := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(model)
	rebuild := natsbench.Result{Name: fmt.Sprintf("rebuild of all read models from zero (subscription); heap held: %.0f MiB", float64(heap)/(1<<20)),
		Ops: int(model.Position()), Duration: d, Rate: float64(model.Position()) / d.Seconds()}
	natsbench.Compare(&rebuild, raw)
	// An as-of status query over the whole log, straight on the model.
	head := model.Position()
	a, _ := model.Resolve(head/2, time.Time{}, time.Time{}, time.Now())
	lat := make([]time.Duration, 0, 50)
	t0 := time.Now()
	for i := range 50 {
		a.Position = head/2 + uint64(i)
		t1 := time.Now()
		model.Petitions.PetitionFiguresAt("50910101", a)
		lat = append(lat, time.Since(t1))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	asOf := natsbench.Result{Name: "as-of status of a commune (read model, half-way position)", Ops: 50, Duration: time.Since(t0),
		Rate: 50 / time.Since(t0).Seconds(), P50: lat[25], P99: lat[49]}
	return []natsbench.Result{raw, rebuild, asOf}, nil
}

func benchStatusQueries(b *benchServer, n int) ([]natsbench.Result, error) {
	sc := statusv1.NewStatusServiceClient(b.conn)
	ctx := context.Background()
	codes := []string{"50910101", "50910113", "50910107", "50910103"}
	time1 := func(name string, f func(i int) error) (natsbench.Result, error) {
		lat := make([]time.Duration, 0, n)
		start := time.Now()
		for i := range n {
			t0 := time.Now()
			if err := f(i); err != nil {
				return natsbench.Result{}, err
			}
			lat = append(lat, time.Since(t0))
		}
		d := time.Since(start)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return natsbench.Result{Name: name, Ops: n, Duration: d, Rate: float64(n) / d.Seconds(), P50: lat[n/2], P99: lat[n*99/100]}, nil
	}
	r1, err := time1("GetCouncilStatus (commune) via gRPC", func(i int) error {
		_, err := sc.GetCouncilStatus(ctx, &statusv1.GetCouncilStatusRequest{Name: "communes/" + codes[i%len(codes)] + "/status"})
		return err
	})
	if err != nil {
		return nil, err
	}
	r2, err := time1("ListCouncilStatuses (region roll-up) via gRPC", func(i int) error {
		_, err := sc.ListCouncilStatuses(ctx, &statusv1.ListCouncilStatusesRequest{Parent: "regions/beni-mellal-khenifra"})
		return err
	})
	if err != nil {
		return nil, err
	}
	head, err := eventlogv1.NewEventLogServiceClient(b.conn).GetLogInfo(ctx, &eventlogv1.GetLogInfoRequest{})
	if err != nil {
		return nil, err
	}
	r3, err := time1("GetCouncilStatus as of half-way (asOfPosition) via gRPC", func(i int) error {
		_, err := sc.GetCouncilStatus(ctx, &statusv1.GetCouncilStatusRequest{Name: "communes/" + codes[i%len(codes)] + "/status", AsOfPosition: head.GetHeadPosition()/2 + uint64(i)})
		return err
	})
	if err != nil {
		return nil, err
	}
	ac := auditv1.NewAuditServiceClient(b.conn)
	// The checkpointer has to cover the log before proofs can be asked for.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if _, err := ac.GetInclusionProof(ctx, &auditv1.GetInclusionProofRequest{Position: head.GetHeadPosition()}); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r4, err := time1("GetInclusionProof via gRPC", func(i int) error {
		_, err := ac.GetInclusionProof(ctx, &auditv1.GetInclusionProofRequest{Position: 1 + uint64(i*7919)%head.GetHeadPosition()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return []natsbench.Result{r1, r2, r3, r4}, nil
}

// scrape reads counters from a Prometheus text endpoint.
func scrape(url string, names ...string) ([]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(names))
	for _, line := range strings.Split(string(b), "\n") {
		for i, n := range names {
			if v, ok := strings.CutPrefix(line, n+" "); ok {
				fmt.Sscan(v, &out[i])
			}
		}
	}
	return out, nil
}
