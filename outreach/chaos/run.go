package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/queue"
)

// scenarioRun is one scenario in progress.
type scenarioRun struct {
	sc          scenario
	id          string // prefix of its stream, residents and job ids
	stream      string
	keys        queue.Keys
	databaseURL string
	store       outreach.Store
	mount       string // the SQLite archive's tmpfs
	rdb         *redis.Client
	residents   int
	start       time.Time

	mu      sync.Mutex
	daemons []*daemon // every daemon started, killed ones included
	started int
	samples []sample
	faults  []*faultRun

	enqueued atomic.Int64
	// burst asks the producer to enqueue that many of the next jobs at
	// once (before a kill, so that the daemons hold entries).
	burst chan int
}

// sample is one /readyz answer.
type sample struct {
	at     time.Time
	daemon *daemon
	code   int
}

func (sr *scenarioRun) liveDaemons() []*daemon {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	var out []*daemon
	for _, d := range sr.daemons {
		if !d.killed && d.p.alive() {
			out = append(out, d)
		}
	}
	return out
}

func (sr *scenarioRun) startDaemons(ctx context.Context, h *harness, idx []int) error {
	var started []*daemon
	for _, i := range idx {
		d, err := h.startDaemon(sr, i)
		if err != nil {
			return err
		}
		started = append(started, d)
		sr.mu.Lock()
		sr.daemons = append(sr.daemons, d)
		sr.mu.Unlock()
	}
	for _, d := range started {
		err := waitFor(ctx, "daemon "+d.consumer, 60*time.Second, func() error {
			if !d.p.alive() {
				return fmt.Errorf("it exited: %s", d.lastLog())
			}
			if c := d.ready(ctx); c != 200 {
				return fmt.Errorf("/readyz %d", c)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// noteDead records the entries a killed daemon held (read, not acked):
// they were in flight at the kill, and the others must take them over.
func (sr *scenarioRun) noteDead(ctx context.Context, fr *faultRun, d *daemon) error {
	if fr.deadJobs == nil {
		fr.deadJobs = map[string]bool{}
	}
	for _, lane := range sr.lanes() {
		for {
			ps, err := sr.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: lane, Group: "chaos", Start: "-", End: "+", Count: 100000, Consumer: d.consumer}).Result()
			if isNoGroup(err) {
				break
			}
			if err != nil && !errors.Is(err, redis.Nil) {
				if err := sleep(ctx, 200*time.Millisecond); err != nil { // Redis may be coming back
					return err
				}
				continue
			}
			for _, p := range ps {
				msgs, err := sr.rdb.XRange(ctx, lane, p.ID, p.ID).Result()
				if err != nil || len(msgs) == 0 {
					continue
				}
				raw, _ := msgs[0].Values[queue.FieldJob].(string)
				var j outreach.Job
				_ = json.Unmarshal([]byte(raw), &j)
				fr.deadJobs[j.ID] = j.Priority == outreach.PriorityUrgent
			}
			fr.inFlight += len(ps)
			break
		}
	}
	return nil
}

func isNoGroup(err error) bool { return err != nil && redis.HasErrorPrefix(err, "NOGROUP") }

// lanes are the streams of the scenario's lanes, every shard's.
func (sr *scenarioRun) lanes() []string {
	var out []string
	for _, k := range sr.keys.Shards() {
		out = append(out, k.Urgent, k.Stream, k.Bulk)
	}
	return out
}

// settledJobs are the scenario's jobs archived with an outcome or
// dead-lettered.
func (sr *scenarioRun) settledJobs(ctx context.Context) (map[string]bool, error) {
	done, err := sr.deadLetters(ctx)
	if err != nil {
		return nil, err
	}
	err = sr.store.Walk(ctx, outreach.Filter{Campaign: sr.id}, func(d outreach.Delivery) error {
		if d.Status != outreach.StatusRetrying {
			done[d.JobID] = true
		}
		return nil
	})
	return done, err
}

// watchTakeover waits until every job the killed daemons held is settled
// (archived with an outcome, or dead-lettered), noting when the urgent
// ones were and when all were.
func (sr *scenarioRun) watchTakeover(ctx context.Context, fr *faultRun) {
	from := fr.start
	if !fr.takeoverFrom.IsZero() {
		from = fr.takeoverFrom
	}
	for ctx.Err() == nil {
		done, err := sr.settledJobs(ctx)
		if err == nil {
			urgentLeft, left := 0, 0
			for id, urgent := range fr.deadJobs {
				if !done[id] {
					left++
					if urgent {
						urgentLeft++
					}
				}
			}
			sr.mu.Lock()
			if urgentLeft == 0 && fr.takeoverUrgent < 0 {
				fr.takeoverUrgent = time.Since(from)
			}
			if left == 0 {
				fr.takeover = time.Since(from)
			}
			sr.mu.Unlock()
			if left == 0 {
				return
			}
		}
		_ = sleep(ctx, 250*time.Millisecond)
	}
}

// sampleEvery is how often sampleReady asks.
const sampleEvery = 250 * time.Millisecond

// sampleReady asks every live daemon's /readyz every sampleEvery.
func (sr *scenarioRun) sampleReady(ctx context.Context) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sr.mu.Lock()
		ds := slices.Clone(sr.daemons)
		sr.mu.Unlock()
		var wg sync.WaitGroup
		for _, d := range ds {
			if d.killed || !d.p.alive() {
				continue
			}
			wg.Go(func() {
				code := d.ready(ctx)
				sr.mu.Lock()
				sr.samples = append(sr.samples, sample{at: time.Now(), daemon: d, code: code})
				sr.mu.Unlock()
			})
		}
		wg.Wait()
	}
}

func (sr *scenarioRun) residentID(i int) string {
	return fmt.Sprintf("%s-r%04d", sr.id, i%sr.residents)
}

func (sr *scenarioRun) jobID(i int) string { return fmt.Sprintf("%s-j%06d", sr.id, i) }

// job i: every tenth urgent, the rest normal; odd residents take SMS.
func (sr *scenarioRun) job(i int) outreach.Job {
	j := outreach.Job{
		ID: sr.jobID(i), Kind: outreach.KindMaintenanceNotice, ResidentID: sr.residentID(i),
		Priority: outreach.PriorityNormal, Campaign: sr.id,
		Data: map[string]any{"title": "Planned water cut ref " + sr.jobID(i), "area": "Building 3", "start": "2026-12-02 09:00", "end": "2026-12-02 12:00"},
	}
	if i%10 == 0 {
		j.Priority = outreach.PriorityUrgent
	}
	return j
}

func (sr *scenarioRun) createResidents(ctx context.Context) error {
	var batch []outreach.Resident
	for i := range sr.residents {
		r := outreach.Resident{
			ID: sr.residentID(i), Name: fmt.Sprintf("Chaos Resident %d", i), Locale: "en",
			Email: fmt.Sprintf("%s-r%04d@chaos.invalid", sr.id, i), Phone: fmt.Sprintf("+1202555%04d", i),
			Channels: []outreach.Channel{outreach.ChannelEmail},
		}
		if i%2 == 1 {
			r.Channels = []outreach.Channel{outreach.ChannelSMS}
		}
		batch = append(batch, r)
	}
	if _, err := sr.store.UpsertResidents(ctx, batch); err != nil {
		return fmt.Errorf("create the residents: %w", err)
	}
	return nil
}

// produce enqueues the jobs evenly over the scenario's length, as a
// service would; an enqueue that fails (Redis down) is tried again until
// it succeeds, with the same job id.
func (sr *scenarioRun) produce(ctx context.Context, jobs int, over time.Duration) error {
	p := queue.NewProducer(sr.rdb, sr.keys)
	every := over / time.Duration(jobs)
	next := time.Now()
	now := 0 // jobs to enqueue without waiting
	for i := range jobs {
		if now > 0 {
			now--
		} else {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case n := <-sr.burst:
				now = n - 1
			case <-time.After(time.Until(next)):
				next = next.Add(every)
			}
		}
		for {
			if _, err := p.Enqueue(ctx, sr.job(i)); err == nil {
				break
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return err
			}
		}
		sr.enqueued.Add(1)
	}
	return nil
}

// settle waits until the group has nothing left to read, nothing pending
// and nothing delayed, or timeout passes; it returns what is left.
func (sr *scenarioRun) settle(ctx context.Context, timeout time.Duration, logf func(string, ...any)) queue.Stats {
	observer := queue.NewConsumer(sr.rdb, sr.keys, queue.ConsumerOptions{Name: sr.id + "-observer"})
	deadline := time.Now().Add(timeout)
	last := time.Now()
	var s queue.Stats
	for {
		var err error
		s, err = observer.Stats(ctx)
		if err == nil && s.Lag == 0 && s.Pending == 0 && s.Delayed == 0 {
			return s
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return s
		}
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			logf("  settling: lag %d, pending %d, delayed %d, dead %d", s.Lag, s.Pending, s.Delayed, s.Dead)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// deadLetters are the job ids in the scenario's dead-letter streams.
func (sr *scenarioRun) deadLetters(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range sr.keys.Shards() {
		msgs, err := sr.rdb.XRange(ctx, k.Dead, "-", "+").Result()
		if err != nil {
			return nil, fmt.Errorf("read the dead letters: %w", err)
		}
		for _, m := range msgs {
			raw, _ := m.Values[queue.FieldJob].(string)
			var j struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(raw), &j)
			out[j.ID] = true
		}
	}
	return out, nil
}

func removeFile(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("free the disk: %w", err)
	}
	return nil
}

// run runs one scenario and measures it.
func (h *harness) run(ctx context.Context, sc scenario) (Result, error) {
	sr := &scenarioRun{sc: sc, id: fmt.Sprintf("chaos-%s-%s", h.runID, sc.name), residents: min(h.opt.Jobs, 200)}
	sr.stream = "chaos:" + sr.id
	sr.burst = make(chan int)
	sr.keys = queue.NewShardedKeys(sr.stream, "chaos", 1)
	sr.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", h.redis.port)})
	defer sr.rdb.Close()
	sr.databaseURL, sr.store = h.pgURL, h.store
	if sc.sqlite {
		if h.tmpfsErr != "" {
			h.logf("  skipped: %s", h.tmpfsErr)
			return Result{Scenario: sc.name, Skipped: h.tmpfsErr}, nil
		}
		sr.mount = filepath.Join(h.dir, "sqlite-"+sc.name)
		if err := mountTmpfs(sr.mount); err != nil {
			return Result{}, err
		}
		sr.databaseURL = "sqlite://" + filepath.Join(sr.mount, "archive.db")
		st, err := store.Open(ctx, sr.databaseURL)
		if err != nil {
			return Result{}, fmt.Errorf("open the SQLite archive: %w", err)
		}
		defer st.Close()
		sr.store = st
	}
	if err := sr.createResidents(ctx); err != nil {
		return Result{}, err
	}
	idx := make([]int, sc.daemons)
	for i := range idx {
		idx[i] = i
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	defer func() {
		for _, d := range sr.liveDaemons() {
			d.stop()
		}
	}()
	if err := sr.startDaemons(ctx, h, idx); err != nil {
		return Result{}, err
	}
	go sr.sampleReady(runCtx)

	sr.start = time.Now()
	length := sc.length(h.opt)
	produced := make(chan error, 1)
	go func() { produced <- sr.produce(runCtx, h.opt.Jobs, length) }()
	if err := sleep(ctx, h.opt.Gap); err != nil {
		return Result{}, err
	}
	for _, f := range sc.faults {
		fr := &faultRun{f: f, takeover: -1, takeoverUrgent: -1}
		sr.mu.Lock()
		sr.faults = append(sr.faults, fr)
		sr.mu.Unlock()
		h.logf("  fault: %s", f.name)
		if err := f.run(ctx, h, sr, fr); err != nil {
			return Result{}, fmt.Errorf("%s: %w", f.name, err)
		}
		if err := sleep(ctx, h.opt.Gap); err != nil {
			return Result{}, err
		}
	}
	if err := <-produced; err != nil {
		return Result{}, fmt.Errorf("enqueue: %w", err)
	}
	h.logf("  %d jobs enqueued; waiting for the group to settle (at most %v)", sr.enqueued.Load(), h.opt.Settle)
	stats := sr.settle(ctx, h.opt.Settle, h.logf)
	// A takeover still being watched gets a moment to see the last ack.
	time.Sleep(300 * time.Millisecond)
	res, err := h.measure(ctx, sr, stats)
	stopRun()
	if err != nil {
		return res, err
	}
	return res, nil
}
