package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
	"github.com/outreach-dev/outreach/templates"
)

// Unit tests of the stages one by one, without Redis where the stage
// does not touch it.

func TestClassify(t *testing.T) {
	t.Parallel()
	reject := outreach.Reject(outreach.ReasonTemplateError, errors.New("missing title"))
	down := errors.New("connection refused")
	for _, tt := range []struct {
		name string
		err  error
		kind verdictKind
		why  string
		hint time.Duration
	}{
		{"no error", nil, undecided, "", 0},
		{"a rejection", reject, deadLettered, "", 0},
		{"a wrapped rejection", fmt.Errorf("render: %w", reject), deadLettered, "", 0},
		{"a pending error", pending("archive write failed", down), keepPending, "", 0},
		{"the store's", inStore(down), retried, "store", 0},
		{"a rejection from the store stays one", inStore(reject), deadLettered, "", 0},
		{"a provider's", temporary429, retried, "twilio_429", 7 * time.Second},
		{"anything else", down, retried, "other", 0},
	} {
		v := classify(tt.err)
		if v.kind != tt.kind || v.why != tt.why || v.hint != tt.hint {
			t.Errorf("%s: classify = %+v, want kind %d why %q hint %v", tt.name, v, tt.kind, tt.why, tt.hint)
		}
	}
	if v := classify(pending("archive write failed", down)); v.msg != "archive write failed" || v.cause != down {
		t.Errorf("pending verdict = %+v, want its message and cause", v)
	}
}

// TestFailuresVerdict: temporary failures are retried before a template
// error dead-letters the job, unless it is the last attempt; the longest
// Retry-After wins.
func TestFailuresVerdict(t *testing.T) {
	t.Parallel()
	reject := outreach.Reject(outreach.ReasonTemplateError, errors.New("missing title"))
	for _, tt := range []struct {
		name    string
		errs    []error
		lastTry bool
		want    verdictKind
	}{
		{"nothing failed", []error{nil, nil}, false, acked},
		{"a temporary failure", []error{temporary451}, false, retried},
		{"retry before the rejection", []error{reject, temporary451}, false, retried},
		{"the rejection on the last attempt", []error{temporary451, reject}, true, deadLettered},
		{"a temporary failure on the last attempt", []error{temporary451}, true, retried},
		{"a rejection", []error{reject}, false, deadLettered},
	} {
		var f failures
		for _, err := range tt.errs {
			f.note(err)
		}
		if got := f.verdict(tt.lastTry); got.kind != tt.want {
			t.Errorf("%s: verdict %+v, want kind %d", tt.name, got, tt.want)
		}
	}
	var f failures
	f.note(temporary429)
	f.note(temporary451)
	if v := f.verdict(false); v.hint != 7*time.Second || v.why != "smtp_4xx" {
		t.Errorf("verdict %+v, want the last failure with the longest Retry-After", v)
	}
}

// TestPipelineOrder: the stages run in the order docs/design.md draws.
func TestPipelineOrder(t *testing.T) {
	t.Parallel()
	var names []string
	for _, st := range pipeline {
		names = append(names, st.name)
	}
	want := []string{"decode", "defer until send_at", "campaign gate", "lock", "audience", "dedupe", "estates", "deliver", "record", "schedule what waits"}
	if !slices.Equal(names, want) {
		t.Errorf("pipeline %q, want %q", names, want)
	}
	var per []metrics.Stage
	for _, st := range residentStages {
		per = append(per, st.metric)
	}
	if !slices.Equal(per, []metrics.Stage{metrics.StageRoute, metrics.StagePolicy, untimed}) {
		t.Errorf("resident stages %v, want route, policy, send", per)
	}
}

// TestRunStagesStopsAtVerdict: the stage that decides ends the attempt, an
// error is classified, and a prefetched stage is neither run nor timed.
func TestRunStagesStopsAtVerdict(t *testing.T) {
	t.Parallel()
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: nopSender{}}, nil)
	var ran []string
	step := func(name string, err error, v verdictKind) stage {
		return stage{name: name, metric: metrics.StageDecode, run: func(_ *Dispatcher, _ context.Context, a *attempt) error {
			ran = append(ran, name)
			if v != undecided {
				a.verdict = verdict{kind: v}
			}
			return err
		}}
	}
	skipped := step("prefetched", nil, undecided)
	skipped.prefetched = func(*attempt) bool { return true }
	a := newAttempt(d.logger, queue.Entry{ID: "1-0"}, nil)
	d.runStages(t.Context(), []stage{step("a", nil, undecided), skipped, step("b", nil, settled), step("c", nil, undecided)}, a)
	if !slices.Equal(ran, []string{"a", "b"}) || a.verdict.kind != settled {
		t.Errorf("ran %v, verdict %+v; want a and b, settled", ran, a.verdict)
	}
	if got := testutil.ToFloat64(d.metrics.Stages.Total.WithLabelValues("decode", "ok")); got != 2 {
		t.Errorf("decode stage counted %v times, want 2 (the prefetched one is not)", got)
	}
	ran = nil
	a = newAttempt(d.logger, queue.Entry{ID: "1-0"}, nil)
	d.runStages(t.Context(), []stage{step("a", inStore(errors.New("down")), undecided), step("b", nil, undecided)}, a)
	if !slices.Equal(ran, []string{"a"}) || a.verdict.kind != retried || a.verdict.why != "store" {
		t.Errorf("ran %v, verdict %+v; want a only, retried for the store", ran, a.verdict)
	}
	if got := testutil.ToFloat64(d.metrics.Stages.Total.WithLabelValues("decode", "error")); got != 1 {
		t.Errorf("decode errors counted %v, want 1", got)
	}
}

func TestDecodeStage(t *testing.T) {
	t.Parallel()
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: nopSender{}}, nil)
	for _, tt := range []struct {
		name   string
		e      queue.Entry
		reason outreach.Reason
		jobID  string
	}{
		{"no job field", queue.Entry{ID: "1-0"}, outreach.ReasonNoJobField, ""},
		{"not JSON", queue.Entry{ID: "1-0", HasJob: true, Job: []byte(`{"id":"j1",`)}, outreach.ReasonBadJSON, ""},
		{"unknown kind", queue.Entry{ID: "1-0", HasJob: true, Job: []byte(`{"id":"j1","kind":"tea","resident_id":"r1"}`)}, outreach.ReasonUnknownKind, "j1"},
	} {
		a := newAttempt(d.logger, tt.e, nil)
		err := d.decodeStage(t.Context(), a)
		if reason, _ := outreach.RejectReason(err); reason != tt.reason || a.job.ID != tt.jobID {
			t.Errorf("%s: decode = %v, job %+v; want %s, the loose job %q", tt.name, err, a.job, tt.reason, tt.jobID)
		}
	}
	a := newAttempt(d.logger, queue.Entry{ID: "7-0", HasJob: true, Job: []byte(`{"kind":"follow_up","resident_id":"r1","data":{"topic":"x"}}`)}, nil)
	if err := d.decodeStage(t.Context(), a); err != nil || a.job.ID == "" || a.job.ResidentID != "r1" {
		t.Fatalf("decode = %v, job %+v; want the job with the entry's id", err, a.job)
	}
	if got := testutil.ToFloat64(d.metrics.JobsReceived.WithLabelValues("follow_up")); got != 1 {
		t.Errorf("jobs received %v, want 1", got)
	}
}

// TestDeliverStageStopsAtDefaultVariantRejection: a template error in the
// default variant ends the deliveries (every resident would fail alike).
func TestDeliverStageStopsAtDefaultVariantRejection(t *testing.T) {
	t.Parallel()
	var log callLog
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: log.sender(outreach.ChannelEmail, nil)}, nil)
	job := outreach.Job{ID: "j", Kind: outreach.KindMaintenanceNotice, Audience: &outreach.Audience{All: true}, Data: map[string]any{}} // no title
	a := testAttempt(d, job, queue.Entry{ID: "1-0"})
	a.residents = []outreach.Resident{{ID: "r1", Email: "a@example.com"}, {ID: "r2", Email: "b@example.com"}}
	if err := d.deliverStage(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if len(a.records) != 1 || a.records[0].ResidentID != "r1" || a.failed.reject.kind != deadLettered || len(log.calls) != 0 {
		t.Errorf("records %+v, failures %+v, sent %v; want r1's failed record only and a rejection", a.records, a.failed, log.calls)
	}
	if v := a.failed.verdict(false); v.kind != deadLettered {
		t.Errorf("verdict %+v, want dead-lettered", v)
	}
}

// TestDeliverStageSkipsSettledResidents: a resident the policy suppressed
// on an earlier attempt gets nothing; the others are addressed by
// apartment in the archive.
func TestDeliverStageSkipsSettledResidents(t *testing.T) {
	t.Parallel()
	var log callLog
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: log.sender(outreach.ChannelEmail, nil)}, nil)
	job := noticeJob("")
	job.ResidentID, job.Audience = "", &outreach.Audience{All: true}
	a := testAttempt(d, job, queue.Entry{ID: "1-0"})
	a.residents = []outreach.Resident{{ID: "r1", Email: "a@example.com", Building: "3", Unit: "301"}, {ID: "r2", Email: "b@example.com"}}
	a.prior = map[string]map[outreach.Channel]outreach.Outcome{"r2": {"": {Status: outreach.StatusSuppressed}}}
	if err := d.deliverStage(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if len(a.records) != 1 || a.records[0].ResidentID != "r1" || a.records[0].Building != "3" || a.records[0].Unit != "301" {
		t.Errorf("records %+v; want r1's, with the apartment", a.records)
	}
	if v := a.failed.verdict(false); v.kind != acked {
		t.Errorf("verdict %+v, want acked", v)
	}
}

// TestNewDelivery: every record starts with the job's ids, the entry's
// attempt and one timestamp.
func TestNewDelivery(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 2, 16, 10, 0, 0, 0, time.UTC)
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: nopSender{}}, func(c *Config) { c.Now = func() time.Time { return at } })
	rec := d.newDelivery(outreach.Job{ID: "j", Kind: outreach.KindFollowUp, Campaign: "c"}, queue.Entry{ID: "5-0", Attempt: 2}, "r1", outreach.ChannelSMS)
	want := outreach.Delivery{ID: outreach.DeliveryID("j", "r1", outreach.ChannelSMS), JobID: "j", StreamID: "5-0", ResidentID: "r1",
		Kind: outreach.KindFollowUp, Channel: outreach.ChannelSMS, Attempts: 3, Campaign: "c", CreatedAt: at, UpdatedAt: at}
	if fmt.Sprintf("%+v", rec) != fmt.Sprintf("%+v", want) {
		t.Errorf("newDelivery = %+v\nwant %+v", rec, want)
	}
}

// The stages that talk to Redis and the store, on real ones.

// fixture is a Dispatcher on real Redis (a stream of its own) and an
// in-memory SQLite archive, with its batchers running, and resident r1.
type fixture struct {
	d     *Dispatcher
	store outreach.Store
	rdb   redis.UniversalClient
	prod  *queue.Producer
	sent  *callLog
}

func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	rdb := queuetest.Redis(t)
	keys := queuetest.Keys(t, rdb, "stages", "")
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.UpsertResidents(t.Context(), []outreach.Resident{{ID: "r1", Name: "Wang", Email: "wang@example.com", Locale: "en"}}); err != nil {
		t.Fatal(err)
	}
	tmpl, err := templates.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{rdb: rdb, store: st, prod: queue.NewProducer(rdb, keys), sent: &callLog{}}
	cfg := Config{
		Consumer:  queue.NewConsumer(rdb, keys, queue.ConsumerOptions{Block: 10 * time.Millisecond}),
		Store:     st,
		Templates: tmpl,
		Senders:   map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: f.sent.sender(outreach.ChannelEmail, nil)},
		Metrics:   metrics.New(prometheus.NewRegistry()),
	}
	if edit != nil {
		edit(&cfg)
	}
	if f.d, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.d.q.EnsureGroup(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.d.startBatchers(t.Context())
	t.Cleanup(func() { f.d.stopBatchers() })
	return f
}

// read enqueues jobs and reads them as the group's consumer: they are
// pending until settled.
func (f *fixture) read(t *testing.T, jobs ...outreach.Job) []queue.Entry {
	t.Helper()
	for _, job := range jobs {
		if _, err := f.prod.Enqueue(t.Context(), job); err != nil {
			t.Fatal(err)
		}
	}
	var entries []queue.Entry
	for range 100 {
		got, err := f.d.q.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if entries = append(entries, got...); len(entries) >= len(jobs) {
			return entries
		}
	}
	t.Fatalf("read %d of %d entries", len(entries), len(jobs))
	return nil
}

// settle flushes the batched acks and unlocks (and starts new batchers)
// and returns the queue's figures.
func (f *fixture) settle(t *testing.T) queue.Stats {
	t.Helper()
	f.d.stopBatchers()
	f.d.startBatchers(t.Context())
	s, err := f.d.q.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// outcomes are the archive's records of job id, as "resident/channel:status".
func (f *fixture) outcomes(t *testing.T, id string) []string {
	t.Helper()
	recs, err := f.store.Search(t.Context(), outreach.Filter{JobID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s/%s:%s", r.ResidentID, r.Channel, r.Status))
	}
	slices.Sort(out)
	return out
}

// free reports whether the job's lock can be taken (by a checker that
// keeps it).
func (f *fixture) free(t *testing.T, jobID string) bool {
	t.Helper()
	ok, err := f.d.q.Lock(t.Context(), jobID, "checker", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func emailJob(id string) outreach.Job {
	job := noticeJob("")
	job.ID, job.Channels = id, []outreach.Channel{outreach.ChannelEmail}
	return job
}

func TestProcessSendsRecordsAndAcks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	e := f.read(t, emailJob("j-sent"))[0]
	f.d.process(t.Context(), e, nil)
	s := f.settle(t)
	if got := f.outcomes(t, "j-sent"); !slices.Equal(got, []string{"r1/email:sent"}) {
		t.Errorf("archive %v, want r1's email sent", got)
	}
	if s.Pending != 0 || !f.free(t, "j-sent") {
		t.Errorf("pending %d, lock free %v; want the entry acked and the lock released", s.Pending, f.free(t, "j-sent"))
	}
	for _, st := range []string{"decode", "audience", "dedupe", "route", "policy", "render", "send", "record"} {
		if got := testutil.ToFloat64(f.d.metrics.Stages.Total.WithLabelValues(st, "ok")); got != 1 {
			t.Errorf("stage %s counted %v times, want 1", st, got)
		}
	}
}

// TestProcessPrefetched: what the read batch did is not done again.
func TestProcessPrefetched(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	entries := f.read(t, emailJob("j-pre"))
	pres := f.d.prefetch(t.Context(), entries)
	p := pres[0]
	if p == nil || !p.decoded || !p.lockTried || !p.locked || len(p.residents) != 1 || !p.priorOK {
		t.Fatalf("prefetched %+v; want decoded, locked, the resident and the outcomes", p)
	}
	f.d.process(t.Context(), entries[0], p)
	s := f.settle(t)
	if got := f.outcomes(t, "j-pre"); !slices.Equal(got, []string{"r1/email:sent"}) || s.Pending != 0 || !f.free(t, "j-pre") {
		t.Errorf("archive %v, pending %d; want sent, acked, unlocked", got, s.Pending)
	}
	for _, st := range []string{"decode", "audience", "dedupe"} {
		if got := testutil.ToFloat64(f.d.metrics.Stages.Total.WithLabelValues(st, "ok")); got != 1 {
			t.Errorf("stage %s counted %v times, want once (by the batch)", st, got)
		}
	}
}

func TestProcessDefersUntilSendAt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	job := emailJob("j-later")
	at := time.Now().Add(time.Hour)
	job.SendAt = &at
	f.d.process(t.Context(), f.read(t, job)[0], nil)
	s := f.settle(t)
	if s.Delayed != 1 || s.Pending != 0 || len(f.outcomes(t, "j-later")) != 0 || len(f.sent.calls) != 0 {
		t.Errorf("delayed %d, pending %d, archive %v, sent %v; want it waiting, acked, nothing else", s.Delayed, s.Pending, f.outcomes(t, "j-later"), f.sent.calls)
	}
}

func TestProcessLockedElsewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if ok, err := f.d.q.Lock(t.Context(), "j-locked", "another-daemon", time.Minute); !ok || err != nil {
		t.Fatalf("lock = %v, %v", ok, err)
	}
	f.d.process(t.Context(), f.read(t, emailJob("j-locked"))[0], nil)
	s := f.settle(t)
	if s.Delayed != 1 || s.Pending != 0 || len(f.outcomes(t, "j-locked")) != 0 {
		t.Errorf("delayed %d, pending %d, archive %v; want it back later, nothing archived", s.Delayed, s.Pending, f.outcomes(t, "j-locked"))
	}
	if f.free(t, "j-locked") {
		t.Errorf("the other holder's lock was released")
	}
}

func TestProcessUnknownResident(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	job := emailJob("j-nobody")
	job.ResidentID = "nobody"
	f.d.process(t.Context(), f.read(t, job)[0], nil)
	s := f.settle(t)
	if got := f.outcomes(t, "j-nobody"); s.Dead != 1 || s.Pending != 0 || !slices.Equal(got, []string{"nobody/:failed"}) {
		t.Errorf("dead %d, pending %d, archive %v; want dead-lettered and archived as failed", s.Dead, s.Pending, got)
	}
	if got := testutil.ToFloat64(f.d.metrics.DeadLetters.WithLabelValues(string(outreach.ReasonUnknownResident))); got != 1 {
		t.Errorf("dead letters for unknown_resident = %v, want 1", got)
	}
}

func TestProcessCampaignGate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for id, state := range map[string]outreach.CampaignState{"paused": outreach.CampaignPaused, "cancelled": outreach.CampaignCancelled} {
		now := time.Now().UTC()
		if err := f.store.CreateCampaign(t.Context(), outreach.Campaign{ID: id, Name: id, Kind: outreach.KindMaintenanceNotice,
			Audience: outreach.Audience{All: true}, State: state, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	held, cancelled := emailJob("j-held"), emailJob("j-cancelled")
	held.Campaign, cancelled.Campaign = "paused", "cancelled"
	entries := f.read(t, held, cancelled)
	for _, e := range entries {
		f.d.process(t.Context(), e, nil)
	}
	s := f.settle(t)
	if got := testutil.ToFloat64(f.d.metrics.CampaignJobsHeld); got != 1 || s.Pending != 0 || len(f.outcomes(t, "j-held")) != 0 {
		t.Errorf("held %v, pending %d, archive %v; want the paused campaign's job held", got, s.Pending, f.outcomes(t, "j-held"))
	}
	if got := f.outcomes(t, "j-cancelled"); !slices.Equal(got, []string{"r1/email:suppressed"}) || len(f.sent.calls) != 0 {
		t.Errorf("archive %v, sent %v; want the cancelled campaign's delivery suppressed", got, f.sent.calls)
	}
}

// TestProcessQuietHours: a deferral is a verdict: the record says
// deferred, the resident's copy waits, and the entry is acked.
func TestProcessQuietHours(t *testing.T) {
	t.Parallel()
	night := time.Date(2027, 2, 16, 23, 0, 0, 0, time.UTC)
	f := newFixture(t, func(c *Config) {
		c.Policy = policy.Rules{QuietHours: policy.MustParseQuietHours("21:00-08:00")}
		c.Now = func() time.Time { return night }
	})
	job := outreach.Job{ID: "j-quiet", Kind: outreach.KindHolidayGreeting, ResidentID: "r1", Data: greetingData, Priority: outreach.PriorityBulk}
	f.d.process(t.Context(), f.read(t, job)[0], nil)
	s := f.settle(t)
	if got := f.outcomes(t, "j-quiet"); !slices.Equal(got, []string{"r1/email:deferred"}) || s.Delayed != 1 || s.Pending != 0 || len(f.sent.calls) != 0 {
		t.Errorf("archive %v, delayed %d, pending %d, sent %v; want deferred, waiting, acked", got, s.Delayed, s.Pending, f.sent.calls)
	}
}

// TestProcessFollowUp: a sent job with a follow-up schedules it.
func TestProcessFollowUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	job := emailJob("j-fu")
	job.FollowUp = &outreach.FollowUp{Kind: outreach.KindFollowUp, After: outreach.Duration(time.Hour), Data: map[string]any{"topic": "lift"}}
	f.d.process(t.Context(), f.read(t, job)[0], nil)
	s := f.settle(t)
	if s.Delayed != 1 || s.Pending != 0 || testutil.ToFloat64(f.d.metrics.FollowUps.WithLabelValues("follow_up")) != 1 {
		t.Errorf("delayed %d, pending %d; want the follow-up waiting and the entry acked", s.Delayed, s.Pending)
	}
}

func TestProcessTemporaryFailureRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) {
		c.Senders = map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: (&callLog{}).sender(outreach.ChannelEmail, temporary451)}
	})
	f.d.process(t.Context(), f.read(t, emailJob("j-retry"))[0], nil)
	s := f.settle(t)
	if got := f.outcomes(t, "j-retry"); !slices.Equal(got, []string{"r1/email:retrying"}) || s.Delayed != 1 || s.Pending != 0 {
		t.Errorf("archive %v, delayed %d, pending %d; want retrying, back later, acked", got, s.Delayed, s.Pending)
	}
	if got := testutil.ToFloat64(f.d.metrics.Retries.WithLabelValues(string(outreach.KindMaintenanceNotice), "smtp_4xx")); got != 1 {
		t.Errorf("retries = %v, want 1", got)
	}
}

// failingStore is an archive whose Outcomes or Record fail.
type failingStore struct {
	outreach.Store
	outcomes, record error
}

func (s failingStore) Outcomes(ctx context.Context, jobID string) ([]outreach.Outcome, error) {
	if s.outcomes != nil {
		return nil, s.outcomes
	}
	return s.Store.Outcomes(ctx, jobID)
}

func (s failingStore) Record(ctx context.Context, ds []outreach.Delivery) error {
	if s.record != nil {
		return s.record
	}
	return s.Store.Record(ctx, ds)
}

// TestProcessStoreDownGivesUp: a store failure before anything is sent is
// retried, and on the last attempt the job is dead-lettered and archived.
func TestProcessStoreDownGivesUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.MaxAttempts = 1 })
	f.d.store = failingStore{Store: f.store, outcomes: errors.New("database is locked")}
	f.d.process(t.Context(), f.read(t, emailJob("j-down"))[0], nil)
	s := f.settle(t)
	if got := f.outcomes(t, "j-down"); s.Dead != 1 || s.Pending != 0 || !slices.Equal(got, []string{"r1/:failed"}) || !f.free(t, "j-down") {
		t.Errorf("dead %d, pending %d, archive %v; want retries exhausted, archived, unlocked", s.Dead, s.Pending, got)
	}
	if got := testutil.ToFloat64(f.d.metrics.DeadLetters.WithLabelValues(string(outreach.ReasonRetriesExhausted))); got != 1 {
		t.Errorf("dead letters for retries_exhausted = %v, want 1", got)
	}
}

// TestProcessArchiveDownLeavesPending: an outcome that cannot be archived
// within ArchiveRetry leaves the entry pending (it is claimed again), and
// the lock released.
func TestProcessArchiveDownLeavesPending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.ArchiveRetry = 50 * time.Millisecond })
	f.d.stopBatchers()
	f.d.store = failingStore{Store: f.store, record: errors.New("disk full")}
	f.d.startBatchers(t.Context())
	f.d.process(t.Context(), f.read(t, emailJob("j-pending"))[0], nil)
	s := f.settle(t)
	if s.Pending != 1 || !f.free(t, "j-pending") {
		t.Errorf("pending %d; want the entry pending and its lock released", s.Pending)
	}
}

// flakyStore is an archive whose first writes fail.
type flakyStore struct {
	outreach.Store
	mu    sync.Mutex
	fails int // writes still to fail
}

func (s *flakyStore) Record(ctx context.Context, ds []outreach.Delivery) error {
	s.mu.Lock()
	fail := s.fails > 0
	s.fails--
	s.mu.Unlock()
	if fail {
		return errors.New("database or disk is full")
	}
	return s.Store.Record(ctx, ds)
}

// TestProcessArchiveBackArchivesWhatWasSent: while the archive fails, the
// attempt that sent the message tries the write again and archives it once
// the archive is back: sent once, archived, acked; /readyz's archive check
// said down meanwhile and up after.
func TestProcessArchiveBackArchivesWhatWasSent(t *testing.T) {
	t.Parallel()
	health := NewHealth()
	f := newFixture(t, func(c *Config) { c.Health = health })
	f.d.stopBatchers()
	flaky := &flakyStore{Store: f.store, fails: HealthFailures + 1}
	f.d.store = flaky
	f.d.startBatchers(t.Context())
	f.d.process(t.Context(), f.read(t, emailJob("j-full"))[0], nil)
	s := f.settle(t)
	if got := f.outcomes(t, "j-full"); !slices.Equal(got, []string{"r1/email:sent"}) || s.Pending != 0 || len(f.sent.calls) != 1 {
		t.Errorf("archive %v, pending %d, sends %d; want sent once, archived, acked", got, s.Pending, len(f.sent.calls))
	}
	if err := health.Check(HealthArchive)(t.Context()); err != nil {
		t.Errorf("archive check after the write went through: %v, want ready", err)
	}
	health.Observe(HealthArchive, errors.New("disk full"))
	health.Observe(HealthArchive, errors.New("disk full"))
	health.Observe(HealthArchive, errors.New("disk full"))
	if err := health.Check(HealthArchive)(t.Context()); err == nil {
		t.Error("archive check after failed writes: ready, want down")
	}
}

// panicSender panics when it sends.
type panicSender struct{}

func (panicSender) Channel() outreach.Channel { return outreach.ChannelEmail }
func (panicSender) Send(context.Context, outreach.Message) (outreach.Receipt, error) {
	panic("provider library bug")
}
func (panicSender) Close() error { return nil }

// TestProcessSafelyPanic: a panic dead-letters the entry and the lock is
// released on the way out.
func TestProcessSafelyPanic(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) {
		c.Senders = map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: panicSender{}}
	})
	f.d.processSafely(t.Context(), f.read(t, emailJob("j-panic"))[0], nil)
	s := f.settle(t)
	if s.Dead != 1 || s.Pending != 0 || !f.free(t, "j-panic") {
		t.Errorf("dead %d, pending %d; want dead-lettered and unlocked", s.Dead, s.Pending)
	}
	if got := testutil.ToFloat64(f.d.metrics.DeadLetters.WithLabelValues(string(outreach.ReasonInternal))); got != 1 {
		t.Errorf("dead letters for internal = %v, want 1", got)
	}
}

// blockingSender sends nothing until its context ends.
type blockingSender struct{ started chan struct{} }

func (blockingSender) Channel() outreach.Channel { return outreach.ChannelEmail }
func (s blockingSender) Send(ctx context.Context, _ outreach.Message) (outreach.Receipt, error) {
	close(s.started)
	<-ctx.Done()
	return outreach.Receipt{}, ctx.Err()
}
func (blockingSender) Close() error { return nil }

// TestRunShutdownBoundedByGrace: Run returns after the grace period even
// when a send never ends; the unfinished entry stays pending, and nothing
// is written after the grace period.
func TestRunShutdownBoundedByGrace(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	f := newFixture(t, func(c *Config) {
		c.Senders = map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: blockingSender{started: started}}
		c.ShutdownGrace = 50 * time.Millisecond
		c.SendTimeout = time.Hour
	})
	f.d.stopBatchers() // Run starts its own
	if _, err := f.prod.Enqueue(t.Context(), emailJob("j-stuck")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.d.Run(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	f.d.startBatchers(t.Context()) // for the fixture's cleanup
	s, err := f.d.q.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Pending != 1 || len(f.outcomes(t, "j-stuck")) != 0 {
		t.Errorf("pending %d, archive %v; want the entry pending and nothing archived", s.Pending, f.outcomes(t, "j-stuck"))
	}
}

// TestRunProcessesAndStops: Run reads, sends, archives and acks a job, and
// returns nil once its context is cancelled.
func TestRunProcessesAndStops(t *testing.T) {
	t.Parallel()
	ready := make(chan bool, 1)
	var f *fixture
	f = newFixture(t, func(c *Config) {
		c.ClaimEvery, c.StatsEvery, c.PromoteEvery = 20*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
		// Ready comes once the groups exist: the group answers XINFO then.
		c.Ready = func() {
			_, err := f.d.q.Stats(context.Background())
			ready <- err == nil
		}
	})
	f.d.stopBatchers()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.d.Run(ctx) }()
	if _, err := f.prod.Enqueue(t.Context(), emailJob("j-run")); err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if len(f.outcomes(t, "j-run")) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	select {
	case ok := <-ready:
		if !ok {
			t.Error("Ready was called before the consumer group existed")
		}
	default:
		t.Error("Run never called Ready")
	}
	f.d.startBatchers(t.Context())
	s, err := f.d.q.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := f.outcomes(t, "j-run"); !slices.Equal(got, []string{"r1/email:sent"}) || s.Pending != 0 {
		t.Errorf("archive %v, pending %d; want sent and acked", got, s.Pending)
	}
}

// TestAudienceStage: an inline resident is stored and read back, an
// audience is resolved from the directory, a job for chat groups only
// reads no audience, and an unknown resident is a rejection.
func TestAudienceStage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	names := func(rs []outreach.Resident) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	inline := emailJob("j-inline")
	inline.ResidentID, inline.Resident = "", &outreach.Resident{ID: "r9", Name: "Li", Email: "li@example.com", Locale: "en"}
	all := emailJob("j-all")
	all.ResidentID, all.Audience = "", &outreach.Audience{All: true}
	groups := all
	groups.Channels = []outreach.Channel{outreach.ChannelWeCom}
	for _, tt := range []struct {
		job  outreach.Job
		want []string
	}{{inline, []string{"r9"}}, {all, []string{"r1", "r9"}}, {groups, nil}} {
		a := testAttempt(f.d, tt.job, queue.Entry{ID: "1-0"})
		if err := f.d.audienceStage(t.Context(), a); err != nil || !slices.Equal(names(a.residents), tt.want) {
			t.Errorf("%s: audience %v, %v; want %v", tt.job.ID, names(a.residents), err, tt.want)
		}
	}
	unknown := emailJob("j-unknown")
	unknown.ResidentID = "nobody"
	if err := f.d.audienceStage(t.Context(), testAttempt(f.d, unknown, queue.Entry{ID: "1-0"})); classify(err).kind != deadLettered {
		t.Errorf("unknown resident: %v, want a rejection", err)
	}
}

// TestClaim: an entry left pending by a consumer that went away is handed
// to the workers; one in progress here is not; one claimed too often is
// dead-lettered instead.
func TestClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	other := queue.NewConsumer(f.rdb, f.d.q.Keys(), queue.ConsumerOptions{Name: "gone", Block: 10 * time.Millisecond, MinIdle: time.Millisecond})
	f.d.q = queue.NewConsumer(f.rdb, f.d.q.Keys(), queue.ConsumerOptions{Name: "here", Block: 10 * time.Millisecond, MinIdle: time.Millisecond})
	if _, err := f.prod.Enqueue(t.Context(), emailJob("j-left")); err != nil {
		t.Fatal(err)
	}
	var left []queue.Entry
	for len(left) == 0 {
		got, err := other.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		left = got
	}
	time.Sleep(5 * time.Millisecond) // idle longer than MinIdle
	work := make(chan item, 10)
	f.d.claim(t.Context(), make(chan item, 10), work)
	if len(work) != 1 {
		t.Fatalf("claimed %d entries, want 1", len(work))
	}
	it := <-work
	if it.e.ID != left[0].ID {
		t.Errorf("claimed %s, want %s", it.e.ID, left[0].ID)
	}
	time.Sleep(5 * time.Millisecond)
	f.d.claim(t.Context(), make(chan item, 10), work) // still in flight here: skipped
	if len(work) != 0 {
		t.Errorf("an entry in progress was claimed again")
	}

	f.d.rejectClaimedTooOften(t.Context(), it.e, 6)
	s := f.settle(t)
	if got := f.outcomes(t, "j-left"); s.Dead != 1 || !slices.Equal(got, []string{"r1/:failed"}) {
		t.Errorf("dead %d, archive %v; want the entry dead-lettered and archived as failed", s.Dead, got)
	}
	if got := testutil.ToFloat64(f.d.metrics.DeadLetters.WithLabelValues(string(outreach.ReasonClaimedTooOften))); got != 1 {
		t.Errorf("dead letters for claimed_too_often = %v, want 1", got)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tmpl, err := templates.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	full := Config{Consumer: &queue.Consumer{}, Store: failingStore{}, Templates: tmpl, Metrics: metrics.New(prometheus.NewRegistry()),
		Senders: map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: nopSender{}}}
	if _, err := New(full); err != nil {
		t.Fatalf("New(full) = %v", err)
	}
	for name, edit := range map[string]func(*Config){
		"Consumer":  func(c *Config) { c.Consumer = nil },
		"Store":     func(c *Config) { c.Store = nil },
		"Templates": func(c *Config) { c.Templates = nil },
		"Metrics":   func(c *Config) { c.Metrics = nil },
		"sender":    func(c *Config) { c.Senders = nil },
		"positive":  func(c *Config) { c.Workers = -1 },
	} {
		c := full
		edit(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: New = %v, want an error naming it", name, err)
		}
	}
}

// An attempt's log lines lead with the job's attributes once it is
// decoded, and before that carry only their own.
func TestAttemptLogAttrs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := newAttempt(slog.New(slog.NewJSONHandler(&buf, nil)), queue.Entry{ID: "7-0", Attempt: 2}, nil)
	a.logAttrs(t.Context(), slog.LevelError, "before", slog.Int("n", 1))
	a.job, a.decoded = outreach.Job{ID: "j1", Kind: outreach.KindMaintenanceNotice}, true
	a.logAttrs(t.Context(), slog.LevelInfo, "after", slog.Int("n", 2))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %q, want 2 lines", buf.String())
	}
	if strings.Contains(lines[0], "job_id") || !strings.Contains(lines[0], `"msg":"before","n":1}`) {
		t.Errorf("before decoding: %s", lines[0])
	}
	if want := `"msg":"after","job_id":"j1","kind":"maintenance_notice","entry_id":"7-0","attempt":2,"n":2}`; !strings.HasSuffix(lines[1], want) {
		t.Errorf("after decoding: %s, want it to end %s", lines[1], want)
	}
}

// BenchmarkAttemptLog is an attempt's logging when the daemon logs at
// warn: accepting the job and its "job done" line (not logged).
func BenchmarkAttemptLog(b *testing.B) {
	d := &Dispatcher{logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
		metrics: metrics.New(prometheus.NewRegistry())}
	job := outreach.Job{ID: "wo-1042", Kind: outreach.KindMaintenanceNotice}
	b.ReportAllocs()
	for b.Loop() {
		a := newAttempt(d.logger, queue.Entry{ID: "1-0", Attempt: 1}, nil)
		d.accept(a, job)
		a.logAttrs(b.Context(), slog.LevelInfo, "job done", slog.Int("deliveries", 1), slog.Duration("took", time.Millisecond))
	}
}
