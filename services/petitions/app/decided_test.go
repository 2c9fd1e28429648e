package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The signature events are decided by the domain (domain.DecideSignature,
// DecideSignatureRow, DecideSignatureWithdrawal, DecideSignatureStrike):
// the app layer builds none of them itself (issue 15: "signing bypasses
// Decide").
func TestSignatureEventsAreBuiltByTheDomain(t *testing.T) {
	decided := map[string]bool{"SignatureAdded": true, "SignatureWithdrawn": true, "SignatureStruck": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); ok && decided[sel.Sel.Name] {
				t.Errorf("%s: the app builds a %s; the domain's signature deciders must", fset.Position(lit.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source file checked")
	}
}
