package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tasharuk/tasharuk/access"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	prdomain "github.com/tasharuk/tasharuk/services/programmes/domain"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// runBenchProgrammes measures issue 21's acceptance 5: importing the
// forum's 10,000 satisfaction forms through the API, as forms/s and as a
// ratio to raw appends of one event each in the same run, and the regional
// dashboard's latency with the forum-scale data loaded (40 communes, 500
// workshops, 10,000 forms).
func runBenchProgrammes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench programmes", stderr)
	census := fs.String("census", "", "census CSV of the region's communes (required: the dashboard is a region's)")
	forms := fs.Int("forms", 10000, "satisfaction forms to import")
	queries := fs.Int("queries", 1000, "dashboard queries to time")
	region := fs.String("region", "regions/beni-mellal-khenifra", "region whose dashboard is timed")
	binary := fs.String("binary", "", binaryHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *census == "" {
		return usagef("bench programmes", "--census is required")
	}
	dir, bin, cleanup, err := benchFolder(ctx, "programmes", *binary, *census, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	raw, communes, err := rawAppends(ctx, dir, *forms)
	if err != nil {
		return err
	}
	if len(communes) > 40 {
		communes = communes[:40]
	}
	srv, err := startBenchServer(ctx, bin, dir, "")
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(stderr, "bench programmes: importing %d forms over %d communes\n", *forms, len(communes))
	imp, err := benchImport(srv, communes, *forms)
	if err != nil {
		return err
	}
	natsbench.Compare(&imp, raw)
	if err := loadWorkshops(srv, communes, 500); err != nil {
		return err
	}
	dash, err := benchDashboard(srv, *region, *queries)
	if err != nil {
		return err
	}
	natsbench.Print(stdout, []natsbench.Result{raw, imp, dash})
	return nil
}

// rawAppends appends n single-event streams straight to the store (32 at
// a time), the baseline: one form's worth of event each. It returns the
// communes of the census.
func rawAppends(ctx context.Context, dir string, n int) (natsbench.Result, []string, error) {
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
	if err != nil {
		return natsbench.Result{}, nil, err
	}
	defer s.Close()
	reg := newProgrammesRegistry()
	model := status.NewReadModels(reg)
	if err := projections.Rebuild(ctx, s, model.Runner); err != nil {
		return natsbench.Result{}, nil, err
	}
	var communes []string
	for _, c := range model.Territory.Councils("", 1) {
		communes = append(communes, c.Code)
	}
	sort.Strings(communes)
	if len(communes) == 0 {
		return natsbench.Result{}, nil, fmt.Errorf("no communes in the census")
	}
	actor := eventstore.Actor{Subject: "bench", Role: "staff"}
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				code := communes[i%len(communes)]
				id := uuid.Must(uuid.NewV7()).String()
				p, err := reg.Propose(&programmeseventsv1.SurveyFormsImported{Council: "communes/" + code, ImportId: id, Period: "2026", Format: "raw", Part: 1, Parts: 1,
					Forms: []*programmeseventsv1.SurveyForm{{FormRef: fmt.Sprint(i), Sex: programmeseventsv1.Sex_SEX_FEMALE,
						Scores: []*programmeseventsv1.ServiceScore{{Service: programmeseventsv1.Service_SERVICE_WATER, Score: 4}}}}},
					es.Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: time.Now(), Actor: actor})
				if err == nil {
					_, err = s.Append(ctx, prdomain.SurveyFormsStream(code, id), eventstore.NoStream, []eventstore.Proposed{p})
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if err, ok := firstErr.Load().(error); ok {
		return natsbench.Result{}, nil, err
	}
	return natsbench.Result{Name: "raw appends (1 event each, 32 writers)", Ops: n, Duration: d, Rate: float64(n) / d.Seconds()}, communes, nil
}

// benchImport imports n forms through the API, one CSV file per commune,
// and times the whole.
func benchImport(srv *benchServer, communes []string, n int) (natsbench.Result, error) {
	client := programmesv1.NewProgrammeServiceClient(srv.conn)
	per := n / len(communes)
	start := time.Now()
	var lat []time.Duration
	done := 0
	for i, code := range communes {
		k := per
		if i == len(communes)-1 {
			k = n - done
		}
		var b strings.Builder
		b.WriteString("form,area,sex,age_band,disability,civil_status,roads,lighting,waste,water\n")
		for j := range k {
			fmt.Fprintf(&b, "%d,quartier %d,%s,%s,%s,%d,%d,,%d,%d\n", j, j%7, []string{"female", "male"}[j%2], []string{"18_34", "35_59", "60_plus"}[j%3],
				[]string{"no", "yes"}[min(j%15, 1)^1], 1+j%5, 1+(j/5)%5, 1+(j/3)%5, 1+(j/7)%5)
		}
		t0 := time.Now()
		resp, err := client.ImportSurveyForms(srv.as(access.RoleStaff, code, "bench"), &programmesv1.ImportSurveyFormsRequest{Parent: "communes/" + code, Period: "2026", Format: "tasharuk", Csv: b.String()})
		if err != nil {
			return natsbench.Result{}, fmt.Errorf("import %s: %w", code, err)
		}
		lat = append(lat, time.Since(t0))
		done += int(resp.GetForms())
	}
	d := time.Since(start)
	r := natsbench.Result{Name: fmt.Sprintf("survey forms imported (%d files)", len(communes)), Ops: done, Duration: d, Rate: float64(done) / d.Seconds()}
	r.P50, r.P99 = percentiles(lat)
	return r, nil
}

// loadWorkshops records a public consultation per commune and n workshops
// over them, through the API.
func loadWorkshops(srv *benchServer, communes []string, n int) error {
	con := consultationsv1.NewConsultationServiceClient(srv.conn)
	names := map[string]string{}
	for i := range n {
		code := communes[i%len(communes)]
		ctx := srv.as(access.RoleStaff, code, "bench")
		if names[code] == "" {
			c, err := con.CreateConsultation(ctx, &consultationsv1.CreateConsultationRequest{Parent: "communes/" + code, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
				SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic", Deadline: time.Now().AddDate(0, 2, 0).Format(time.DateOnly)})
			if err != nil {
				return err
			}
			names[code] = c.GetConsultation().GetName()
		}
		if _, err := con.RecordWorkshop(ctx, &consultationsv1.RecordWorkshopRequest{Name: names[code], Workshop: &consultationseventsv1.WorkshopHeld{
			WorkshopId: fmt.Sprintf("w%03d", i), Date: time.Now().AddDate(0, 0, -1).Format(time.DateOnly), Place: "douar", Theme: "diagnostic",
			Participants: 200, Women: 66, Youth: 66, Disability: 13}}); err != nil {
			return err
		}
	}
	return nil
}

// benchDashboard times n regional dashboard queries.
func benchDashboard(srv *benchServer, region string, n int) (natsbench.Result, error) {
	client := statusv1.NewDashboardServiceClient(srv.conn)
	var lat []time.Duration
	start := time.Now()
	for range n {
		t0 := time.Now()
		resp, err := client.GetRegionalDashboard(context.Background(), &statusv1.GetRegionalDashboardRequest{Name: region})
		if err != nil {
			return natsbench.Result{}, err
		}
		if i := len(lat); i == 0 && resp.GetFigures().GetSurveyForms() == 0 {
			return natsbench.Result{}, fmt.Errorf("the dashboard of %s shows no forms: wrong region?", region)
		}
		lat = append(lat, time.Since(t0))
	}
	d := time.Since(start)
	r := natsbench.Result{Name: "regional dashboard queries", Ops: n, Duration: d, Rate: float64(n) / d.Seconds()}
	r.P50, r.P99 = percentiles(lat)
	return r, nil
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

// newProgrammesRegistry is newRegistry with the programmes' event types
// (as cmd/tasharuk's newRegistry has them).
func newProgrammesRegistry() *es.Registry {
	return es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes, adomain.EventTypes, cdomain.EventTypes, prdomain.EventTypes, audit.EventTypes)
}
