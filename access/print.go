package access

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The cells of the matrix Print writes.
const (
	cellAllowed = "allowed"
	cellScoped  = "scoped"
	cellDenied  = "denied"
)

// Print writes the table as a matrix: one line per method, one column per
// role and one for anonymous callers. A cell says "allowed", "denied" or
// "scoped" (allowed on the token's own council only).
func (p Policy) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"METHOD"}
	for _, r := range Roles() {
		header = append(header, strings.ToUpper(string(r)))
	}
	header = append(header, "ANONYMOUS")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, m := range p.Methods() {
		rule := p[m]
		row := []string{strings.TrimPrefix(m, "/")}
		for _, r := range Roles() {
			row = append(row, rule.cell(r))
		}
		anonymous := cellDenied
		if rule.Public {
			anonymous = cellAllowed
		}
		row = append(row, anonymous)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush()
}

// cell is what the rule lets role do.
func (r Rule) cell(role Role) string {
	switch {
	case r.Public:
		return cellAllowed
	case !r.allows(role):
		return cellDenied
	case r.Scoped && role.councilBound():
		return cellScoped
	default:
		return cellAllowed
	}
}
