package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// measure enqueues, runs the daemons until everything is done, and checks
// the archive.
func (r *run) measure(ctx context.Context) (Result, error) {
	producer := queue.NewProducer(r.rdb, r.keys)
	var baseline Baseline
	if r.opt.SMTPSource != "" && r.opt.Channel != "sms" {
		n := min(r.opt.Jobs, 50000)
		fmt.Fprintf(r.opt.Progress, "baseline: smtp-source, %d messages over %d sessions...\n", n, r.cfg.SMTPConns)
		var err error
		if baseline, err = runBaseline(ctx, r.opt.SMTPSource, r.cfg.SMTPURL.Reveal(), n, max(r.cfg.SMTPConns, 1)); err != nil {
			return Result{}, err
		}
		fmt.Fprintf(r.opt.Progress, "baseline: %.0f messages/s\n", baseline.PerS)
	}
	if r.opt.Prefill {
		fmt.Fprintf(r.opt.Progress, "prefilling %d jobs...\n", r.opt.Jobs)
		if err := r.enqueueBulk(ctx, producer); err != nil {
			return Result{}, err
		}
	}

	load1Start := load1()
	cpuStart := cpuTime()
	start := time.Now()
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var daemons sync.WaitGroup
	runErrs := make(chan error, len(r.daemons))
	for _, d := range r.daemons {
		daemons.Go(func() { runErrs <- d.Run(runCtx) })
	}
	stopDaemons := func() error {
		stop()
		daemons.Wait()
		close(runErrs)
		var errs []error
		for err := range runErrs {
			errs = append(errs, err)
		}
		r.daemons = nil // Run closed them
		return errors.Join(errs...)
	}
	defer func() {
		if r.daemons != nil {
			_ = stopDaemons()
		}
	}()

	if !r.opt.Prefill {
		if err := r.enqueueBulk(ctx, producer); err != nil {
			return Result{}, err
		}
	}
	urgentDone := make(chan error, 1)
	go func() { urgentDone <- r.injectUrgent(ctx, producer) }()
	if err := <-urgentDone; err != nil {
		return Result{}, err
	}
	if err := r.waitSettled(ctx, start); err != nil {
		return Result{}, err
	}
	elapsed := time.Since(start)
	spread, masters, err := r.spread(ctx)
	if err != nil {
		return Result{}, err
	}
	cpuUsed := cpuTime() - cpuStart
	peakRSS := peakRSSMB()
	sends := r.sends()
	if err := stopDaemons(); err != nil {
		return Result{}, fmt.Errorf("stop daemons: %w", err)
	}

	res := Result{
		RunID: r.id, Jobs: r.opt.Jobs, Urgent: r.opt.Urgent, Replicas: r.opt.Replicas, Channel: r.opt.Channel,
		Store: strings.SplitN(r.cfg.DatabaseURL.Reveal(), ":", 2)[0], Seconds: elapsed.Seconds(),
		PeakRSSMB: peakRSS, GoMaxProcs: gomaxprocs(),
		Workers: r.cfg.Workers, SMTPConns: r.cfg.SMTPConns, Load1Start: load1Start, Load1End: load1(),
		Shards: spread, Masters: masters,
	}
	if err := analyzeArchive(ctx, r.cfg.DatabaseURL.Reveal()); err != nil {
		return res, err
	}
	if err := r.check(ctx, &res, sends); err != nil {
		return res, err
	}
	res.ThroughputPerS = float64(res.Sent+res.Failed) / elapsed.Seconds()
	if n := res.Sent + res.Failed; n > 0 {
		res.CPUusPerJob = float64(cpuUsed.Microseconds()) / float64(n)
	}
	if baseline.PerS > 0 {
		res.BaselinePerS, res.BaselineSessions, res.BaselineCommand = baseline.PerS, baseline.Sessions, baseline.Command
		res.BaselineCPUusPerMsg = baseline.CPUusPerMsg
		res.Ratio = res.ThroughputPerS / baseline.PerS
	}
	if r.twilio != nil && r.opt.SMSRate > 0 {
		res.SMSRateLimit = r.opt.SMSRate * float64(r.opt.Replicas) // each daemon has its own limiter
		res.SMSRatePerS, _ = r.twilio.rate()
		res.SMSRateDeviationPct = (res.SMSRatePerS - res.SMSRateLimit) / res.SMSRateLimit * 100
		res.SMSPeak1s = r.twilio.peak1s()
	}
	return res, nil
}

func (r *run) enqueueBulk(ctx context.Context, p *queue.Producer) error {
	const chunk = 1000
	jobs := make([]outreach.Job, 0, chunk)
	for i := range r.opt.Jobs {
		jobs = append(jobs, r.job(i, false))
		if len(jobs) == chunk || i == r.opt.Jobs-1 {
			if _, err := p.EnqueueBatch(ctx, jobs); err != nil {
				return fmt.Errorf("enqueue bench jobs: %w", err)
			}
			jobs = jobs[:0]
		}
	}
	return nil
}

// injectUrgent adds the urgent jobs one at a time, 50ms apart, while the
// bulk backlog drains: the wait of each is what urgent_p99_ms measures.
func (r *run) injectUrgent(ctx context.Context, p *queue.Producer) error {
	for i := range r.opt.Urgent {
		if _, err := p.Enqueue(ctx, r.job(i, true)); err != nil {
			return fmt.Errorf("enqueue urgent job: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// spread reads how the run's entries spread over the shards and the Redis
// masters that hold them.
func (r *run) spread(ctx context.Context) ([]ShardSpread, int, error) {
	s, err := queue.NewConsumer(r.rdb, r.keys, queue.ConsumerOptions{Name: r.id + "-observer"}).Stats(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read the shards' figures: %w", err)
	}
	out := make([]ShardSpread, len(s.Shards))
	nodes := map[string]bool{}
	for i, sh := range s.Shards {
		out[i] = ShardSpread{Stream: sh.Stream, Entries: sh.Length}
		if cc, ok := r.rdb.(*redis.ClusterClient); ok {
			m, err := cc.MasterForKey(ctx, sh.Stream)
			if err != nil {
				return nil, 0, fmt.Errorf("find the master of %s: %w", sh.Stream, err)
			}
			out[i].Node = m.Options().Addr
		} else if o, ok := r.rdb.(*redis.Client); ok {
			out[i].Node = o.Options().Addr
		}
		nodes[out[i].Node] = true
	}
	return out, len(nodes), nil
}

// waitSettled polls until the group has read and acked everything and no
// retry is waiting.
func (r *run) waitSettled(ctx context.Context, start time.Time) error {
	observer := queue.NewConsumer(r.rdb, r.keys, queue.ConsumerOptions{Name: r.id + "-observer"})
	lastReport := time.Now()
	for {
		s, err := observer.Stats(ctx)
		if err == nil && s.Lag == 0 && s.Pending == 0 && s.Delayed == 0 && s.Length > 0 {
			return nil
		}
		if time.Since(lastReport) >= 2*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(r.opt.Progress, "%6.1fs  sent %d  lag %d  pending %d  delayed %d  dead %d  rss %.0f MB\n",
				time.Since(start).Seconds(), int(r.sends()), s.Lag, s.Pending, s.Delayed, s.Dead, peakRSSMB())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the run to finish: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sends adds up the deliveries the daemons counted as sent: more than the
// archive holds means something was sent twice.
func (r *run) sends() float64 {
	var total float64
	for _, d := range r.daemons {
		for _, c := range outreach.AllChannels {
			// Email is sent; Twilio takes an SMS as queued.
			for _, st := range []outreach.Status{outreach.StatusSent, outreach.StatusQueued} {
				var m dto.Metric
				if err := d.Metrics().Deliveries.WithLabelValues(string(c), string(outreach.KindMaintenanceNotice), string(st)).Write(&m); err == nil {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// check walks the archive: every job must be there once, sent.
func (r *run) check(ctx context.Context, res *Result, sends float64) error {
	var bulk, urgent []float64
	seen := make(map[string]bool, r.opt.Jobs+r.opt.Urgent)
	for _, campaign := range []string{r.id, r.id + "-urgent"} {
		err := r.store.Walk(ctx, outreach.Filter{Campaign: campaign}, func(d outreach.Delivery) error {
			seen[d.JobID] = true
			if !d.Status.Accepted() { // queued, sent, delivered: the provider took it
				res.Failed++
				return nil
			}
			res.Sent++
			enq, ok := streamTime(d.StreamID)
			if !ok {
				return nil
			}
			ms := float64(d.UpdatedAt.Sub(enq)) / float64(time.Millisecond)
			if campaign == r.id {
				bulk = append(bulk, ms)
			} else {
				urgent = append(urgent, ms)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("check archive: %w", err)
		}
	}
	res.Lost = r.opt.Jobs + r.opt.Urgent - len(seen)
	res.Duplicates = max(0, int(sends)-res.Sent)
	all := append(slices.Clone(bulk), urgent...)
	res.P50ms, res.P99ms = percentile(all, 50), percentile(all, 99)
	res.UrgentP99ms = percentile(urgent, 99)
	return nil
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	i := int(float64(len(xs)-1) * p / 100)
	return float64(int(xs[i]*10)) / 10
}

// streamTime is when a stream entry id was created (its ms part).
func streamTime(id string) (time.Time, bool) {
	ms, _, ok := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}
