package kernel_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Stream ids are part of every event's hash chain, so their formats are
// persisted names with one owner each: the streams.go file of their context
// (issue 15, acceptance 3). streamFiles are those files, relative to the
// module root; each declares its categories as string constants named
// "...Category", and a stream id of category c starts with c + ".".
var streamFiles = []string{
	"services/territory/domain/streams.go",
	"services/petitions/domain/streams.go",
	"services/advisory/domain/streams.go",
	"services/consultations/domain/streams.go",
	"services/information/domain/streams.go",
	"services/identity/domain/streams.go",
	"services/programmes/domain/streams.go",
	"audit/streams.go",
	"services/notifications/domain/streams.go",
}

// notStreamIDs are string literals outside streams.go that start like a
// stream id but are something else, with what they are.
var notStreamIDs = map[string]string{
	"checkpoint.key":  "file name of the checkpoint signing key (audit/keys.go)",
	"checkpoint.pub":  "file name of the checkpoint public key (audit/keys.go)",
	"council.parent":  "field path in a territory error (services/territory/ports)",
	"account.email":   "field path in an identity error (services/identity/app)",
	"account.phone":   "field path in an identity error (services/identity/app)",
	"account.subject": "field path in an identity error (services/identity/app)",
}

// moduleRoot is the module's root directory, seen from this package.
const moduleRoot = "../.."

// streamCategories reads the category constants the streams.go files
// declare.
func streamCategories(t *testing.T) []string {
	t.Helper()
	var cats []string
	for _, rel := range streamFiles {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(moduleRoot, rel), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("%s, where a context spells its stream ids: %v", rel, err)
		}
		n := 0
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasSuffix(name.Name, "Category") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, err := strconv.Unquote(lit.Value)
						if err != nil || v == "" || strings.Contains(v, ".") {
							t.Fatalf("%s: %s = %s is not a stream category", rel, name.Name, lit.Value)
						}
						cats = append(cats, v)
						n++
					}
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s declares no ...Category constant: the check would not know its stream ids", rel)
		}
	}
	return cats
}

// streamIDLiterals reports the string literals of f that spell a stream id
// (or its start) of one of cats: a literal that starts with "<category>.",
// or a bare category concatenated with something ("petition" + ...).
func streamIDLiterals(fset *token.FileSet, f *ast.File, cats []string) []string {
	var found []string
	report := func(lit *ast.BasicLit, why string) {
		found = append(found, fset.Position(lit.Pos()).String()+": "+lit.Value+" "+why)
	}
	isCategory := func(e ast.Expr) (*ast.BasicLit, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, false
		}
		v, err := strconv.Unquote(lit.Value)
		return lit, err == nil && slices.Contains(cats, v)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(n.Value)
			if err != nil {
				return true
			}
			if _, ok := notStreamIDs[v]; ok {
				return true
			}
			for _, c := range cats {
				if strings.HasPrefix(v, c+".") {
					report(n, "spells a "+c+" stream id")
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.ADD {
				return true
			}
			for _, side := range []ast.Expr{n.X, n.Y} {
				if lit, ok := isCategory(side); ok {
					report(lit, "is concatenated into a stream id")
				}
			}
		}
		return true
	})
	return found
}

// TestStreamIDsOnlyInStreamsFiles fails when code outside the streams.go
// files spells a stream id by hand ("petition." + code + "." + id,
// fmt.Sprintf("receipts.%s.%d", ...)): it must call its context's
// function, so the format a hash chain depends on cannot drift. Test files,
// generated files and test-support packages (directories named *test,
// e.g. eventstore/storetest, whose sample streams exercise the store, not a
// context) are not checked.
func TestStreamIDsOnlyInStreamsFiles(t *testing.T) {
	cats := streamCategories(t)
	owners := map[string]bool{}
	for _, rel := range streamFiles {
		owners[filepath.FromSlash(rel)] = true
	}
	var found []string
	files := 0
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleRoot, path)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules" || strings.HasSuffix(name, "test")) {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || owners[rel] {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		files++
		found = append(found, streamIDLiterals(fset, f, cats)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("checked only %d files: the walk missed the module", files)
	}
	for _, f := range found {
		t.Errorf("%s: build it with the function of the context's streams.go (%s)", f, strings.Join(streamFiles, ", "))
	}
}

// TestStreamIDCheckFindsConcatenation makes sure the check above can fail:
// a hand-built stream id of each kind is reported, and a call of a
// streams.go function or an unrelated literal is not.
func TestStreamIDCheckFindsConcatenation(t *testing.T) {
	cats := streamCategories(t)
	for _, want := range []string{"petition", "signature", "receipts", "access", "privacy", "council", "body", "consultation", "survey", "checkpoint"} {
		if !slices.Contains(cats, want) {
			t.Errorf("no streams.go declares the category %q", want)
		}
	}
	const src = `package x

import "fmt"

func a(code, id string) string    { return "petition." + code + "." + id }
func b(code string, y int) string { return fmt.Sprintf("receipts.%s.%d", code, y) }
func c(code, id string) string    { return "body" + "." + code + "." + id }
func ok(code, id string) string   { return domain.PetitionStream(code, id) + "audit.title" }
const keyFile = "checkpoint.key"
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	got := streamIDLiterals(fset, f, cats)
	want := []string{
		`x.go:5:44: "petition." spells a petition stream id`,
		`x.go:6:56: "receipts.%s.%d" spells a receipts stream id`,
		`x.go:7:44: "body" is concatenated into a stream id`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("reported\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
