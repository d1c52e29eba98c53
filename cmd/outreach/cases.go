package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/queue"
)

const casesUsage = `usage:
  outreach cases open (--resident ID | --estate E --unit U) --category C [--urgency low|normal|urgent] [--received phone|sms|email|on_site|app] [--assignee A] [--by NAME] "description"
  outreach cases list [--estate E] [--state S,S] [--category C] [--resident ID] [--assignee A] [--overdue] [--since 30d] [--limit N] [--json]
  outreach cases show ID [--json]                      (the whole history, with times and participants)
  outreach cases acknowledge|start ID [--by NAME] ["note"]
  outreach cases assign ID [--by NAME] ASSIGNEE
  outreach cases note ID [--by NAME] "note"
  outreach cases resolve ID [--by NAME] "what was done"   (sends the resolution notice; the follow-up comes after the delay)
  outreach cases close ID [--by NAME] ["why"]
  outreach cases report [--since 30d] [--estate E] [--category C] [--json]

open and resolve queue messages and need OUTREACH_REDIS_URL; the others need the database only.`

// cmdCases works the complaint loop (docs/cases.md).
func cmdCases(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, casesUsage)
		return 2
	}
	switch args[0] {
	case "open":
		return casesOpen(ctx, e, args[1:])
	case "list":
		return casesList(ctx, e, args[1:])
	case "show":
		return casesShow(ctx, e, args[1:])
	case "report":
		return casesReport(ctx, e, args[1:])
	case "acknowledge", "start", "assign", "note", "resolve", "close":
		return casesStep(ctx, e, args[0], args[1:])
	case "help", "-h", "--help":
		fmt.Fprintln(e.stdout, casesUsage)
		return 0
	}
	fmt.Fprintf(e.stderr, "outreach cases: unknown subcommand %q\n%s\n", args[0], casesUsage)
	return 2
}

// caseService opens the store (and Redis when the step sends messages)
// and builds the loop on them; close releases them. nil on failure (the
// error is printed, status says the exit code).
func (e *env) caseService(ctx context.Context, sends bool) (svc *cases.Service, closeAll func(), status int) {
	groups := []config.Group{config.GroupStore, config.GroupCases, config.GroupSurvey}
	if sends {
		groups = append(groups, config.GroupRedis, config.GroupHTTP)
	}
	cfg, ok := e.loadConfig(groups...)
	if !ok {
		return nil, nil, 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach: %v\n", err)
		return nil, nil, 1
	}
	svc = &cases.Service{Store: st, Settings: cases.Settings{Limits: cfg.Cases.Limits, EscalateAt: cfg.Survey.EscalateAt, SurveyExpiry: cfg.Survey.Expiry},
		PublicURL: cfg.PublicURL, Jobs: refuseJobs{}}
	closeAll = func() { _ = st.Close() }
	if sends {
		if cfg.RedisURL == "" {
			_ = st.Close()
			fmt.Fprintln(e.stderr, "outreach cases: OUTREACH_REDIS_URL is required: this step queues a message to the resident")
			return nil, nil, 2
		}
		rdb, err := queue.Connect(ctx, cfg.RedisURL.Reveal(), queue.ConnectOptions{})
		if err != nil {
			_ = st.Close()
			fmt.Fprintf(e.stderr, "outreach: connect to Redis (OUTREACH_REDIS_URL): %v\n", err)
			return nil, nil, 1
		}
		svc.Jobs = queue.NewProducer(rdb, queue.NewShardedKeys(cfg.Stream, cfg.Group, cfg.Shards))
		closeAll = func() { _ = rdb.Close(); _ = st.Close() }
	}
	return svc, closeAll, 0
}

// refuseJobs is the queue of the steps that send nothing.
type refuseJobs struct{}

func (refuseJobs) Enqueue(context.Context, outreach.Job) (string, error) {
	return "", errors.New("this command has no queue")
}

// caseErr prints the service's error, naming the field of bad input.
func (e *env) caseErr(cmd string, err error) int {
	var fe *cases.FieldError
	switch {
	case errors.As(err, &fe):
		fmt.Fprintf(e.stderr, "outreach %s: %s: %v\n", cmd, fe.Field, fe.Err)
		return 2
	case errors.Is(err, outreach.ErrTransition):
		fmt.Fprintf(e.stderr, "outreach %s: %v\n", cmd, err)
		return 1
	}
	return e.fail(cmd, err)
}

func casesOpen(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("cases open", flag.ContinueOnError)
	resident := fs.String("resident", "", "the resident who reported it")
	estate := fs.String("estate", "", "the estate (default: the resident's)")
	building := fs.String("building", "", "building (default: the resident's)")
	unit := fs.String("unit", "", "unit (default: the resident's); a case needs a resident or a unit")
	category := fs.String("category", "", "facility, lift, water, power, noise, environment, fee, security or other")
	urgency := fs.String("urgency", "normal", "low, normal or urgent")
	received := fs.String("received", "phone", "phone, sms, email, on_site or app")
	assignee := fs.String("assignee", "", "the staff member or team handling it")
	by := fs.String("by", "cli", "who took the report (for the history)")
	rest, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(rest) != 1 {
		fmt.Fprintf(e.stderr, "outreach cases open: want the description as one argument\n%s\n", casesUsage)
		return 2
	}
	svc, done, status := e.caseService(ctx, true)
	if svc == nil {
		return status
	}
	defer done()
	c, _, err := svc.Open(ctx, outreach.Case{ResidentID: *resident, Estate: *estate, Building: *building, Unit: *unit,
		Category: outreach.CaseCategory(*category), Urgency: outreach.CaseUrgency(*urgency), Received: outreach.CaseSource(*received),
		Description: rest[0], Assignee: *assignee}, *by)
	if err != nil {
		return e.caseErr("cases open", err)
	}
	fmt.Fprintf(e.stdout, "opened %s (%s, %s)\n", c.ID, c.Category, c.Urgency)
	for _, t := range c.Timers {
		fmt.Fprintf(e.stdout, "  %s within %s: by %s\n", t.Stage, t.Limit, t.Due.Local().Format("2006-01-02 15:04"))
	}
	return 0
}

func casesList(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("cases list", flag.ContinueOnError)
	estate := fs.String("estate", "", "only this estate")
	state := fs.String("state", "", "only these states, comma-separated (open, acknowledged, in_progress, resolved, followed_up, closed, reopened)")
	category := fs.String("category", "", "only this category")
	resident := fs.String("resident", "", "only this resident's")
	assignee := fs.String("assignee", "", "only this assignee's")
	overdue := fs.Bool("overdue", false, "only open cases past a limit")
	since := fs.String("since", "", "only cases opened within this period, e.g. 30d")
	limit := fs.Int("limit", 100, "at most this many, newest first")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	f := outreach.CaseFilter{ResidentID: *resident, Category: outreach.CaseCategory(*category), Assignee: *assignee, Overdue: *overdue, Limit: *limit}
	if *estate != "" {
		f.Estates = []string{*estate}
	}
	if *category != "" && !f.Category.Valid() {
		fmt.Fprintf(e.stderr, "outreach cases list: --category: %q is not a case category\n", *category)
		return 2
	}
	if *state != "" {
		for s := range strings.SplitSeq(*state, ",") {
			st := outreach.CaseState(strings.TrimSpace(s))
			if !st.Valid() {
				fmt.Fprintf(e.stderr, "outreach cases list: --state: %q is not a case state\n", s)
				return 2
			}
			f.States = append(f.States, st)
		}
	}
	t, err := sinceFlag(*since, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach cases list: --since: %v\n", err)
		return 2
	}
	f.OpenedSince = t
	svc, done, status := e.caseService(ctx, false)
	if svc == nil {
		return status
	}
	defer done()
	list, err := svc.List(ctx, f)
	if err != nil {
		return e.fail("cases list", err)
	}
	if *asJSON {
		for _, c := range list {
			if s := e.printJSON("cases list", c); s != 0 {
				return s
			}
		}
		return 0
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOPENED\tESTATE\tUNIT\tRESIDENT\tCATEGORY\tURGENCY\tSTATE\tASSIGNEE\tNEXT LIMIT")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.OpenedAt.Local().Format("2006-01-02 15:04"), c.Estate,
			dash(strings.Trim(c.Building+"-"+c.Unit, "-")), dash(c.ResidentID), c.Category, c.Urgency, c.State, dash(c.Assignee), nextLimit(c, now))
	}
	_ = tw.Flush()
	return 0
}

// nextLimit is the case's next pending limit, or the one it missed.
func nextLimit(c outreach.Case, now time.Time) string {
	for _, t := range c.Timers {
		if t.Round == c.Reopened && t.Missed() && c.Open() {
			return "MISSED " + t.Stage
		}
	}
	var next *outreach.CaseTimer
	for i, t := range c.Timers {
		if t.Pending() && t.Stage != outreach.StageFollowUp && t.Stage != cases.StageSurveyEnd && (next == nil || t.Due.Before(next.Due)) {
			next = &c.Timers[i]
		}
	}
	if next == nil {
		return "-"
	}
	return fmt.Sprintf("%s in %s", next.Stage, next.Due.Sub(now).Round(time.Minute))
}

func casesShow(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("cases show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "the case and its history as JSON")
	rest, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(rest) != 1 {
		fmt.Fprintf(e.stderr, "outreach cases show: want one case id\n")
		return 2
	}
	svc, done, status := e.caseService(ctx, false)
	if svc == nil {
		return status
	}
	defer done()
	c, events, err := svc.Get(ctx, rest[0])
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach cases show: no case %q\n", rest[0])
		return 1
	}
	if err != nil {
		return e.fail("cases show", err)
	}
	if *asJSON {
		if events == nil {
			events = []outreach.CaseEvent{}
		}
		return e.printJSON("cases show", map[string]any{"case": c, "events": events})
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	line("case", c.ID)
	line("state", string(c.State))
	line("estate", c.Estate)
	line("resident", c.ResidentID)
	line("building", c.Building)
	line("unit", c.Unit)
	line("category", string(c.Category))
	line("urgency", string(c.Urgency))
	line("received", string(c.Received))
	line("description", c.Description)
	line("assignee", c.Assignee)
	line("resolution", c.Resolution)
	line("opened", c.OpenedAt.Local().Format("2006-01-02 15:04:05")+" by "+c.OpenedBy)
	line("acknowledged", at(c.AcknowledgedAt))
	line("responded", at(c.RespondedAt))
	line("resolved", at(c.ResolvedAt))
	line("followed up", at(c.FollowedUpAt))
	line("closed", at(c.ClosedAt))
	if c.Reopened > 0 {
		line("reopened", fmt.Sprintf("%d time(s)", c.Reopened))
	}
	for _, t := range c.Timers {
		state := "due " + t.Due.Local().Format("2006-01-02 15:04")
		switch {
		case t.MetAt != nil:
			state = "met " + at(t.MetAt)
			if t.MetAt.After(t.Due) {
				state += " (late)"
			}
		case t.FiredAt != nil && t.Stage != outreach.StageFollowUp && t.Stage != cases.StageSurveyEnd:
			state = "MISSED, escalated to " + t.Level + " " + at(t.FiredAt)
		case t.FiredAt != nil:
			state = "done " + at(t.FiredAt)
		}
		line(fmt.Sprintf("limit %s (round %d, %s)", t.Stage, t.Round, t.Limit), state)
	}
	_ = tw.Flush()
	fmt.Fprintln(e.stdout, "\nHISTORY")
	tw = tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tWHO\tEVENT\tDETAIL")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ev.At.Local().Format("2006-01-02 15:04:05"), ev.Actor, ev.Event, ev.Detail)
	}
	_ = tw.Flush()
	return 0
}

func casesStep(ctx context.Context, e *env, step string, args []string) int {
	fs := flag.NewFlagSet("cases "+step, flag.ContinueOnError)
	by := fs.String("by", "cli", "who did it (a staff name, for the history)")
	rest, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	needsText := step == "assign" || step == "note" || step == "resolve"
	if len(rest) < 1 || len(rest) > 2 || needsText && len(rest) != 2 {
		fmt.Fprintf(e.stderr, "outreach cases %s: want a case id and %s\n%s\n", step, map[bool]string{true: "one text argument", false: "at most one note"}[needsText], casesUsage)
		return 2
	}
	text := ""
	if len(rest) == 2 {
		text = rest[1]
	}
	svc, done, status := e.caseService(ctx, step == "resolve")
	if svc == nil {
		return status
	}
	defer done()
	do := map[string]func(context.Context, string, string, string) (outreach.Case, error){
		"acknowledge": svc.Acknowledge, "start": svc.Start, "assign": svc.Assign, "note": svc.Note, "resolve": svc.Resolve, "close": svc.Close,
	}[step]
	c, err := do(ctx, rest[0], *by, text)
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach cases %s: no case %q\n", step, rest[0])
		return 1
	}
	if err != nil {
		return e.caseErr("cases "+step, err)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", c.ID, c.State)
	return 0
}

func casesReport(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("cases report", flag.ContinueOnError)
	since := fs.String("since", "30d", "cases opened within this period")
	estate := fs.String("estate", "", "only this estate")
	category := fs.String("category", "", "only this category")
	asJSON := fs.Bool("json", false, "the report as JSON")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	t, err := sinceFlag(*since, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach cases report: --since: %v\n", err)
		return 2
	}
	f := outreach.CaseFilter{OpenedSince: t, Category: outreach.CaseCategory(*category)}
	if *category != "" && !f.Category.Valid() {
		fmt.Fprintf(e.stderr, "outreach cases report: --category: %q is not a case category\n", *category)
		return 2
	}
	if *estate != "" {
		f.Estates = []string{*estate}
	}
	svc, done, status := e.caseService(ctx, false)
	if svc == nil {
		return status
	}
	defer done()
	rep, err := svc.Report(ctx, f)
	if err != nil {
		return e.fail("cases report", err)
	}
	if *asJSON {
		return e.printJSON("cases report", rep)
	}
	fmt.Fprintf(e.stdout, "cases opened since %s\n\n", t.Local().Format("2006-01-02 15:04"))
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ESTATE\tCATEGORY\tOPENED\tOPEN\tOVERDUE\tRESOLVED\tWITHIN LIMIT\tLIMITS MISSED\tMEDIAN TO ACK\tMEDIAN TO RESOLVE\t")
	row := func(estate, category string, r cases.ReportRow) {
		within := "-"
		if r.Resolved > 0 {
			within = percent(r.WithinLimit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%s\t%s\t\n", estate, category, r.Opened, r.Open, r.Overdue, r.Resolved, within,
			r.LimitMisses, seconds(r.MedianAcknowledge), seconds(r.MedianResolve))
	}
	for _, r := range rep.Rows {
		row(r.Estate, string(r.Category), r)
	}
	row("total", "", rep.Total)
	_ = tw.Flush()
	return 0
}

// seconds prints a median in seconds as a duration ("-" for none).
func seconds(s float64) string {
	if s == 0 {
		return "-"
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}
