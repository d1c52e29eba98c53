package survey_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// jobs records what the service enqueues.
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

// fixture is a service on a real SQLite archive with one resident, sent
// one satisfaction_callback at t0.
type fixture struct {
	svc  *survey.Service
	st   outreach.Store
	jobs *jobs
	now  time.Time
	r    outreach.Resident
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite://"+t.TempDir()+"/a.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{st: st, jobs: &jobs{}, now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	f.r = outreach.Resident{ID: "r1", Name: "张伟", Phone: "+8613800138001", Locale: "zh-CN", Building: "2", Unit: "202"}
	if _, err := st.UpsertResidents(t.Context(), []outreach.Resident{f.r}); err != nil {
		t.Fatal(err)
	}
	f.svc = &survey.Service{Store: st, Jobs: f.jobs, Metrics: metrics.New(prometheus.NewRegistry()), Now: func() time.Time { return f.now }}
	f.send(t, "cb1")
	return f
}

// send archives a satisfaction_callback to r as sent and tells the service.
func (f *fixture) send(t *testing.T, jobID string) {
	t.Helper()
	job := outreach.Job{ID: jobID, Kind: outreach.KindSatisfactionCallback, ResidentID: f.r.ID, Data: map[string]any{"service": "sink", "work_order": "WO-" + jobID}}
	sent := f.now
	rec := outreach.Delivery{ID: outreach.DeliveryID(jobID, f.r.ID, outreach.ChannelSMS), JobID: jobID, ResidentID: f.r.ID, Kind: job.Kind,
		Channel: outreach.ChannelSMS, Status: outreach.StatusSent, CreatedAt: sent, UpdatedAt: sent, SentAt: &sent, Building: "2", Unit: "202"}
	if err := f.st.Record(t.Context(), []outreach.Delivery{rec}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Recorded(t.Context(), job, []outreach.Delivery{rec}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reply(t *testing.T, sid, body string, action outreach.ReplyAction) (outreach.Survey, survey.ReplyResult) {
	t.Helper()
	sv, res, err := f.svc.Reply(t.Context(), outreach.Reply{ID: sid, Channel: outreach.ChannelSMS, From: f.r.Phone, Body: body, Action: action}, []outreach.Resident{f.r})
	if err != nil {
		t.Fatal(err)
	}
	return sv, res
}

func (f *fixture) survey(t *testing.T) outreach.Survey {
	t.Helper()
	list, err := f.st.Surveys(t.Context(), outreach.SurveyFilter{ResidentIDs: []string{f.r.ID}, Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("surveys %v %v", list, err)
	}
	return list[0]
}

// TestReplyEdges: a provider's retry of a reply changes nothing twice;
// STOP closes the open survey; a reply after the expiry changes nothing;
// a low score in an estate without staff records the call-back task and
// enqueues nothing.
func TestReplyEdges(t *testing.T) {
	t.Parallel()
	t.Run("retried reply", func(t *testing.T) {
		f := newFixture(t)
		f.reply(t, "SM1", "什么时候来修？", "")
		if _, res := f.reply(t, "SM1", "什么时候来修？", ""); res != metrics.ReplyDuplicate {
			t.Errorf("retry: %s, want duplicate", res)
		}
		if sv := f.survey(t); sv.Comment != "什么时候来修？" || len(f.jobs.list) != 1 {
			t.Errorf("after a retried reply: comment %q, %d jobs (want one re-ask)", sv.Comment, len(f.jobs.list))
		}
	})
	t.Run("STOP closes", func(t *testing.T) {
		f := newFixture(t)
		sv, res := f.reply(t, "SM2", "退订", outreach.ReplyOptOut)
		if res != metrics.ReplyClosed || sv.State != outreach.SurveyClosed {
			t.Errorf("STOP: %s %s", res, sv.State)
		}
		if _, res := f.reply(t, "SM3", "5", ""); res != metrics.ReplyNoSurvey {
			t.Errorf("a score after STOP: %s, want no_open_survey", res)
		}
	})
	t.Run("after expiry", func(t *testing.T) {
		f := newFixture(t)
		f.now = f.now.Add(survey.DefaultExpiry)
		if sv, res := f.reply(t, "SM4", "5", ""); res != metrics.ReplyExpired || sv.ID != "" {
			t.Errorf("after expiry: %s %+v", res, sv)
		}
		w := &survey.Sweeper{Service: f.svc, Lease: func(context.Context, string, time.Duration) (bool, error) { return true, nil }}
		if n := w.Once(t.Context(), time.Minute); n != 1 {
			t.Errorf("sweep expired %d, want 1", n)
		}
		if sv := f.survey(t); sv.State != outreach.SurveyExpired || sv.Score != 0 {
			t.Errorf("after the sweep: %+v", sv)
		}
		if got := testutil.ToFloat64(f.svc.Metrics.SurveysExpired); got != 1 {
			t.Errorf("expired counted %v", got)
		}
		held := &survey.Sweeper{Service: f.svc, Lease: func(context.Context, string, time.Duration) (bool, error) { return false, nil }}
		f.send(t, "cb2")
		f.now = f.now.Add(survey.DefaultExpiry)
		if n := held.Once(t.Context(), time.Minute); n != 0 {
			t.Errorf("a daemon without the lease expired %d", n)
		}
	})
	t.Run("no staff", func(t *testing.T) {
		f := newFixture(t)
		sv, res := f.reply(t, "SM5", "1分 太差了", "")
		if res != metrics.ReplyScored || sv.Score != 1 || sv.Comment != "太差了" || !sv.CallbackOpen() || sv.EscalationJob != "" || len(f.jobs.list) != 0 {
			t.Errorf("a 1 without staff: %s %+v, jobs %v", res, sv, f.jobs.list)
		}
		if got := testutil.ToFloat64(f.svc.Metrics.SurveyEscalations.WithLabelValues(metrics.EscalationNoStaff)); got != 1 {
			t.Errorf("no_staff counted %v", got)
		}
	})
}

// TestFatigue: within the window a second callback is fatigued, unless
// required; the job's own survey (a redelivery) is not; after the window
// it goes again.
func TestFatigue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	job := func(id string, data map[string]any) outreach.Job {
		return outreach.Job{ID: id, Kind: outreach.KindSatisfactionCallback, ResidentID: f.r.ID, Data: data}
	}
	if tired, note, err := f.svc.Fatigued(ctx, job("cb2", nil), f.r, outreach.Estate{ID: outreach.DefaultEstateID}); err != nil || !tired || !strings.Contains(note, "30d") {
		t.Errorf("second within 30 days: %v %q %v", tired, note, err)
	}
	if tired, _, _ := f.svc.Fatigued(ctx, job("cb2", map[string]any{"required": true}), f.r, outreach.Estate{ID: outreach.DefaultEstateID}); tired {
		t.Error("a required callback was fatigued")
	}
	if tired, _, _ := f.svc.Fatigued(ctx, job("cb1", nil), f.r, outreach.Estate{ID: outreach.DefaultEstateID}); tired {
		t.Error("the job's own survey fatigued its redelivery")
	}
	if tired, _, _ := f.svc.Fatigued(ctx, outreach.Job{ID: "re", Kind: outreach.KindSatisfactionCallback, Template: survey.ReaskTemplate}, f.r, outreach.Estate{ID: outreach.DefaultEstateID}); tired {
		t.Error("the re-ask was fatigued")
	}
	f.now = f.now.Add(survey.DefaultFatigue + time.Minute)
	if tired, _, _ := f.svc.Fatigued(ctx, job("cb3", nil), f.r, outreach.Estate{ID: outreach.DefaultEstateID}); tired {
		t.Error("fatigued after the window")
	}
}

// TestFatiguePerEstate: an estate's own window replaces the daemon's: one
// that surveys once in 90 days fatigues a callback after 31, one that is
// "off" never does, and the default estate keeps the daemon's 30 days.
func TestFatiguePerEstate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	job := func(id string) outreach.Job {
		return outreach.Job{ID: id, Kind: outreach.KindSatisfactionCallback, ResidentID: f.r.ID}
	}
	f.now = f.now.Add(31 * 24 * time.Hour)
	if tired, _, err := f.svc.Fatigued(ctx, job("cb2"), f.r, outreach.Estate{ID: outreach.DefaultEstateID}); err != nil || tired {
		t.Fatalf("default estate after 31 days: fatigued %v, %v; want the daemon's 30 days", tired, err)
	}
	estates := map[string]outreach.Estate{}
	for _, e := range []outreach.Estate{{ID: "slow", Name: "慢", SurveyFatigue: "90d"}, {ID: "never", Name: "不限", SurveyFatigue: "off"}} {
		if err := f.st.CreateEstate(ctx, e); err != nil {
			t.Fatal(err)
		}
		estates[e.ID] = e
	}
	slow := f.r
	slow.Estate = "slow"
	if tired, note, err := f.svc.Fatigued(ctx, job("cb2"), slow, estates["slow"]); err != nil || !tired || !strings.Contains(note, "90d") {
		t.Errorf("estate with 90 days after 31: fatigued %v %q %v", tired, note, err)
	}
	never := f.r
	never.Estate = "never"
	f.now = f.now.Add(-30 * 24 * time.Hour) // a day after the first survey
	if tired, _, err := f.svc.Fatigued(ctx, job("cb2"), never, estates["never"]); err != nil || tired {
		t.Errorf("estate with fatigue off: fatigued %v, %v", tired, err)
	}
}
