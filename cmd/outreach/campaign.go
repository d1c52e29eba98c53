package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/store"
)

const campaignUsage = `usage:
  outreach campaign create --name N --kind K --audience [estate=E,]building=3[,tag=elderly]
                           [--at RFC3339 | --local-time 09:00 --on YYYY-MM-DD | --every CRON]
                           [--data k=v]... [--data-json JSON] [--channels sms,email]
                           [--template T] [--priority bulk|normal|urgent]
  outreach campaign list [--estate E] [--json]
  outreach campaign show ID [--json]
  outreach campaign pause|resume|cancel ID`

// cmdCampaign plans and steers campaigns. It needs only the store: the
// daemons (outreach serve) pick up what it writes.
func cmdCampaign(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, campaignUsage)
		return 2
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "create", "list", "show", "pause", "resume", "cancel":
	default:
		fmt.Fprintf(e.stderr, "outreach campaign: unknown command %q\n%s\n", sub, campaignUsage)
		return 2
	}
	name := "campaign " + sub
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var id string
	if sub != "create" && sub != "list" {
		// The id may come before or after the flags.
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			id, rest = rest[0], rest[1:]
		} else if n := len(rest); n > 0 && !strings.HasPrefix(rest[n-1], "-") {
			id, rest = rest[n-1], rest[:n-1]
		}
		if id == "" {
			fmt.Fprintf(e.stderr, "outreach %s: which campaign? give its id\n", name)
			return 2
		}
	}
	var (
		spec    outreach.Campaign
		flags   createFlags
		asJSON  = fs.Bool("json", false, "print JSON")
		hasJSON = sub == "list" || sub == "show"
	)
	if sub == "create" {
		flags.register(fs, &spec)
	}
	var estate *string
	if sub == "list" {
		estate = fs.String("estate", "", "only the campaigns whose audience is this estate's")
	}
	if ok, status := e.parseFlags(fs, rest); !ok {
		return status
	}
	if *asJSON && !hasJSON {
		fmt.Fprintf(e.stderr, "outreach %s: --json is for list and show\n", name)
		return 2
	}
	if sub == "create" {
		if err := flags.apply(&spec); err != nil {
			fmt.Fprintf(e.stderr, "outreach %s: %v\n", name, err)
			return 2
		}
	}

	cfg, ok := e.loadConfig(config.GroupStore, config.GroupResidents)
	if !ok {
		return 2
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return e.fail(name, err)
	}
	defer st.Close()
	svc := &campaign.Service{Store: st, Zone: cfg.TimeZone}

	switch sub {
	case "create":
		c, err := svc.Create(ctx, spec)
		if err != nil {
			return e.fail(name, err)
		}
		fmt.Fprintln(e.stdout, c.ID)
	case "list":
		cs, err := svc.List(ctx)
		if err != nil {
			return e.fail(name, err)
		}
		if *estate != "" {
			cs = slices.DeleteFunc(cs, func(c outreach.Campaign) bool { return c.Audience.Estate != *estate })
		}
		if *asJSON {
			return e.printJSONLines(name, cs)
		}
		printCampaigns(e.stdout, cs)
	case "show":
		v, err := svc.Show(ctx, id)
		if err != nil {
			return e.fail(name, err)
		}
		if *asJSON {
			return e.printJSONLines(name, []campaign.View{v})
		}
		printCampaign(e.stdout, v)
	default:
		op := map[string]func(context.Context, string) (outreach.Campaign, error){
			"pause": svc.Pause, "resume": svc.Resume, "cancel": svc.Cancel,
		}[sub]
		c, err := op(ctx, id)
		if err != nil {
			return e.fail(name, err)
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", c.ID, c.State)
	}
	return 0
}

// createFlags are the flags of `campaign create` that need parsing after
// flag.Parse.
type createFlags struct {
	data                            keyValues
	audience, channels, at, dataRaw *string
}

func (f *createFlags) register(fs *flag.FlagSet, spec *outreach.Campaign) {
	f.data = keyValues{}
	fs.StringVar(&spec.Name, "name", "", "campaign name (required)")
	fs.StringVar((*string)(&spec.Kind), "kind", "", "holiday_greeting, maintenance_notice, satisfaction_callback or follow_up (required)")
	f.audience = fs.String("audience", "", "all, or estate=sunshine,building=3,unit=1201,tag=elderly,locale=en (combined with AND; several tags with ;)")
	f.channels = fs.String("channels", "", "allowed channels in order, e.g. sms,email")
	fs.StringVar(&spec.Template, "template", "", "template instead of the kind's default")
	fs.StringVar((*string)(&spec.Priority), "priority", "", "bulk (default), normal or urgent")
	f.at = fs.String("at", "", "send at this RFC 3339 time (default: now)")
	fs.StringVar(&spec.Schedule.LocalTime, "local-time", "", "send at this time of day (HH:MM) in each resident's time zone, on --on")
	fs.StringVar(&spec.Schedule.On, "on", "", "the date (YYYY-MM-DD) for --local-time")
	fs.StringVar(&spec.Schedule.Every, "every", "", "recurring: a cron expression, e.g. '0 9 1 */3 *' (quarterly) or '@monthly'")
	fs.Var(f.data, "data", "template variable key=value (repeatable)")
	f.dataRaw = fs.String("data-json", "", "template data as a JSON object (--data goes on top)")
}

func (f *createFlags) apply(spec *outreach.Campaign) error {
	if *f.dataRaw != "" {
		if err := json.Unmarshal([]byte(*f.dataRaw), &spec.Data); err != nil {
			return fmt.Errorf("--data-json: %w", err)
		}
	}
	if len(f.data) > 0 && spec.Data == nil {
		spec.Data = map[string]any{}
	}
	for k, v := range f.data {
		spec.Data[k] = v
	}
	if *f.audience == "" {
		return errors.New("--audience is required (all, or e.g. building=3)")
	}
	a, err := parseAudience(*f.audience)
	if err != nil {
		return fmt.Errorf("--audience: %w", err)
	}
	spec.Audience = a
	for c := range strings.SplitSeq(*f.channels, ",") {
		if c = strings.TrimSpace(c); c != "" {
			spec.Channels = append(spec.Channels, outreach.Channel(c))
		}
	}
	if *f.at != "" {
		t, err := time.Parse(time.RFC3339, *f.at)
		if err != nil {
			return fmt.Errorf("--at: want an RFC 3339 time such as 2027-02-17T09:00:00+08:00: %w", err)
		}
		spec.Schedule.At = &t
	}
	return nil
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
