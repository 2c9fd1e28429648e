package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/status"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// runBenchScenario runs a realistic day on the communes of a region through
// the API, beside the raw engine measured on the same server in the same
// run.
func runBenchScenario(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench scenario", stderr)
	census := fs.String("census", "", "census CSV of the region's communes (required: e.g. testdata/bmk_communes_2024.csv)")
	viral := fs.Int("viral-signatures", 100000, "signatures on the viral petition")
	signers := fs.Int("signers", 64, "concurrent signers")
	petitions := fs.Int("petitions", 1350, "petitions filed and decided across the communes")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	binary := fs.String("binary", "", binaryHelp)
	witnesses := fs.Int("witnesses", 0, "start this many `tasharuk witness` processes, serve --witness each, and report the delay to a checkpoint cosigned by all; the scenario runs twice, without witnesses then with them")
	ckEvery := fs.Int("checkpoint-every", 500, "with --witnesses: serve --checkpoint-every, in both runs")
	ckInterval := fs.Duration("checkpoint-interval", 500*time.Millisecond, "with --witnesses: serve --checkpoint-interval, in both runs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench scenario", "unexpected argument %q", fs.Arg(0))
	}
	if *census == "" {
		return fmt.Errorf("bench scenario: --census FILE is required")
	}
	if *witnesses == 0 {
		rows, _, err := scenarioPass(ctx, scenarioOpts{census: *census, viral: *viral, signers: *signers, petitions: *petitions, bin: *binary}, stderr)
		if err != nil {
			return err
		}
		return printRows(stdout, rows, *asJSON)
	}
	bin, removeBin, err := tasharukBinary(ctx, *binary, stderr)
	if err != nil {
		return err
	}
	defer removeBin()
	o := scenarioOpts{census: *census, viral: *viral, signers: *signers, petitions: *petitions, bin: bin,
		serveArgs: []string{"--checkpoint-every", fmt.Sprint(*ckEvery), "--checkpoint-interval", ckInterval.String()},
		pacing:    fmt.Sprintf("every %d events or %s", *ckEvery, *ckInterval)}
	var passes [2][]natsbench.Result
	var delays [2]string
	for i, n := range []int{0, *witnesses} {
		o.witnesses = n
		fmt.Fprintf(stderr, "bench scenario: run %d of 2, %d witnesses, checkpoint every %d events or %s\n", i+1, n, *ckEvery, *ckInterval)
		if passes[i], delays[i], err = scenarioPass(ctx, o, stderr); err != nil {
			return err
		}
	}
	if *asJSON {
		return printRows(stdout, append(append(append(passes[0], natsbench.Result{Name: delays[0]}), passes[1]...), natsbench.Result{Name: delays[1]}), true)
	}
	fmt.Fprintf(stdout, "without witnesses:\n")
	natsbench.Print(stdout, passes[0])
	fmt.Fprintf(stdout, "with %d witnesses:\n", *witnesses)
	natsbench.Print(stdout, passes[1])
	fmt.Fprintln(stdout, delays[0])
	fmt.Fprintln(stdout, delays[1])
	for _, prefix := range []string{"petition commands", "advisory commands", "viral petition"} {
		a, b := rowNamed(passes[0], prefix), rowNamed(passes[1], prefix)
		fmt.Fprintf(stdout, "append latency, %s: p50 %s p99 %s without witnesses, p50 %s p99 %s with %d\n", prefix,
			a.P50.Round(10*time.Microsecond), a.P99.Round(10*time.Microsecond), b.P50.Round(10*time.Microsecond), b.P99.Round(10*time.Microsecond), *witnesses)
	}
	return nil
}

// scenarioOpts is one run of the scenario.
type scenarioOpts struct {
	census                    string
	viral, signers, petitions int
	bin                       string
	witnesses                 int
	serveArgs                 []string
	pacing                    string // the checkpoint flags, for the report
}

func rowNamed(rows []natsbench.Result, prefix string) natsbench.Result {
	for _, r := range rows {
		if strings.HasPrefix(r.Name, prefix) {
			return r
		}
	}
	return natsbench.Result{}
}

func printRows(stdout io.Writer, rows []natsbench.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	natsbench.Print(stdout, rows)
	return nil
}

// scenarioPass runs the scenario once on a new data folder, with
// o.witnesses witnesses, and returns its rows and the cosign delay line.
func scenarioPass(ctx context.Context, o scenarioOpts, stderr io.Writer) ([]natsbench.Result, string, error) {
	census, viral, signers, petitions := &o.census, &o.viral, &o.signers, &o.petitions
	dir, bin, cleanup, err := benchFolder(ctx, "scenario", o.bin, *census, stderr)
	if err != nil {
		return nil, "", err
	}
	defer cleanup()
	serveArgs := o.serveArgs
	if o.witnesses > 0 {
		wargs, stopWitnesses, err := startBenchWitnesses(ctx, bin, dir, o.witnesses)
		if err != nil {
			return nil, "", err
		}
		defer stopWitnesses()
		serveArgs = append(append([]string{}, serveArgs...), wargs...)
	}
	natsPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	srv, err := startBenchServer(ctx, bin, dir, fmt.Sprintf("127.0.0.1:%d", natsPort), serveArgs...)
	if err != nil {
		return nil, "", err
	}
	defer srv.stop()
	var watch *cosignWatch
	if o.serveArgs != nil {
		// Both runs poll the audit API alike; without witnesses the delay
		// is to the first signed checkpoint.
		watch = &cosignWatch{n: o.witnesses}
		ac := auditv1.NewAuditServiceClient(srv.conn)
		if srv.conn, err = watch.dial(srv.addr); err != nil {
			return nil, "", err
		}
		defer srv.conn.Close()
		pctx, stopPoll := context.WithCancel(ctx)
		defer stopPoll()
		go watch.poll(pctx, ac, 25*time.Millisecond)
	}
	pc := petitionsv1.NewPetitionServiceClient(srv.conn)
	tc := territoryv1.NewTerritoryServiceClient(srv.conn)
	list, err := tc.ListCouncils(ctx, &territoryv1.ListCouncilsRequest{Filter: "level=COMMUNE", PageSize: 500})
	if err != nil {
		return nil, "", err
	}
	var communes []string
	for _, c := range list.GetCouncils() {
		communes = append(communes, c.GetCode())
	}
	var rows []natsbench.Result
	nc, err := benchNATS(natsURL, benchKeys(dir))
	if err != nil {
		return nil, "", err
	}
	defer nc.Close()
	size := natsbench.MessageSize(180)

	fmt.Fprintf(stderr, "bench scenario: raw engine\n")
	rawSync, err := natsbench.RawSyncPublish(ctx, nc, *signers, 12800, size)
	if err != nil {
		return nil, "", err
	}
	rawBatch, err := natsbench.RawAtomicBatch(ctx, nc, 100, 12800, size)
	if err != nil {
		return nil, "", err
	}
	rows = append(rows, rawSync, rawBatch)

	// Petitions filed and decided across the communes, 16 at a time.
	fmt.Fprintf(stderr, "bench scenario: %d petitions filed and decided in %d communes\n", *petitions, len(communes))
	agent := srv.as(access.RoleCitizen, "", "bench-agent")
	var cmdLat []time.Duration
	var latMu sync.Mutex
	timed := func(f func() error) error {
		t0 := time.Now()
		err := f()
		latMu.Lock()
		cmdLat = append(cmdLat, time.Since(t0))
		latMu.Unlock()
		return err
	}
	var firstErr atomic.Value
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				code := communes[i%len(communes)]
				staff := srv.as(access.RoleStaff, code, "clerk-"+code)
				var name string
				err := timed(func() error {
					r, err := pc.CreatePetition(agent, &petitionsv1.CreatePetitionRequest{Parent: "communes/" + code, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
						Title: fmt.Sprint("Demande ", i), Request: "Inscrire la demande à l'ordre du jour.", Reasons: "Besoin du quartier."})
					name = r.GetPetition().GetName()
					return err
				})
				if err == nil {
					err = timed(func() error {
						_, err := pc.DepositPetition(staff, &petitionsv1.DepositPetitionRequest{Name: name, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER,
							ReceiveTime: timestamppb.New(time.Now().AddDate(0, 0, -i%90))})
						return err
					})
				}
				if err == nil && i%3 != 0 {
					// The president refers it to the bureau first (law
					// 113-14 art. 125).
					err = timed(func() error {
						_, err := pc.ReferPetitionToBureau(staff, &petitionsv1.ReferPetitionToBureauRequest{Name: name})
						return err
					})
				}
				if err == nil && i%3 != 0 {
					err = timed(func() error {
						_, err := pc.DecideAdmissibility(staff, &petitionsv1.DecideAdmissibilityRequest{Name: name, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE,
							Reasons: "Le nombre de signatures requis n'est pas atteint."})
						return err
					})
				}
				if err == nil && i%3 == 1 {
					err = timed(func() error {
						_, err := pc.NotifyAgent(staff, &petitionsv1.NotifyAgentRequest{Name: name, Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter"})
						return err
					})
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for i := range *petitions {
		work <- i
	}
	close(work)
	wg.Wait()
	if e, _ := firstErr.Load().(error); e != nil {
		return nil, "", e
	}
	rows = append(rows, resultOf("petition commands via gRPC (16 clerks): create, deposit, decide, notify", cmdLat, time.Since(start)))

	// Bodies and opinions in every commune.
	fmt.Fprintf(stderr, "bench scenario: advisory bodies and opinions\n")
	ac := advisoryv1.NewAdvisoryServiceClient(srv.conn)
	var advLat []time.Duration
	start = time.Now()
	for _, code := range communes {
		staff := srv.as(access.RoleStaff, code, "clerk-"+code)
		sec := srv.as(access.RoleAdvisory, code, "sec-"+code)
		body := "communes/" + code + "/advisoryBodies/equity-gender"
		steps := []func() error{
			func() error {
				_, err := ac.CreateBody(staff, &advisoryv1.CreateBodyRequest{Parent: "communes/" + code, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, DisplayName: "IEECAG", DecisionDate: "2026-01-10", DecisionReference: "d"})
				return err
			},
		}
		for m := range 5 {
			steps = append(steps, func() error {
				_, err := ac.AddMember(sec, &advisoryv1.AddMemberRequest{Name: body, Member: &advisoryeventsv1.Member{MemberId: fmt.Sprint("m", m), Sex: advisoryeventsv1.Sex(1 + m%2), AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT}})
				return err
			})
		}
		steps = append(steps, func() error {
			_, err := ac.RecordMeeting(sec, &advisoryv1.RecordMeetingRequest{Name: body, MeetingId: "s1", Attendees: []string{"m0", "m1", "m2", "m3"}})
			return err
		})
		var op string
		steps = append(steps, func() error {
			r, err := ac.CreateOpinion(sec, &advisoryv1.CreateOpinionRequest{Parent: body, Title: "Avis", Text: "Texte"})
			op = r.GetOpinion().GetName()
			return err
		}, func() error {
			_, err := ac.AdoptOpinion(sec, &advisoryv1.AdoptOpinionRequest{Name: op, MeetingId: "s1", VotesFor: 3, VotesAgainst: 1})
			return err
		})
		for _, s := range steps {
			t0 := time.Now()
			if err := s(); err != nil {
				return nil, "", err
			}
			advLat = append(advLat, time.Since(t0))
		}
	}
	rows = append(rows, resultOf("advisory commands via gRPC (one secretary at a time)", advLat, time.Since(start)))

	// The viral petition.
	fmt.Fprintf(stderr, "bench scenario: viral petition, %d signatures from %d signers\n", *viral, *signers)
	sign, err := benchSigning(ctx, srv, *signers, *viral)
	if err != nil {
		return nil, "", err
	}
	sign.Name = fmt.Sprintf("viral petition: SignPetition via gRPC, %d signers", *signers)
	s2 := sign
	natsbench.Compare(&sign, rawSync)
	natsbench.Compare(&s2, rawBatch)
	rows = append(rows, sign, s2)
	if watch != nil {
		// Every append done: wait until all are cosigned.
		if err := watch.wait(ctx, 2*time.Minute); err != nil {
			return nil, "", err
		}
	}

	// Status queries.
	sc := statusv1.NewStatusServiceClient(srv.conn)
	var qLat, rLat []time.Duration
	start = time.Now()
	for i := range 2000 {
		t0 := time.Now()
		if _, err := sc.GetCouncilStatus(ctx, &statusv1.GetCouncilStatusRequest{Name: "communes/" + communes[i%len(communes)] + "/status"}); err != nil {
			return nil, "", err
		}
		qLat = append(qLat, time.Since(t0))
	}
	rows = append(rows, resultOf("GetCouncilStatus (commune) via gRPC", qLat, time.Since(start)))
	start = time.Now()
	for range 200 {
		t0 := time.Now()
		if _, err := sc.ListCouncilStatuses(ctx, &statusv1.ListCouncilStatusesRequest{Parent: "regions/" + regionOf(ctx, tc)}); err != nil {
			return nil, "", err
		}
		rLat = append(rLat, time.Since(t0))
	}
	rows = append(rows, resultOf("ListCouncilStatuses (region) via gRPC", rLat, time.Since(start)))

	// Replay: rebuild the read models from the log beside the raw ordered
	// consumer, through a second connection to the same server.
	raw, err := natsbench.RawOrderedConsume(ctx, nc, "TASHARUK_LOG")
	if err != nil {
		return nil, "", err
	}
	store, err := natsstore.Open(ctx, natsstore.Config{URL: natsURL, Replicas: 1, Stream: "TASHARUK_LOG", NKeyFile: natsstore.SeedFile(benchKeys(dir), natsstore.UserService)})
	if err != nil {
		return nil, "", err
	}
	defer store.Close()
	m := status.NewReadModels(newRegistry())
	start = time.Now()
	if err := projections.RebuildFollowing(ctx, store, m.Runner); err != nil {
		return nil, "", err
	}
	d := time.Since(start)
	rep := natsbench.Result{Name: "replay: rebuild every read model from zero", Ops: int(m.Position()), Duration: d, Rate: float64(m.Position()) / d.Seconds()}
	natsbench.Compare(&rep, raw)
	rows = append(rows, raw, rep)
	// The service and its embedded NATS run in the server's process: its
	// heap in use comes from its /metrics, the rebuilt copy's from ours.
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	served, err := scrape("http://"+srv.addr+"/metrics", "go_memstats_heap_inuse_bytes")
	if err != nil {
		return nil, "", err
	}
	heap := served[0] + float64(ms.HeapInuse)
	rows = append(rows, natsbench.Result{Name: fmt.Sprintf("memory: heap in use %.0f MiB (service, embedded NATS and the rebuilt copy), %d events", heap/(1<<20), m.Position())})
	delay := ""
	if watch != nil {
		delay = watch.summary(o.pacing)
	}
	return rows, delay, nil
}

func resultOf(name string, lat []time.Duration, d time.Duration) natsbench.Result {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := natsbench.Result{Name: name, Ops: len(lat), Duration: d, Rate: float64(len(lat)) / d.Seconds()}
	if len(lat) > 0 {
		r.P50, r.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

func regionOf(ctx context.Context, tc territoryv1.TerritoryServiceClient) string {
	l, err := tc.ListCouncils(ctx, &territoryv1.ListCouncilsRequest{Filter: "level=REGION"})
	if err != nil || len(l.GetCouncils()) == 0 {
		return ""
	}
	return l.GetCouncils()[0].GetCode()
}
