package access

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The golden file is the authorization matrix as reviewers read it: a
// change to the table shows up in its diff.
func TestPrintDefaultPolicy(t *testing.T) {
	var buf bytes.Buffer
	DefaultPolicy().Print(&buf)
	golden := filepath.Join("testdata", "policy.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPrintDefaultPolicy -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Print differs from %s (go test -run TestPrintDefaultPolicy -update):\n%s", golden, buf.String())
	}
}

func TestPrintCells(t *testing.T) {
	var buf bytes.Buffer
	Policy{"/x.S/M": {Roles: []Role{RoleStaff, RoleCitizen}, Scoped: true}}.Print(&buf)
	want := "METHOD  CITIZEN  STAFF   ADVISORY  AUDITOR  ADMIN   INFORMATION  MODERATOR  ANONYMOUS\n" +
		"x.S/M   allowed  scoped  denied    denied   denied  denied       denied     denied\n"
	if buf.String() != want {
		t.Errorf("Print =\n%s\nwant\n%s", buf.String(), want)
	}
}
