package cases_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// jobs records what the services enqueue.
type jobs struct {
	mu   sync.Mutex
	list []outreach.Job
}

func (j *jobs) Enqueue(_ context.Context, job outreach.Job) (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.list = append(j.list, job)
	return "1-0", nil
}

func (j *jobs) ids() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, job := range j.list {
		out = append(out, job.ID)
	}
	return out
}

func (j *jobs) find(t *testing.T, suffix string) outreach.Job {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, job := range j.list {
		if strings.HasSuffix(job.ID, suffix) {
			return job
		}
	}
	t.Fatalf("no job ending %q in %v", suffix, j.list)
	return outreach.Job{}
}

func (j *jobs) count(suffix string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, job := range j.list {
		if strings.HasSuffix(job.ID, suffix) {
			n++
		}
	}
	return n
}

// fixture: the complaint loop and the satisfaction loop on one real
// SQLite archive, with an estate that has staff and a manager, and a
// fake clock.
type fixture struct {
	svc     *cases.Service
	surveys *survey.Service
	st      outreach.Store
	jobs    *jobs
	mu      sync.Mutex
	at      time.Time
	m       *metrics.Metrics
	r       outreach.Resident
	url     string // the archive's URL (each daemon opens its own handle)
}

// openStore opens another handle on the fixture's archive, as another
// daemon (or the same one after a restart) does.
func (f *fixture) openStore(t *testing.T) outreach.Store {
	t.Helper()
	st, err := store.Open(t.Context(), f.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// daemon is another daemon's complaint loop: its own archive handle, the
// same archive and clock.
func (f *fixture) daemon(t *testing.T) *cases.Service {
	t.Helper()
	return &cases.Service{Store: f.openStore(t), Jobs: f.jobs, Metrics: f.m, Now: f.now, PublicURL: "https://wy.example.cn"}
}

func (f *fixture) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.at }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = f.at.Add(d)
}

func newFixture(t *testing.T, url string) *fixture {
	t.Helper()
	f := &fixture{url: url, jobs: &jobs{}, at: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), m: metrics.New(prometheus.NewRegistry())}
	st := f.openStore(t)
	f.st = st
	if err := st.CreateEstate(t.Context(), outreach.Estate{ID: "sunny", Name: "阳光花园"}); err != nil {
		t.Fatal(err)
	}
	f.r = outreach.Resident{ID: "r1", Name: "张伟", Estate: "sunny", Phone: "+8613800138001", Locale: "zh-CN", Building: "3", Unit: "1202"}
	people := []outreach.Resident{f.r,
		{ID: "s1", Name: "李明", Estate: "sunny", Phone: "+8613800138002", Tags: []string{"staff"}},
		{ID: "m1", Name: "王经理", Estate: "sunny", Phone: "+8613800138003", Tags: []string{"manager"}},
		{ID: "nobody", Name: "无联系方式", Estate: "sunny"},
	}
	if _, err := st.UpsertResidents(t.Context(), people); err != nil {
		t.Fatal(err)
	}
	f.svc = f.service()
	f.surveys = &survey.Service{Store: st, Jobs: f.jobs, Metrics: f.m, Now: f.now, Cases: f.svc}
	return f
}

// service is one daemon's complaint loop on the fixture's archive.
func (f *fixture) service() *cases.Service {
	return &cases.Service{Store: f.st, Jobs: f.jobs, Metrics: f.m, Now: f.now, PublicURL: "https://wy.example.cn"}
}

func (f *fixture) open(t *testing.T, c outreach.Case) outreach.Case {
	t.Helper()
	got, repeat, err := f.svc.Open(t.Context(), c, "李明")
	if err != nil || repeat {
		t.Fatalf("Open = %v, repeat %v", err, repeat)
	}
	return got
}

func lift(resident string) outreach.Case {
	return outreach.Case{ResidentID: resident, Category: outreach.CaseLift, Urgency: outreach.UrgencyUrgent,
		Received: outreach.ReceivedPhone, Description: "3号楼电梯停在8楼不动，有人被困"}
}

func history(t *testing.T, st outreach.Store, id string) string {
	t.Helper()
	evs, err := st.CaseEvents(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(string(e.Event) + " " + e.Actor + ": " + e.Detail + "\n")
	}
	return b.String()
}

// sendFollowUp is the dispatcher's part: the follow-up job was sent by
// SMS and the survey loop is told, which opens its survey.
func (f *fixture) sendFollowUp(t *testing.T, job outreach.Job) outreach.Survey {
	t.Helper()
	sent := f.now()
	rec := outreach.Delivery{ID: outreach.DeliveryID(job.ID, f.r.ID, outreach.ChannelSMS), JobID: job.ID, ResidentID: f.r.ID, Kind: job.Kind,
		Channel: outreach.ChannelSMS, Status: outreach.StatusSent, CreatedAt: sent, UpdatedAt: sent, SentAt: &sent, Estate: "sunny"}
	if err := f.st.Record(t.Context(), []outreach.Delivery{rec}); err != nil {
		t.Fatal(err)
	}
	if tired, _, err := f.surveys.Fatigued(t.Context(), job, f.r, outreach.Estate{ID: "sunny"}); err != nil || tired {
		t.Fatalf("the follow-up is fatigued (%v, %v): a case's follow-up must ignore survey fatigue", tired, err)
	}
	if err := f.surveys.Recorded(t.Context(), job, []outreach.Delivery{rec}); err != nil {
		t.Fatal(err)
	}
	sv, err := f.st.Survey(t.Context(), outreach.SurveyID(rec.ID))
	if err != nil {
		t.Fatalf("no survey for the follow-up: %v", err)
	}
	return sv
}

func (f *fixture) reply(t *testing.T, id, body string) {
	t.Helper()
	if _, _, err := f.surveys.Reply(t.Context(), outreach.Reply{ID: id, Channel: outreach.ChannelSMS, From: f.r.Phone, Body: body}, []outreach.Resident{f.r}); err != nil {
		t.Fatal(err)
	}
}

// TestLiftCaseLoop walks a lift fault through the whole loop: the
// acknowledgment at once, the limits escalating once each (staff, then
// the manager) even with two daemons firing together, the resolution
// notice, the follow-up with its survey after 24h, a score of 2
// reopening and escalating, then a 5 closing it.
func TestLiftCaseLoop(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		c := f.open(t, lift("r1"))
		if !strings.HasPrefix(c.ID, "C-261202-") || c.State != outreach.CaseOpen || c.Estate != "sunny" || c.Building != "3" || c.Unit != "1202" {
			t.Fatalf("opened = %+v", c)
		}
		ack := f.jobs.find(t, "-ack")
		if ack.Template != cases.AcknowledgedTemplate || ack.ResidentID != "r1" || ack.Data["reference"] != c.ID || ack.Data["within_hours"] != "2" || ack.Priority != outreach.PriorityUrgent {
			t.Errorf("acknowledgment job = %+v", ack)
		}
		if len(c.Timers) != 3 {
			t.Errorf("timers = %+v, want acknowledge, respond, resolve", c.Timers)
		}

		// 16 minutes, two daemons: the acknowledge limit escalates once, to staff.
		f.advance(16 * time.Minute)
		other := f.daemon(t)
		var wg sync.WaitGroup
		for _, s := range []*cases.Service{f.svc, other} {
			wg.Go(func() {
				if _, err := s.Fire(t.Context()); err != nil {
					t.Errorf("Fire: %v", err)
				}
			})
		}
		wg.Wait()
		if n := f.jobs.count("-escalation-acknowledge-0"); n != 1 {
			t.Fatalf("acknowledge escalations = %d, want 1; jobs %v", n, f.jobs.ids())
		}
		esc := f.jobs.find(t, "-escalation-acknowledge-0")
		if esc.Kind != outreach.KindEscalation || esc.Audience == nil || esc.Audience.Tags[0] != "staff" || esc.Audience.Estate != "sunny" ||
			esc.Data["case_url"] != "https://wy.example.cn/v1/cases/"+c.ID || esc.Data["resident_phone"] != f.r.Phone {
			t.Errorf("escalation = %+v", esc)
		}
		if _, err := f.svc.Fire(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := f.jobs.count("-escalation-acknowledge-0"); n != 1 {
			t.Errorf("a second sweep escalated again (%d)", n)
		}
		if got := testutil.ToFloat64(f.m.CaseLimitMisses.WithLabelValues("lift", "acknowledge")); got != 1 {
			t.Errorf("limit misses = %v, want 1", got)
		}
		overdue, _ := f.st.Cases(t.Context(), outreach.CaseFilter{Overdue: true})
		if len(overdue) != 1 {
			t.Errorf("overdue cases = %d, want 1", len(overdue))
		}

		// Acknowledged late; 2h passes without a response: the second miss
		// goes to the manager.
		if _, err := f.svc.Acknowledge(t.Context(), c.ID, "李明", "on my way"); err != nil {
			t.Fatal(err)
		}
		f.advance(2 * time.Hour)
		if _, err := f.svc.Fire(t.Context()); err != nil {
			t.Fatal(err)
		}
		if esc := f.jobs.find(t, "-escalation-respond-0"); esc.Audience.Tags[0] != "manager" {
			t.Errorf("second miss went to %v, want manager", esc.Audience.Tags)
		}

		// Resolved: the notice, the follow-up 24h later with its survey.
		if _, err := f.svc.Start(t.Context(), c.ID, "李明", ""); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Resolve(t.Context(), c.ID, "李明", "已更换门机皮带，电梯恢复运行")
		if err != nil {
			t.Fatal(err)
		}
		if c.State != outreach.CaseResolved || f.jobs.find(t, "-resolved-0").Data["resolution"] != "已更换门机皮带，电梯恢复运行" {
			t.Errorf("resolved = %+v", c)
		}
		if _, err := f.svc.Resolve(t.Context(), c.ID, "李明", "again"); !errors.Is(err, outreach.ErrTransition) {
			t.Errorf("resolving a resolved case: %v, want ErrTransition", err)
		}
		f.advance(23 * time.Hour)
		if _, _ = f.svc.Fire(t.Context()); f.jobs.count("-follow-up-0") != 0 {
			t.Fatal("the follow-up went before its delay")
		}
		f.advance(time.Hour)
		if _, err := f.svc.Fire(t.Context()); err != nil {
			t.Fatal(err)
		}
		fu := f.jobs.find(t, "-follow-up-0")
		if fu.Kind != outreach.KindSatisfactionCallback || fu.Template != cases.FollowUpTemplate || fu.Data["required"] != true || fu.Data["work_order"] != c.ID {
			t.Errorf("follow-up = %+v", fu)
		}
		if c, _ = f.st.Case(t.Context(), c.ID); c.State != outreach.CaseFollowedUp || c.SurveyJob != fu.ID {
			t.Errorf("after the follow-up: %s, survey job %q", c.State, c.SurveyJob)
		}

		// A 2 reopens and escalates (to staff, not as a survey escalation).
		f.sendFollowUp(t, fu)
		f.reply(t, "SM1", "2 还是有异响")
		f.reply(t, "SM1", "2 还是有异响") // a provider's retry
		if c, _ = f.st.Case(t.Context(), c.ID); c.State != outreach.CaseReopened || c.Reopened != 1 {
			t.Fatalf("after a 2: %s (reopened %d)\n%s", c.State, c.Reopened, history(t, f.st, c.ID))
		}
		if n := f.jobs.count("-reopened-1"); n != 1 {
			t.Errorf("reopen escalations = %d, want 1", n)
		}
		if n := f.jobs.count("survey-escalation-" + outreach.SurveyID(outreach.DeliveryID(fu.ID, "r1", outreach.ChannelSMS))); n != 0 {
			t.Error("the survey escalated too: a case's survey escalates through its case")
		}
		h := history(t, f.st, c.ID)
		if strings.Count(h, "reply resident: follow-up score 2") != 1 {
			t.Errorf("the retried reply was recorded twice:\n%s", h)
		}

		// Round 2: resolved again, followed up, a 5 closes it.
		if _, err := f.svc.Resolve(t.Context(), c.ID, "李明", "更换导轨"); err != nil {
			t.Fatal(err)
		}
		f.advance(24 * time.Hour)
		if _, err := f.svc.Fire(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.sendFollowUp(t, f.jobs.find(t, "-follow-up-1"))
		f.reply(t, "SM2", "5")
		if c, _ = f.st.Case(t.Context(), c.ID); c.State != outreach.CaseClosed || c.ClosedAt == nil {
			t.Errorf("after a 5: %s\n%s", c.State, history(t, f.st, c.ID))
		}
		h = history(t, f.st, c.ID)
		for _, want := range []string{
			"opened 李明: category lift, urgency urgent, received by phone",
			"message system: case_acknowledged: queued to r1",
			"escalated system: acknowledge limit of 15m0s missed",
			"escalated to the estate's staff",
			"escalated to the estate's manager",
			"state 李明: open -> acknowledged; on my way",
			"state 李明: in_progress -> resolved",
			"message system: case_resolved: queued",
			"state system: resolved -> followed_up",
			"reply resident: follow-up score 2 of 5 via sms",
			"state system: followed_up -> reopened; low follow-up score 2",
			"state system: followed_up -> closed; follow-up score 5",
		} {
			if !strings.Contains(h, want) {
				t.Errorf("history lacks %q:\n%s", want, h)
			}
		}
		if got := testutil.ToFloat64(f.m.Cases.WithLabelValues("sunny", "closed")); got != 1 {
			t.Errorf("outreach_cases{closed} = %v", got)
		}
	})
}

// TestNoAnswerClosesAtExpiry: a follow-up nobody answers closes the case
// when its survey expires.
func TestNoAnswerClosesAtExpiry(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		c := f.open(t, outreach.Case{ResidentID: "r1", Category: outreach.CaseNoise, Received: outreach.ReceivedApp, Description: "楼上装修噪音"})
		if ack := f.jobs.find(t, "-ack"); ack.Data["within_hours"] != "24" {
			t.Errorf("noise acknowledgment promises %v hours, want 24", ack.Data["within_hours"])
		}
		if _, err := f.svc.Resolve(t.Context(), c.ID, "李明", "已与装修方协调施工时间"); err != nil {
			t.Fatal(err)
		}
		f.advance(24 * time.Hour)
		if _, err := f.svc.Fire(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.sendFollowUp(t, f.jobs.find(t, "-follow-up-0"))
		f.advance(7*24*time.Hour + time.Minute)
		if _, err := f.surveys.Expire(t.Context()); err != nil {
			t.Fatal(err)
		}
		if c, _ = f.st.Case(t.Context(), c.ID); c.State != outreach.CaseClosed {
			t.Errorf("after the survey expired: %s\n%s", c.State, history(t, f.st, c.ID))
		}
		if h := history(t, f.st, c.ID); !strings.Contains(h, "no answer to the follow-up survey") {
			t.Errorf("history:\n%s", h)
		}
	})
}

// TestUnreachableResidentTracked: a resident without phone or email gets
// a case all the same; the history says no message could go.
func TestUnreachableResidentTracked(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		c := f.open(t, outreach.Case{ResidentID: "nobody", Category: outreach.CaseWater, Received: outreach.ReceivedOnSite, Description: "停水"})
		if n := f.jobs.count("-ack"); n != 0 {
			t.Errorf("an acknowledgment was queued for a resident with no channel")
		}
		if h := history(t, f.st, c.ID); !strings.Contains(h, "case_acknowledged: no message could go: resident nobody has no phone or email") {
			t.Errorf("history:\n%s", h)
		}
		unit := f.open(t, outreach.Case{Estate: "sunny", Unit: "5-101", Category: outreach.CaseSecurity, Received: outreach.ReceivedPhone, Description: "门禁坏了"})
		if h := history(t, f.st, unit.ID); !strings.Contains(h, "no message could go: the case has no resident (unit 5-101)") {
			t.Errorf("history:\n%s", h)
		}
	})
}

// TestOpenRejects: bad input names its field and stores nothing.
func TestOpenRejects(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		for _, tt := range []struct {
			c     outreach.Case
			field string
		}{
			{outreach.Case{ResidentID: "ghost", Category: outreach.CaseLift, Description: "x"}, "resident_id"},
			{outreach.Case{Estate: "nowhere", Unit: "1", Category: outreach.CaseLift, Description: "x"}, "estate"},
			{outreach.Case{ResidentID: "r1", Estate: "default", Category: outreach.CaseLift, Description: "x"}, "estate"},
			{outreach.Case{ResidentID: "r1", Category: "plumbing", Description: "x"}, "category"},
			{outreach.Case{ResidentID: "r1", Category: outreach.CaseLift, Description: strings.Repeat("长", 2000)}, "description"},
			{outreach.Case{ResidentID: "r1", Category: outreach.CaseLift, Description: "  "}, "description"},
			{outreach.Case{ResidentID: "r1", Category: outreach.CaseLift, Received: "fax", Description: "x"}, "received"},
		} {
			_, _, err := f.svc.Open(t.Context(), tt.c, "x")
			var fe *cases.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("Open(%+v) = %v, want a FieldError on %s", tt.c, err, tt.field)
			}
		}
		if list, _ := f.st.Cases(t.Context(), outreach.CaseFilter{}); len(list) != 0 {
			t.Errorf("refused cases were stored: %d", len(list))
		}
		// The same key twice is one case; the key with another case is refused.
		c := lift("r1")
		c.IdempotencyKey = "k1"
		first := f.open(t, c)
		again, repeat, err := f.svc.Open(t.Context(), c, "x")
		if err != nil || !repeat || again.ID != first.ID {
			t.Errorf("repeat = %s, %v, %v", again.ID, repeat, err)
		}
		c.Description = "another"
		if _, _, err := f.svc.Open(t.Context(), c, "x"); !errors.Is(err, cases.ErrIdempotencyConflict) {
			t.Errorf("reused key: %v, want ErrIdempotencyConflict", err)
		}
		if n := f.jobs.count("-ack"); n != 1 {
			t.Errorf("acknowledgments = %d, want 1", n)
		}
	})
}

// TestFromInbound: an inbound SMS opens one case (a retry opens none
// more), category other, received by sms, acknowledged.
func TestFromInbound(t *testing.T) {
	onEachDriver(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		reply := outreach.Reply{ID: "SM9", Channel: outreach.ChannelSMS, From: f.r.Phone, Body: "  楼道灯坏了三天了 "}
		c, err := f.svc.FromInbound(t.Context(), reply, f.r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.FromInbound(t.Context(), reply, f.r)
		if err != nil || again.ID != c.ID {
			t.Errorf("retry = %s, %v; want %s", again.ID, err, c.ID)
		}
		if c.Category != outreach.CaseOther || c.Received != outreach.ReceivedSMS || c.Description != "楼道灯坏了三天了" || c.OpenedBy != "resident" {
			t.Errorf("case = %+v", c)
		}
		if list, _ := f.st.Cases(t.Context(), outreach.CaseFilter{}); len(list) != 1 {
			t.Errorf("cases = %d, want 1", len(list))
		}
		if n := f.jobs.count("-ack"); n != 1 {
			t.Errorf("acknowledgments = %d, want 1", n)
		}
		if c, err := f.svc.FromInbound(t.Context(), outreach.Reply{ID: "SM10", Body: "   "}, f.r); err != nil || c.ID != "" {
			t.Errorf("an empty message opened %q, %v", c.ID, err)
		}
	})
}
