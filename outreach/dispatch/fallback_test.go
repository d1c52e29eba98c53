package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/templates"
)

// senderFunc is a Sender whose Send is a function (an internal seam; the
// real channels are tested against real peers in their packages and in
// the daemon's tests).
type senderFunc struct {
	ch   outreach.Channel
	send func(outreach.Message) (outreach.Receipt, error)
}

func (s senderFunc) Channel() outreach.Channel { return s.ch }
func (s senderFunc) Send(_ context.Context, m outreach.Message) (outreach.Receipt, error) {
	return s.send(m)
}
func (s senderFunc) Close() error { return nil }

// callLog records the channels sent on, in order.
type callLog struct {
	mu    sync.Mutex
	calls []outreach.Channel
	msgs  []outreach.Message
}

func (l *callLog) sender(ch outreach.Channel, err error) senderFunc {
	return senderFunc{ch: ch, send: func(m outreach.Message) (outreach.Receipt, error) {
		l.mu.Lock()
		l.calls = append(l.calls, ch)
		l.msgs = append(l.msgs, m)
		l.mu.Unlock()
		if err != nil {
			return outreach.Receipt{}, err
		}
		return outreach.Receipt{ProviderID: "p-" + string(ch), Status: outreach.StatusSent}, nil
	}}
}

func testDispatcher(t testing.TB, senders map[outreach.Channel]outreach.Sender, edit func(*Config)) *Dispatcher {
	t.Helper()
	tmpl, err := templates.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Senders: senders, Templates: tmpl, Metrics: metrics.New(prometheus.NewRegistry())}
	if edit != nil {
		edit(&cfg)
	}
	cfg = cfg.withDefaults()
	return &Dispatcher{cfg: cfg, tmpl: tmpl, senders: senders, metrics: cfg.Metrics, logger: cfg.Logger}
}

var (
	permanent550 = &outreach.SendError{Permanent: true, Reason: "smtp_5xx", Code: "550", Err: errors.New("550 mailbox unavailable")}
	temporary451 = &outreach.SendError{Reason: "smtp_4xx", Code: "451", Err: errors.New("451 try later")}
	temporary429 = &outreach.SendError{Reason: "twilio_429", RetryAfter: 7 * time.Second, Err: errors.New("429")}
)

func noticeJob(priority outreach.Priority) outreach.Job {
	return outreach.Job{ID: "job-1", Kind: outreach.KindMaintenanceNotice, ResidentID: "r1", Priority: priority,
		Data: map[string]any{"title": "Lift fault", "area": "Building 3", "start": "2026-12-02 09:00", "end": "2026-12-02 12:00"}}
}

// testAttempt is an attempt of job from entry e as the stages after
// decode see it.
func testAttempt(d *Dispatcher, job outreach.Job, e queue.Entry) *attempt {
	a := newAttempt(d.logger, e, nil)
	d.accept(a, job)
	return a
}

// runResident runs the resident stages (route, policy, send) for r, with
// the job's earlier outcomes for r and the campaign's state.
func runResident(d *Dispatcher, ctx context.Context, job outreach.Job, r outreach.Resident, e queue.Entry, lastAttempt bool,
	prior map[outreach.Channel]outreach.Outcome, campaign outreach.CampaignState) *perResident {
	if lastAttempt {
		e.Attempt = d.cfg.MaxAttempts - 1
	}
	a := testAttempt(d, job, e)
	a.campaign = campaign
	if prior != nil {
		a.prior = map[string]map[outreach.Channel]outreach.Outcome{r.ID: prior}
	}
	return d.deliverTo(ctx, a, r)
}

func TestDeliverResident(t *testing.T) {
	t.Parallel()
	email, sms := outreach.ChannelEmail, outreach.ChannelSMS
	r := outreach.Resident{ID: "r1", Name: "Emily", Email: "e@example.com", Phone: "+8613800138000", Locale: "en"}
	tests := []struct {
		name        string
		emailErr    error
		smsErr      error
		urgentAll   bool
		priority    outreach.Priority
		lastAttempt bool
		prior       map[outreach.Channel]outreach.Outcome
		wantCalls   []outreach.Channel
		wantStatus  []outreach.Status // of the records, in order
		wantRetry   bool
	}{
		{name: "first channel works", wantCalls: []outreach.Channel{email}, wantStatus: []outreach.Status{outreach.StatusSent}},
		{name: "permanent failure falls back to the next channel", emailErr: permanent550,
			wantCalls: []outreach.Channel{email, sms}, wantStatus: []outreach.Status{outreach.StatusFailed, outreach.StatusSent}},
		{name: "both fail for good", emailErr: permanent550, smsErr: &outreach.SendError{Permanent: true, Reason: "twilio_21211"},
			wantCalls: []outreach.Channel{email, sms}, wantStatus: []outreach.Status{outreach.StatusFailed, outreach.StatusFailed}},
		{name: "temporary failure waits for the retry", emailErr: temporary451,
			wantCalls: []outreach.Channel{email}, wantStatus: []outreach.Status{outreach.StatusRetrying}, wantRetry: true},
		{name: "temporary failure on the last attempt falls back", emailErr: temporary451, lastAttempt: true,
			wantCalls: []outreach.Channel{email, sms}, wantStatus: []outreach.Status{outreach.StatusFailed, outreach.StatusSent}},
		{name: "a retry skips the channel that failed for good", smsErr: nil,
			prior:     map[outreach.Channel]outreach.Outcome{email: {Channel: email, Status: outreach.StatusFailed, Rendered: true}, sms: {Channel: sms, Status: outreach.StatusRetrying}},
			wantCalls: []outreach.Channel{sms}, wantStatus: []outreach.Status{outreach.StatusSent}},
		{name: "already taken on some channel: nothing is sent",
			prior:     map[outreach.Channel]outreach.Outcome{sms: {Channel: sms, Status: outreach.StatusQueued, Accepted: true}},
			wantCalls: nil, wantStatus: nil},
		{name: "urgent notice without the setting falls back as usual", priority: outreach.PriorityUrgent,
			wantCalls: []outreach.Channel{email}, wantStatus: []outreach.Status{outreach.StatusSent}},
		{name: "urgent notice by every channel at once", urgentAll: true, priority: outreach.PriorityUrgent,
			wantCalls: []outreach.Channel{email, sms}, wantStatus: []outreach.Status{outreach.StatusSent, outreach.StatusSent}},
		{name: "normal notice with the setting: first channel only", urgentAll: true,
			wantCalls: []outreach.Channel{email}, wantStatus: []outreach.Status{outreach.StatusSent}},
		{name: "all at once: a temporary failure retries that channel, the other is sent", urgentAll: true, priority: outreach.PriorityUrgent,
			smsErr: temporary429, wantCalls: []outreach.Channel{email, sms},
			wantStatus: []outreach.Status{outreach.StatusSent, outreach.StatusRetrying}, wantRetry: true},
		{name: "all at once: the retry sends only what was not taken", urgentAll: true, priority: outreach.PriorityUrgent,
			prior:     map[outreach.Channel]outreach.Outcome{email: {Channel: email, Status: outreach.StatusSent, Accepted: true}, sms: {Channel: sms, Status: outreach.StatusRetrying}},
			wantCalls: []outreach.Channel{sms}, wantStatus: []outreach.Status{outreach.StatusSent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log callLog
			d := testDispatcher(t, map[outreach.Channel]outreach.Sender{email: log.sender(email, tt.emailErr), sms: log.sender(sms, tt.smsErr)},
				func(c *Config) { c.UrgentAllChannels = tt.urgentAll })
			p := runResident(d, t.Context(), noticeJob(tt.priority), r, queue.Entry{ID: "1-0"}, tt.lastAttempt, tt.prior, "")
			recs, err := p.recs, p.err
			if (err != nil) != tt.wantRetry {
				t.Errorf("error = %v, want a retry: %v", err, tt.wantRetry)
			}
			if !slices.Equal(log.calls, tt.wantCalls) {
				t.Errorf("sent on %v, want %v", log.calls, tt.wantCalls)
			}
			var got []outreach.Status
			for i, rec := range recs {
				got = append(got, rec.Status)
				if rec.ID != outreach.DeliveryID("job-1", "r1", rec.Channel) || rec.Channel != tt.wantCalls[i] {
					t.Errorf("record %d: id %s channel %s, want the delivery of channel %s", i, rec.ID, rec.Channel, tt.wantCalls[i])
				}
				if rec.QueuedAt == nil || (rec.Status.Accepted() != (rec.SentAt != nil)) {
					t.Errorf("record %d: queued_at %v sent_at %v for status %s", i, rec.QueuedAt, rec.SentAt, rec.Status)
				}
			}
			if !slices.Equal(got, tt.wantStatus) {
				t.Errorf("records %v, want %v", got, tt.wantStatus)
			}
		})
	}
}

func TestDeliverResidentNoChannel(t *testing.T) {
	t.Parallel()
	var log callLog
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: log.sender(outreach.ChannelEmail, nil)}, nil)
	job := noticeJob("")
	job.Channels = []outreach.Channel{outreach.ChannelSMS}
	p := runResident(d, t.Context(), job, outreach.Resident{ID: "r1", Email: "e@example.com"}, queue.Entry{}, false, nil, "")
	recs, err := p.recs, p.err
	if err != nil || len(recs) != 1 || recs[0].Status != outreach.StatusFailed || recs[0].Channel != "" ||
		!strings.Contains(recs[0].Error, "no usable channel") || len(log.calls) != 0 {
		t.Errorf("deliverResident = %+v, %v, calls %v; want one failed record naming the reason", recs, err, log.calls)
	}
	job.Channels = []outreach.Channel{outreach.ChannelWeCom} // a group notice: not for the resident
	if p := runResident(d, t.Context(), job, outreach.Resident{ID: "r1"}, queue.Entry{}, false, nil, ""); len(p.recs) != 0 || p.err != nil {
		recs, err := p.recs, p.err
		t.Errorf("chat-only job: deliverResident = %+v, %v; want nothing", recs, err)
	}
}

func TestPostGroups(t *testing.T) {
	t.Parallel()
	var log callLog
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{
		outreach.ChannelWeCom: log.sender(outreach.ChannelWeCom, nil),
		outreach.ChannelSlack: log.sender(outreach.ChannelSlack, temporary429),
	}, nil)
	job := noticeJob(outreach.PriorityUrgent)
	job.ResidentID, job.Audience = "", &outreach.Audience{Building: "3", Locale: "zh-CN"}
	job.Channels = []outreach.Channel{outreach.ChannelWeCom, outreach.ChannelSlack, outreach.ChannelDingTalk, outreach.ChannelSMS}

	recs, err := d.postGroups(t.Context(), testAttempt(d, job, queue.Entry{ID: "1-0"}))
	if outreach.RetryAfterHint(err) != 7*time.Second {
		t.Errorf("error = %v, want Slack's temporary failure", err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s:%s:%q", r.Channel, r.Status, r.ResidentID))
	}
	want := []string{`wecom:sent:""`, `slack:retrying:""`, `dingtalk:failed:""`}
	if !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if !slices.Equal(log.calls, []outreach.Channel{outreach.ChannelWeCom, outreach.ChannelSlack}) {
		t.Errorf("posted to %v, want wecom and slack", log.calls)
	}
	if m := log.msgs[0]; m.To != "" || !strings.Contains(m.Subject, "Lift fault") || !strings.Contains(m.Text, "住户") {
		t.Errorf("group post = %+v, want the Chinese notice for a neutral reader", m)
	}

	// The retry posts only to the group that has not got it.
	log.calls = nil
	prior := map[string]map[outreach.Channel]outreach.Outcome{"": {
		outreach.ChannelWeCom:    {Status: outreach.StatusSent, Accepted: true},
		outreach.ChannelSlack:    {Status: outreach.StatusRetrying},
		outreach.ChannelDingTalk: {Status: outreach.StatusFailed, Rendered: true},
	}}
	a := testAttempt(d, job, queue.Entry{ID: "1-0"})
	a.prior = prior
	if _, err := d.postGroups(t.Context(), a); err == nil || !slices.Equal(log.calls, []outreach.Channel{outreach.ChannelSlack}) {
		t.Errorf("retry posted to %v (%v), want slack only", log.calls, err)
	}
}

func TestDeliverSetsUnsubscribeAndReceipt(t *testing.T) {
	t.Parallel()
	var got outreach.Message
	sms := senderFunc{ch: outreach.ChannelEmail, send: func(m outreach.Message) (outreach.Receipt, error) {
		got = m
		return outreach.Receipt{ProviderID: "SM1", Status: outreach.StatusQueued, Segments: 2, Encoding: "UCS-2"}, nil
	}}
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: sms}, func(c *Config) {
		c.Unsubscribe = func(id string, ch outreach.Channel, k outreach.Kind) string {
			return "https://x.example/unsubscribe/" + id + "/" + string(ch) + "/" + string(k)
		}
	})
	job := outreach.Job{ID: "j", Kind: outreach.KindHolidayGreeting, ResidentID: "r1", Data: map[string]any{"holiday": "春节"}}
	rec, _, err := d.deliver(t.Context(), testAttempt(d, job, queue.Entry{}), outreach.Resident{ID: "r1", Email: "e@example.com"}, outreach.ChannelEmail)
	if err != nil {
		t.Fatal(err)
	}
	if got.Unsubscribe != "https://x.example/unsubscribe/r1/email/holiday_greeting" {
		t.Errorf("message unsubscribe link = %q", got.Unsubscribe)
	}
	if rec.Status != outreach.StatusQueued || rec.Segments != 2 || rec.Encoding != "UCS-2" || rec.ProviderID != "SM1" || rec.SentAt == nil {
		t.Errorf("record = %+v, want queued with segments, encoding, provider id and sent_at", rec)
	}
}

// optOutStore is a Store whose SetOptOut records its calls; the other
// methods are those of the embedded nil Store and panic if called.
type optOutStore struct {
	outreach.Store
	mu    sync.Mutex
	calls []string
}

func (s *optOutStore) SetOptOut(_ context.Context, id string, ch outreach.Channel, k outreach.Kind, out bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf("%s %s %s %v", id, ch, k, out))
	return nil
}

// TestUnsubscribedAtProviderIsRecorded: Twilio's 21610 (the resident
// replied STOP to Twilio) marks the resident opted out of SMS, and the
// message falls back to email.
func TestUnsubscribedAtProviderIsRecorded(t *testing.T) {
	t.Parallel()
	var log callLog
	unsub := &outreach.SendError{Permanent: true, Reason: "twilio_21610", Code: "21610", Unsubscribed: true, Err: errors.New("unsubscribed")}
	st := &optOutStore{}
	d := testDispatcher(t, map[outreach.Channel]outreach.Sender{
		outreach.ChannelSMS:   log.sender(outreach.ChannelSMS, unsub),
		outreach.ChannelEmail: log.sender(outreach.ChannelEmail, nil),
	}, nil)
	d.store = st
	r := outreach.Resident{ID: "r1", Email: "e@example.com", Phone: "+8613800138000", Locale: "en",
		Channels: []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}}
	p := runResident(d, t.Context(), noticeJob(""), r, queue.Entry{}, false, nil, "")
	recs, err := p.recs, p.err
	if err != nil || len(recs) != 2 || recs[0].Status != outreach.StatusFailed || recs[1].Status != outreach.StatusSent {
		t.Fatalf("deliverResident = %+v, %v; want SMS failed, email sent", recs, err)
	}
	if want := []string{"r1 sms  true"}; !slices.Equal(st.calls, want) {
		t.Errorf("SetOptOut calls = %q, want %q", st.calls, want)
	}
}
