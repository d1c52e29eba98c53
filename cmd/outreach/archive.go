package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

func cmdArchive(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == "replies" {
		return cmdArchiveReplies(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "search" {
		fmt.Fprintln(e.stderr, "usage: outreach archive search [--job ID] [--resident ID] [--kind K] [--channel C] [--status S] [--campaign C] [--since T] [--until T] [--limit N] [--json]")
		fmt.Fprintln(e.stderr, "       outreach archive replies [--resident ID] [--job ID] [--since T] [--limit N] [--json]")
		return 2
	}
	fs := flag.NewFlagSet("archive search", flag.ContinueOnError)
	var f outreach.Filter
	fs.StringVar(&f.JobID, "job", "", "job id")
	fs.StringVar(&f.ResidentID, "resident", "", "resident id")
	fs.StringVar((*string)(&f.Kind), "kind", "", "job kind")
	fs.StringVar((*string)(&f.Channel), "channel", "", "email, sms, wecom, dingtalk or slack")
	fs.StringVar((*string)(&f.Status), "status", "", "queued, sent, delivered, undelivered, retrying or failed")
	fs.StringVar(&f.Campaign, "campaign", "", "campaign")
	fs.IntVar(&f.Limit, "limit", 100, "most records to print")
	since := fs.String("since", "", "RFC 3339 time, or a duration such as 24h (that long ago)")
	until := fs.String("until", "", "RFC 3339 time")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if ok, status := e.parseFlags(fs, args[1:]); !ok {
		return status
	}
	var err error
	if f.Since, err = parseWhen(*since); err != nil {
		return e.fail("archive search", fmt.Errorf("--since: %w", err))
	}
	if f.Until, err = parseWhen(*until); err != nil {
		return e.fail("archive search", fmt.Errorf("--until: %w", err))
	}
	cfg, ok := e.loadConfig()
	if !ok {
		return 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return e.fail("archive search", err)
	}
	defer st.Close()
	ds, err := st.Search(ctx, f)
	if err != nil {
		return e.fail("archive search", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, d := range ds {
			if err := enc.Encode(d); err != nil {
				return e.fail("archive search", err)
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tJOB\tRESIDENT\tKIND\tCHANNEL\tSTATUS\tSUBJECT / ERROR")
	for _, d := range ds {
		what := d.Subject
		if d.Error != "" {
			what = d.Error
		}
		if what == "" {
			what = d.Body
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.CreatedAt.Local().Format("2006-01-02 15:04:05"),
			d.JobID, d.ResidentID, d.Kind, d.Channel, d.Status, truncate(what, 60))
	}
	_ = tw.Flush()
	return 0
}

func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
