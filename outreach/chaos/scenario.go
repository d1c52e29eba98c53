package chaos

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// fault is one thing broken during a scenario. run breaks it, waits, and
// mends it, filling in when the fault began and ended.
type fault struct {
	name string
	// dependency is what is down ("redis", "postgres", "smtp", "twilio",
	// "sqlite"): the daemons' /readyz must say 503 then and 200 after.
	// Empty for daemons killed.
	dependency string
	// channel is the receiver whose next delivery ends the recovery
	// ("email", "sms"; empty: either).
	channel string
	kill    bool // daemons SIGKILLed: duplicates allowed, up to the entries in flight
	length  func(o Options) time.Duration
	run     func(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error
}

// faultRun is one fault as it happened.
type faultRun struct {
	f          *fault
	start, end time.Time
	// healing is when the mending began (a server starting again): /readyz
	// is judged "during" up to it. Zero: end.
	healing  time.Time
	inFlight int
	// deadJobs are the jobs the killed daemons held (true: urgent);
	// takeover ends when every one is archived or dead-lettered.
	deadJobs       map[string]bool
	takeover       time.Duration // -1: not measured / not over
	takeoverUrgent time.Duration // the same for the urgent ones
	// takeoverFrom is when the takeover could begin: the kill, or for
	// every daemon killed, their restart. Zero: start.
	takeoverFrom time.Time
	note         string
}

// scenario is a list of faults on one group of daemons.
type scenario struct {
	name    string
	daemons int
	sqlite  bool // one daemon on a SQLite archive on a small tmpfs
	faults  []*fault
}

func (sc scenario) describe() string {
	var names []string
	for _, f := range sc.faults {
		names = append(names, f.name)
	}
	store := "PostgreSQL"
	if sc.sqlite {
		store = "SQLite on a 64 MiB tmpfs"
	}
	return fmt.Sprintf("%d daemon(s), archive %s; %s", sc.daemons, store, strings.Join(names, ", "))
}

func (sc scenario) length(o Options) time.Duration {
	total := o.Gap
	for _, f := range sc.faults {
		total += f.length(o) + o.Gap
	}
	return total
}

// ScenarioNames are the scenarios in the order a full run takes them;
// "all" is every fault of the others (but the SQLite disk, which needs
// its own archive) in one run.
func ScenarioNames() []string {
	return []string{"kill-one", "kill-all", "redis-restart", "redis-pause", "smtp", "postgres", "twilio", "disk-full", "all"}
}

func faultLen(o Options) time.Duration   { return o.Fault }
func smtpLen(o Options) time.Duration    { return 3 * o.Fault }
func instantLen(o Options) time.Duration { return 2 * time.Second }

var (
	faultKillOne   = &fault{name: "SIGKILL one daemon", kill: true, length: faultLen, run: killOne}
	faultKillAll   = &fault{name: "SIGKILL every daemon, restart", kill: true, length: faultLen, run: killAll}
	faultRedisKill = &fault{name: "Redis SIGKILLed, restarted", dependency: "redis", length: faultLen, run: redisRestart}
	faultRedisStop = &fault{name: "Redis SIGSTOPped", dependency: "redis", length: faultLen, run: redisPause}
	faultSMTP      = &fault{name: "SMTP refused, then 421/451, then slow", dependency: "smtp", channel: "email", length: smtpLen, run: smtpDown}
	faultPGRestart = &fault{name: "PostgreSQL restarted", dependency: "postgres", length: instantLen, run: postgresRestart}
	faultPGDown    = &fault{name: "PostgreSQL unreachable", dependency: "postgres", length: faultLen, run: postgresDown}
	faultTwilio    = &fault{name: "Twilio 500/503, then 429 Retry-After", dependency: "twilio", channel: "sms", length: faultLen, run: twilioDown}
	faultDiskFull  = &fault{name: "SQLite archive disk full", dependency: "sqlite", length: faultLen, run: diskFull}
)

func scenarioByName(name string, o Options) scenario {
	k := o.Daemons
	switch name {
	case "kill-one":
		return scenario{name: name, daemons: k, faults: []*fault{faultKillOne}}
	case "kill-all":
		return scenario{name: name, daemons: k, faults: []*fault{faultKillAll}}
	case "redis-restart":
		return scenario{name: name, daemons: k, faults: []*fault{faultRedisKill}}
	case "redis-pause":
		return scenario{name: name, daemons: k, faults: []*fault{faultRedisStop}}
	case "smtp":
		return scenario{name: name, daemons: k, faults: []*fault{faultSMTP}}
	case "postgres":
		return scenario{name: name, daemons: k, faults: []*fault{faultPGRestart, faultPGDown}}
	case "twilio":
		return scenario{name: name, daemons: k, faults: []*fault{faultTwilio}}
	case "disk-full":
		return scenario{name: name, daemons: 1, sqlite: true, faults: []*fault{faultDiskFull}}
	default: // all
		return scenario{name: "all", daemons: k, faults: []*fault{
			faultKillOne, faultRedisKill, faultRedisStop, faultSMTP, faultPGRestart, faultPGDown, faultTwilio, faultKillAll,
		}}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// loadUp enqueues a burst of jobs, more than the daemons' workers take
// at once, and waits a moment: the daemons then hold entries.
func loadUp(ctx context.Context, h *harness, sr *scenarioRun) error {
	select {
	case sr.burst <- min(3*8*len(sr.liveDaemons()), h.opt.Jobs/4):
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second): // the producer is done
	}
	return sleep(ctx, 300*time.Millisecond)
}

func killOne(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	if err := loadUp(ctx, h, sr); err != nil {
		return err
	}
	d := sr.liveDaemons()[0]
	fr.start = time.Now()
	d.kill()
	h.logf("  SIGKILL daemon %s (pid %d)", d.consumer, d.p.pid())
	if err := sr.noteDead(ctx, fr, d); err != nil {
		return err
	}
	go sr.watchTakeover(ctx, fr)
	if err := sleep(ctx, h.opt.Fault); err != nil {
		return err
	}
	fr.end = time.Now()
	// A replacement, as an orchestrator would start one.
	return sr.startDaemons(ctx, h, []int{d.index})
}

func killAll(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	if err := loadUp(ctx, h, sr); err != nil {
		return err
	}
	live := sr.liveDaemons()
	fr.start = time.Now()
	var idx []int
	for _, d := range live {
		d.kill()
		idx = append(idx, d.index)
	}
	h.logf("  SIGKILL all %d daemons", len(live))
	for _, d := range live {
		if err := sr.noteDead(ctx, fr, d); err != nil {
			return err
		}
	}
	if err := sleep(ctx, h.opt.Fault); err != nil {
		return err
	}
	fr.end = time.Now()
	fr.takeoverFrom = fr.end // nobody is left to take over before the restart
	go sr.watchTakeover(ctx, fr)
	return sr.startDaemons(ctx, h, idx)
}

func redisRestart(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	h.redis.p.kill()
	h.logf("  SIGKILL redis-server; down for %v", h.opt.Fault)
	if err := sleep(ctx, h.opt.Fault); err != nil {
		return err
	}
	fr.healing = time.Now()
	if err := h.redis.start(ctx); err != nil {
		return err
	}
	fr.end = time.Now()
	h.logf("  redis-server back (pid %d), AOF replayed", h.redis.p.pid())
	return nil
}

func redisPause(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	if err := h.redis.p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	h.logf("  SIGSTOP redis-server for %v", h.opt.Fault)
	err := sleep(ctx, h.opt.Fault)
	if err2 := h.redis.p.signal(syscall.SIGCONT); err2 != nil {
		return err2
	}
	fr.end = time.Now()
	return err
}

func smtpDown(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	for _, step := range []struct {
		mode int32
		what string
	}{{modeRefused, "SMTP refuses connections"}, {modeTempFail, "SMTP answers 421 on connect, 451 on MAIL"}, {modeSlow, fmt.Sprintf("SMTP answers MAIL after %v", h.smtp.slowDelay)}} {
		if err := h.smtp.setMode(step.mode); err != nil {
			return err
		}
		h.logf("  %s for %v", step.what, h.opt.Fault)
		if err := sleep(ctx, h.opt.Fault); err != nil {
			_ = h.smtp.setMode(modeUp)
			return err
		}
	}
	fr.end = time.Now()
	return h.smtp.setMode(modeUp)
}

func postgresRestart(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	h.pg.stop()
	fr.healing = time.Now()
	if err := h.pg.start(ctx); err != nil {
		return err
	}
	fr.end = time.Now()
	h.logf("  PostgreSQL restarted (fast shutdown) in %.1fs", fr.end.Sub(fr.start).Seconds())
	return nil
}

func postgresDown(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	h.pg.stop()
	h.logf("  PostgreSQL stopped for %v", h.opt.Fault)
	if err := sleep(ctx, h.opt.Fault); err != nil {
		return err
	}
	fr.healing = time.Now()
	if err := h.pg.start(ctx); err != nil {
		return err
	}
	fr.end = time.Now()
	return nil
}

func twilioDown(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	h.twilio.mode.Store(modeTempFail)
	h.logf("  Twilio answers 500/503 for %v", h.opt.Fault/2)
	err := sleep(ctx, h.opt.Fault/2)
	if err == nil {
		h.twilio.mode.Store(modeTooMany)
		h.logf("  Twilio answers 429 (Retry-After: 1) for %v", h.opt.Fault-h.opt.Fault/2)
		err = sleep(ctx, h.opt.Fault-h.opt.Fault/2)
	}
	h.twilio.mode.Store(modeUp)
	fr.end = time.Now()
	return err
}

func diskFull(ctx context.Context, h *harness, sr *scenarioRun, fr *faultRun) error {
	fr.start = time.Now()
	filler, err := fill(sr.mount)
	if err != nil {
		return err
	}
	h.logf("  the archive's disk is full for %v", h.opt.Fault)
	err = sleep(ctx, h.opt.Fault)
	if err2 := removeFile(filler); err2 != nil && err == nil {
		err = err2
	}
	fr.end = time.Now()
	return err
}
