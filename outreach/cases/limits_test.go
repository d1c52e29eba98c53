package cases_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestEstateLimits: an estate's case_limits come before the daemon's
// OUTREACH_CASE_LIMITS, which come before the practice's defaults; the
// acknowledgment promises the estate's figure, and the escalation and the
// follow-up go at the limits that apply. Another estate keeps the
// defaults.
func TestEstateLimits(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		if err := f.st.CreateEstate(ctx, outreach.Estate{ID: "harbour", Name: "海港城", CaseLimits: "lift: respond=1h; noise: acknowledge=30m"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.UpsertResidents(ctx, []outreach.Resident{
			{ID: "h1", Name: "陈静", Estate: "harbour", Phone: "+8613800138011", Locale: "zh-CN"},
			{ID: "hs", Name: "周工", Estate: "harbour", Phone: "+8613800138012", Tags: []string{"staff"}},
		}); err != nil {
			t.Fatal(err)
		}
		daemonLimits, err := outreach.ParseCaseLimits("lift: acknowledge=10m; *: follow_up=48h")
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Settings.Limits = daemonLimits

		limits := func(c outreach.Case) map[string]time.Duration {
			m := map[string]time.Duration{}
			for _, tm := range c.Timers {
				m[tm.Stage] = tm.Limit
			}
			return m
		}
		here := f.open(t, lift("h1"))
		want := map[string]time.Duration{outreach.StageAcknowledge: 10 * time.Minute, outreach.StageRespond: time.Hour, outreach.StageResolve: 48 * time.Hour}
		if got := limits(here); len(got) != 3 || got[outreach.StageAcknowledge] != want[outreach.StageAcknowledge] ||
			got[outreach.StageRespond] != want[outreach.StageRespond] || got[outreach.StageResolve] != want[outreach.StageResolve] {
			t.Errorf("harbour lift limits = %v, want %v (the daemon's acknowledge, the estate's respond, the default resolve)", got, want)
		}
		if ack := f.jobs.find(t, here.ID+"-ack"); ack.Data["within_hours"] != "1" {
			t.Errorf("harbour's acknowledgment promises %v hours, want its own 1", ack.Data["within_hours"])
		}
		there := f.open(t, lift("r1")) // sunny: no case_limits of its own
		if got := limits(there); got[outreach.StageRespond] != 2*time.Hour || got[outreach.StageAcknowledge] != 10*time.Minute {
			t.Errorf("sunny lift limits = %v, want respond 2h (default), acknowledge 10m (daemon)", got)
		}
		if ack := f.jobs.find(t, there.ID+"-ack"); ack.Data["within_hours"] != "2" {
			t.Errorf("sunny's acknowledgment promises %v hours, want 2", ack.Data["within_hours"])
		}
		noise := f.open(t, outreach.Case{ResidentID: "h1", Category: outreach.CaseNoise, Received: outreach.ReceivedApp, Description: "夜间施工"})
		if got := limits(noise); got[outreach.StageAcknowledge] != 30*time.Minute {
			t.Errorf("harbour noise limits = %v, want acknowledge 30m", got)
		}

		// 11 minutes: both lift cases missed the daemon's 10m; the noise
		// case has 19 minutes left.
		f.advance(11 * time.Minute)
		if _, err := f.svc.Fire(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{here.ID, there.ID} {
			if n := f.jobs.count(id + "-escalation-acknowledge-0"); n != 1 {
				t.Errorf("%s: acknowledge escalations = %d, want 1", id, n)
			}
		}
		if n := f.jobs.count(noise.ID + "-escalation-acknowledge-0"); n != 0 {
			t.Errorf("the noise case escalated before its 30m")
		}
		f.advance(20 * time.Minute)
		if _, err := f.svc.Fire(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.jobs.count(noise.ID + "-escalation-acknowledge-0"); n != 1 {
			t.Errorf("the noise case's 30m acknowledge limit: %d escalations, want 1", n)
		}
		if esc := f.jobs.find(t, noise.ID+"-escalation-acknowledge-0"); esc.Audience.Estate != "harbour" {
			t.Errorf("harbour's escalation went to estate %q", esc.Audience.Estate)
		}

		// The follow-up goes after the daemon's 48h, not the default 24h.
		if _, err := f.svc.Resolve(ctx, here.ID, "周工", "已修复"); err != nil {
			t.Fatal(err)
		}
		f.advance(47 * time.Hour)
		if _, err := f.svc.Fire(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.jobs.count(here.ID + "-follow-up-0"); n != 0 {
			t.Errorf("the follow-up went before the daemon's 48h")
		}
		f.advance(time.Hour)
		if _, err := f.svc.Fire(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.jobs.count(here.ID + "-follow-up-0"); n != 1 {
			t.Errorf("follow-ups after 48h = %d, want 1", n)
		}
	})
}

// TestReportFigures: the report's counts, medians and within-limit share,
// on a fake clock, per estate and category and in total. A follow-up
// survey that ends unanswered on the case's own timer is no missed limit.
func TestReportFigures(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		t0 := f.now()
		at := func(d time.Duration) {
			f.mu.Lock()
			f.at = t0.Add(d)
			f.mu.Unlock()
		}
		fire := func() {
			t.Helper()
			if _, err := f.svc.Fire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		must := func(_ outreach.Case, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		// a in time: acknowledged at 10m, resolved at 1h; b late:
		// acknowledged at 20m, resolved at 3h; the noise case never
		// acknowledged.
		a := f.open(t, lift("r1"))
		b := f.open(t, lift("r1"))
		f.open(t, outreach.Case{ResidentID: "r1", Category: outreach.CaseNoise, Received: outreach.ReceivedApp, Description: "楼上装修"})
		at(10 * time.Minute)
		must(f.svc.Acknowledge(ctx, a.ID, "李明", ""))
		at(16 * time.Minute)
		fire() // b's acknowledge limit (15m)
		at(20 * time.Minute)
		must(f.svc.Acknowledge(ctx, b.ID, "李明", ""))
		must(f.svc.Start(ctx, b.ID, "李明", ""))
		at(time.Hour)
		must(f.svc.Start(ctx, a.ID, "李明", ""))
		must(f.svc.Resolve(ctx, a.ID, "李明", "已修复"))
		at(3 * time.Hour)
		must(f.svc.Resolve(ctx, b.ID, "李明", "已修复"))
		at(24*time.Hour + time.Minute)
		fire() // c's acknowledge limit (24h)

		rep, err := f.svc.Report(ctx, outreach.CaseFilter{OpenedSince: t0.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		tot := rep.Total
		if tot.Opened != 3 || tot.Open != 1 || tot.Overdue != 1 || tot.Resolved != 2 || tot.WithinLimit != 0.5 || tot.LimitMisses != 2 ||
			tot.MedianAcknowledge != (15*time.Minute).Seconds() || tot.MedianResolve != (2*time.Hour).Seconds() {
			t.Errorf("total = %+v\nwant opened 3, open 1, overdue 1, resolved 2, within 0.5, misses 2, median ack 900s, median resolve 7200s", tot)
		}
		if len(rep.Rows) != 2 {
			t.Fatalf("rows = %+v, want sunny/lift and sunny/noise", rep.Rows)
		}
		if l := rep.Rows[0]; l.Category != outreach.CaseLift || l.Opened != 2 || l.Resolved != 2 || l.WithinLimit != 0.5 || l.Overdue != 0 || l.LimitMisses != 1 {
			t.Errorf("lift row = %+v", l)
		}
		if n := rep.Rows[1]; n.Category != outreach.CaseNoise || n.Opened != 1 || n.Open != 1 || n.Overdue != 1 || n.Resolved != 0 || n.MedianAcknowledge != 0 {
			t.Errorf("noise row = %+v", n)
		}

		// a's follow-up goes at 25h; nobody answers and no survey sweep
		// runs: the case's own survey_end timer closes it. That is the
		// loop ending, not a limit missed.
		at(25 * time.Hour)
		fire()
		at(25*time.Hour + cases.DefaultSurveyExpiry + 2*time.Minute)
		fire()
		if got, _ := f.st.Case(ctx, a.ID); got.State != outreach.CaseClosed || got.Misses() != 0 {
			t.Errorf("a after its survey's end: %s, %d misses\n%s", got.State, got.Misses(), history(t, f.st, a.ID))
		}
		rep, err = f.svc.Report(ctx, outreach.CaseFilter{OpenedSince: t0.Add(-time.Hour), Category: outreach.CaseLift})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.LimitMisses != 1 || rep.Total.WithinLimit != 0.5 {
			t.Errorf("after a's survey ended: lift misses %d, within %v; want 1 and 0.5", rep.Total.LimitMisses, rep.Total.WithinLimit)
		}
	})
}

// TestTimersSurviveRestart: the timers are in the archive, not in a
// daemon. A case opened by one daemon, which then stops, escalates when
// its limit passes in two other daemons that start later on the same
// archive and the same Redis: the sweep runs under the case-timers lease
// on Redis, and the escalation is on the Redis stream once, even when
// both daemons sweep at the same moment and again without the lease.
func TestTimersSurviveRestart(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		rdb := queuetest.Redis(t)
		keys := queuetest.Keys(t, rdb, "cases", "g")
		first := f.daemon(t)
		first.Jobs = queue.NewProducer(rdb, keys)
		c, _, err := first.Open(ctx, lift("r1"), "李明")
		if err != nil {
			t.Fatal(err)
		}
		// The first daemon stops: its archive handle closes.
		if err := first.Store.(outreach.Store).Close(); err != nil {
			t.Fatal(err)
		}

		f.advance(16 * time.Minute)
		var sweepers []*cases.Sweeper
		for i := range 2 {
			svc := f.daemon(t)
			svc.Jobs = queue.NewProducer(rdb, keys)
			consumer := queue.NewConsumer(rdb, keys, queue.ConsumerOptions{Name: "daemon-" + string(rune('b'+i))})
			sweepers = append(sweepers, &cases.Sweeper{Service: svc, Lease: consumer.Lease})
		}
		fired := make([]int, 2)
		var wg sync.WaitGroup
		for i, w := range sweepers {
			wg.Go(func() { fired[i] = w.Once(ctx, time.Minute) })
		}
		wg.Wait()
		if fired[0]+fired[1] != 1 {
			t.Errorf("timers fired by the two sweeps: %v, want 1 in all", fired)
		}
		for _, w := range sweepers { // and without the lease, again
			if n, err := w.Service.Fire(ctx); err != nil || n != 0 {
				t.Errorf("Fire after the sweep = %d, %v; want 0", n, err)
			}
		}
		entries, err := rdb.XRange(ctx, keys.Urgent, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		escalations, acks := 0, 0
		for _, m := range entries {
			j, err := outreach.DecodeJob([]byte(m.Values[queue.FieldJob].(string)))
			if err != nil {
				t.Fatal(err)
			}
			switch j.ID {
			case "case-" + c.ID + "-escalation-acknowledge-0":
				escalations++
			case "case-" + c.ID + "-ack":
				acks++
			}
		}
		if escalations != 1 || acks != 1 {
			t.Errorf("on the urgent lane: %d escalations, %d acknowledgments of %s; want 1 each", escalations, acks, c.ID)
		}
		if h := history(t, f.st, c.ID); strings.Count(h, "acknowledge limit of 15m0s missed") != 1 {
			t.Errorf("history:\n%s", h)
		}
	})
}
