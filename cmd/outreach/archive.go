package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// archiveCmd reads and keeps the communication archive.
type archiveCmd struct {
	Search  archiveSearchCmd  `cmd:"" help:"search the deliveries, newest first, one page (the next page's cursor goes to stderr as next:)"`
	Show    archiveShowCmd    `cmd:"" aliases:"history" help:"a job's deliveries, each with its whole history (also: archive history)"`
	Note    archiveNoteCmd    `cmd:"" help:"set staff's follow-up note on a job's deliveries"`
	Export  archiveExportCmd  `cmd:"" help:"export the deliveries the filters select, as CSV (for spreadsheets) or JSON lines"`
	Purge   archivePurgeCmd   `cmd:"" help:"purge the content (subject, body) of old deliveries by hand; what was sent to whom stays"`
	Backup  archiveBackupCmd  `cmd:"" help:"write a consistent copy of the archive to FILE while the daemons write"`
	Restore archiveRestoreCmd `cmd:"" help:"put a backup back as the database of OUTREACH_DATABASE_URL (stop the daemons first)"`
	Replies archiveRepliesCmd `cmd:"" help:"the replies residents sent (SMS answers, STOP), newest first, with the job each answers"`
}

// filterFlags are the archive filters every subcommand that selects
// deliveries takes.
type filterFlags struct {
	Job      string `placeholder:"ID" help:"job id"`
	Delivery string `placeholder:"ID" help:"delivery id"`
	Resident string `placeholder:"ID" help:"resident id"`
	Estate   string `placeholder:"E" help:"estate (the resident's when the message went out)"`
	Building string `placeholder:"B" help:"building (as it was when the message went out)"`
	Unit     string `placeholder:"U" help:"unit"`
	Kind     string `placeholder:"K" help:"job kind"`
	Channel  string `placeholder:"C" help:"email, sms, wecom, dingtalk or slack"`
	Status   string `placeholder:"S" help:"queued, sent, delivered, undelivered, retrying, failed, suppressed or deferred"`
	Campaign string `placeholder:"ID" help:"campaign"`
	Since    string `placeholder:"T" help:"created at or after: RFC 3339 time, a date (2026-01-31), or a duration such as 24h or 7d (that long ago)"`
	Until    string `placeholder:"T" help:"created before: as --since"`
}

// filter returns the filter the flags say, --since and --until read.
func (ff *filterFlags) filter() (outreach.Filter, error) {
	f := outreach.Filter{JobID: ff.Job, DeliveryID: ff.Delivery, ResidentID: ff.Resident, Estate: ff.Estate,
		Building: ff.Building, Unit: ff.Unit, Kind: outreach.Kind(ff.Kind), Channel: outreach.Channel(ff.Channel),
		Status: outreach.Status(ff.Status), Campaign: ff.Campaign}
	var err error
	if f.Since, err = parseWhen(ff.Since); err != nil {
		return f, fmt.Errorf("--since: %w", err)
	}
	if f.Until, err = parseWhen(ff.Until); err != nil {
		return f, fmt.Errorf("--until: %w", err)
	}
	return f, nil
}

type archiveSearchCmd struct {
	filterFlags
	Limit int    `default:"100" placeholder:"N" help:"most records to print (one page)"`
	After string `placeholder:"CURSOR" help:"continue after this cursor (printed as next: by the previous page)"`
	listFlags
}

func (c *archiveSearchCmd) run(ctx context.Context, e *env) int {
	f, err := c.filter()
	if err != nil {
		return e.fail("archive search", err)
	}
	f.Limit = c.Limit
	if f.After, err = outreach.ParseCursor(c.After); err != nil {
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
	if c.JSON {
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

// archiveShowCmd prints the deliveries of a job with their full history.
type archiveShowCmd struct {
	Job      string `arg:"" name:"JOB" help:"the job's id"`
	Resident string `placeholder:"ID" help:"only the delivery to this resident"`
	Delivery string `placeholder:"ID" help:"only this delivery"`
	JSON     bool   `name:"json" help:"one JSON object per delivery and line, with its events"`
}

func (c *archiveShowCmd) run(ctx context.Context, e *env) int {
	f := outreach.Filter{JobID: c.Job, ResidentID: c.Resident, DeliveryID: c.Delivery, Limit: showLimit}
	asJSON := c.JSON
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
		if asJSON {
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

// archiveNoteCmd sets staff's follow-up note on a job's deliveries.
type archiveNoteCmd struct {
	Job      string `arg:"" name:"JOB" help:"the job's id"`
	Text     string `arg:"" name:"TEXT" help:"the note"`
	Resident string `placeholder:"ID" help:"only the delivery (or deliveries, one per channel) to this resident"`
	Delivery string `placeholder:"ID" help:"only this delivery"`
}

func (c *archiveNoteCmd) run(ctx context.Context, e *env) int {
	if c.Job == "" {
		return e.usage("archive note", "JOB is empty")
	}
	f := outreach.Filter{JobID: c.Job, ResidentID: c.Resident, DeliveryID: c.Delivery}
	st, _, status := e.openStore(ctx, "archive note")
	if st == nil {
		return status
	}
	defer st.Close()
	n, err := st.SetNote(ctx, f, c.Text)
	if err != nil {
		return e.fail("archive note", err)
	}
	if n == 0 {
		return e.fail("archive note", fmt.Errorf("no delivery of job %q matches", f.JobID))
	}
	fmt.Fprintf(e.stdout, "noted %d deliveries of job %s\n", n, f.JobID)
	return 0
}

// archivePurgeCmd runs content retention by hand.
type archivePurgeCmd struct {
	OlderThan string `name:"older-than" placeholder:"180d" help:"purge the content of deliveries created longer ago than this, e.g. 180d (required)"`
	Batch     int    `default:"1000" placeholder:"N" help:"deliveries per statement"`
}

func (c *archivePurgeCmd) run(ctx context.Context, e *env) int {
	period, err := outreach.ParsePeriod(c.OlderThan)
	if err != nil || period <= 0 || c.Batch <= 0 {
		return e.usage("archive purge", "want --older-than a period above 0, such as 180d, and --batch 1 or more")
	}
	st, _, status := e.openStore(ctx, "archive purge")
	if st == nil {
		return status
	}
	defer st.Close()
	before := time.Now().Add(-period)
	n, err := st.PurgeContent(ctx, before, c.Batch)
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
