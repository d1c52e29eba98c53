package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// passthrough are the arguments of a command not yet declared in the
// grammar: it parses them itself.
type passthrough struct {
	Args []string `arg:"" optional:"" passthrough:""`
}

type (
	surveysCmd      struct{ passthrough }
	casesCmd        struct{ passthrough }
	satisfactionCmd struct{ passthrough }
	templatesCmd    struct{ passthrough }
)

func (c *surveysCmd) run(ctx context.Context, e *env) int { return cmdSurveys(ctx, e, c.Args) }
func (c *casesCmd) run(ctx context.Context, e *env) int   { return cmdCases(ctx, e, c.Args) }
func (c *satisfactionCmd) run(ctx context.Context, e *env) int {
	return cmdSatisfaction(ctx, e, c.Args)
}
func (c *templatesCmd) run(ctx context.Context, e *env) int { return cmdTemplates(ctx, e, c.Args) }

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

// keyValues collects repeated k=v flags.
type keyValues map[string]any

func (kv keyValues) String() string { return fmt.Sprint(map[string]any(kv)) }
func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	kv[strings.TrimSpace(k)] = v
	return nil
}

// parseInterspersed parses fs's flags wherever they stand among args
// (`show ID --json` as well as `show --json ID`) and returns the other
// arguments. After "--" everything is an argument.
func (e *env) parseInterspersed(fs *flag.FlagSet, args []string) (positional []string, ok bool, status int) {
	fs.SetOutput(e.stderr)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, false, 0
			}
			return nil, false, 2
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, true, 0
		}
		// Parse stops at the first argument that is not a flag, or just
		// after a "--", which it consumes.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), true, 0
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
