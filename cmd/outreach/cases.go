package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/queue"
)

// casesCmd works the complaint loop (docs/cases.md). open and resolve
// queue messages and need OUTREACH_REDIS_URL; the others need the
// database only.
type casesCmd struct {
	Open        casesOpenCmd        `cmd:"" help:"open a case (a resident, or an estate and unit, and a category); queues the acknowledgement to the resident (needs OUTREACH_REDIS_URL)"`
	List        casesListCmd        `cmd:"" help:"list cases, newest first, with the next limit each must meet"`
	Show        casesShowCmd        `cmd:"" help:"show a case: the whole history, with times and participants"`
	Acknowledge casesAcknowledgeCmd `cmd:"" help:"acknowledge a case"`
	Start       casesStartCmd       `cmd:"" help:"start work on a case"`
	Assign      casesAssignCmd      `cmd:"" help:"assign a case to a staff member or team"`
	Note        casesNoteCmd        `cmd:"" help:"add a note to a case's history"`
	Resolve     casesResolveCmd     `cmd:"" help:"resolve a case: sends the resolution notice (needs OUTREACH_REDIS_URL); the follow-up comes after the delay"`
	Close       casesCloseCmd       `cmd:"" help:"close a case"`
	Report      casesReportCmd      `cmd:"" help:"opened, open, overdue, resolved within the limit, limits missed, median time to acknowledge and to resolve, per estate and category"`
}

// caseService opens the store (and Redis when the step sends messages)
// and builds the loop on them; close releases them. nil on failure (the
// error is printed, status says the exit code).
func (e *env) caseService(ctx context.Context, cmd string, sends bool) (svc *cases.Service, closeAll func(), status int) {
	groups := []config.Group{config.GroupCases, config.GroupSurvey}
	if sends {
		groups = append(groups, config.GroupRedis, config.GroupHTTP)
	}
	st, cfg, status := e.openStore(ctx, cmd, groups...)
	if st == nil {
		return nil, nil, status
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

type casesOpenCmd struct {
	Description string `arg:"" name:"DESCRIPTION" help:"what the resident reported"`
	Resident    string `placeholder:"ID" help:"the resident who reported it"`
	Estate      string `placeholder:"E" help:"the estate (default: the resident's)"`
	Building    string `placeholder:"B" help:"building (default: the resident's)"`
	Unit        string `placeholder:"U" help:"unit (default: the resident's); a case needs a resident or a unit"`
	Category    string `placeholder:"C" help:"facility, lift, water, power, noise, environment, fee, security or other"`
	Urgency     string `default:"normal" placeholder:"low|normal|urgent" help:"low, normal or urgent"`
	Received    string `default:"phone" placeholder:"phone|sms|email|on_site|app" help:"phone, sms, email, on_site or app"`
	Assignee    string `placeholder:"A" help:"the staff member or team handling it"`
	By          string `default:"cli" placeholder:"NAME" help:"who took the report (for the history)"`
}

func (c *casesOpenCmd) run(ctx context.Context, e *env) int {
	svc, done, status := e.caseService(ctx, "cases open", true)
	if svc == nil {
		return status
	}
	defer done()
	opened, _, err := svc.Open(ctx, outreach.Case{ResidentID: c.Resident, Estate: c.Estate, Building: c.Building, Unit: c.Unit,
		Category: outreach.CaseCategory(c.Category), Urgency: outreach.CaseUrgency(c.Urgency), Received: outreach.CaseSource(c.Received),
		Description: c.Description, Assignee: c.Assignee}, c.By)
	if err != nil {
		return e.caseErr("cases open", err)
	}
	fmt.Fprintf(e.stdout, "opened %s (%s, %s)\n", opened.ID, opened.Category, opened.Urgency)
	for _, t := range opened.Timers {
		fmt.Fprintf(e.stdout, "  %s within %s: by %s\n", t.Stage, t.Limit, t.Due.Local().Format("2006-01-02 15:04"))
	}
	return 0
}

type casesListCmd struct {
	Estate   string `placeholder:"E" help:"only this estate"`
	State    string `placeholder:"S,S" help:"only these states, comma-separated (open, acknowledged, in_progress, resolved, followed_up, closed, reopened)"`
	Category string `placeholder:"C" help:"only this category"`
	Resident string `placeholder:"ID" help:"only this resident's"`
	Assignee string `placeholder:"A" help:"only this assignee's"`
	Overdue  bool   `help:"only open cases past a limit"`
	Since    string `placeholder:"30d" help:"only cases opened within this period, e.g. 30d"`
	Limit    int    `default:"100" placeholder:"N" help:"at most this many, newest first"`
	listFlags
}

func (c *casesListCmd) run(ctx context.Context, e *env) int {
	f := outreach.CaseFilter{ResidentID: c.Resident, Category: outreach.CaseCategory(c.Category), Assignee: c.Assignee, Overdue: c.Overdue, Limit: c.Limit}
	if c.Estate != "" {
		f.Estates = []string{c.Estate}
	}
	if c.Category != "" && !f.Category.Valid() {
		fmt.Fprintf(e.stderr, "outreach cases list: --category: %q is not a case category\n", c.Category)
		return 2
	}
	if c.State != "" {
		for s := range strings.SplitSeq(c.State, ",") {
			st := outreach.CaseState(strings.TrimSpace(s))
			if !st.Valid() {
				fmt.Fprintf(e.stderr, "outreach cases list: --state: %q is not a case state\n", s)
				return 2
			}
			f.States = append(f.States, st)
		}
	}
	t, err := sinceFlag(c.Since, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach cases list: --since: %v\n", err)
		return 2
	}
	f.OpenedSince = t
	svc, done, status := e.caseService(ctx, "cases list", false)
	if svc == nil {
		return status
	}
	defer done()
	list, err := svc.List(ctx, f)
	if err != nil {
		return e.fail("cases list", err)
	}
	if c.JSON {
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

type casesShowCmd struct {
	ID   string `arg:"" name:"ID" help:"the case's id"`
	JSON bool   `name:"json" help:"the case and its history as JSON"`
}

func (c *casesShowCmd) run(ctx context.Context, e *env) int {
	svc, done, status := e.caseService(ctx, "cases show", false)
	if svc == nil {
		return status
	}
	defer done()
	kase, events, err := svc.Get(ctx, c.ID)
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach cases show: no case %q\n", c.ID)
		return 1
	}
	if err != nil {
		return e.fail("cases show", err)
	}
	return e.printCase(kase, events, c.JSON)
}

// printCase writes a case and its history: JSON, or fields, limits and
// the history as tables.
func (e *env) printCase(c outreach.Case, events []outreach.CaseEvent, asJSON bool) int {
	if asJSON {
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

// caseStep is what every step on a case takes: the case, and who did it.
type caseStep struct {
	ID string `arg:"" name:"ID" help:"the case's id"`
	By string `default:"cli" placeholder:"NAME" help:"who did it (a staff name, for the history)"`
}

type (
	casesAcknowledgeCmd struct {
		caseStep
		Note string `arg:"" optional:"" name:"NOTE" help:"a note for the history"`
	}
	casesStartCmd struct {
		caseStep
		Note string `arg:"" optional:"" name:"NOTE" help:"a note for the history"`
	}
	casesAssignCmd struct {
		caseStep
		Assignee string `arg:"" name:"ASSIGNEE" help:"the staff member or team"`
	}
	casesNoteCmd struct {
		caseStep
		Note string `arg:"" name:"NOTE" help:"the note"`
	}
	casesResolveCmd struct {
		caseStep
		Resolution string `arg:"" name:"RESOLUTION" help:"what was done (the resident is told)"`
	}
	casesCloseCmd struct {
		caseStep
		Why string `arg:"" optional:"" name:"WHY" help:"why it is closed"`
	}
)

func (c *casesAcknowledgeCmd) run(ctx context.Context, e *env) int {
	return e.stepCase(ctx, "acknowledge", c.caseStep, c.Note, (*cases.Service).Acknowledge)
}

func (c *casesStartCmd) run(ctx context.Context, e *env) int {
	return e.stepCase(ctx, "start", c.caseStep, c.Note, (*cases.Service).Start)
}

func (c *casesAssignCmd) run(ctx context.Context, e *env) int {
	return e.stepCase(ctx, "assign", c.caseStep, c.Assignee, (*cases.Service).Assign)
}

func (c *casesNoteCmd) run(ctx context.Context, e *env) int {
	return e.stepCase(ctx, "note", c.caseStep, c.Note, (*cases.Service).Note)
}

func (c *casesResolveCmd) run(ctx context.Context, e *env) int {
	return e.stepCase(ctx, "resolve", c.caseStep, c.Resolution, (*cases.Service).Resolve)
}

func (c *casesCloseCmd) run(ctx context.Context, e *env) int {
	return e.stepCase(ctx, "close", c.caseStep, c.Why, (*cases.Service).Close)
}

// stepCase takes a step on a case with do and prints its new state;
// resolve queues the resolution notice, so it needs Redis.
func (e *env) stepCase(ctx context.Context, step string, s caseStep, text string,
	do func(*cases.Service, context.Context, string, string, string) (outreach.Case, error)) int {
	svc, done, status := e.caseService(ctx, "cases "+step, step == "resolve")
	if svc == nil {
		return status
	}
	defer done()
	c, err := do(svc, ctx, s.ID, s.By, text)
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach cases %s: no case %q\n", step, s.ID)
		return 1
	}
	if err != nil {
		return e.caseErr("cases "+step, err)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", c.ID, c.State)
	return 0
}

type casesReportCmd struct {
	Since    string `default:"30d" placeholder:"30d" help:"cases opened within this period"`
	Estate   string `placeholder:"E" help:"only this estate"`
	Category string `placeholder:"C" help:"only this category"`
	JSON     bool   `name:"json" help:"the report as JSON"`
}

func (c *casesReportCmd) run(ctx context.Context, e *env) int {
	t, err := sinceFlag(c.Since, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach cases report: --since: %v\n", err)
		return 2
	}
	f := outreach.CaseFilter{OpenedSince: t, Category: outreach.CaseCategory(c.Category)}
	if c.Category != "" && !f.Category.Valid() {
		fmt.Fprintf(e.stderr, "outreach cases report: --category: %q is not a case category\n", c.Category)
		return 2
	}
	if c.Estate != "" {
		f.Estates = []string{c.Estate}
	}
	svc, done, status := e.caseService(ctx, "cases report", false)
	if svc == nil {
		return status
	}
	defer done()
	rep, err := svc.Report(ctx, f)
	if err != nil {
		return e.fail("cases report", err)
	}
	if c.JSON {
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
