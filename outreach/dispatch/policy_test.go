package dispatch

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
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
	"github.com/outreach-dev/outreach/templates"
)

// sentTo records what a sender was asked to send (an internal seam: the
// channels have tests of their own against real servers).
type sentTo struct {
	ch   outreach.Channel
	mu   sync.Mutex
	msgs []outreach.Message
}

func (s *sentTo) Channel() outreach.Channel { return s.ch }
func (s *sentTo) Send(_ context.Context, m outreach.Message) (outreach.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return outreach.Receipt{ProviderID: "p-" + m.DeliveryID, Status: outreach.StatusSent}, nil
}
func (s *sentTo) Close() error { return nil }

// policyDispatcher is a Dispatcher on real Redis (for the cap) and a real
// SQLite store, with the given rules and clock.
func policyDispatcher(t *testing.T, rules policy.Rules, now time.Time) (*Dispatcher, *prometheus.Registry) {
	t.Helper()
	rdb := queuetest.Redis(t)
	keys := queuetest.Keys(t, rdb, "policy", "")
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tmpl, err := templates.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	d, err := New(Config{
		Consumer:  queue.NewConsumer(rdb, keys, queue.ConsumerOptions{}),
		Store:     st,
		Templates: tmpl,
		Senders:   map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: &sentTo{ch: outreach.ChannelEmail}, outreach.ChannelSMS: &sentTo{ch: outreach.ChannelSMS}},
		Metrics:   metrics.New(reg),
		Policy:    rules,
		Zones:     policy.NewZones(shanghai),
		Now:       func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, reg
}

var greetingData = map[string]any{"holiday": "Spring Festival"}

func TestPolicyStage(t *testing.T) {
	t.Parallel()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	night := time.Date(2027, 2, 16, 23, 0, 0, 0, shanghai)
	day := time.Date(2027, 2, 16, 10, 0, 0, 0, shanghai)
	rules := policy.Rules{QuietHours: policy.MustParseQuietHours("21:00-08:00,follow_up=off"), DailyCap: 1}
	both := outreach.Resident{ID: "r1", Name: "Wang", Email: "wang@example.com", Phone: "+8613800138000", Locale: "en"}
	with := func(change func(r *outreach.Resident)) outreach.Resident {
		r := both
		change(&r)
		return r
	}
	greeting := outreach.Job{ID: "g", Kind: outreach.KindHolidayGreeting, Data: greetingData, Priority: outreach.PriorityBulk}
	notice := outreach.Job{ID: "n", Kind: outreach.KindMaintenanceNotice, Data: map[string]any{"title": "Lift", "area": "B3", "start": "now", "end": "soon"}}
	urgent := notice
	urgent.Priority = outreach.PriorityUrgent
	followUp := outreach.Job{ID: "f", Kind: outreach.KindFollowUp, Data: map[string]any{"topic": "noise"}}

	tests := []struct {
		name        string
		job         outreach.Job
		r           outreach.Resident
		now         time.Time
		campaign    outreach.CampaignState
		wantStatus  outreach.Status
		wantPolicy  outreach.PolicyReason
		wantChannel outreach.Channel
		wantUntil   time.Time // for deferrals
	}{
		{"daytime greeting is sent", greeting, both, day, "", outreach.StatusSent, "", outreach.ChannelEmail, time.Time{}},
		{"opted out of the kind", greeting, with(func(r *outreach.Resident) { r.OptOutKinds = []outreach.Kind{outreach.KindHolidayGreeting} }), day, "", outreach.StatusSuppressed, outreach.PolicyOptOutKind, "", time.Time{}},
		{"opted out of greetings still gets notices", notice, with(func(r *outreach.Resident) { r.OptOutKinds = []outreach.Kind{outreach.KindHolidayGreeting} }), day, "", outreach.StatusSent, "", outreach.ChannelEmail, time.Time{}},
		{"opted out of email: SMS instead", notice, with(func(r *outreach.Resident) { r.OptOutChannels = []outreach.Channel{outreach.ChannelEmail} }), day, "", outreach.StatusSent, "", outreach.ChannelSMS, time.Time{}},
		{"opted out of every channel", notice, with(func(r *outreach.Resident) {
			r.OptOutChannels = []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS}
		}), day, "", outreach.StatusSuppressed, outreach.PolicyOptOutChannel, "", time.Time{}},
		{"no contact at all is a failure, not an opt-out", notice, with(func(r *outreach.Resident) { r.Email, r.Phone = "", "" }), day, "", outreach.StatusFailed, "", "", time.Time{}},
		{"greeting at night is deferred to 08:00", greeting, both, night, "", outreach.StatusDeferred, outreach.PolicyQuietHours, outreach.ChannelEmail, time.Date(2027, 2, 17, 8, 0, 0, 0, shanghai)},
		{"in the resident's own zone", greeting, with(func(r *outreach.Resident) { r.TimeZone = "Europe/London" }), night, "", outreach.StatusSent, "", outreach.ChannelEmail, time.Time{}}, // 15:00 in London
		{"an unknown zone falls back to the default", greeting, with(func(r *outreach.Resident) { r.TimeZone = "Mars/Olympus" }), night, "", outreach.StatusDeferred, outreach.PolicyQuietHours, outreach.ChannelEmail, time.Date(2027, 2, 17, 8, 0, 0, 0, shanghai)},
		{"urgent notice at night goes, bypass recorded", urgent, both, night, "", outreach.StatusSent, outreach.PolicyUrgentBypass, outreach.ChannelEmail, time.Time{}},
		{"urgent by day records no bypass", urgent, both, day, "", outreach.StatusSent, "", outreach.ChannelEmail, time.Time{}},
		{"a kind without quiet hours", followUp, both, night, "", outreach.StatusSent, "", outreach.ChannelEmail, time.Time{}},
		{"cancelled campaign", greeting, both, day, outreach.CampaignCancelled, outreach.StatusSuppressed, outreach.PolicyCampaignCancelled, outreach.ChannelEmail, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, _ := policyDispatcher(t, rules, tt.now)
			p := runResident(d, t.Context(), tt.job, tt.r, queue.Entry{ID: "1-0"}, false, nil, tt.campaign)
			rec := lastRecord(p)
			if rec.Status != tt.wantStatus || rec.Policy != tt.wantPolicy || rec.Channel != tt.wantChannel {
				t.Fatalf("delivery = status %s, policy %q, channel %q (error %q); want %s, %q, %q",
					rec.Status, rec.Policy, rec.Channel, rec.Error, tt.wantStatus, tt.wantPolicy, tt.wantChannel)
			}
			if rec.ID != outreach.DeliveryID(tt.job.ID, tt.r.ID, rec.Channel) {
				t.Errorf("record id %s is not the delivery id of its channel", rec.ID)
			}
			isDeferred := !p.until.IsZero()
			switch {
			case p.err != nil:
				t.Errorf("error = %v", p.err)
			case tt.wantStatus == outreach.StatusDeferred && !p.until.Equal(tt.wantUntil):
				t.Errorf("deferred until %s, want %s", p.until, tt.wantUntil)
			case tt.wantStatus == outreach.StatusDeferred && !strings.Contains(rec.Error, "quiet hours 21:00-08:00"):
				t.Errorf("deferred record says %q, want the quiet hours", rec.Error)
			case tt.wantStatus != outreach.StatusDeferred && isDeferred:
				t.Errorf("unexpected deferral until %s", p.until)
			}
		})
	}
}

// TestPolicyCap: the second bulk message of the day is suppressed; normal
// and urgent ones are not capped; a retry of a counted message goes.
func TestPolicyCap(t *testing.T) {
	t.Parallel()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	d, reg := policyDispatcher(t, policy.Rules{DailyCap: 1, WeeklyCap: 5}, time.Date(2027, 2, 16, 10, 0, 0, 0, shanghai))
	r := outreach.Resident{ID: "r1", Name: "Wang", Email: "wang@example.com", Locale: "en"}
	bulk := func(id string) outreach.Job {
		return outreach.Job{ID: id, Kind: outreach.KindHolidayGreeting, Data: greetingData, Priority: outreach.PriorityBulk}
	}
	steps := []struct {
		job  outreach.Job
		want outreach.Status
	}{
		{bulk("b1"), outreach.StatusSent},
		{bulk("b2"), outreach.StatusSuppressed},
		{bulk("b1"), outreach.StatusSent}, // the same message again (a retry) is not counted twice
		{outreach.Job{ID: "n1", Kind: outreach.KindHolidayGreeting, Data: greetingData}, outreach.StatusSent},
		{outreach.Job{ID: "u1", Kind: outreach.KindHolidayGreeting, Data: greetingData, Priority: outreach.PriorityUrgent}, outreach.StatusSent},
	}
	for i, s := range steps {
		rec := lastRecord(runResident(d, t.Context(), s.job, r, queue.Entry{ID: "1-0"}, false, nil, ""))
		if rec.Status != s.want {
			t.Errorf("step %d (%s): status %s (%s), want %s", i, s.job.ID, rec.Status, rec.Error, s.want)
		}
		if s.want == outreach.StatusSuppressed && rec.Policy != outreach.PolicyDailyCap {
			t.Errorf("step %d: policy %q, want daily_cap", i, rec.Policy)
		}
	}
	if got := testutil.ToFloat64(d.metrics.PolicyDecisions.WithLabelValues("suppressed", "daily_cap")); got != 1 {
		t.Errorf("outreach_policy_decisions_total{suppressed,daily_cap} = %v, want 1", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", err, problems)
	}
}

// lastRecord is the record of the channel a resident's delivery ended on.
func lastRecord(p *perResident) outreach.Delivery {
	if len(p.recs) == 0 {
		return outreach.Delivery{}
	}
	return p.recs[len(p.recs)-1]
}
