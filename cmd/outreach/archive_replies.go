package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/store"
)

// cmdArchiveReplies prints the replies residents sent (SMS answers, STOP),
// newest first, with the job each answers.
func cmdArchiveReplies(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive replies", flag.ContinueOnError)
	var f outreach.Filter
	fs.StringVar(&f.ResidentID, "resident", "", "resident id")
	fs.StringVar(&f.JobID, "job", "", "job id the reply answers")
	fs.StringVar(&f.Estate, "estate", "", "the replying resident's estate")
	fs.IntVar(&f.Limit, "limit", 100, "most replies to print")
	since := fs.String("since", "", "RFC 3339 time, or a duration such as 24h (that long ago)")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	var err error
	if f.Since, err = parseWhen(*since); err != nil {
		return e.fail("archive replies", fmt.Errorf("--since: %w", err))
	}
	cfg, ok := e.loadConfig(config.GroupStore)
	if !ok {
		return 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return e.fail("archive replies", err)
	}
	defer st.Close()
	rs, err := st.Replies(ctx, f)
	if err != nil {
		return e.fail("archive replies", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return e.fail("archive replies", err)
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tRESIDENT\tCHANNEL\tJOB\tACTION\tTEXT")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ReceivedAt.Local().Format("2006-01-02 15:04:05"),
			r.ResidentID, r.Channel, r.JobID, r.Action, truncate(r.Body, 60))
	}
	_ = tw.Flush()
	return 0
}
