package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-dev/outreach/outreach/bench"
)

type benchCmd struct {
	Jobs       int           `default:"50000" help:"bulk jobs to send"`
	Channel    string        `default:"email" enum:"email,sms,mix" help:"email, sms or mix"`
	Urgent     int           `default:"0" help:"urgent jobs injected (50ms apart) while the bulk drains"`
	Replicas   int           `default:"1" help:"daemons sharing the consumer group"`
	Residents  int           `default:"0" help:"residents the jobs cycle through (0: min(jobs, 1000))"`
	Prefill    bool          `help:"enqueue every job before the daemons start (a backlog)"`
	Campaign   bool          `help:"create --jobs residents and one campaign for them through the campaign service, instead of enqueueing jobs"`
	SMSRate    float64       `name:"sms-rate" default:"0" help:"SMS rate limit (per second, per daemon) against the built-in Twilio stand-in; 0: none"`
	Baseline   bool          `default:"true" negatable:"" help:"first measure smtp-source (Postfix) against the same SMTP server, if it is installed (--baseline=false or --no-baseline: not)"`
	Timeout    time.Duration `default:"30m" help:"give up after this long"`
	CPUProfile string        `name:"cpuprofile" placeholder:"FILE" help:"write a CPU profile of the run to this file (go tool pprof)"`
	MemProfile string        `name:"memprofile" placeholder:"FILE" help:"write the run's allocations (an allocs profile) to this file (go tool pprof -sample_index=alloc_space)"`
}

func (c *benchCmd) run(ctx context.Context, e *env) int {
	opt := bench.Options{Jobs: c.Jobs, Channel: c.Channel, Urgent: c.Urgent, Replicas: c.Replicas,
		Residents: c.Residents, Prefill: c.Prefill, Campaign: c.Campaign, SMSRate: c.SMSRate, Timeout: c.Timeout}
	cfg, ok := e.loadConfig()
	if !ok {
		return 2
	}
	opt.Config, opt.Progress = cfg, e.stderr
	gcDefaults(e.getenv)
	if c.Baseline {
		opt.SMTPSource = bench.FindSMTPSource()
	}
	cfg.LogLevel = max(cfg.LogLevel, 4) // warnings and errors only: the bench prints its own progress
	opt.Logger = e.logger(cfg)

	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return e.fail("bench", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return e.fail("bench", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Run(ctx, opt)
	if err != nil {
		return e.fail("bench", err)
	}
	if c.MemProfile != "" {
		if err := writeAllocs(c.MemProfile); err != nil {
			return e.fail("bench", err)
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	rows := [][2]string{
		{"jobs", fmt.Sprintf("%d bulk + %d urgent, channel %s, %d replica(s), archive %s", res.Jobs, res.Urgent, res.Channel, res.Replicas, res.Store)},
		{"elapsed", fmt.Sprintf("%.2fs", res.Seconds)},
		{"throughput", fmt.Sprintf("%.0f jobs/s", res.ThroughputPerS)},
		{"latency p50 / p99", fmt.Sprintf("%.1f ms / %.1f ms (enqueue to archived)", res.P50ms, res.P99ms)},
		{"urgent p99", fmt.Sprintf("%.1f ms", res.UrgentP99ms)},
		{"peak RSS", fmt.Sprintf("%.1f MB", res.PeakRSSMB)},
		{"sent / failed", fmt.Sprintf("%d / %d", res.Sent, res.Failed)},
		{"lost / duplicates", fmt.Sprintf("%d / %d", res.Lost, res.Duplicates)},
		{"settings", fmt.Sprintf("%d workers, %d SMTP connections, GOMAXPROCS %d", res.Workers, res.SMTPConns, res.GoMaxProcs)},
		{"load average", fmt.Sprintf("%.2f at start, %.2f at end", res.Load1Start, res.Load1End)},
		{"CPU per job", fmt.Sprintf("%.0f µs (this process, user + system)", res.CPUusPerJob)},
		{"CPU per job, daemon", fmt.Sprintf("%.0f µs (this process without the benchmark's enqueueing, %.0f µs)", res.DaemonCPUusPerJob, res.EnqueueCPUusPerJob)},
		{"CPU per job, archive", dbCPU(res)},
		{"archive writes", fmt.Sprintf("%d, %.1f deliveries each on average (one statement and commit each)", res.ArchiveWrites, res.ArchiveBatchMean)},
		{"CPU per job, Redis", fmt.Sprintf("%.0f µs (the Redis server process(es), other clients too)", res.RedisCPUusPerJob)},
	}
	if res.CampaignID != "" {
		rows = append(rows,
			[2]string{"campaign", fmt.Sprintf("%s: %d residents", res.CampaignID, res.Jobs)},
			[2]string{"start -> first accepted", fmt.Sprintf("%.1f ms (created through the campaign service -> the first message accepted by SMTP and archived)", res.FirstAcceptedMs)},
			[2]string{"start -> all archived", fmt.Sprintf("%.2fs, %.0f jobs/s", res.AllArchivedS, res.CampaignPerS)},
		)
	}
	if res.BaselinePerS > 0 {
		rows = append(rows, [2]string{"smtp-source", fmt.Sprintf("%.0f msgs/s over %d sessions, %.0f µs CPU a message; throughput is %.2f x that", res.BaselinePerS, res.BaselineSessions, res.BaselineCPUusPerMsg, res.Ratio)})
		if res.CampaignID != "" {
			rows = append(rows, [2]string{"campaign ratio", fmt.Sprintf("start -> all archived is %.2f x smtp-source", res.CampaignRatio)})
		}
	}
	if res.SMSRateLimit > 0 {
		rows = append(rows, [2]string{"SMS rate", fmt.Sprintf("%.2f/s at the stand-in, limit %.2f/s (%+.2f%%); at most %d within one second", res.SMSRatePerS, res.SMSRateLimit, res.SMSRateDeviationPct, res.SMSPeak1s)})
	}
	if len(res.Shards) > 1 {
		var parts []string
		for _, sh := range res.Shards {
			parts = append(parts, fmt.Sprintf("%s %d on %s", sh.Stream, sh.Entries, sh.Node))
		}
		rows = append(rows, [2]string{"shards", fmt.Sprintf("%d over %d master(s): %s", len(res.Shards), res.Masters, strings.Join(parts, ", "))})
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	_ = tw.Flush()
	line, _ := json.Marshal(res)
	fmt.Fprintln(e.stdout, string(line))
	if res.Lost > 0 || res.Duplicates > 0 {
		return 1
	}
	return 0
}

func dbCPU(res bench.Result) string {
	if res.DBBackends == 0 {
		return "not measured (no PostgreSQL backend of the daemons found in /proc)"
	}
	return fmt.Sprintf("%.0f µs (the daemons' %d PostgreSQL backends); the whole server %.0f µs (other users too)", res.DBCPUusPerJob, res.DBBackends, res.DBServerCPUusPerJob)
}

// writeAllocs writes the allocations made since the process started (the
// setup's too, which the run's dwarf) to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("memprofile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	return nil
}
