package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// The error catalogue (Catalogue, this package's errors.go) is the API's
// contract on errors, checked both ways against the protos and the code:
//
//   - every reason a proto comment names is in the catalogue. The
//     convention: a proto comment names a reason by its UPPER_SNAKE_CASE
//     name ("Fails with ALREADY_SIGNED, NOT_COLLECTING."); every such word
//     that is neither a value of a proto enum nor a gRPC code name
//     (NOT_FOUND, FAILED_PRECONDITION, …) is a reason;
//   - every catalogue reason is produced by the code, and every reason the
//     code produces is in the catalogue, with the gRPC code the producing
//     fault kind maps to (the catalogue's code wins at run time, so a
//     mismatch would silently change the status a client sees).
//
// "Produced" is read from the non-test Go sources of the module: the reason
// arguments of fault.New, fault.Rule (FailedPrecondition, or the kind of a
// chained WithKind), Status and access's statusError, as string literals
// or constants.

const moduleRoot = ".."

// grpcCodeNames are the upper-snake names of the gRPC codes, which proto
// comments use for codes, not reasons.
var grpcCodeNames = map[string]bool{
	"OK": true, "CANCELLED": true, "UNKNOWN": true, "INVALID_ARGUMENT": true, "DEADLINE_EXCEEDED": true,
	"NOT_FOUND": true, "ALREADY_EXISTS": true, "PERMISSION_DENIED": true, "RESOURCE_EXHAUSTED": true,
	"FAILED_PRECONDITION": true, "ABORTED": true, "OUT_OF_RANGE": true, "UNIMPLEMENTED": true,
	"INTERNAL": true, "UNAVAILABLE": true, "DATA_LOSS": true, "UNAUTHENTICATED": true,
}

func catalogueReasons() map[string]codes.Code {
	m := map[string]codes.Code{}
	for _, e := range Catalogue {
		m[string(e.Reason)] = e.Code
	}
	return m
}

// protoReasons returns the reasons named in proto comments, each with one
// place it is named.
func protoReasons(t *testing.T) map[string]string {
	t.Helper()
	enumValue := regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]*)\s*=\s*-?[0-9]+`)
	upperSnake := regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)
	enums := map[string]bool{}
	type comment struct{ where, text string }
	var comments []comment
	err := filepath.WalkDir(filepath.Join(moduleRoot, "proto"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".proto") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			code, text, isComment := strings.Cut(line, "//")
			if m := enumValue.FindStringSubmatch(code); m != nil {
				enums[m[1]] = true
			}
			if isComment {
				comments = append(comments, comment{path + ":" + strconv.Itoa(i+1), text})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]string{}
	for _, c := range comments {
		for _, w := range upperSnake.FindAllString(c.text, -1) {
			if enums[w] || grpcCodeNames[w] {
				continue
			}
			if _, seen := named[w]; !seen {
				named[w] = c.where
			}
		}
	}
	return named
}

// production is one place the code produces a reason.
type production struct {
	where string
	kind  fault.Kind // -1 when the code is given directly (Status, statusError)
}

// producedReasons reads the module's non-test Go sources for the reasons
// they produce. unresolved lists producer calls whose reason is neither a
// literal nor a constant.
func producedReasons(t *testing.T) (produced map[string][]production, unresolved []string) {
	t.Helper()
	fset := token.NewFileSet()
	type file struct {
		dir string
		f   *ast.File
	}
	var files []file
	// consts["dir"]["Name"] = value, for the module's string constants.
	consts := map[string]map[string]string{}
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != moduleRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(moduleRoot, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		files = append(files, file{dir, f})
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							v, _ := strconv.Unquote(lit.Value)
							if consts[dir] == nil {
								consts[dir] = map[string]string{}
							}
							consts[dir][name.Name] = v
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	const module = "github.com/tasharuk/tasharuk"
	produced = map[string][]production{}
	kinds := map[string]fault.Kind{
		"Internal": fault.Internal, "Invalid": fault.Invalid, "FailedPrecondition": fault.FailedPrecondition,
		"NotFound": fault.NotFound, "AlreadyExists": fault.AlreadyExists, "PermissionDenied": fault.PermissionDenied,
		"Conflict": fault.Conflict, "Unavailable": fault.Unavailable,
	}
	for _, fl := range files {
		imports := map[string]string{} // local name -> module-relative dir
		for _, im := range fl.f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			rel, ok := strings.CutPrefix(p, module+"/")
			if !ok {
				continue
			}
			name := rel[strings.LastIndex(rel, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = rel
		}
		// value resolves a reason expression to its string.
		var value func(e ast.Expr) (string, bool)
		value = func(e ast.Expr) (string, bool) {
			switch e := e.(type) {
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					v, err := strconv.Unquote(e.Value)
					return v, err == nil
				}
			case *ast.Ident:
				v, ok := consts[fl.dir][e.Name]
				return v, ok
			case *ast.SelectorExpr:
				if x, ok := e.X.(*ast.Ident); ok {
					v, ok := consts[imports[x.Name]][e.Sel.Name]
					return v, ok
				}
			case *ast.CallExpr: // a conversion, Reason("X")
				if id, ok := e.Fun.(*ast.Ident); ok && id.Name == "Reason" && len(e.Args) == 1 {
					return value(e.Args[0])
				}
			}
			return "", false
		}
		kindOf := func(e ast.Expr) fault.Kind {
			if sel, ok := e.(*ast.SelectorExpr); ok {
				if k, ok := kinds[sel.Sel.Name]; ok {
					return k
				}
			}
			return -2 // not a constant kind
		}
		// callee names the producer a call is: "fault.New", "Status", ...
		callee := func(c *ast.CallExpr) string {
			switch fn := c.Fun.(type) {
			case *ast.Ident:
				return fl.dir + "." + fn.Name
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok {
					return imports[x.Name] + "." + fn.Sel.Name
				}
			}
			return ""
		}
		var fnName string
		record := func(c *ast.CallExpr, arg int, kind fault.Kind) {
			where := fset.Position(c.Pos()).String()
			if arg >= len(c.Args) {
				return
			}
			v, ok := value(c.Args[arg])
			if !ok {
				// ToStatus forwards the reason fault.Classify read from
				// an error produced elsewhere; the producers are fault's
				// own constructors, whose reason is their parameter.
				if fl.dir == "server" && fnName == "ToStatus" || fl.dir == "internal/kernel/fault" {
					return
				}
				unresolved = append(unresolved, where)
				return
			}
			produced[v] = append(produced[v], production{where, kind})
		}
		withKind := map[*ast.CallExpr]fault.Kind{}
		for _, decl := range fl.f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok {
				fnName = fd.Name.Name
			} else {
				fnName = ""
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				// fault.Rule(...).WithKind(k)
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithKind" && len(c.Args) == 1 {
					if inner, ok := sel.X.(*ast.CallExpr); ok {
						withKind[inner] = kindOf(c.Args[0])
					}
				}
				switch callee(c) {
				case "internal/kernel/fault.New":
					if len(c.Args) > 1 {
						record(c, 1, kindOf(c.Args[0]))
					}
				case "internal/kernel/fault.Rule":
					k, ok := withKind[c]
					if !ok {
						k = fault.FailedPrecondition
					}
					record(c, 0, k)
				case "server.Status":
					record(c, 0, -1)
				case "access.statusError":
					record(c, 1, -1)
				}
				return true
			})
		}
	}
	return produced, unresolved
}

func TestCatalogueProtoReasonsExist(t *testing.T) {
	cat := catalogueReasons()
	named := protoReasons(t)
	if len(named) < 10 {
		t.Fatalf("only %d reasons found in proto comments: the scan is broken", len(named))
	}
	for _, r := range slices.Sorted(maps.Keys(named)) {
		if _, ok := cat[r]; !ok {
			t.Errorf("%s: the proto comment names %s, which the catalogue (server/errors.go) does not have: fix the comment, or add the reason", named[r], r)
		}
	}
}

func TestCatalogueMatchesTheCode(t *testing.T) {
	cat := catalogueReasons()
	produced, unresolved := producedReasons(t)
	if len(produced) < 30 {
		t.Fatalf("only %d reasons found in the code: the scan is broken", len(produced))
	}
	for _, where := range unresolved {
		t.Errorf("%s: produces a reason that is not a literal or a constant, so the catalogue cannot be checked against it", where)
	}
	for _, r := range slices.Sorted(maps.Keys(produced)) {
		ps := produced[r]
		code, ok := cat[r]
		if !ok {
			t.Errorf("%s: produces %s, which is not in the catalogue (server/errors.go)", ps[0].where, r)
			continue
		}
		for _, p := range ps {
			if p.kind < 0 {
				continue
			}
			if want := kindCode(p.kind); want != code {
				t.Errorf("%s: produces %s as %v, but the catalogue says %v", p.where, r, want, code)
			}
		}
	}
	for _, e := range Catalogue {
		if _, ok := produced[string(e.Reason)]; !ok {
			t.Errorf("catalogue reason %s is produced by no code: remove it, or return it where it applies", e.Reason)
		}
	}
}
