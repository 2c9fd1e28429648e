// Package kernel_test checks the direction of the layout's dependencies
// (../shared/DESIGN.md, "Layout"; issue 15, acceptance 1): the domain of
// every context, the shared kernel it builds on and the eventstore contract
// are pure — they link protobuf, never a transport. A domain that imports a
// service's generated package (gRPC stubs, the REST gateway) or a store
// backend fails here, naming the import chain to cut.
package kernel_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// forbidden are the import-path prefixes no pure package may link: gRPC,
// net/http (and the gateway built on it), NATS.
var forbidden = []string{
	"google.golang.org/grpc",
	"github.com/grpc-ecosystem/",
	"net/http",
	"github.com/nats-io/",
}

func isForbidden(path string) bool {
	for _, f := range forbidden {
		if path == f || strings.HasPrefix(path, strings.TrimSuffix(f, "/")+"/") {
			return true
		}
	}
	return false
}

// goPkg is the part of `go list -json` this test reads.
type goPkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// goList runs `go list -deps -json` over patterns from the module root and
// returns every package listed, by import path.
func goList(t *testing.T, patterns ...string) map[string]goPkg {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test runs with the go command on PATH
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	cmd := exec.Command(goBin, append([]string{"list", "-deps", "-json=ImportPath,Imports,Deps"}, patterns...)...)
	cmd.Dir = "../.." // the module root
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list %v: %v\n%s", patterns, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", patterns, err)
	}
	pkgs := map[string]goPkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// chain returns an import path from root to target, for the failure message.
func chain(pkgs map[string]goPkg, root, target string) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			var path []string
			for p := target; p != ""; p = prev[p] {
				path = append(path, p)
			}
			slices.Reverse(path)
			return path
		}
		for _, imp := range pkgs[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return []string{root, "…", target}
}

const module = "github.com/tasharuk/tasharuk"

// TestPurePackagesLinkNoTransport: `go list -deps` of every
// services/*/domain, of the shared kernel's es, fault and names, and of
// eventstore contains no gRPC, net/http or NATS package.
func TestPurePackagesLinkNoTransport(t *testing.T) {
	domainDirs, err := filepath.Glob("../../services/*/domain")
	if err != nil {
		t.Fatal(err)
	}
	roots := []string{"./internal/kernel/es", "./internal/kernel/fault", "./internal/kernel/names", "./eventstore"}
	for _, d := range domainDirs {
		roots = append(roots, "./"+filepath.ToSlash(strings.TrimPrefix(d, "../../")))
	}
	pkgs := goList(t, roots...)
	var pure []string
	for path := range pkgs {
		rel, ok := strings.CutPrefix(path, module+"/")
		if !ok {
			continue
		}
		dir, isDomain := strings.CutSuffix(rel, "/domain")
		if isDomain && strings.HasPrefix(dir, "services/") && strings.Count(dir, "/") == 1 ||
			rel == "internal/kernel/es" || rel == "internal/kernel/fault" || rel == "internal/kernel/names" || rel == "eventstore" {
			pure = append(pure, path)
		}
	}
	slices.Sort(pure)
	// The scan must see the contexts' domains; a broken glob would pass
	// vacuously.
	var domains int
	for _, p := range pure {
		if strings.HasSuffix(p, "/domain") {
			domains++
		}
	}
	if domains < 4 || !slices.Contains(pure, module+"/eventstore") {
		t.Fatalf("the scan found only %v: the patterns are broken", pure)
	}
	for _, p := range pure {
		var bad []string
		for _, d := range pkgs[p].Deps {
			if isForbidden(d) {
				bad = append(bad, d)
			}
		}
		if len(bad) == 0 {
			t.Logf("%s: pure (%d deps)", strings.TrimPrefix(p, module+"/"), len(pkgs[p].Deps))
			continue
		}
		t.Errorf("%s links %d transport packages, e.g. %s through\n\t%s",
			p, len(bad), bad[0], strings.Join(chain(pkgs, p, bad[0]), "\n\t→ "))
	}
}

func TestIsForbidden(t *testing.T) {
	for path, want := range map[string]bool{
		"net/http":                         true,
		"net/http/httptrace":               true,
		"net/netip":                        false,
		"net/httpx":                        false,
		"google.golang.org/grpc":           true,
		"google.golang.org/grpc/codes":     true,
		"google.golang.org/grpcx":          false,
		"google.golang.org/protobuf/proto": false,
		"github.com/nats-io/nats.go":       true,
		"github.com/grpc-ecosystem/grpc-gateway/v2/runtime": true,
	} {
		if got := isForbidden(path); got != want {
			t.Errorf("isForbidden(%q) = %v, want %v", path, got, want)
		}
	}
}

// goPkgImports is the part of `go list -json` the direction test reads.
type goPkgImports struct {
	ImportPath   string
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

// listImports runs `go list -json` over patterns (no -deps: only the
// packages matched) from the module root.
func listImports(t *testing.T, patterns ...string) []goPkgImports {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	cmd := exec.Command(goBin, append([]string{"list", "-json=ImportPath,Imports,Deps,TestImports,XTestImports"}, patterns...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list %v: %v\n%s", patterns, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", patterns, err)
	}
	var pkgs []goPkgImports
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPkgImports
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// serviceParts splits "<module>/services/<a>/<rest>" into a and rest; ok
// is false for any other import path.
func serviceParts(path string) (context, rest string, ok bool) {
	rel, found := strings.CutPrefix(path, module+"/services/")
	if !found {
		return "", "", false
	}
	context, rest, _ = strings.Cut(rel, "/")
	return context, rest, true
}

// crossViolation returns why the package from may not import imp, or ""
// (the layout's direction, ../shared/DESIGN.md "Layout"): no context
// imports another context's app or ports, and no ports imports the status
// query service (as-of parsing is the projections runner's).
func crossViolation(from, imp string) string {
	fromCtx, fromRest, fromOK := serviceParts(from)
	impCtx, impRest, impOK := serviceParts(imp)
	if !fromOK || !impOK {
		return ""
	}
	impLayer, _, _ := strings.Cut(impRest, "/")
	if fromCtx != impCtx && (impLayer == "app" || impLayer == "ports") {
		return "a context imports another context's " + impLayer
	}
	fromLayer, _, _ := strings.Cut(fromRest, "/")
	if fromLayer == "ports" && impCtx == "status" {
		return "a ports package imports services/status"
	}
	return ""
}

// TestImportDirection (issue 15, acceptance 4): projections — the runner
// — links no services/... package (no context's domain or read model; its
// tests neither), no services/<a>/... package imports services/<b>/app or
// services/<b>/ports for b ≠ a, and no ports imports services/status.
func TestImportDirection(t *testing.T) {
	pkgs := listImports(t, "./projections/...", "./services/...")
	var runner, contexts, ports int
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		if rel == "projections" || strings.HasPrefix(rel, "projections/") {
			runner++
			seen := map[string]bool{}
			for _, list := range [][]string{p.Deps, p.TestImports, p.XTestImports} {
				for _, d := range list {
					if _, _, ok := serviceParts(d); ok && !seen[d] {
						seen[d] = true
						t.Errorf("%s links %s: the runner imports no context (its read models register through projections.ReadModel)", rel, strings.TrimPrefix(d, module+"/"))
					}
				}
			}
			continue
		}
		if _, rest, ok := serviceParts(p.ImportPath); ok {
			contexts++
			if strings.HasPrefix(rest, "ports") {
				ports++
			}
		}
		for _, imp := range p.Imports {
			if why := crossViolation(p.ImportPath, imp); why != "" {
				t.Errorf("%s imports %s: %s", rel, strings.TrimPrefix(imp, module+"/"), why)
			}
		}
	}
	// A broken pattern would pass vacuously.
	if runner == 0 || contexts < 10 || ports < 4 {
		t.Fatalf("the scan saw %d runner, %d services and %d ports packages: the patterns are broken", runner, contexts, ports)
	}
}

func TestCrossViolation(t *testing.T) {
	s := module + "/services/"
	for _, c := range []struct {
		from, imp string
		bad       bool
	}{
		{s + "consultations/ports", s + "advisory/app", true},
		{s + "consultations/app", s + "petitions/ports", true},
		{s + "consultations/readmodel", s + "advisory/app/query", true},
		{s + "advisory/ports", s + "status", true},
		{s + "petitions/ports", s + "petitions/app", false},
		{s + "consultations/ports", s + "advisory/domain", false},
		{s + "consultations/ports", s + "advisory/readmodel", false},
		{s + "status", s + "petitions/readmodel", false},
		{s + "petitions/app", s + "territory/domain", false},
		{module + "/cmd/tasharuk", s + "petitions/app", false},
		{s + "applications/ports", s + "apps/domain", false},
	} {
		if got := crossViolation(c.from, c.imp) != ""; got != c.bad {
			t.Errorf("crossViolation(%s, %s) = %v, want %v", c.from, c.imp, got, c.bad)
		}
	}
}
