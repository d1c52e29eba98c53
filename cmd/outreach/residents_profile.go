package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/resident"
)

type residentsListCmd struct {
	Estate   string   `placeholder:"E" help:"only this estate (buildings and units are within it)"`
	Building string   `placeholder:"B" help:"only this building"`
	Unit     string   `placeholder:"U" help:"only this unit"`
	Locale   string   `placeholder:"L" help:"only this locale, e.g. en"`
	Tag      []string `sep:";" placeholder:"T" help:"only residents with this tag (repeatable, or a;b; all must match)"`
	Limit    int      `placeholder:"N" help:"most residents to print (0: all)"`
	JSON     bool     `name:"json" help:"one JSON object per line"`
}

func (c *residentsListCmd) run(ctx context.Context, e *env) int {
	a := outreach.Audience{Estate: c.Estate, Building: c.Building, Unit: c.Unit, Locale: c.Locale}
	var tags []string
	for _, t := range c.Tag {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	if c.Limit < 0 {
		fmt.Fprintln(e.stderr, "outreach residents list: --limit: want 0 (all) or more")
		return 2
	}
	a.Tags = tags
	st, _, code := e.openStore(ctx, "residents list")
	if st == nil {
		return code
	}
	defer st.Close()

	var print func(outreach.Resident) error
	var flush func() error
	if c.JSON {
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
			if c.Limit > 0 && n == c.Limit {
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

type residentsShowCmd struct {
	residentArg
	JSON bool `name:"json" help:"print the resident as JSON"`
}

func (c *residentsShowCmd) run(ctx context.Context, e *env) int {
	st, _, code := e.openStore(ctx, "residents show")
	if st == nil {
		return code
	}
	defer st.Close()
	r, err := st.Resident(ctx, c.ID)
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach residents show: no resident %q\n", c.ID)
		return 1
	}
	if err != nil {
		return e.fail("residents show", err)
	}
	if err := printResident(e.stdout, r, c.JSON); err != nil {
		return e.fail("residents show", err)
	}
	return 0
}

type residentsSetCmd struct {
	residentArg
	Fields []string `arg:"" name:"field=value" help:"the fields to change: ${resident_fields}"`
	JSON   bool     `name:"json" help:"print the changed resident as JSON"`
}

func (c *residentsSetCmd) run(ctx context.Context, e *env) int {
	id := c.ID
	var p resident.Patch
	for _, a := range c.Fields {
		if err := p.Set(a); err != nil {
			fmt.Fprintf(e.stderr, "outreach residents set: %v\n", err)
			return 2
		}
	}
	st, cfg, status := e.openStore(ctx, "residents set", config.GroupResidents)
	if st == nil {
		return status
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
	if err := printResident(e.stdout, r, c.JSON); err != nil {
		return e.fail("residents set", err)
	}
	return 0
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
