package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/resident"
	"github.com/outreach-dev/outreach/outreach/store"
)

// residentsUsage is the usage of every `outreach residents` subcommand.
const residentsUsage = `usage:
  outreach residents import [--region CN] FILE.csv
  outreach residents list [--estate E] [--building B] [--unit U] [--locale L] [--tag T]... [--limit N] [--json]
  outreach residents show ID [--json]
  outreach residents set ID field=value...
      fields: ` + resident.SetFields + `
      tags and channels take a;b lists; opt_out/opt_in take a channel (sms) or a kind (holiday_greeting);
      attr.KEY= (empty) removes the attribute`

// residentsProfile runs `outreach residents list|show|set`, and prints
// the usage (status 2) for anything but those and import. It reports false
// for import, which cmdResidents runs.
func residentsProfile(ctx context.Context, e *env, args []string) (status int, handled bool) {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, residentsUsage)
		return 2, true
	}
	switch args[0] {
	case "import":
		return 0, false
	case "list":
		return cmdResidentsList(ctx, e, args[1:]), true
	case "show":
		return cmdResidentsShow(ctx, e, args[1:]), true
	case "set":
		return cmdResidentsSet(ctx, e, args[1:]), true
	case "help", "-h", "--help":
		fmt.Fprintln(e.stdout, residentsUsage)
		return 0, true
	}
	fmt.Fprintf(e.stderr, "outreach residents: unknown subcommand %q\n%s\n", args[0], residentsUsage)
	return 2, true
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

// tagList collects repeated --tag flags.
type tagList []string

func (t *tagList) String() string { return strings.Join(*t, ",") }
func (t *tagList) Set(s string) error {
	for tag := range strings.SplitSeq(s, ";") {
		if tag = strings.TrimSpace(tag); tag != "" {
			*t = append(*t, tag)
		}
	}
	return nil
}

func cmdResidentsList(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("residents list", flag.ContinueOnError)
	var (
		a      outreach.Audience
		tags   tagList
		limit  = fs.Int("limit", 0, "most residents to print (0: all)")
		asJSON = fs.Bool("json", false, "one JSON object per line")
	)
	fs.StringVar(&a.Estate, "estate", "", "only this estate (buildings and units are within it)")
	fs.StringVar(&a.Building, "building", "", "only this building")
	fs.StringVar(&a.Unit, "unit", "", "only this unit")
	fs.StringVar(&a.Locale, "locale", "", "only this locale, e.g. en")
	fs.Var(&tags, "tag", "only residents with this tag (repeatable; all must match)")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "outreach residents list: unexpected argument %q\n", pos[0])
		return 2
	}
	if *limit < 0 {
		fmt.Fprintln(e.stderr, "outreach residents list: --limit: want 0 (all) or more")
		return 2
	}
	a.Tags = tags
	st, code := e.openStore(ctx)
	if st == nil {
		return code
	}
	defer st.Close()

	var print func(outreach.Resident) error
	var flush func() error
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		print, flush = func(r outreach.Resident) error { return enc.Encode(r) }, func() error { return nil }
	} else {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tBUILDING\tUNIT\tLOCALE\tREACHABLE BY\tTAGS\tOPTED OUT OF")
		print = func(r outreach.Resident) error {
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, truncate(r.Name, 30), r.Building, r.Unit,
				r.Locale, reachableBy(r), strings.Join(r.Tags, ";"), optedOutOf(r))
			return err
		}
		flush = tw.Flush
	}
	// Page through the directory so that a large one is never all in memory.
	f := outreach.ResidentFilter{Audience: a, Limit: 500}
	for n := 0; ; {
		page, err := st.ListResidents(ctx, f)
		if err != nil {
			return e.fail("residents list", err)
		}
		for _, r := range page {
			if *limit > 0 && n == *limit {
				return e.flushed("residents list", flush)
			}
			if err := print(r); err != nil {
				return e.fail("residents list", err)
			}
			n++
		}
		if len(page) < f.Limit {
			return e.flushed("residents list", flush)
		}
		f.After = page[len(page)-1].ID
	}
}

func (e *env) flushed(cmd string, flush func() error) int {
	if err := flush(); err != nil {
		return e.fail(cmd, err)
	}
	return 0
}

func cmdResidentsShow(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("residents show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the resident as JSON")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: outreach residents show ID [--json]")
		return 2
	}
	st, code := e.openStore(ctx)
	if st == nil {
		return code
	}
	defer st.Close()
	r, err := st.Resident(ctx, pos[0])
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach residents show: no resident %q\n", pos[0])
		return 1
	}
	if err != nil {
		return e.fail("residents show", err)
	}
	if err := printResident(e.stdout, r, *asJSON); err != nil {
		return e.fail("residents show", err)
	}
	return 0
}

func cmdResidentsSet(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("residents set", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the changed resident as JSON")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) < 2 {
		fmt.Fprintln(e.stderr, "usage: outreach residents set ID field=value...\n  fields: "+resident.SetFields)
		return 2
	}
	id := pos[0]
	var p resident.Patch
	for _, a := range pos[1:] {
		if err := p.Set(a); err != nil {
			fmt.Fprintf(e.stderr, "outreach residents set: %v\n", err)
			return 2
		}
	}
	cfg, ok := e.loadConfig(config.GroupStore, config.GroupResidents)
	if !ok {
		return 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return e.fail("residents set", err)
	}
	defer st.Close()
	// One atomic read-modify-write: an opt-out recorded meanwhile (an SMS
	// STOP reply) is not overwritten.
	r, err := st.UpdateResident(ctx, id, func(r *outreach.Resident) error {
		checked, err := resident.Check(p.Apply(*r), cfg.PhoneRegion)
		if err != nil {
			return err
		}
		*r = checked
		return nil
	})
	var pe *resident.ProfileError
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		fmt.Fprintf(e.stderr, "outreach residents set: no resident %q (add residents with import or PUT /v1/residents/{id})\n", id)
		return 1
	case errors.Is(err, outreach.ErrUnknownEstate):
		fmt.Fprintf(e.stderr, "outreach residents set: estate: no estate %q (see `outreach estates list`)\n", *p.Estate)
		return 2
	case errors.As(err, &pe):
		for _, prob := range pe.Problems {
			fmt.Fprintf(e.stderr, "outreach residents set: %s: %v\n", prob.Field, prob.Err)
		}
		return 2
	case err != nil:
		return e.fail("residents set", err)
	}
	if err := printResident(e.stdout, r, *asJSON); err != nil {
		return e.fail("residents set", err)
	}
	return 0
}

// openStore loads the configuration and opens the store; on failure it
// returns nil and the exit status (the error is printed).
func (e *env) openStore(ctx context.Context) (outreach.Store, int) {
	cfg, ok := e.loadConfig(config.GroupStore)
	if !ok {
		return nil, 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach: %v\n", err)
		return nil, 1
	}
	return st, 0
}

// printResident writes one resident: indented JSON, or one "field: value"
// line per field that is set, named as in JSON and in `set`.
func printResident(w io.Writer, r outreach.Resident, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	line := func(field, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", field, value)
		}
	}
	line("id", r.ID)
	line("name", r.Name)
	line("email", r.Email)
	line("phone", r.Phone)
	line("locale", r.Locale)
	line("estate", r.EstateID())
	line("building", r.Building)
	line("unit", r.Unit)
	line("time_zone", r.TimeZone)
	line("tags", strings.Join(r.Tags, ";"))
	line("channels", joinStrings(r.Channels))
	line("opted out of", optedOutOf(r))
	for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
		line("attr."+k, r.Attributes[k])
	}
	if !r.UpdatedAt.IsZero() {
		line("updated_at", r.UpdatedAt.Local().Format("2006-01-02 15:04:05 MST"))
	}
	return tw.Flush()
}

// reachableBy lists the channels the resident has a contact for.
func reachableBy(r outreach.Resident) string {
	var cs []string
	for _, c := range outreach.AllChannels {
		if r.Contact(c) != "" {
			cs = append(cs, string(c))
		}
	}
	return strings.Join(cs, ";")
}

// optedOutOf lists the channels and kinds the resident opted out of.
func optedOutOf(r outreach.Resident) string {
	return strings.Trim(joinStrings(r.OptOutChannels)+";"+joinStrings(r.OptOutKinds), ";")
}

func joinStrings[S ~[]E, E ~string](s S) string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return strings.Join(out, ";")
}
