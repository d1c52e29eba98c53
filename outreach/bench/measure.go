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
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/queue"
)

// measure enqueues, runs the daemons until everything is done, and checks
// the archive.
func (r *run) measure(ctx context.Context) (Result, error) {
	producer := queue.NewProducer(r.rdb, r.keys)
	baseline, err := r.baseline(ctx)
	if err != nil {
		return Result{}, err
	}
	if r.opt.Prefill {
		fmt.Fprintf(r.opt.Progress, "prefilling %d jobs...\n", r.opt.Jobs)
		if err := r.enqueueBulk(ctx, producer); err != nil {
			return Result{}, err
		}
	}

	probe, err := newServiceCPU(ctx, r.cfg.DatabaseURL.Reveal(), r.appName, r.rdb)
	if err != nil {
		return Result{}, err
	}
	defer probe.Close()

	load1Start := load1()
	probe.Sample(ctx)
	probe.SampleServer()
	stopSampling := probe.Sampling(ctx, time.Second)
	cpuStart := cpuTime()
	start := time.Now()
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	stopDaemons := r.runDaemons(runCtx, stop)
	defer func() {
		if r.daemons != nil {
			_ = stopDaemons()
		}
	}()

	start, enqueueCPU, firstAccepted, err := r.load(ctx, runCtx, producer, start)
	if err != nil {
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
	stopSampling()
	peakRSS := peakRSSMB()
	sends := r.sends()
	writes, batched := r.archiveBatches()
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
	res.ArchiveWrites = int(writes)
	if writes > 0 {
		res.ArchiveBatchMean = batched / float64(writes)
	}
	lastArchived, err := r.check(ctx, &res, sends)
	if err != nil {
		return res, err
	}
	res.ThroughputPerS = float64(res.Sent+res.Failed) / elapsed.Seconds()
	res.addCPU(cpuUsed, enqueueCPU, probe)
	if r.opt.Campaign {
		r.addCampaign(&res, firstAccepted, lastArchived.Sub(start), !lastArchived.IsZero())
	}
	res.addBaseline(baseline)
	r.addSMSRate(&res)
	return res, nil
}

// load gives the running daemons their work: the campaign (the clock then
// starts when it is started, and firstAccepted reports its first accepted
// send) or the bulk jobs unless they were prefilled (enqueueCPU is the CPU
// that took), then the urgent jobs. start is when the daemons started.
func (r *run) load(ctx, runCtx context.Context, producer *queue.Producer, start time.Time) (_ time.Time, enqueueCPU time.Duration, firstAccepted <-chan time.Duration, err error) {
	if r.opt.Campaign {
		if start, err = r.startCampaign(ctx); err != nil {
			return start, 0, nil, err
		}
		firstAccepted = r.watchFirstSend(runCtx, start)
	}
	if !r.opt.Prefill && !r.opt.Campaign {
		if enqueueCPU, err = lockedCPU(func() error { return r.enqueueBulk(ctx, producer) }); err != nil {
			return start, 0, nil, err
		}
	}
	urgentDone := make(chan error, 1)
	go func() { urgentDone <- r.injectUrgent(ctx, producer) }()
	if err := <-urgentDone; err != nil {
		return start, 0, nil, err
	}
	return start, enqueueCPU, firstAccepted, nil
}

// baseline runs smtp-source against the SMTP server when asked
// (--smtp-source, a run that sends email): the rate to compare with.
func (r *run) baseline(ctx context.Context) (Baseline, error) {
	if r.opt.SMTPSource == "" || r.opt.Channel == "sms" {
		return Baseline{}, nil
	}
	n := min(r.opt.Jobs, 50000)
	fmt.Fprintf(r.opt.Progress, "baseline: smtp-source, %d messages over %d sessions...\n", n, r.cfg.SMTPConns)
	b, err := runBaseline(ctx, r.opt.SMTPSource, r.cfg.SMTPURL.Reveal(), n, max(r.cfg.SMTPConns, 1))
	if err != nil {
		return Baseline{}, err
	}
	fmt.Fprintf(r.opt.Progress, "baseline: %.0f messages/s\n", b.PerS)
	return b, nil
}

// runDaemons runs every daemon of the run until runCtx ends. The function
// it returns cancels runCtx (with stop), waits for the daemons and returns
// their errors; the daemons are closed then.
func (r *run) runDaemons(runCtx context.Context, stop context.CancelFunc) func() error {
	var daemons sync.WaitGroup
	runErrs := make(chan error, len(r.daemons))
	for _, d := range r.daemons {
		daemons.Go(func() { runErrs <- d.Run(runCtx) })
	}
	return func() error {
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
}

// addCPU sets the CPU figures per job: this process's (cpuUsed, of which
// enqueueCPU enqueued), and the database's and Redis's as probe measured.
func (res *Result) addCPU(cpuUsed, enqueueCPU time.Duration, probe *serviceCPU) {
	n := res.Sent + res.Failed
	if n == 0 {
		return
	}
	perJob := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(n) }
	res.CPUusPerJob = perJob(cpuUsed)
	res.EnqueueCPUusPerJob = perJob(enqueueCPU)
	res.DaemonCPUusPerJob = perJob(cpuUsed - enqueueCPU)
	backends, server, rds, _, _ := probe.Used()
	res.DBCPUusPerJob, res.DBServerCPUusPerJob, res.RedisCPUusPerJob = perJob(backends), perJob(server), perJob(rds)
	res.DBBackends = probe.Backends()
}

// addCampaign sets a campaign run's figures: the time to the first
// accepted send (when firstAccepted has it) and, when everything was
// archived (archived), the time to that and the rate.
func (r *run) addCampaign(res *Result, firstAccepted <-chan time.Duration, allArchived time.Duration, archived bool) {
	res.CampaignID = r.campaignID
	if firstAccepted != nil {
		select {
		case d := <-firstAccepted:
			res.FirstAcceptedMs = float64(d.Microseconds()) / 1e3
		default:
		}
	}
	if archived {
		res.AllArchivedS = allArchived.Seconds()
		res.CampaignPerS = float64(r.opt.Jobs) / res.AllArchivedS
	}
}

// addBaseline sets the smtp-source baseline and the ratios to it, when
// one ran.
func (res *Result) addBaseline(b Baseline) {
	if b.PerS <= 0 {
		return
	}
	res.BaselinePerS, res.BaselineSessions, res.BaselineCommand = b.PerS, b.Sessions, b.Command
	res.BaselineCPUusPerMsg = b.CPUusPerMsg
	res.Ratio = res.ThroughputPerS / b.PerS
	res.CampaignRatio = res.CampaignPerS / b.PerS
}

// addSMSRate sets the SMS rate figures of a rate-limited SMS run.
func (r *run) addSMSRate(res *Result) {
	if r.twilio == nil || r.opt.SMSRate <= 0 {
		return
	}
	res.SMSRateLimit = r.opt.SMSRate * float64(r.opt.Replicas) // each daemon has its own limiter
	res.SMSRatePerS, _ = r.twilio.rate()
	res.SMSRateDeviationPct = (res.SMSRatePerS - res.SMSRateLimit) / res.SMSRateLimit * 100
	res.SMSPeak1s = r.twilio.peak1s()
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
		if err == nil && s.Lag == 0 && s.Pending == 0 && s.Delayed == 0 && s.Length > 0 && r.expanded(ctx) {
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
func (r *run) sends() float64 { return r.sendsOf(r.daemons) }

// archiveBatches adds up the daemons' archive writes and the deliveries
// they carried.
func (r *run) archiveBatches() (writes uint64, deliveries float64) {
	for _, d := range r.daemons {
		var m dto.Metric
		if err := d.Metrics().ArchiveBatch.Write(&m); err == nil {
			writes += m.GetHistogram().GetSampleCount()
			deliveries += m.GetHistogram().GetSampleSum()
		}
	}
	return writes, deliveries
}

func (r *run) sendsOf(daemons []*daemon.Daemon) float64 {
	var total float64
	for _, d := range daemons {
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

// check walks the archive: every job must be there once, sent. It returns
// when the last of the run's deliveries was archived.
func (r *run) check(ctx context.Context, res *Result, sends float64) (time.Time, error) {
	var bulk, urgent []float64
	var last time.Time
	seen := make(map[string]bool, r.opt.Jobs+r.opt.Urgent)
	for _, campaign := range r.campaigns() {
		err := r.store.Walk(ctx, outreach.Filter{Campaign: campaign}, func(d outreach.Delivery) error {
			seen[d.JobID] = true
			if d.UpdatedAt.After(last) {
				last = d.UpdatedAt
			}
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
			if campaign != r.id+"-urgent" {
				bulk = append(bulk, ms)
			} else {
				urgent = append(urgent, ms)
			}
			return nil
		})
		if err != nil {
			return last, fmt.Errorf("check archive: %w", err)
		}
	}
	res.Lost = r.opt.Jobs + r.opt.Urgent - len(seen)
	res.Duplicates = max(0, int(sends)-res.Sent)
	all := append(slices.Clone(bulk), urgent...)
	res.P50ms, res.P99ms = percentile(all, 50), percentile(all, 99)
	res.UrgentP99ms = percentile(urgent, 99)
	return last, nil
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

// startCampaign creates the run's campaign through the first daemon's
// campaign service, as the HTTP API does for a property manager, and
// returns when it did (the start of the measured time).
func (r *run) startCampaign(ctx context.Context) (time.Time, error) {
	for _, d := range r.daemons { // a manager starts a campaign on running daemons
		select {
		case <-d.Running():
		case <-time.After(2 * time.Minute):
			return time.Time{}, errors.New("the daemons did not start reading within 2 minutes")
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("wait for the daemons to run: %w", ctx.Err())
		}
	}
	start := time.Now()
	c, err := r.daemons[0].Campaigns.Create(ctx, r.campaignSpec())
	if err != nil {
		return start, fmt.Errorf("create the bench campaign: %w", err)
	}
	r.campaignID = c.ID
	return start, nil
}

// expanded reports whether the run's campaign (if any) has all its jobs on
// the stream.
func (r *run) expanded(ctx context.Context) bool {
	if r.campaignID == "" {
		return true
	}
	c, err := r.store.Campaign(ctx, r.campaignID)
	return err == nil && c.Occurrence == "" && c.Targeted >= int64(r.opt.Jobs)
}

// watchFirstSend reports, once, how long after start the daemons counted
// their first accepted message. It polls the counter every millisecond
// until then: the counter moves once the message is accepted and
// archived, so the figure is an upper bound of start -> accepted by SMTP.
func (r *run) watchFirstSend(ctx context.Context, start time.Time) <-chan time.Duration {
	ch := make(chan time.Duration, 1)
	daemons := r.daemons
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if r.sendsOf(daemons) > 0 {
				ch <- time.Since(start)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch
}
