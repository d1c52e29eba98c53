// Package bench measures the daemon the way an SRE sizing it would: it
// creates its own residents, enqueues jobs on a stream of its own, runs the
// real daemon pipeline (one or more replicas on one consumer group) until
// every job is archived, checks the archive for exactly-once delivery, and
// reports throughput, latency and memory. It removes what it created.
package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/queue"
)

// Options say what to measure. Config is the same as `outreach serve` takes.
type Options struct {
	Config    config.Config
	Jobs      int    // bulk jobs (default 50000)
	Channel   string // email, sms or mix (default email)
	Urgent    int    // urgent jobs injected while the bulk drains
	Replicas  int    // daemons sharing the consumer group (default 1)
	Residents int    // residents the jobs cycle through (default min(Jobs, 1000))
	// Prefill enqueues every job before the daemons start, to measure a
	// daemon facing a backlog (memory must not grow with it).
	Prefill bool
	// Campaign sends the bulk as a property manager would: Jobs residents
	// and one campaign for all of them, created through the first
	// daemon's campaign service once the daemons run; its scheduler
	// expands it. The run reports start -> first message accepted and
	// start -> all archived.
	Campaign bool
	// SMTPSource is the path of Postfix's smtp-source: when set, and the
	// channel includes email, the run first measures the machine's own
	// SMTP rate with it against the same server (see FindSMTPSource).
	SMTPSource string
	// SMSRate is the SMS rate limit (messages a second, per daemon) of a
	// run against the built-in Twilio stand-in; 0: no limit. The run
	// reports the rate the stand-in saw.
	SMSRate float64
	Timeout time.Duration // give up after this long (default 30m)
	Logger  *slog.Logger  // the daemons' log (default: discarded)
	// Progress receives a line every few seconds (may be nil).
	Progress io.Writer
}

// Result is what one run measured. Its JSON form is the last line that
// `outreach bench` prints.
type Result struct {
	RunID          string  `json:"run_id"` // prefix of the stream, resident and job ids the run used
	Jobs           int     `json:"jobs"`
	Urgent         int     `json:"urgent"`
	Replicas       int     `json:"replicas"`
	Channel        string  `json:"channel"`
	Store          string  `json:"store"`
	Seconds        float64 `json:"seconds"`
	ThroughputPerS float64 `json:"throughput_per_s"`
	P50ms          float64 `json:"p50_ms"`
	P99ms          float64 `json:"p99_ms"`
	UrgentP99ms    float64 `json:"urgent_p99_ms"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	Sent           int     `json:"sent"`
	Failed         int     `json:"failed"`
	Lost           int     `json:"lost"`
	Duplicates     int     `json:"duplicates"`
	GoMaxProcs     int     `json:"gomaxprocs"`
	Workers        int     `json:"workers"`    // OUTREACH_WORKERS of each daemon
	SMTPConns      int     `json:"smtp_conns"` // OUTREACH_SMTP_CONNS of each daemon
	// Load1 is the machine's 1-minute load average when the run started
	// and when it ended (other work on the machine shows here).
	Load1Start float64 `json:"load1_start"`
	Load1End   float64 `json:"load1_end"`
	// CPUusPerJob is the CPU time (user and system) this process used
	// while the daemons ran, per job, in microseconds: the daemons' work
	// plus the benchmark's polling (and its enqueueing, without Prefill).
	CPUusPerJob float64 `json:"cpu_us_per_job"`
	// DaemonCPUusPerJob is CPUusPerJob without the benchmark's enqueueing
	// (the CPU time of the thread that enqueued; with Campaign the daemons
	// enqueue themselves, and that counts).
	DaemonCPUusPerJob  float64 `json:"daemon_cpu_us_per_job"`
	EnqueueCPUusPerJob float64 `json:"enqueue_cpu_us_per_job"`
	// DBCPUusPerJob is the CPU time of the PostgreSQL backends that served
	// the daemons' connections, over the run, per job (read from /proc;
	// 0 with another archive or a server elsewhere); DBBackends is how many
	// there were. DBServerCPUusPerJob is the whole server's (every
	// process, ended backends included): other users of the server count
	// there too.
	DBCPUusPerJob       float64 `json:"db_cpu_us_per_job"`
	DBBackends          int     `json:"db_backends"`
	DBServerCPUusPerJob float64 `json:"db_server_cpu_us_per_job"`
	// RedisCPUusPerJob is the CPU time of the Redis server process(es) the
	// run talks to, over the run, per job (other clients count too).
	RedisCPUusPerJob float64 `json:"redis_cpu_us_per_job"`

	// ArchiveWrites is how many archive writes (statement and commit) the
	// daemons made, ArchiveBatchMean the deliveries each carried on
	// average (outreach_archive_batch_deliveries).
	ArchiveWrites    int     `json:"archive_writes"`
	ArchiveBatchMean float64 `json:"archive_batch_mean"`

	// A Campaign run: the campaign's id, the time from its creation to
	// the first message accepted by SMTP (and counted by the daemon), to
	// the last delivery archived, and the rate over that time.
	CampaignID      string  `json:"campaign_id,omitempty"`
	FirstAcceptedMs float64 `json:"first_accepted_ms,omitempty"`
	AllArchivedS    float64 `json:"all_archived_s,omitempty"`
	CampaignPerS    float64 `json:"campaign_per_s,omitempty"`
	CampaignRatio   float64 `json:"campaign_ratio,omitempty"`

	// The SMTP baseline (email runs with SMTPSource): smtp-source's rate
	// against the same server, and throughput over it.
	BaselinePerS     float64 `json:"baseline_per_s,omitempty"`
	BaselineSessions int     `json:"baseline_sessions,omitempty"`
	BaselineCommand  string  `json:"baseline_command,omitempty"`
	// BaselineCPUusPerMsg is smtp-source's own CPU time per message.
	BaselineCPUusPerMsg float64 `json:"baseline_cpu_us_per_msg,omitempty"`
	Ratio               float64 `json:"ratio,omitempty"`

	// The SMS rate (runs against the Twilio stand-in with SMSRate): the
	// configured limit for all replicas together, the rate the stand-in
	// saw, and how far off it is, in percent of the limit.
	SMSRateLimit        float64 `json:"sms_rate_limit,omitempty"`
	SMSRatePerS         float64 `json:"sms_rate_per_s,omitempty"`
	SMSRateDeviationPct float64 `json:"sms_rate_deviation_pct,omitempty"`
	// SMSPeak1s is the most messages the stand-in got within one second.
	SMSPeak1s int `json:"sms_peak_1s,omitempty"`

	// Shards is how the jobs spread over the queue's shards
	// (OUTREACH_SHARDS), shard i at index i; Masters is how many Redis
	// masters held them (1 on one node).
	Shards  []ShardSpread `json:"shards"`
	Masters int           `json:"masters"`
}

// ShardSpread is one shard of a run: its normal lane's stream, the Redis
// node that holds it, and the entries its lanes got (retries included).
type ShardSpread struct {
	Stream  string `json:"stream"`
	Node    string `json:"node"`
	Entries int64  `json:"entries"`
}

func (o Options) withDefaults() Options {
	o.Jobs = cmp.Or(o.Jobs, 50000)
	o.Channel = cmp.Or(o.Channel, "email")
	o.Replicas = cmp.Or(o.Replicas, 1)
	o.Residents = cmp.Or(o.Residents, min(o.Jobs, 1000))
	if o.Campaign {
		o.Residents = o.Jobs // one job per resident
	}
	o.Timeout = cmp.Or(o.Timeout, 30*time.Minute)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Jobs < 1 || o.Urgent < 0 || o.Replicas < 1 || o.Residents < 1:
		return errors.New("bench: --jobs, --replicas and residents must be positive, --urgent not negative")
	case o.Channel != "email" && o.Channel != "sms" && o.Channel != "mix":
		return fmt.Errorf("bench: --channel %q: want email, sms or mix", o.Channel)
	case o.Campaign && o.Prefill:
		return errors.New("bench: --campaign and --prefill do not go together (the campaign enqueues its jobs)")
	case o.SMSRate < 0:
		return errors.New("bench: --sms-rate must not be negative")
	case o.Config.RedisURL == "":
		return errors.New("OUTREACH_REDIS_URL: required (e.g. redis://127.0.0.1:6379/0)")
	case o.Channel != "sms" && !o.Config.EmailEnabled():
		return errors.New("OUTREACH_SMTP_URL and OUTREACH_EMAIL_FROM: required for --channel email or mix (e.g. smtp://127.0.0.1:2525?tls=none against smtp-sink)")
	}
	return nil
}

// run is one benchmark in progress.
type run struct {
	opt        Options
	id         string // prefix of everything the run creates
	cfg        config.Config
	rdb        redis.UniversalClient
	store      outreach.Store
	keys       queue.Keys
	daemons    []*daemon.Daemon
	twilio     *twilioStandIn
	campaignID string // the campaign of a Campaign run, once created
	appName    string // application_name of the daemons' PostgreSQL connections
}

// Run performs one benchmark.
func Run(ctx context.Context, opt Options) (Result, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()

	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r := &run{opt: opt, id: "bench-" + hex.EncodeToString(b)}
	defer r.cleanup()
	if err := r.setUp(ctx); err != nil {
		return Result{}, err
	}
	return r.measure(ctx)
}

func (r *run) setUp(ctx context.Context) error {
	r.cfg = r.opt.Config
	r.cfg.Stream = r.cfg.Stream + ":" + r.id // a stream of its own; a hash tag in the name is kept
	r.cfg.HTTPAddr = "127.0.0.1:0"
	r.appName = "outreach-" + r.id
	// The bench measures the pipeline: quiet hours and frequency caps would
	// hold back or suppress its bulk jobs depending on the hour.
	r.cfg.Policy = policy.Rules{}
	if r.opt.Channel != "email" && !r.cfg.SMSEnabled() {
		r.twilio = newTwilioStandIn()
		r.cfg.TwilioAccountSID, r.cfg.TwilioAuthToken = r.twilio.sid, outreach.Secret(r.twilio.token)
		r.cfg.TwilioAPIURL, r.cfg.SMSFrom = r.twilio.URL, "+15005550006"
		// The stand-in is no carrier: without --sms-rate the run measures
		// the pipeline, not a sender's rate limit.
		r.cfg.Delivery.SMSRate = r.opt.SMSRate
	}
	r.keys = queue.NewShardedKeys(r.cfg.Stream, r.cfg.Group, r.cfg.Shards)

	rdb, err := queue.Connect(ctx, r.cfg.RedisURL.Reveal(), queue.ConnectOptions{})
	if err != nil {
		return fmt.Errorf("connect to Redis (OUTREACH_REDIS_URL): %w", err)
	}
	r.rdb = rdb
	if r.store, err = store.Open(ctx, r.cfg.DatabaseURL.Reveal()); err != nil {
		return fmt.Errorf("open archive: %w", err)
	}
	if err := r.createResidents(ctx); err != nil {
		return err
	}
	for i := range r.opt.Replicas {
		cfg := r.cfg
		cfg.DatabaseURL = outreach.Secret(withAppName(cfg.DatabaseURL.Reveal(), r.appName))
		cfg.Consumer = fmt.Sprintf("%s-%d", r.id, i)
		d, err := daemon.New(ctx, daemon.Options{Config: cfg, Logger: r.opt.Logger.With("replica", i)})
		if err != nil {
			return fmt.Errorf("start replica %d: %w", i, err)
		}
		r.daemons = append(r.daemons, d)
	}
	return nil
}

func (r *run) residentID(i int) string { return fmt.Sprintf("%s-r%05d", r.id, i%r.opt.Residents) }

func (r *run) createResidents(ctx context.Context) error {
	var batch []outreach.Resident
	for i := range r.opt.Residents {
		res := outreach.Resident{
			ID: r.residentID(i), Name: fmt.Sprintf("Bench Resident %d", i), Locale: "en",
			Email: fmt.Sprintf("r%05d@bench.invalid", i), Phone: fmt.Sprintf("+1202555%04d", i%10000),
		}
		if r.opt.Campaign {
			res.Tags = []string{r.id} // the campaign's audience
		}
		switch {
		case r.opt.Channel == "sms", r.opt.Channel == "mix" && i%2 == 1:
			res.Channels = []outreach.Channel{outreach.ChannelSMS}
		default:
			res.Channels = []outreach.Channel{outreach.ChannelEmail}
		}
		batch = append(batch, res)
		if len(batch) == 1000 || i == r.opt.Residents-1 {
			if _, err := r.store.UpsertResidents(ctx, batch); err != nil {
				return fmt.Errorf("create bench residents: %w", err)
			}
			batch = batch[:0]
		}
	}
	return nil
}

// campaigns are the campaign ids of the run's jobs: the bulk's, the
// urgent jobs', and the campaign of a Campaign run.
func (r *run) campaigns() []string {
	ids := []string{r.id, r.id + "-urgent"}
	if r.campaignID != "" {
		ids = append(ids, r.campaignID)
	}
	return ids
}

// campaignSpec is the campaign of a Campaign run: the bulk jobs' notice to
// the run's residents (they carry the run id as a tag).
func (r *run) campaignSpec() outreach.Campaign {
	return outreach.Campaign{
		Name: "bench " + r.id, Kind: outreach.KindMaintenanceNotice, Priority: outreach.PriorityBulk,
		Audience: outreach.Audience{Tags: []string{r.id}}, Channels: channels(r.opt.Channel),
		Data: r.job(0, false).Data,
	}
}

func channels(ch string) []outreach.Channel {
	switch ch {
	case "email":
		return []outreach.Channel{outreach.ChannelEmail}
	case "sms":
		return []outreach.Channel{outreach.ChannelSMS}
	}
	return nil // each resident's own
}

func (r *run) job(i int, urgent bool) outreach.Job {
	j := outreach.Job{
		ID: fmt.Sprintf("%s-j%07d", r.id, i), Kind: outreach.KindMaintenanceNotice,
		ResidentID: r.residentID(i), Priority: outreach.PriorityBulk, Campaign: r.id,
		Data: map[string]any{"title": "Planned water cut", "area": "Building 3", "start": "2026-12-02 09:00", "end": "2026-12-02 12:00"},
	}
	if urgent {
		j.ID = fmt.Sprintf("%s-u%07d", r.id, i)
		j.Priority, j.Campaign = outreach.PriorityUrgent, r.id+"-urgent"
		j.Data["title"] = "Lift fault"
	}
	return j
}

// cleanup removes the run's stream keys, residents and archive records.
func (r *run) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if r.rdb != nil {
		r.deleteKeys(ctx)
		_ = r.rdb.Close()
	}
	if r.store != nil {
		for _, campaign := range r.campaigns() {
			_, _ = r.store.DeleteDeliveries(ctx, outreach.Filter{Campaign: campaign})
		}
		ids := make([]string, r.opt.Residents)
		for i := range ids {
			ids[i] = r.residentID(i)
		}
		_, _ = r.store.DeleteResidents(ctx, ids)
		_ = r.store.Close()
	}
	if r.twilio != nil {
		r.twilio.Close()
	}
}

// deleteKeys removes the run's keys: its lanes, dead letters, delayed set,
// and the job locks and cap sets it may have left (they expire anyway).
// Every one of them starts with the run's own stream name, or one of its
// shards' names.
func (r *run) deleteKeys(ctx context.Context) {
	prefixes := []string{r.keys.Name}
	for _, s := range r.keys.Shards() {
		prefixes = append(prefixes, s.Stream)
	}
	slices.Sort(prefixes)
	for _, p := range slices.Compact(prefixes) {
		_ = queue.ScanKeys(ctx, r.rdb, p+"*", func(ctx context.Context, node redis.Cmdable, key string) error {
			return node.Del(ctx, key).Err()
		})
	}
}
