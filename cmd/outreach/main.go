// Command outreach is the outreach daemon and its tools. Run `outreach help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zone data in the binary: the container image has none

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/logging"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// command is one subcommand. run returns the process exit status.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *env, args []string) int
}

// env is what every command gets: where to write, and how to log.
type env struct {
	// stdin is where passwords are read from (nil: none).
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "", "run the daemon: read jobs from Redis, send, archive (configured by environment)", cmdServe},
		{"dev", "[--outbox DIR] [--http ADDR]", "run everything on this machine with nothing installed (embedded Redis, SQLite, outbox)", cmdDev},
		{"enqueue", "--kind K (--resident ID | --audience k=v,...) [--data k=v]... [--id ID]", "put a job on the stream", cmdEnqueue},
		{"estates", "add --id ID --name NAME [...] | list | show ID | set ID field=value... | delete ID", "the estates: who messages speak for (name, phones, SMS signature, From name) and what estate-limited tokens see", cmdEstates},
		{"residents", "import FILE [--estate ID] [--encoding E] [--sheet S] [--dry-run] | list [--building B] [--tag T] | show ID | set ID field=value...", "import residents from CSV or XLSX (upsert by id); list, show and edit profiles", cmdResidents},
		{"campaign", "create|list|show|pause|resume|cancel ...", "plan and steer campaigns (run `outreach campaign` for the flags)", cmdCampaign},
		{"archive", "search [filters] [--after CURSOR] [--json] | show JOB | note JOB TEXT | export [--format csv|jsonl] [--bom] [-o FILE] | purge --older-than 180d | replies [...]", "search, show, annotate, export and purge the communication archive; residents' replies", cmdArchive},
		{"surveys", "list [--estate E] [--state S] [--callback-open] | show ID | note ID TEXT", "satisfaction surveys: scores, comments, escalations; note closes a call-back task", cmdSurveys},
		{"satisfaction", "report [--estate E] [--building B] [--service S] [--since 30d] [--by building|service|week] [--json|--csv]", "the satisfaction report: response rate, average, distribution, satisfied rate (4-5), rows under 70% flagged", cmdSatisfaction},
		{"templates", "list | check [--dir DIR] | preview --kind K --resident ID ...", "list, check and preview the templates (built-in and OUTREACH_TEMPLATES_DIR)", cmdTemplates},
		{"users", "add --login L --role admin|manager|staff|auditor [--estates A,B] | list | disable|enable LOGIN | passwd LOGIN", "accounts of the web console (/console/); passwords from stdin or --password-file, never a flag", cmdUsers},
		{"tokens", "create --name N --scopes enqueue,manage,read | list | revoke NAME|ID", "bearer tokens of the /v1/ API (only a hash is stored; the token is printed once)", cmdTokens},
		{"bench", "[--jobs N] [--channel email|sms|mix] [--urgent N] [--replicas K] [--prefill] [--sms-rate R] [--baseline=false]", "measure the real pipeline end to end (same configuration as serve)", cmdBench},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "outreach: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "outreach: notifications and outreach for property management (email, SMS, archive)")
	fmt.Fprintln(w, "\nUsage: outreach COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n             %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEnvironment:")
	for _, v := range config.Vars {
		fmt.Fprintf(w, "  %-40s %s (default: %s)\n", v.Name, v.Text(), v.Default)
	}
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

// logger builds the process logger: JSON, or text on a terminal, with
// personal data and credentials masked (package logging).
func (e *env) logger(cfg config.Config) *slog.Logger {
	return logging.New(e.stderr, cfg.LogFormat, cfg.LogLevel)
}

// parseFlags parses a subcommand's flags; -h prints its usage.
func (e *env) parseFlags(fs *flag.FlagSet, args []string) (ok bool, status int) {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, 0
		}
		return false, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "outreach %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false, 2
	}
	return true, 0
}

func (e *env) fail(cmd string, err error) int {
	fmt.Fprintf(e.stderr, "outreach %s: %v\n", cmd, err)
	return 1
}
