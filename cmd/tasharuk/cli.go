package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// The command-line conventions, in one place: every command and
// subcommand is a row of the commands table (main.go); `--help`, `-h` and
// `help COMMAND` print its usage on stdout and exit 0; a usage mistake
// prints the usage on stderr and exits 2; every flag also reads
// TASHARUK_<NAME> from the environment.

// command is one command or subcommand.
type command struct {
	name  string // its word: "verify" (path holds "audit verify")
	args  string // what follows it in the synopsis
	short string // one line, for the lists
	long  string // more, for its own help (optional)
	// run runs a command with its arguments; nil for a group of
	// subcommands.
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	subs []*command

	path string // set by indexCommands
}

// byPath finds a command by its full name ("audit verify"); a flag set
// named so finds its command's text this way.
var byPath = map[string]*command{}

func indexCommands(cs []*command, prefix string) {
	for _, c := range cs {
		c.path = strings.TrimSpace(prefix + " " + c.name)
		if _, dup := byPath[c.path]; dup {
			panic("tasharuk: command " + c.path + " twice")
		}
		byPath[c.path] = c
		indexCommands(c.subs, c.path)
	}
}

func find(cs []*command, name string) *command {
	for _, c := range cs {
		if c.name == name {
			return c
		}
	}
	return nil
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// usageError is a command called wrongly: run prints the error and the
// command's usage on stderr and exits 2.
type usageError struct {
	err   error
	usage string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError of the command named path.
func usagef(path, format string, args ...any) error {
	c := byPath[path]
	text := ""
	if c != nil {
		text = commandUsage(c, nil)
	}
	return &usageError{err: fmt.Errorf(path+": "+format, args...), usage: text}
}

// helpText is help asked for: dispatch prints it on stdout.
type helpText struct{ text string }

func (h *helpText) Error() string { return "help requested" }
func (h *helpText) Unwrap() error { return flag.ErrHelp }

// dispatch runs the command that args name within group (nil: the top
// level). Help requested comes back as flag.ErrHelp, printed.
func dispatch(ctx context.Context, group *command, args []string, stdout, stderr io.Writer) error {
	cs, path := commands, ""
	if group != nil {
		cs, path = group.subs, group.path
	}
	if len(args) == 0 {
		return &usageError{err: fmt.Errorf("%s: say which subcommand: %s", path, names(cs)), usage: groupUsage(group)}
	}
	if isHelp(args[0]) && group != nil {
		fmt.Fprint(stdout, groupUsage(group))
		return flag.ErrHelp
	}
	c := find(cs, args[0])
	if c == nil {
		if group == nil {
			return &usageError{err: fmt.Errorf("unknown command %q", args[0]), usage: topUsage()}
		}
		return &usageError{err: fmt.Errorf("%s: unknown subcommand %q: want %s", path, args[0], names(cs)), usage: groupUsage(group)}
	}
	if c.run == nil {
		return dispatch(ctx, c, args[1:], stdout, stderr)
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	var h *helpText
	if errors.As(err, &h) {
		fmt.Fprint(stdout, h.text)
		return flag.ErrHelp
	}
	return err
}

// runHelp: tasharuk help [COMMAND [SUBCOMMAND]].
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("help", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stdout, topUsage())
		return nil
	}
	// The same as COMMAND [SUBCOMMAND] --help: the command's own flags.
	return dispatch(ctx, nil, append(append([]string{}, fs.Args()...), "--help"), stdout, stderr)
}

func names(cs []*command) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

const envNote = `Every flag can also be set by an environment variable: TASHARUK_ and the
flag's name in upper case, dashes as underscores (--data-dir is
TASHARUK_DATA_DIR, --keys-dir TASHARUK_KEYS_DIR); a flag wins over the
environment.
`

// leaves lists every command that runs, in the table's order, with its
// path: what the top-level help shows.
func leaves(cs []*command) []*command {
	var out []*command
	for _, c := range cs {
		if c.run != nil {
			out = append(out, c)
		}
		out = append(out, leaves(c.subs)...)
	}
	return out
}

func topUsage() string {
	var b strings.Builder
	b.WriteString("tasharuk: an event-sourced case tracker for participatory democracy.\n\n")
	b.WriteString("Usage: tasharuk COMMAND [SUBCOMMAND] [flags]\n\nCommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range leaves(commands) {
		fmt.Fprintf(tw, "  %s\t%s\n", c.path, c.short)
	}
	_ = tw.Flush()
	b.WriteString("\n`tasharuk COMMAND --help` (or `tasharuk help COMMAND`) gives a command's flags.\n\n")
	b.WriteString(envNote)
	return b.String()
}

func groupUsage(g *command) string {
	if g == nil {
		return topUsage()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: tasharuk %s SUBCOMMAND [flags]\n\n%s.\n", g.path, upperFirst(g.short))
	if g.long != "" {
		b.WriteString("\n" + g.long)
	}
	b.WriteString("\nSubcommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range g.subs {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.short)
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "\n`tasharuk %s SUBCOMMAND --help` gives a subcommand's flags.\n", g.path)
	return b.String()
}

// commandUsage is a command's help: synopsis, description, flags (fs may
// be nil).
func commandUsage(c *command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: tasharuk %s %s\n\n%s.\n", c.path, c.args, upperFirst(c.short))
	if c.long != "" {
		b.WriteString("\n" + c.long)
	}
	if fs != nil {
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			b.WriteString("\nFlags:\n")
			out := fs.Output()
			fs.SetOutput(&b)
			fs.PrintDefaults()
			fs.SetOutput(out)
			b.WriteString("\n" + envNote)
		}
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// newFlagSet is a command's flag set, named by its path in the commands
// table (parseFlags finds the command's help by that name).
func newFlagSet(path string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args after applying TASHARUK_* environment variables
// as defaults, so a flag on the command line wins over the environment.
// -h and --help return the command's help (a *helpText, which dispatch
// prints on stdout); a wrong flag returns a *usageError with the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := applyEnv(fs); err != nil {
		return err
	}
	return parseOnly(fs, args)
}

// parseInterspersed is parseFlags for commands that take positional
// arguments among their flags (FILE --flag or --flag FILE): it returns
// the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	var pos []string
	for fs.NArg() > 0 {
		pos = append(pos, fs.Arg(0))
		if err := parseOnly(fs, fs.Args()[1:]); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

func applyEnv(fs *flag.FlagSet) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "TASHARUK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	return envErr
}

func parseOnly(fs *flag.FlagSet, args []string) error {
	// The flag package would print its message and the usage itself, on
	// the flag set's output: the caller decides where they go instead.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err == nil {
		return nil
	}
	usage := flagUsage(fs)
	if errors.Is(err, flag.ErrHelp) {
		return &helpText{text: usage}
	}
	return &usageError{err: fmt.Errorf("%s: %w", fs.Name(), err), usage: usage}
}

func flagUsage(fs *flag.FlagSet) string {
	if c := byPath[fs.Name()]; c != nil {
		return commandUsage(c, fs)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage of %s:\n", fs.Name())
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	return b.String()
}
