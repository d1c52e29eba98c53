// Package chaos breaks the daemon's dependencies on purpose and counts
// what happened to every job: `outreach chaos`. It starts everything it
// needs itself, on loopback: a Redis with the append-only file fsynced on
// every write, a PostgreSQL cluster of its own (initdb in a temporary
// directory), an SMTP server and a Twilio stand-in in this process that
// count what they receive per job and address, and K daemons (this very
// binary, `serve`) on one consumer group. It then injects faults (a
// daemon SIGKILLed, Redis killed or paused, SMTP refusing, failing or
// slow, PostgreSQL restarted or gone, Twilio failing, the SQLite archive's
// disk full), each scenario alone and all in one run, and reports jobs,
// delivered, lost, duplicated, stuck, recovery time and /readyz. It stops
// every process it started, by PID, and removes its directory.
package chaos

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/outreach/store"
)

// Options say what to break and for how long.
type Options struct {
	// Scenarios to run, by name (see Scenarios); empty: every one, then
	// "all" (every fault in one run).
	Scenarios []string
	Daemons   int           // daemons on the group (default 3)
	Jobs      int           // jobs per scenario (default 600)
	Fault     time.Duration // how long a dependency stays broken (default 30s)
	// Gap is how long the run goes on normally before the first fault,
	// between faults and after the last (default 10s).
	Gap         time.Duration
	ClaimIdle   time.Duration // the daemons' OUTREACH_CLAIM_IDLE (default 5s)
	SendTimeout time.Duration // the daemons' OUTREACH_SEND_TIMEOUT (default 5s)
	// Settle bounds the wait, after the last job was enqueued, for the
	// group to have nothing left to read, pending or delayed (default 5m).
	Settle time.Duration
	// Binary is the daemon to run (`Binary serve`); default this program.
	Binary string
	// Redis and PostgresBin are redis-server and the directory of initdb
	// and postgres (found on the machine when empty).
	Redis, PostgresBin string
	// Keep leaves the run's directory (logs, AOF, database) in place.
	Keep     bool
	Progress io.Writer // a line per step (may be nil)
}

func (o Options) withDefaults() Options {
	o.Daemons = cmp.Or(o.Daemons, 3)
	o.Jobs = cmp.Or(o.Jobs, 600)
	o.Fault = cmp.Or(o.Fault, 30*time.Second)
	o.Gap = cmp.Or(o.Gap, 10*time.Second)
	o.ClaimIdle = cmp.Or(o.ClaimIdle, 5*time.Second)
	o.SendTimeout = cmp.Or(o.SendTimeout, 5*time.Second)
	o.Settle = cmp.Or(o.Settle, 5*time.Minute)
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = ScenarioNames()
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Daemons < 1 || o.Jobs < 1:
		return errors.New("chaos: --daemons and --jobs must be positive")
	case o.Fault < time.Second || o.Gap < time.Second:
		return errors.New("chaos: --fault and --gap must be at least 1s")
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(ScenarioNames(), s) {
			return fmt.Errorf("chaos: unknown scenario %q (want %s)", s, strings.Join(ScenarioNames(), ", "))
		}
	}
	return nil
}

// harness is what every scenario shares: the processes and stand-ins.
type harness struct {
	opt    Options
	runID  string
	dir    string
	procs  *procs
	redis  *redisServer
	pg     *postgresServer
	smtp   *smtpStandIn
	twilio *twilioStandIn
	mail   *received // what the SMTP server accepted
	sms    *received // what the Twilio stand-in accepted
	pgURL  string
	store  outreach.Store // the PostgreSQL archive, as the daemons see it
	logf   func(format string, args ...any)
	// tmpfsErr says why the SQLite disk-full scenario cannot run ("" if it can).
	tmpfsErr string
}

// Run runs the scenarios of opt, one after the other, and returns their
// results in order. It stops everything it started before it returns.
func Run(ctx context.Context, opt Options) ([]Result, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	// The run's own Redis client fails to dial while it has Redis down:
	// its progress lines say so, go-redis's own lines would be noise.
	redis.SetLogger(&logging.RedisLogger{Logger: slog.New(slog.DiscardHandler)})
	h := &harness{opt: opt, procs: &procs{}, mail: newReceived(), sms: newReceived()}
	h.logf = func(format string, args ...any) {
		fmt.Fprintf(opt.Progress, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	h.runID = hex.EncodeToString(b)
	defer h.close()
	if err := h.setUp(ctx); err != nil {
		return nil, err
	}
	var results []Result
	for _, name := range opt.Scenarios {
		sc := scenarioByName(name, opt)
		h.logf("scenario %s: %s", sc.name, sc.describe())
		res, err := h.run(ctx, sc)
		if err != nil {
			return results, fmt.Errorf("scenario %s: %w", name, err)
		}
		results = append(results, res)
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
	}
	return results, nil
}

func (h *harness) setUp(ctx context.Context) error {
	var err error
	if h.opt.Binary == "" {
		if h.opt.Binary, err = os.Executable(); err != nil {
			return fmt.Errorf("find the daemon binary: %w", err)
		}
	}
	if h.opt.Redis == "" {
		if h.opt.Redis, err = exec.LookPath("redis-server"); err != nil {
			return errors.New("chaos: redis-server not found on PATH (apt-get install redis-server)")
		}
	}
	if h.opt.PostgresBin == "" {
		if h.opt.PostgresBin, err = findPostgres(); err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
	}
	if h.dir, err = os.MkdirTemp("", "outreach-chaos-"); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	h.logf("run %s in %s (daemon %s)", h.runID, h.dir, h.opt.Binary)
	ports := make([]int, 4)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	h.redis = &redisServer{ps: h.procs, bin: h.opt.Redis, dir: filepath.Join(h.dir, "redis"), port: ports[0]}
	if err := os.MkdirAll(h.redis.dir, 0o700); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if err := h.redis.start(ctx); err != nil {
		return err
	}
	h.logf("redis-server pid %d on 127.0.0.1:%d, appendonly yes, appendfsync always", h.redis.p.pid(), h.redis.port)
	h.pg = &postgresServer{ps: h.procs, binDir: h.opt.PostgresBin, port: ports[1]}
	if err := h.pg.initdb(ctx, h.dir); err != nil {
		return err
	}
	if err := h.pg.start(ctx); err != nil {
		return err
	}
	h.pgURL = h.pg.url()
	h.logf("postgres pid %d on 127.0.0.1:%d (%s), a cluster of its own", h.pg.p.pid(), h.pg.port, h.opt.PostgresBin)
	if h.store, err = store.Open(ctx, h.pgURL); err != nil {
		return fmt.Errorf("chaos: open the PostgreSQL archive: %w", err)
	}
	// Slower than the daemons' send timeout, so that they give up first.
	if h.smtp, err = newSMTPStandIn(ports[2], h.mail, h.opt.SendTimeout+2*time.Second); err != nil {
		return err
	}
	if h.twilio, err = newTwilioStandIn(ports[3], h.sms); err != nil {
		return err
	}
	h.logf("SMTP stand-in on %s, Twilio stand-in on %s", h.smtp.addr, h.twilio.url)
	h.tmpfsErr = checkTmpfs(h.dir)
	return nil
}

func (h *harness) close() {
	h.procs.stopAll()
	if h.store != nil {
		_ = h.store.Close()
	}
	if h.smtp != nil {
		h.smtp.close()
	}
	if h.twilio != nil {
		h.twilio.close()
	}
	if h.dir == "" {
		return
	}
	unmountAll(h.dir)
	if h.opt.Keep {
		h.logf("kept %s", h.dir)
		return
	}
	_ = os.RemoveAll(h.dir)
}
