// Command outreach is the outreach daemon and its tools. Run `outreach help`.
//
// The command line is declared once, as the struct tags of cli and the
// command structs it holds (github.com/alecthomas/kong): flags, their
// defaults and the settings they mirror (env), positional arguments
// (arg), and the help. Usage text, errors and shell completion
// (github.com/willabides/kongplete) all come from that grammar.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strings"
	"syscall"
	_ "time/tzdata" // zone data in the binary: the container image has none

	"github.com/alecthomas/kong"
	"github.com/willabides/kongplete"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/chaos"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/outreach/resident"
	"github.com/outreach-dev/outreach/outreach/store"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// env is what every command gets: where to write, and how to log.
type env struct {
	// stdin is where passwords are read from (nil: none).
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// runner is a command: run returns the process exit status (0 done, 1
// failed, 2 refused its input).
type runner interface {
	run(ctx context.Context, e *env) int
}

// commandLine is the whole command line.
type commandLine struct {
	Serve        serveCmd        `cmd:"" help:"run the daemon: read jobs from Redis, send, archive (configured by environment)"`
	Dev          devCmd          `cmd:"" help:"run everything on this machine with nothing installed (embedded Redis, SQLite, outbox)"`
	Enqueue      enqueueCmd      `cmd:"" help:"put a job on the stream"`
	Estates      estatesCmd      `cmd:"" help:"the estates: who messages speak for (name, phones, SMS signature, From name) and what estate-limited tokens see"`
	Residents    residentsCmd    `cmd:"" help:"import residents from CSV or XLSX (upsert by id); list, show and edit profiles"`
	Campaign     campaignCmd     `cmd:"" help:"plan and steer campaigns"`
	Archive      archiveCmd      `cmd:"" help:"search, show, annotate, export and purge the communication archive; residents' replies"`
	Surveys      surveysCmd      `cmd:"" help:"satisfaction surveys: scores, comments, escalations; note closes a call-back task"`
	Cases        casesCmd        `cmd:"" help:"cases (complaints, repair requests): open, list, show (the whole history), acknowledge, start, assign, note, resolve, close, report"`
	Satisfaction satisfactionCmd `cmd:"" help:"the satisfaction report: response rate, average, distribution, satisfied rate (4-5), rows under 70% flagged"`
	Templates    templatesCmd    `cmd:"" help:"list, check and preview the templates (built-in and OUTREACH_TEMPLATES_DIR)"`
	Users        usersCmd        `cmd:"" help:"accounts of the web console (/console/); passwords from stdin or --password-file, never a flag"`
	Tokens       tokensCmd       `cmd:"" help:"bearer tokens of the /v1/ API (only a hash is stored; the token is printed once)"`
	Bench        benchCmd        `cmd:"" help:"measure the real pipeline end to end (same configuration as serve)"`
	Chaos        chaosCmd        `cmd:"" help:"break daemons, Redis, PostgreSQL, SMTP, Twilio and the disk on purpose; count lost, duplicated and stuck jobs (starts its own servers on loopback; docs/reliability.md)"`
	Completion   completionCmd   `cmd:"" help:"print the shell completion script: eval \"$(outreach completion bash)\" (bash, zsh or fish)"`
}

const description = "outreach: notifications and outreach for property management (email, SMS, archive)"

// parser builds the command line over root, writing to e.
func parser(root *commandLine, e *env, exit func(int)) (*kong.Kong, error) {
	return kong.New(root,
		kong.Name("outreach"),
		kong.Description(description),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(exit),
		kong.Help(helpWithEnvironment),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.Vars{"estate_fields": estateFieldList, "resident_fields": resident.SetFields, "chaos_scenarios": strings.Join(chaos.ScenarioNames(), ", ")},
	)
}

// exited is how kong's exit (after --help, or a completion) unwinds the
// parse.
type exited struct{ status int }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runArgs(ctx, &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}, args, true)
}

// runArgs parses args and runs the command they name. complete is whether
// a shell's completion request (COMP_LINE) is answered.
func runArgs(ctx context.Context, e *env, args []string, complete bool) (status int) {
	var root commandLine
	k, err := parser(&root, e, func(code int) { panic(exited{code}) })
	if err != nil {
		panic(err) // the grammar is wrong: a programming error, caught by every test
	}
	defer func() {
		if r := recover(); r != nil {
			x, ok := r.(exited)
			if !ok {
				panic(r)
			}
			status = x.status
		}
	}()
	if complete {
		kongplete.Complete(k)
	}
	kctx, err := k.Parse(helpArgs(k.Model.Node, args))
	if err != nil {
		return usageError(e, kctx, err)
	}
	r, ok := selected(kctx)
	if !ok {
		return usageError(e, kctx, errors.New("missing command"))
	}
	return r.run(ctx, e)
}

// helpArgs turns the ways of asking for help that are not flags into
// --help: no arguments at all, `outreach help [COMMAND...]`, and `help`
// where a command expects its subcommand (`outreach cases help`,
// `outreach cases help open`).
func helpArgs(root *kong.Node, args []string) []string {
	if len(args) == 0 {
		return []string{"--help"}
	}
	n := root
	for i, a := range args {
		if a == "help" && len(n.Children) > 0 && n.Type != kong.ArgumentNode && child(n, a) == nil {
			rest := slices.Concat(args[:i], args[i+1:])
			return append(rest, "--help")
		}
		if n = child(n, a); n == nil {
			return args
		}
	}
	return args
}

// child is n's subcommand named (or aliased) name.
func child(n *kong.Node, name string) *kong.Node {
	for _, c := range n.Children {
		if c.Type == kong.CommandNode && (c.Name == name || slices.Contains(c.Aliases, name)) {
			return c
		}
	}
	return nil
}

// selected is the command the parse chose.
func selected(kctx *kong.Context) (runner, bool) {
	n := kctx.Selected()
	if n == nil {
		return nil, false
	}
	t := n.Target
	if t.Kind() != reflect.Pointer && t.CanAddr() {
		t = t.Addr()
	}
	r, ok := t.Interface().(runner)
	return r, ok
}

// usageError prints a command line that does not parse, with the usage of
// the command it was meant for, and returns 2.
func usageError(e *env, kctx *kong.Context, err error) int {
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil {
		kctx = pe.Context
	}
	var n *kong.Node
	if kctx != nil {
		n = kctx.Selected()
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "unexpected argument "); ok && (n == nil || len(n.Children) > 0) {
		msg = "unknown command " + rest
		if n != nil {
			msg = "unknown subcommand " + rest
		}
	}
	if n == nil {
		fmt.Fprintf(e.stderr, "outreach: %s\nusage: outreach COMMAND [flags]; run \"outreach help\" for the commands\n", msg)
		return 2
	}
	fmt.Fprintf(e.stderr, "outreach %s: %s\nusage: outreach %s\n", commandName(n), msg, n.Summary())
	for _, c := range n.Children {
		fmt.Fprintf(e.stderr, "       outreach %s\n", c.Summary())
	}
	fmt.Fprintf(e.stderr, "run \"outreach %s --help\" for more\n", commandName(n))
	return 2
}

// commandName is n's path of command names ("archive show"), without the
// aliases kong's Path shows.
func commandName(n *kong.Node) string {
	var names []string
	for ; n != nil && n.Type == kong.CommandNode; n = n.Parent {
		names = append([]string{n.Name}, names...)
	}
	return strings.Join(names, " ")
}

// helpWithEnvironment is kong's help, and for the whole program the
// settings (config.Vars) after it.
func helpWithEnvironment(options kong.HelpOptions, kctx *kong.Context) error {
	if err := kong.DefaultHelpPrinter(options, kctx); err != nil {
		return err
	}
	if kctx.Selected() != nil || options.Summary {
		return nil
	}
	w := kctx.Stdout
	fmt.Fprintln(w, "\nEnvironment (docs/configuration.md):")
	for _, v := range config.Vars {
		fmt.Fprintf(w, "  %-40s %s (default: %s)\n", v.Name, v.Text(), v.Default)
	}
	return nil
}

// loadConfig reads the settings of the groups given (all without any), so
// that a command is not stopped by a setting it does not use; errors are
// printed, naming the variable.
func (e *env) loadConfig(groups ...config.Group) (config.Config, bool) {
	cfg, err := config.Load(e.getenv, groups...)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach: configuration error:\n%v\n", err)
		return cfg, false
	}
	return cfg, true
}

// openStore is how every command that reads or writes records opens the
// archive: it loads the store's settings and those of the groups given
// (no others, so that a command is not stopped by a setting it does not
// use), and opens the store of OUTREACH_DATABASE_URL. On failure it
// prints why, naming cmd, and returns a nil store and the exit status:
// 2 for a setting, 1 for a store that does not open.
func (e *env) openStore(ctx context.Context, cmd string, groups ...config.Group) (outreach.Store, config.Config, int) {
	cfg, ok := e.loadConfig(append([]config.Group{config.GroupStore}, groups...)...)
	if !ok {
		return nil, cfg, 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return nil, cfg, e.fail(cmd, err)
	}
	return st, cfg, 0
}

// logger builds the process logger: JSON, or text on a terminal, with
// personal data and credentials masked (package logging).
func (e *env) logger(cfg config.Config) *slog.Logger {
	return logging.New(e.stderr, cfg.LogFormat, cfg.LogLevel)
}

func (e *env) fail(cmd string, err error) int {
	fmt.Fprintf(e.stderr, "outreach %s: %v\n", cmd, err)
	return 1
}

// usage refuses a command line the grammar cannot (a flag that needs
// another, a value out of range): the message, and status 2.
func (e *env) usage(cmd, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "outreach %s: %s\n", cmd, fmt.Sprintf(format, args...))
	return 2
}
