package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// surveysCmd lists and shows the satisfaction surveys and closes their
// call-back tasks (docs/surveys.md).
type surveysCmd struct {
	List surveysListCmd `cmd:"" help:"list surveys, newest first: score, comment, call-back task"`
	Show surveysShowCmd `cmd:"" help:"show a survey and its history"`
	Note surveysNoteCmd `cmd:"" help:"record what the call-back found or did; closes the call-back task"`
}

// sinceFlag reads a period back from now ("30d", "12h"), as the report's
// --since.
func sinceFlag(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := outreach.ParsePeriod(v)
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(-d), nil
}

type surveysListCmd struct {
	Estate       string `placeholder:"E" help:"only this estate"`
	Building     string `placeholder:"B" help:"only this building"`
	Service      string `placeholder:"S" help:"only this service (the job's data.service)"`
	State        string `placeholder:"open|answered|expired|closed" help:"only this state: open, answered, expired or closed"`
	CallbackOpen bool   `name:"callback-open" help:"only surveys with a call-back task not yet done"`
	Since        string `placeholder:"30d" help:"only surveys sent within this period, e.g. 30d"`
	Limit        int    `default:"100" placeholder:"N" help:"at most this many, newest first"`
	listFlags
}

func (c *surveysListCmd) run(ctx context.Context, e *env) int {
	f := outreach.SurveyFilter{Building: c.Building, Service: c.Service, State: outreach.SurveyState(c.State), CallbackOpen: c.CallbackOpen, Limit: c.Limit}
	if c.Estate != "" {
		f.Estates = []string{c.Estate}
	}
	if c.State != "" && !f.State.Valid() {
		fmt.Fprintf(e.stderr, "outreach surveys list: --state: want open, answered, expired or closed, got %q\n", c.State)
		return 2
	}
	t, err := sinceFlag(c.Since, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach surveys list: --since: %v\n", err)
		return 2
	}
	f.SentSince = t
	st, _, status := e.openStore(ctx, "surveys list")
	if st == nil {
		return status
	}
	defer st.Close()
	list, err := st.Surveys(ctx, f)
	if err != nil {
		return e.fail("surveys list", err)
	}
	if c.JSON {
		for _, sv := range list {
			if s := e.printJSON("surveys list", sv); s != 0 {
				return s
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSENT\tESTATE\tBUILDING\tUNIT\tRESIDENT\tWORK ORDER\tSTATE\tSCORE\tCALL BACK")
	for _, sv := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sv.ID, sv.SentAt.Local().Format("2006-01-02 15:04"), dash(sv.Estate),
			dash(sv.Building), dash(sv.Unit), sv.ResidentID, dash(sv.WorkOrder), sv.State, score(sv), callbackState(sv))
	}
	_ = tw.Flush()
	return 0
}

func score(sv outreach.Survey) string {
	if sv.Score == 0 {
		return "-"
	}
	return strconv.Itoa(sv.Score)
}

func callbackState(sv outreach.Survey) string {
	switch {
	case sv.CallbackDue == nil:
		return "-"
	case sv.CalledBackAt != nil:
		return "done " + sv.CalledBackAt.Local().Format("01-02 15:04")
	}
	return "due " + sv.CallbackDue.Local().Format("01-02 15:04")
}

type surveysShowCmd struct {
	ID   string `arg:"" name:"ID" help:"the survey's id"`
	JSON bool   `name:"json" help:"print the survey and its history as JSON"`
}

func (c *surveysShowCmd) run(ctx context.Context, e *env) int {
	st, _, code := e.openStore(ctx, "surveys show")
	if st == nil {
		return code
	}
	defer st.Close()
	sv, err := st.Survey(ctx, c.ID)
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach surveys show: no survey %q (see `outreach surveys list`)\n", c.ID)
		return 1
	}
	if err != nil {
		return e.fail("surveys show", err)
	}
	events, err := st.SurveyEvents(ctx, sv.ID)
	if err != nil {
		return e.fail("surveys show", err)
	}
	if c.JSON {
		return e.printJSON("surveys show", map[string]any{"survey": sv, "events": events})
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, dash(v)) }
	line("id", sv.ID)
	line("state", string(sv.State))
	line("score", score(sv))
	line("comment", sv.Comment)
	line("resident", sv.ResidentID)
	line("estate", sv.Estate)
	line("building / unit", sv.Building+" / "+sv.Unit)
	line("work order", sv.WorkOrder)
	line("service", sv.Service)
	line("job / delivery", sv.JobID+" / "+sv.DeliveryID)
	line("channel", string(sv.Channel))
	line("sent", sv.SentAt.Local().Format(time.RFC3339))
	line("expires", sv.ExpiresAt.Local().Format(time.RFC3339))
	line("call back", callbackState(sv))
	line("call-back note", sv.CallbackNote)
	_ = tw.Flush()
	fmt.Fprintln(e.stdout, "\nhistory:")
	for _, ev := range events {
		fmt.Fprintf(e.stdout, "  %s  %-11s %s\n", ev.At.Local().Format("2006-01-02 15:04:05"), ev.Event, ev.Detail)
	}
	return 0
}

type surveysNoteCmd struct {
	ID   string `arg:"" name:"ID" help:"the survey's id"`
	Text string `arg:"" name:"TEXT" help:"what the call-back found or did"`
}

func (c *surveysNoteCmd) run(ctx context.Context, e *env) int {
	st, _, code := e.openStore(ctx, "surveys note")
	if st == nil {
		return code
	}
	defer st.Close()
	svc := &survey.Service{Store: st}
	sv, err := svc.CallBack(ctx, c.ID, c.Text)
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		fmt.Fprintf(e.stderr, "outreach surveys note: no survey %q (see `outreach surveys list`)\n", c.ID)
		return 1
	case errors.Is(err, survey.ErrNoCallback), errors.Is(err, survey.ErrEmptyNote):
		fmt.Fprintf(e.stderr, "outreach surveys note: %s: %v\n", c.ID, err)
		return 1
	case err != nil:
		return e.fail("surveys note", err)
	}
	fmt.Fprintf(e.stdout, "call-back of %s done at %s\n", sv.ID, sv.CalledBackAt.Local().Format(time.RFC3339))
	return 0
}

// satisfactionCmd is the satisfaction report.
type satisfactionCmd struct {
	Report satisfactionReportCmd `cmd:"" help:"responses, response rate, average, distribution and satisfied rate (4-5) per group; rows under 70% flagged"`
}

type satisfactionReportCmd struct {
	Estate   string `placeholder:"E" help:"only this estate"`
	Building string `placeholder:"B" help:"only this building"`
	Service  string `aliases:"kind" placeholder:"S" help:"only this service (the job's data.service); also --kind"`
	Since    string `default:"30d" placeholder:"30d" help:"surveys sent within this period"`
	By       string `default:"estate" placeholder:"estate|building|service|week" help:"one row per estate, building, service or week"`
	JSON     bool   `name:"json" help:"print the report as JSON"`
	CSV      bool   `name:"csv" help:"print the rows as CSV"`
}

// run prints the satisfaction report: responses, response rate,
// average, distribution and satisfied rate per group, each row under 70%
// flagged.
func (c *satisfactionReportCmd) run(ctx context.Context, e *env) int {
	opt := survey.ReportOptions{Estate: c.Estate, Building: c.Building, Service: c.Service, By: c.By}
	if err := survey.CheckBy(opt.By); err != nil {
		fmt.Fprintf(e.stderr, "outreach satisfaction report: --by: %v\n", err)
		return 2
	}
	now := time.Now()
	t, err := sinceFlag(c.Since, now)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach satisfaction report: --since: %v\n", err)
		return 2
	}
	opt.Since = t
	st, _, status := e.openStore(ctx, "satisfaction report")
	if st == nil {
		return status
	}
	defer st.Close()
	rep, err := survey.BuildReport(ctx, st, opt, now)
	if err != nil {
		return e.fail("satisfaction report", err)
	}
	switch {
	case c.JSON:
		return e.printJSON("satisfaction report", rep)
	case c.CSV:
		w := csv.NewWriter(e.stdout)
		var header []string
		for _, h := range groupHeader(rep.By) {
			header = append(header, strings.ToLower(h))
		}
		_ = w.Write(append(header, "sent", "responses", "response_rate", "average", "score_1", "score_2", "score_3", "score_4", "score_5", "satisfied_rate", "below_70"))
		rows := append(rep.Rows, rep.Total)
		for i, r := range rows {
			rec := groupCells(rep.By, r)
			if i == len(rows)-1 {
				rec = totalCells(rep.By)
			}
			rec = append(rec, strconv.Itoa(r.Sent), strconv.Itoa(r.Responses), ratio(r.ResponseRate), fmt.Sprintf("%.2f", r.Average))
			for _, n := range r.Distribution {
				rec = append(rec, strconv.Itoa(n))
			}
			_ = w.Write(append(rec, ratio(r.SatisfiedRate), strconv.FormatBool(r.BelowTarget)))
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return e.fail("satisfaction report", err)
		}
		return 0
	}
	fmt.Fprintf(e.stdout, "satisfaction %s to %s, by %s (satisfied: 4-5; flagged under %.0f%%)\n\n",
		rep.Since.Local().Format("2006-01-02"), rep.Until.Local().Format("2006-01-02"), rep.By, survey.Target*100)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(groupHeader(rep.By), "\t")+"\tSENT\tRESPONSES\tRATE\tAVERAGE\t1\t2\t3\t4\t5\tSATISFIED\t")
	printRow := func(cells []string, r survey.Row) {
		mark := ""
		if r.BelowTarget {
			mark = "under 70%"
		}
		avg, sat := "-", "-"
		if r.Responses > 0 {
			avg, sat = fmt.Sprintf("%.2f", r.Average), percent(r.SatisfiedRate)
		}
		d := r.Distribution
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", strings.Join(cells, "\t"), r.Sent, r.Responses,
			percent(r.ResponseRate), avg, d[0], d[1], d[2], d[3], d[4], sat, mark)
	}
	for _, r := range rep.Rows {
		printRow(groupCells(rep.By, r), r)
	}
	printRow(totalCells(rep.By), rep.Total)
	_ = tw.Flush()
	return 0
}

func groupHeader(by string) []string {
	switch by {
	case survey.ByBuilding:
		return []string{"ESTATE", "BUILDING"}
	case survey.ByService:
		return []string{"SERVICE"}
	case survey.ByWeek:
		return []string{"WEEK"}
	}
	return []string{"ESTATE"}
}

func groupCells(by string, r survey.Row) []string {
	switch by {
	case survey.ByBuilding:
		return []string{dash(r.Estate), dash(r.Building)}
	case survey.ByService:
		return []string{dash(r.Service)}
	case survey.ByWeek:
		return []string{r.Week}
	}
	return []string{dash(r.Estate)}
}

func totalCells(by string) []string {
	cells := make([]string, len(groupHeader(by)))
	cells[0] = "total"
	return cells
}

func percent(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }
func ratio(x float64) string   { return strconv.FormatFloat(x, 'f', 4, 64) }
