package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
)

// listFlags are the flags of every `outreach ... list`.
type listFlags struct {
	JSON bool `name:"json" help:"one JSON object per line"`
}

// listCommand runs an `outreach ... list [--json]` command: it loads the
// records with load (a Store method, e.g. outreach.Store.Tokens) and
// prints them, one JSON object per line with --json, else a table with
// the columns and one row of cells per record.
func listCommand[T any](ctx context.Context, e *env, name string, asJSON bool,
	load func(outreach.Store, context.Context) ([]T, error), columns []string, row func(T) []string) int {
	st, _, status := e.openStore(ctx, name)
	if st == nil {
		return status
	}
	defer st.Close()
	items, err := load(st, ctx)
	if err != nil {
		return e.fail(name, err)
	}
	if asJSON {
		for _, it := range items {
			if s := e.printJSON(name, it); s != 0 {
				return s
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(columns, "\t"))
	for _, it := range items {
		fmt.Fprintln(tw, strings.Join(row(it), "\t"))
	}
	_ = tw.Flush()
	return 0
}

// estatesCell is a token's or a user's estates: "*" for every estate.
func estatesCell(estates []string) string {
	if len(estates) == 0 {
		return "*"
	}
	return strings.Join(estates, ",")
}
