package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach/chaos"
)

type chaosCmd struct {
	Scenarios   []string      `sep:"," placeholder:"A,B" help:"scenarios to run (${chaos_scenarios}); default: every one"`
	Daemons     int           `default:"3" help:"daemons on the consumer group"`
	Jobs        int           `default:"600" help:"jobs per scenario, enqueued evenly over it"`
	Fault       time.Duration `default:"30s" help:"how long a dependency stays broken (the SMTP scenario has three such phases)"`
	Gap         time.Duration `default:"10s" help:"normal running before the first fault, between faults and after the last"`
	ClaimIdle   time.Duration `name:"claim-idle" default:"5s" help:"the daemons' OUTREACH_CLAIM_IDLE"`
	SendTimeout time.Duration `name:"send-timeout" default:"5s" help:"the daemons' OUTREACH_SEND_TIMEOUT (slow SMTP answers after it)"`
	Settle      time.Duration `default:"5m" help:"longest wait, after the last job, for the group to settle"`
	Timeout     time.Duration `default:"60m" help:"give up after this long"`
	Keep        bool          `help:"keep the run's directory (daemon logs, AOF, databases)"`
}

func (c *chaosCmd) run(ctx context.Context, e *env) int {
	opt := chaos.Options{
		Scenarios: c.Scenarios, Daemons: c.Daemons, Jobs: c.Jobs, Fault: c.Fault, Gap: c.Gap,
		ClaimIdle: c.ClaimIdle, SendTimeout: c.SendTimeout, Settle: c.Settle, Keep: c.Keep, Progress: e.stderr,
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	// The command line as given, so that a run's output says how to repeat it.
	fmt.Fprintf(e.stdout, "command: outreach %s\n", strings.Join(os.Args[1:], " "))
	results, err := chaos.Run(ctx, opt)
	failed := false
	for _, r := range results {
		printChaos(e, r)
		failed = failed || (!r.Pass && r.Skipped == "")
	}
	if err != nil {
		return e.fail("chaos", err)
	}
	if failed {
		return 1
	}
	return 0
}

func printChaos(e *env, r chaos.Result) {
	fmt.Fprintf(e.stdout, "\n== %s\n", r.Scenario)
	if r.Skipped != "" {
		fmt.Fprintf(e.stdout, "skipped: %s\n", r.Skipped)
	} else {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		rows := [][2]string{
			{"setup", fmt.Sprintf("%d daemon(s), archive %s, %.0fs", r.Daemons, r.Archive, r.Seconds)},
			{"jobs / delivered / failed", fmt.Sprintf("%d / %d / %d (enqueued %d)", r.Jobs, r.Delivered, r.Failed, r.Enqueued)},
			{"lost", fmt.Sprint(r.Lost)},
			{"duplicates at the receiver", fmt.Sprintf("%d (in flight at kill: %d)", r.Duplicates, r.InFlightAtKill)},
			{"pending / unread / delayed left", fmt.Sprintf("%d / %d / %d", r.Pending, r.Lag, r.Delayed)},
			{"dead letters", fmt.Sprint(r.DeadLetters)},
			{"daemons alive", fmt.Sprintf("%d (exited on their own: %d)", r.DaemonsAlive, len(r.DaemonExits))},
		}
		for _, f := range r.Faults {
			v := fmt.Sprintf("at %.0fs for %.1fs; recovery %.2fs; /readyz during: %s, 200 after %.2fs", f.AtS, f.LastedS, f.RecoveryS, f.ReadyDuring, f.ReadyAfterS)
			if f.InFlight > 0 || f.TakeoverS != 0 {
				v += fmt.Sprintf("; in flight %d, all delivered %.2fs after the kill, or the restart when all were killed (urgent ones %.2fs)", f.InFlight, f.TakeoverS, f.TakeoverUrgentS)
			}
			rows = append(rows, [2]string{"fault: " + f.Fault, v})
		}
		verdict := "PASS"
		if !r.Pass {
			verdict = "FAIL: " + strings.Join(r.Failures, "; ")
		}
		rows = append(rows, [2]string{"targets", verdict})
		for _, row := range rows {
			fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
		}
		_ = tw.Flush()
		for _, x := range r.DaemonExits {
			fmt.Fprintf(e.stdout, "exit: %s\n", x)
		}
	}
	line, _ := json.Marshal(r)
	fmt.Fprintln(e.stdout, string(line))
}
