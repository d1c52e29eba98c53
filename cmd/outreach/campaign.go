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
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/config"
)

// campaignCmd plans and steers campaigns. It needs only the store: the
// daemons (outreach serve) pick up what it writes.
type campaignCmd struct {
	Create campaignCreateCmd `cmd:"" help:"plan a campaign (prints its id): whom (--audience), when (--at, --local-time with --on, or --every; default now), what (--kind, --template, --data)"`
	List   campaignListCmd   `cmd:"" help:"list the campaigns"`
	Show   campaignShowCmd   `cmd:"" help:"show a campaign and its counts (targeted, queued, sent, delivered, failed, ...)"`
	Pause  campaignPauseCmd  `cmd:"" help:"pause a campaign: nothing more is queued until it is resumed"`
	Resume campaignResumeCmd `cmd:"" help:"resume a paused campaign"`
	Cancel campaignCancelCmd `cmd:"" help:"cancel a campaign for good"`
}

// campaignArg is the campaign a command is about.
type campaignArg struct {
	ID string `arg:"" name:"ID" help:"the campaign's id"`
}

// campaignService opens the store and the campaign service on it; nil
// when it could not (the error printed, status the exit code).
func (e *env) campaignService(ctx context.Context, cmd string) (*campaign.Service, func(), int) {
	st, cfg, status := e.openStore(ctx, cmd, config.GroupResidents)
	if st == nil {
		return nil, nil, status
	}
	return &campaign.Service{Store: st, Zone: cfg.TimeZone}, func() { _ = st.Close() }, 0
}

type campaignCreateCmd struct {
	Name      string   `placeholder:"N" help:"campaign name (required)"`
	Kind      string   `placeholder:"K" help:"holiday_greeting, maintenance_notice, satisfaction_callback or follow_up (required)"`
	Audience  string   `placeholder:"k=v,..." help:"all, or estate=sunshine,building=3,unit=1201,tag=elderly,locale=en (combined with AND; several tags with ;)"`
	Channels  string   `placeholder:"LIST" help:"allowed channels in order, e.g. sms,email"`
	Template  string   `placeholder:"T" help:"template instead of the kind's default"`
	Priority  string   `placeholder:"bulk|normal|urgent" help:"bulk (default), normal or urgent"`
	At        string   `placeholder:"RFC3339" help:"send at this RFC 3339 time (default: now)"`
	LocalTime string   `name:"local-time" placeholder:"HH:MM" help:"send at this time of day (HH:MM) in each resident's time zone, on --on"`
	On        string   `placeholder:"YYYY-MM-DD" help:"the date (YYYY-MM-DD) for --local-time"`
	Every     string   `placeholder:"CRON" help:"recurring: a cron expression, e.g. '0 9 1 */3 *' (quarterly) or '@monthly'"`
	Data      []string `sep:"none" placeholder:"k=v" help:"template variable key=value (repeatable)"`
	DataJSON  string   `name:"data-json" placeholder:"JSON" help:"template data as a JSON object (--data goes on top)"`
}

// spec is the campaign the flags describe.
func (c *campaignCreateCmd) spec() (outreach.Campaign, error) {
	spec := outreach.Campaign{Name: c.Name, Kind: outreach.Kind(c.Kind), Template: c.Template, Priority: outreach.Priority(c.Priority),
		Schedule: outreach.Schedule{LocalTime: c.LocalTime, On: c.On, Every: c.Every}}
	data, err := parseKeyValues(c.Data)
	if err != nil {
		return spec, fmt.Errorf("--data: %w", err)
	}
	if c.DataJSON != "" {
		if err := json.Unmarshal([]byte(c.DataJSON), &spec.Data); err != nil {
			return spec, fmt.Errorf("--data-json: %w", err)
		}
	}
	if len(data) > 0 && spec.Data == nil {
		spec.Data = map[string]any{}
	}
	maps.Copy(spec.Data, data)
	if c.Audience == "" {
		return spec, errors.New("--audience is required (all, or e.g. building=3)")
	}
	if spec.Audience, err = parseAudience(c.Audience); err != nil {
		return spec, fmt.Errorf("--audience: %w", err)
	}
	for ch := range strings.SplitSeq(c.Channels, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			spec.Channels = append(spec.Channels, outreach.Channel(ch))
		}
	}
	if c.At != "" {
		t, err := time.Parse(time.RFC3339, c.At)
		if err != nil {
			return spec, fmt.Errorf("--at: want an RFC 3339 time such as 2027-02-17T09:00:00+08:00: %w", err)
		}
		spec.Schedule.At = &t
	}
	return spec, nil
}

func (c *campaignCreateCmd) run(ctx context.Context, e *env) int {
	spec, err := c.spec()
	if err != nil {
		return e.usage("campaign create", "%v", err)
	}
	svc, done, status := e.campaignService(ctx, "campaign create")
	if svc == nil {
		return status
	}
	defer done()
	created, err := svc.Create(ctx, spec)
	if err != nil {
		return e.fail("campaign create", err)
	}
	fmt.Fprintln(e.stdout, created.ID)
	return 0
}

type campaignListCmd struct {
	Estate string `placeholder:"E" help:"only the campaigns whose audience is this estate's"`
	listFlags
}

func (c *campaignListCmd) run(ctx context.Context, e *env) int {
	svc, done, status := e.campaignService(ctx, "campaign list")
	if svc == nil {
		return status
	}
	defer done()
	cs, err := svc.List(ctx)
	if err != nil {
		return e.fail("campaign list", err)
	}
	if c.Estate != "" {
		cs = slices.DeleteFunc(cs, func(cp outreach.Campaign) bool { return cp.Audience.Estate != c.Estate })
	}
	if c.JSON {
		return e.printJSONLines("campaign list", cs)
	}
	printCampaigns(e.stdout, cs)
	return 0
}

type campaignShowCmd struct {
	campaignArg
	JSON bool `name:"json" help:"print the campaign and its counts as JSON"`
}

func (c *campaignShowCmd) run(ctx context.Context, e *env) int {
	svc, done, status := e.campaignService(ctx, "campaign show")
	if svc == nil {
		return status
	}
	defer done()
	v, err := svc.Show(ctx, c.ID)
	if err != nil {
		return e.fail("campaign show", err)
	}
	if c.JSON {
		return e.printJSONLines("campaign show", []campaign.View{v})
	}
	printCampaign(e.stdout, v)
	return 0
}

type (
	campaignPauseCmd  struct{ campaignArg }
	campaignResumeCmd struct{ campaignArg }
	campaignCancelCmd struct{ campaignArg }
)

func (c *campaignPauseCmd) run(ctx context.Context, e *env) int {
	return e.steerCampaign(ctx, "pause", c.ID, (*campaign.Service).Pause)
}

func (c *campaignResumeCmd) run(ctx context.Context, e *env) int {
	return e.steerCampaign(ctx, "resume", c.ID, (*campaign.Service).Resume)
}

func (c *campaignCancelCmd) run(ctx context.Context, e *env) int {
	return e.steerCampaign(ctx, "cancel", c.ID, (*campaign.Service).Cancel)
}

// steerCampaign pauses, resumes or cancels the campaign id with op and
// prints its new state.
func (e *env) steerCampaign(ctx context.Context, verb, id string, op func(*campaign.Service, context.Context, string) (outreach.Campaign, error)) int {
	name := "campaign " + verb
	svc, done, status := e.campaignService(ctx, name)
	if svc == nil {
		return status
	}
	defer done()
	c, err := op(svc, ctx, id)
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", c.ID, c.State)
	return 0
}

// parseKeyValues reads repeated key=value flags (--data) into a map.
func parseKeyValues(pairs []string) (map[string]any, error) {
	kv := map[string]any{}
	for _, s := range pairs {
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("want key=value, got %q", s)
		}
		kv[strings.TrimSpace(k)] = v
	}
	return kv, nil
}

func (e *env) printJSONLines(name string, vs any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	switch list := vs.(type) {
	case []outreach.Campaign:
		for _, v := range list {
			if err := enc.Encode(v); err != nil {
				return e.fail(name, err)
			}
		}
	case []campaign.View:
		for _, v := range list {
			if err := enc.Encode(v); err != nil {
				return e.fail(name, err)
			}
		}
	}
	return 0
}

func printCampaigns(w io.Writer, cs []outreach.Campaign) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tSTATE\tNEXT RUN\tTARGETED")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", c.ID, truncate(c.Name, 30), c.Kind, c.State, when(c.NextRun), c.Targeted)
	}
	_ = tw.Flush()
}

func printCampaign(w io.Writer, v campaign.View) {
	c, n := v.Campaign, v.Counts
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Campaign\t%s (%s)\n", c.ID, c.Name)
	fmt.Fprintf(tw, "Kind\t%s, priority %s\n", c.Kind, c.EffectivePriority())
	fmt.Fprintf(tw, "Audience\t%s\n", describeAudience(c.Audience))
	fmt.Fprintf(tw, "Schedule\t%s\n", describeSchedule(c.Schedule))
	fmt.Fprintf(tw, "State\t%s (runs: %d)\n", c.State, c.Runs)
	fmt.Fprintf(tw, "Next run\t%s\n", when(c.NextRun))
	fmt.Fprintf(tw, "Targeted\t%d\n", n.Targeted)
	fmt.Fprintf(tw, "Queued\t%d\n", n.Queued)
	fmt.Fprintf(tw, "Sent\t%d\n", n.Sent)
	fmt.Fprintf(tw, "Delivered\t%d\n", n.Delivered)
	fmt.Fprintf(tw, "Failed\t%d\n", n.Failed)
	fmt.Fprintf(tw, "Suppressed\t%d\n", n.Suppressed)
	fmt.Fprintf(tw, "Deferred\t%d\n", n.Deferred)
	if n.Retrying > 0 {
		fmt.Fprintf(tw, "Retrying\t%d\n", n.Retrying)
	}
	_ = tw.Flush()
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

func describeAudience(a outreach.Audience) string {
	var parts []string
	if a.All {
		parts = append(parts, "all")
	}
	for _, f := range []struct{ k, v string }{{"estate", a.Estate}, {"building", a.Building}, {"unit", a.Unit}, {"locale", a.Locale}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	if len(a.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(a.Tags, ";"))
	}
	return strings.Join(parts, ", ")
}

func describeSchedule(s outreach.Schedule) string {
	switch {
	case s.At != nil:
		return "at " + s.At.Format(time.RFC3339)
	case s.LocalTime != "":
		return s.LocalTime + " in each resident's time zone on " + s.On
	case s.Every != "":
		return "every: " + s.Every
	}
	return "now"
}
