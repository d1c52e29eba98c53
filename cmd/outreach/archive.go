package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

const archiveUsage = `usage: outreach archive search [filters] [--limit N] [--after CURSOR] [--json]
       outreach archive show JOB [--resident ID] [--delivery ID] [--json]    (also: history)
       outreach archive note JOB "TEXT" [--resident ID] [--delivery ID]
       outreach archive export [--since T] [--until T] [filters] [--format csv|jsonl] [--bom] [-o FILE]
       outreach archive purge --older-than 180d [--batch N]
       outreach archive backup FILE                  (a consistent copy while daemons write)
       outreach archive restore FILE [--force]       (stop the daemons first)
       outreach archive replies [--resident ID] [--job ID] [--since T] [--limit N] [--json]
filters: --job ID --delivery ID --resident ID --building B --unit U --kind K --channel C
         --status S --campaign C --since T --until T   (T: RFC 3339, a date, or 24h / 7d ago)`

func cmdArchive(ctx context.Context, e *env, args []string) int {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "search":
		return cmdArchiveSearch(ctx, e, args)
	case "replies":
		return cmdArchiveReplies(ctx, e, args)
	case "show", "history":
		return cmdArchiveShow(ctx, e, args)
	case "note":
		return cmdArchiveNote(ctx, e, args)
	case "export":
		return cmdArchiveExport(ctx, e, args)
	case "purge":
		return cmdArchivePurge(ctx, e, args)
	case "backup":
		return cmdArchiveBackup(ctx, e, args)
	case "restore":
		return cmdArchiveRestore(ctx, e, args)
	}
	fmt.Fprintln(e.stderr, archiveUsage)
	return 2
}

// filterFlags are the archive filters every subcommand that selects
// deliveries takes.
type filterFlags struct {
	f            outreach.Filter
	since, until string
}

func (ff *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ff.f.JobID, "job", "", "job id")
	fs.StringVar(&ff.f.DeliveryID, "delivery", "", "delivery id")
	fs.StringVar(&ff.f.ResidentID, "resident", "", "resident id")
	fs.StringVar(&ff.f.Estate, "estate", "", "estate (the resident's when the message went out)")
	fs.StringVar(&ff.f.Building, "building", "", "building (as it was when the message went out)")
	fs.StringVar(&ff.f.Unit, "unit", "", "unit")
	fs.StringVar((*string)(&ff.f.Kind), "kind", "", "job kind")
	fs.StringVar((*string)(&ff.f.Channel), "channel", "", "email, sms, wecom, dingtalk or slack")
	fs.StringVar((*string)(&ff.f.Status), "status", "", "queued, sent, delivered, undelivered, retrying, failed, suppressed or deferred")
	fs.StringVar(&ff.f.Campaign, "campaign", "", "campaign")
	fs.StringVar(&ff.since, "since", "", "created at or after: RFC 3339 time, a date (2026-01-31), or a duration such as 24h or 7d (that long ago)")
	fs.StringVar(&ff.until, "until", "", "created before: as --since")
}

// filter returns the filter with --since and --until read.
func (ff *filterFlags) filter() (outreach.Filter, error) {
	f := ff.f
	var err error
	if f.Since, err = parseWhen(ff.since); err != nil {
		return f, fmt.Errorf("--since: %w", err)
	}
	if f.Until, err = parseWhen(ff.until); err != nil {
		return f, fmt.Errorf("--until: %w", err)
	}
	return f, nil
}

func cmdArchiveSearch(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive search", flag.ContinueOnError)
	var ff filterFlags
	ff.register(fs)
	limit := fs.Int("limit", 100, "most records to print (one page)")
	after := fs.String("after", "", "continue after this cursor (printed as `next:` by the previous page)")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	f, err := ff.filter()
	if err != nil {
		return e.fail("archive search", err)
	}
	f.Limit = *limit
	if f.After, err = outreach.ParseCursor(*after); err != nil {
		return e.fail("archive search", fmt.Errorf("--after: %w", err))
	}
	st, _, status := e.openStore(ctx, "archive search")
	if st == nil {
		return status
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
	} else {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CREATED\tJOB\tRESIDENT\tBUILDING/UNIT\tKIND\tCHANNEL\tSTATUS\tSUBJECT / ERROR\tNOTE")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.CreatedAt.Local().Format("2006-01-02 15:04:05"),
				d.JobID, d.ResidentID, address(d), d.Kind, d.Channel, d.Status, truncate(deliverySummary(d), 60), truncate(d.Note, 30))
		}
		_ = tw.Flush()
	}
	// The cursor goes to stderr, so that stdout stays one delivery per
	// line for jq and friends.
	if next, ok := outreach.NextCursor(ds, f.Limit); ok {
		fmt.Fprintf(e.stderr, "next: %s\n", next)
	}
	return 0
}

// deliverySummary is what a delivery said, or why it failed.
func deliverySummary(d outreach.Delivery) string {
	switch {
	case d.Error != "":
		return d.Error
	case d.Subject != "":
		return d.Subject
	case d.ContentPurgedAt != nil:
		return "(content purged)"
	}
	return d.Body
}

func address(d outreach.Delivery) string {
	if d.Building == "" && d.Unit == "" {
		return ""
	}
	return d.Building + "/" + d.Unit
}

// showLimit bounds `archive show`: a job to one building has a few
// hundred deliveries; a bulk greeting to everyone is better searched.
const showLimit = 10000

// cmdArchiveShow prints the deliveries of a job with their full history.
func cmdArchiveShow(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive show", flag.ContinueOnError)
	var f outreach.Filter
	fs.StringVar(&f.ResidentID, "resident", "", "only the delivery to this resident")
	fs.StringVar(&f.DeliveryID, "delivery", "", "only this delivery")
	asJSON := fs.Bool("json", false, "one JSON object per delivery and line, with its events")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: outreach archive show JOB [--resident ID] [--delivery ID] [--json]")
		return 2
	}
	f.JobID, f.Limit = pos[0], showLimit
	st, _, status := e.openStore(ctx, "archive show")
	if st == nil {
		return status
	}
	defer st.Close()
	ds, err := st.Search(ctx, f)
	if err != nil {
		return e.fail("archive show", err)
	}
	if len(ds) == 0 {
		return e.fail("archive show", fmt.Errorf("no delivery of job %q matches", f.JobID))
	}
	if len(ds) == showLimit {
		fmt.Fprintf(e.stderr, "outreach archive show: showing the latest %d deliveries of job %s; use archive search or export for all\n", showLimit, f.JobID)
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	events, err := st.Events(ctx, ids...)
	if err != nil {
		return e.fail("archive show", err)
	}
	byDelivery := map[string][]outreach.DeliveryEvent{}
	for _, ev := range events {
		byDelivery[ev.DeliveryID] = append(byDelivery[ev.DeliveryID], ev)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for i := len(ds) - 1; i >= 0; i-- { // oldest first, like the events
		d := ds[i]
		d.Events = byDelivery[d.ID]
		if *asJSON {
			if err := enc.Encode(d); err != nil {
				return e.fail("archive show", err)
			}
			continue
		}
		printHistory(e, d)
	}
	return 0
}

// printHistory writes one delivery and its events for a person to read.
func printHistory(e *env, d outreach.Delivery) {
	w := e.stdout
	fmt.Fprintf(w, "delivery %s  job %s  resident %s", d.ID, d.JobID, d.ResidentID)
	if a := address(d); a != "" {
		fmt.Fprintf(w, "  (%s)", a)
	}
	fmt.Fprintf(w, "\n  %s by %s, %s; status %s", d.Kind, orDash(string(d.Channel)), orDash(d.Campaign), d.Status)
	if d.Template != "" {
		fmt.Fprintf(w, "; template %s %s (%s)", d.Template, d.TemplateVersion, d.Locale)
	}
	fmt.Fprintln(w)
	if d.Subject != "" {
		fmt.Fprintf(w, "  subject: %s\n", d.Subject)
	}
	if d.ContentPurgedAt != nil {
		fmt.Fprintf(w, "  content purged %s\n", d.ContentPurgedAt.Local().Format("2006-01-02 15:04:05"))
	}
	if d.Note != "" {
		fmt.Fprintf(w, "  follow-up: %s\n", d.Note)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, ev := range d.Events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", ev.At.Local().Format("2006-01-02 15:04:05"), ev.Event, ev.Detail)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdArchiveNote sets staff's follow-up note on a job's deliveries.
func cmdArchiveNote(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive note", flag.ContinueOnError)
	var f outreach.Filter
	fs.StringVar(&f.ResidentID, "resident", "", "only the delivery (or deliveries, one per channel) to this resident")
	fs.StringVar(&f.DeliveryID, "delivery", "", "only this delivery")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 2 || pos[0] == "" {
		fmt.Fprintln(e.stderr, `usage: outreach archive note JOB "TEXT" [--resident ID] [--delivery ID]`)
		return 2
	}
	f.JobID = pos[0]
	st, _, status := e.openStore(ctx, "archive note")
	if st == nil {
		return status
	}
	defer st.Close()
	n, err := st.SetNote(ctx, f, pos[1])
	if err != nil {
		return e.fail("archive note", err)
	}
	if n == 0 {
		return e.fail("archive note", fmt.Errorf("no delivery of job %q matches", f.JobID))
	}
	fmt.Fprintf(e.stdout, "noted %d deliveries of job %s\n", n, f.JobID)
	return 0
}

// cmdArchivePurge runs content retention by hand.
func cmdArchivePurge(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive purge", flag.ContinueOnError)
	olderThan := fs.String("older-than", "", "purge the content of deliveries created longer ago than this, e.g. 180d (required)")
	batch := fs.Int("batch", 1000, "deliveries per statement")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	period, err := outreach.ParsePeriod(*olderThan)
	if err != nil || period <= 0 || *batch <= 0 {
		fmt.Fprintln(e.stderr, "usage: outreach archive purge --older-than 180d [--batch N]  (a period above 0, a batch of 1 or more)")
		return 2
	}
	st, _, status := e.openStore(ctx, "archive purge")
	if st == nil {
		return status
	}
	defer st.Close()
	before := time.Now().Add(-period)
	n, err := st.PurgeContent(ctx, before, *batch)
	if err != nil {
		return e.fail("archive purge", fmt.Errorf("after purging %d deliveries: %w", n, err))
	}
	fmt.Fprintf(e.stdout, "purged the content of %d deliveries created before %s\n", n, before.Format(time.RFC3339))
	return 0
}

// parseWhen reads a --since or --until: an RFC 3339 time, a date (local
// midnight), or a period ago (24h, 7d).
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if d, err := outreach.ParsePeriod(s); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time, a date such as 2026-01-31, or a period ago such as 24h or 7d; got %q", s)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
