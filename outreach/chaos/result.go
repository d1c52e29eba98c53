package chaos

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// Result is what one scenario measured. Its JSON form is the line
// `outreach chaos` prints after the scenario's table.
type Result struct {
	Scenario string `json:"scenario"`
	// Skipped says why the scenario did not run (the machine cannot).
	Skipped  string  `json:"skipped,omitempty"`
	Daemons  int     `json:"daemons"`
	Archive  string  `json:"archive"`
	Seconds  float64 `json:"seconds"`
	Jobs     int     `json:"jobs"`
	Enqueued int     `json:"enqueued"`
	// Delivered: archived as taken by the provider (sent, queued, ...).
	Delivered int `json:"delivered"`
	// Failed: archived with another outcome (failed, suppressed, ...).
	Failed      int `json:"failed"`
	DeadLetters int `json:"dead_letters"`
	// Lost: neither archived with an outcome nor dead-lettered.
	Lost int `json:"lost"`
	// Duplicates: messages the receivers got more than once for the same
	// job and address (each extra copy counts).
	Duplicates int `json:"duplicates"`
	// InFlightAtKill: entries the SIGKILLed daemons held (read, not acked).
	InFlightAtKill int `json:"in_flight_at_kill"`
	// Pending, Lag and Delayed are what the group still held at the end.
	Pending int64 `json:"pending"`
	Lag     int64 `json:"lag"`
	Delayed int64 `json:"delayed"`
	// DaemonsAlive: daemons running at the end; DaemonExits: daemons that
	// ended without being killed by the run (with their exit status).
	DaemonsAlive int           `json:"daemons_alive"`
	DaemonExits  []string      `json:"daemon_exits,omitempty"`
	Faults       []FaultResult `json:"faults"`
	// Failures are the targets missed; empty when the scenario passed.
	Failures []string `json:"failures"`
	Pass     bool     `json:"pass"`
}

// FaultResult is one fault of a scenario.
type FaultResult struct {
	Fault      string  `json:"fault"`
	AtS        float64 `json:"at_s"`     // when it began, seconds into the scenario
	LastedS    float64 `json:"lasted_s"` // how long the dependency was broken
	Dependency string  `json:"dependency,omitempty"`
	// RecoveryS: fault end to the first delivery after it (-1: none).
	RecoveryS float64 `json:"recovery_s"`
	// InFlight: entries the killed daemons held; TakeoverS: kill (with
	// every daemon killed: their restart) to the last of those jobs
	// archived with an outcome or dead-lettered (-1: not within the run).
	InFlight  int     `json:"in_flight,omitempty"`
	TakeoverS float64 `json:"takeover_s,omitempty"`
	// TakeoverUrgentS: the same for the urgent entries among them.
	TakeoverUrgentS float64 `json:"takeover_urgent_s,omitempty"`
	// ReadyDuring: what /readyz answered in the fault's second half (the
	// first half gives the checks time); ReadyAfterS: fault end to every
	// daemon answering 200 (-1: not within the gap).
	ReadyDuring string  `json:"readyz_during"`
	ReadyAfterS float64 `json:"readyz_200_after_s"`
	Note        string  `json:"note,omitempty"`
}

// recoveryTarget is how soon after a dependency comes back the daemons
// must deliver again and answer 200.
const recoveryTarget = 5 * time.Second

func secs(d time.Duration) float64 { return math.Round(d.Seconds()*100) / 100 }

// measure gathers the scenario's result after the run: the daemons, the
// outcome of every job (archive, dead letters, what the receivers got),
// each fault's figures, and the targets missed.
func (h *harness) measure(ctx context.Context, sr *scenarioRun, stats queue.Stats) (Result, error) {
	res := Result{
		Scenario: sr.sc.name, Daemons: sr.sc.daemons, Jobs: h.opt.Jobs, Enqueued: int(sr.enqueued.Load()),
		Seconds: secs(time.Since(sr.start)), Pending: stats.Pending, Lag: stats.Lag, Delayed: stats.Delayed,
		Archive: "postgres",
	}
	if sr.sc.sqlite {
		res.Archive = "sqlite"
	}
	faults, samples := res.countDaemons(sr)
	if err := h.countOutcomes(ctx, sr, &res); err != nil {
		return res, err
	}
	h.countDuplicates(sr, &res)
	kills := h.addFaults(sr, faults, samples, &res)
	res.judge(kills)
	return res, nil
}

// countDaemons counts the daemons alive and those that exited on their
// own (not killed), and returns copies of the run's faults and readiness
// samples.
func (res *Result) countDaemons(sr *scenarioRun) ([]*faultRun, []sample) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for _, d := range sr.daemons {
		switch {
		case d.p.alive():
			res.DaemonsAlive++
		case !d.killed:
			res.DaemonExits = append(res.DaemonExits, fmt.Sprintf("%s exited with status %d: %s", d.consumer, d.p.exitCode(), d.lastLog()))
		}
	}
	return append([]*faultRun(nil), sr.faults...), append([]sample(nil), sr.samples...)
}

// countOutcomes counts every job of the run as delivered, failed,
// dead-lettered or lost, from the archive (a job's accepted record wins)
// and the dead-letter stream.
func (h *harness) countOutcomes(ctx context.Context, sr *scenarioRun, res *Result) error {
	archived := map[string]outreach.Status{}
	err := sr.store.Walk(ctx, outreach.Filter{Campaign: sr.id}, func(d outreach.Delivery) error {
		if old, ok := archived[d.JobID]; !ok || !old.Accepted() {
			archived[d.JobID] = d.Status
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the archive: %w", err)
	}
	dead, err := sr.deadLetters(ctx)
	if err != nil {
		return err
	}
	res.DeadLetters = len(dead)
	for i := range h.opt.Jobs {
		id := sr.jobID(i)
		st, ok := archived[id]
		switch {
		case ok && st.Accepted():
			res.Delivered++
		case ok && st != outreach.StatusRetrying:
			res.Failed++
		case dead[id]:
		default:
			res.Lost++
		}
	}
	return nil
}

// countDuplicates counts the messages of the run the receivers got more
// than once.
func (h *harness) countDuplicates(sr *scenarioRun, res *Result) {
	prefix := sr.id + "-"
	for _, got := range []*received{h.mail, h.sms} {
		got.mu.Lock()
		for k, n := range got.count {
			if strings.HasPrefix(k, prefix) && n > 1 {
				res.Duplicates += n - 1
			}
		}
		got.mu.Unlock()
	}
}

// addFaults adds each fault's figures (takeover, recovery, readiness) and
// the targets it missed; it reports whether any fault killed a daemon.
func (h *harness) addFaults(sr *scenarioRun, faults []*faultRun, samples []sample, res *Result) (kills bool) {
	for _, fr := range faults {
		f := FaultResult{
			Fault: fr.f.name, Dependency: fr.f.dependency, AtS: secs(fr.start.Sub(sr.start)), LastedS: secs(fr.end.Sub(fr.start)),
			InFlight: fr.inFlight, Note: fr.note, RecoveryS: -1, ReadyAfterS: -1,
		}
		sr.mu.Lock()
		if fr.f.kill {
			f.TakeoverS, f.TakeoverUrgentS = -1, -1
			if fr.takeover >= 0 {
				f.TakeoverS = secs(fr.takeover)
			}
			if fr.takeoverUrgent >= 0 {
				f.TakeoverUrgentS = secs(fr.takeoverUrgent)
			}
		}
		sr.mu.Unlock()
		res.InFlightAtKill += fr.inFlight
		kills = kills || fr.f.kill
		if first := h.firstDelivery(fr.f.channel, fr.end); !first.IsZero() {
			f.RecoveryS = secs(first.Sub(fr.end))
		}
		f.ReadyDuring, f.ReadyAfterS = readiness(samples, fr, h.opt.Gap)
		res.Faults = append(res.Faults, f)
		res.Failures = append(res.Failures, f.misses(fr.f, h.opt)...)
	}
	return kills
}

// judge adds the run's own misses (lost jobs, what is left in the group,
// duplicates beyond what kills explain, daemon exits, jobs not enqueued)
// to the faults' and sets Pass.
func (res *Result) judge(kills bool) {
	if res.Lost > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("%d job(s) lost", res.Lost))
	}
	if res.Pending > 0 || res.Lag > 0 || res.Delayed > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("left in the group: %d pending, %d unread, %d delayed", res.Pending, res.Lag, res.Delayed))
	}
	if res.Duplicates > 0 && !kills {
		res.Failures = append(res.Failures, fmt.Sprintf("%d duplicate(s) without a daemon killed", res.Duplicates))
	}
	if kills && res.Duplicates > res.InFlightAtKill {
		res.Failures = append(res.Failures, fmt.Sprintf("%d duplicate(s), more than the %d entries in flight at the kill", res.Duplicates, res.InFlightAtKill))
	}
	if len(res.DaemonExits) > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("%d daemon(s) exited on their own", len(res.DaemonExits)))
	}
	if res.Enqueued < res.Jobs {
		res.Failures = append(res.Failures, fmt.Sprintf("only %d of %d jobs enqueued", res.Enqueued, res.Jobs))
	}
	res.Pass = len(res.Failures) == 0
	if res.Failures == nil {
		res.Failures = []string{}
	}
}

// misses lists the targets the fault missed.
func (f FaultResult) misses(ft *fault, o Options) []string {
	var out []string
	if ft.dependency != "" {
		if !strings.HasPrefix(f.ReadyDuring, "503") && !strings.HasPrefix(f.ReadyDuring, notSampled) {
			out = append(out, fmt.Sprintf("%s: /readyz during the fault: %s, want 503", f.Fault, f.ReadyDuring))
		}
		if f.ReadyAfterS < 0 || f.ReadyAfterS > recoveryTarget.Seconds() {
			out = append(out, fmt.Sprintf("%s: /readyz 200 after %.1fs, want within %v", f.Fault, f.ReadyAfterS, recoveryTarget))
		}
	}
	// Every daemon killed: its "recovery" is the restart's boot time,
	// reported, not a dependency's recovery.
	if ft.dependency != "" {
		if f.RecoveryS < 0 || f.RecoveryS > recoveryTarget.Seconds() {
			out = append(out, fmt.Sprintf("%s: recovery %.1fs, want within %v", f.Fault, f.RecoveryS, recoveryTarget))
		}
	}
	if ft.kill {
		limit := (o.ClaimIdle + 5*time.Second).Seconds()
		if f.TakeoverS < 0 || f.TakeoverS > limit {
			out = append(out, fmt.Sprintf("%s: takeover %.1fs, want within OUTREACH_CLAIM_IDLE + 5s (%.0fs)", f.Fault, f.TakeoverS, limit))
		}
	}
	return out
}

// firstDelivery is the first message a receiver accepted after t.
func (h *harness) firstDelivery(channel string, t time.Time) time.Time {
	var first time.Time
	for ch, got := range map[string]*received{"email": h.mail, "sms": h.sms} {
		if channel != "" && channel != ch {
			continue
		}
		if at := got.firstAfter(t); !at.IsZero() && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

// notSampled starts the /readyz verdict of a fault too short to sample.
const notSampled = "not sampled"

// readiness sums up /readyz around a fault: during its second half, and
// how long after its end until every daemon answered 200.
func readiness(samples []sample, fr *faultRun, gap time.Duration) (during string, after float64) {
	until := fr.end
	if !fr.healing.IsZero() {
		until = fr.healing
	}
	mid := fr.start.Add(until.Sub(fr.start) / 2)
	codes := map[int]int{}
	n := 0
	for _, s := range samples {
		if s.at.After(mid) && s.at.Before(until) {
			codes[s.code]++
			n++
		}
	}
	switch {
	case n == 0 && until.Sub(mid) < sampleEvery:
		// A restart of a few hundred milliseconds falls between two
		// samples: nothing to judge, which is no miss.
		during = fmt.Sprintf("%s (down %.2fs, samples every %v)", notSampled, until.Sub(fr.start).Seconds(), sampleEvery)
	case n == 0:
		during = "no answer (no daemon running)"
	case codes[200] == 0 && codes[0] == 0:
		during = fmt.Sprintf("503 (%d of %d answers)", codes[503], n)
	case codes[200] == n:
		during = fmt.Sprintf("200 (%d of %d answers)", n, n)
	default:
		during = fmt.Sprintf("mixed: %d×200, %d×503, %d×none of %d", codes[200], codes[503], codes[0], n)
	}
	// After: the first moment from which every daemon's answers are 200.
	after = -1
	last := map[*daemon]time.Time{} // the last non-200 after the end, per daemon
	seen := map[*daemon]bool{}
	for _, s := range samples {
		if !s.at.After(fr.end) || s.at.After(fr.end.Add(gap)) {
			continue
		}
		seen[s.daemon] = true
		if s.code != 200 {
			last[s.daemon] = s.at
		}
	}
	if len(seen) == 0 {
		return during, -1
	}
	worst := fr.end
	for d := range seen {
		if t, ok := last[d]; ok {
			if t.After(fr.end.Add(gap - 500*time.Millisecond)) {
				return during, -1 // still not 200 at the end of the gap
			}
			if t.After(worst) {
				worst = t
			}
		}
	}
	return during, secs(worst.Sub(fr.end))
}
