package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/outreach-dev/outreach/outreach/resident"
	"github.com/outreach-dev/outreach/outreach/store"
)

func cmdResidents(ctx context.Context, e *env, args []string) int {
	if status, handled := residentsProfile(ctx, e, args); handled { // list, show, set: residents_profile.go
		return status
	}
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(e.stderr, "usage: outreach residents import [--region CN] FILE.csv")
		return 2
	}
	fs := flag.NewFlagSet("residents import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	region := fs.String("region", "", "default phone region (default OUTREACH_PHONE_REGION, CN)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: outreach residents import [--region CN] FILE.csv")
		return 2
	}
	cfg, ok := e.loadConfig()
	if !ok {
		return 2
	}
	if *region == "" {
		*region = cfg.PhoneRegion
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return e.fail("residents import", err)
	}
	defer f.Close()
	res, err := resident.ParseCSV(f, resident.Options{DefaultRegion: *region})
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: %v\n", err)
		return 2
	}
	for _, re := range res.Errors {
		fmt.Fprintf(e.stderr, "%s: %v\n", fs.Arg(0), re)
	}
	if len(res.Residents) == 0 {
		fmt.Fprintf(e.stderr, "nothing imported: %d rows, %d rejected\n", res.Rows, len(res.Errors))
		return 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return e.fail("residents import", err)
	}
	defer st.Close()
	n, err := st.UpsertResidents(ctx, res.Residents)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: %v\n", err)
		return 2
	}
	fmt.Fprintf(e.stdout, "%d rows: %d added, %d updated, %d rejected\n", res.Rows, n.Added, n.Updated, len(res.Errors))
	if len(res.Errors) > 0 {
		return 1
	}
	return 0
}
