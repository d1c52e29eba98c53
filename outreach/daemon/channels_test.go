package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
	"github.com/outreach-dev/outreach/outreach/webhook/webhooktest"
)

// publicURL is where the test daemon claims to be reachable; the stand-ins
// post there through Forward, as through a proxy.
const publicURL = "https://outreach.example.test"

// withPublicURL turns on the webhooks and unsubscribe links.
func withPublicURL(c *config.Config) {
	c.PublicURL = publicURL
	c.Delivery.UnsubscribeSecret = outreach.Secret(strings.Repeat("s", 40))
}

// forward sends what the stand-ins post to the public URL to the daemon.
func (h *harness) forward() {
	h.twilio.Forward = func(u string) string { return strings.Replace(u, publicURL, "http://"+h.d.Addr(), 1) }
}

func (h *harness) upsert(rs ...outreach.Resident) {
	h.t.Helper()
	if _, err := h.d.Store.UpsertResidents(context.Background(), rs); err != nil {
		h.t.Fatal(err)
	}
}

// byChannel indexes a job's archive records by channel.
func byChannel(ds []outreach.Delivery) map[outreach.Channel]outreach.Delivery {
	m := map[outreach.Channel]outreach.Delivery{}
	for _, d := range ds {
		m[d.Channel] = d
	}
	return m
}

// TestFallbackEmailToSMS: the resident prefers email; the mailbox refuses
// for good (550), so SMS is tried, and the archive shows both attempts.
func TestFallbackEmailToSMS(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, nil)
			h.upsert(outreach.Resident{ID: "r-fb", Name: "Grace Lin", Email: "gone@example.com", Phone: "+8613800138101", Locale: "en",
				Channels: []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS}})
			h.smtp.Reply("gone@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"})
			h.start()
			h.xadd("job", fmt.Sprintf(notice, "job-fb", "r-fb", ""))
			eventually(t, "the job settled", func() bool { return h.settled() && len(h.search(outreach.Filter{JobID: "job-fb"})) == 2 })

			recs := byChannel(h.search(outreach.Filter{JobID: "job-fb"}))
			if e := recs[outreach.ChannelEmail]; e.Status != outreach.StatusFailed || !strings.Contains(e.Error, "550") || e.SentAt != nil {
				t.Errorf("email record = %+v, want failed with the 550 reply", e)
			}
			if s := recs[outreach.ChannelSMS]; s.Status != outreach.StatusQueued || s.ProviderID == "" || !strings.Contains(s.Body, "Grace Lin") {
				t.Errorf("SMS record = %+v, want queued at Twilio", s)
			}
			if n := h.smtp.Attempts("gone@example.com"); n != 1 {
				t.Errorf("SMTP attempts = %d, want 1", n)
			}
			if n := len(h.twilio.To("+8613800138101")); n != 1 {
				t.Errorf("Twilio took %d SMS, want 1", n)
			}
		})
	}
}

const urgentNotice = `{"id":%q,"kind":"maintenance_notice","resident_id":%q,"priority":%q%s,"data":{"title":"Lift fault","area":"Building 3","start":"2026-12-02 09:00","end":"2026-12-02 12:00"}}`

// TestUrgentNoticeByEveryChannel: with OUTREACH_URGENT_ALL_CHANNELS an
// urgent maintenance notice goes by email and SMS at once, and to the chat
// groups the job names; a normal notice takes the first channel only.
func TestUrgentNoticeByEveryChannel(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, func(c *config.Config, _ *dispatch.Config) { c.Delivery.UrgentAllChannels = true })
			h.upsert(
				outreach.Resident{ID: "r-u1", Name: "Grace Lin", Email: "grace@example.com", Phone: "+8613800138201", Locale: "en", Building: "3"},
				outreach.Resident{ID: "r-u2", Name: "Tom Wu", Email: "tom@example.com", Phone: "+8613800138202", Locale: "en", Building: "3"},
			)
			h.start()
			h.xadd("job", fmt.Sprintf(urgentNotice, "job-urgent", "r-u1", "urgent", `,"channels":["email","sms","wecom"]`))
			h.xadd("job", fmt.Sprintf(urgentNotice, "job-normal", "r-u2", "normal", ""))
			eventually(t, "both jobs settled", func() bool {
				return h.settled() && len(h.search(outreach.Filter{JobID: "job-urgent"})) == 3 && len(h.search(outreach.Filter{JobID: "job-normal"})) == 1
			})

			urgent := byChannel(h.search(outreach.Filter{JobID: "job-urgent"}))
			for _, ch := range []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS, outreach.ChannelWeCom} {
				if d, ok := urgent[ch]; !ok || !d.Status.Accepted() || d.ResidentID != "r-u1" {
					t.Errorf("urgent notice on %s = %+v, want taken by the provider", ch, d)
				}
			}
			if len(received(h.smtp, "grace@example.com")) != 1 || len(h.twilio.To("+8613800138201")) != 1 || len(h.chat.Posts(outreach.ChannelWeCom)) != 1 {
				t.Errorf("urgent notice: %d emails, %d SMS, %d WeCom posts; want one each",
					len(received(h.smtp, "grace@example.com")), len(h.twilio.To("+8613800138201")), len(h.chat.Posts(outreach.ChannelWeCom)))
			}
			if normal := h.search(outreach.Filter{JobID: "job-normal"}); normal[0].Channel != outreach.ChannelEmail || len(h.twilio.To("+8613800138202")) != 0 {
				t.Errorf("normal notice = %+v, want email only", normal)
			}
		})
	}
}

// TestSMSRetryAndStatusCallbacks: a number that answers 429 once is
// delivered after a retry; signed status callbacks move the archive record
// forward to delivered, a late one does not move it back, a forged one
// gets 403.
func TestSMSRetryAndStatusCallbacks(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, func(c *config.Config, _ *dispatch.Config) {
				withPublicURL(c)
				c.Delivery.SMSRate = 50
			})
			h.forward()
			const phone = "+8613800138301"
			h.upsert(outreach.Resident{ID: "r-429", Name: "张伟", Phone: phone, Locale: "zh-CN"})
			h.twilio.Answer(phone, twiliotest.TooManyRequests)
			h.start()
			h.xadd("job", fmt.Sprintf(notice, "job-429", "r-429", ""))
			eventually(t, "the SMS retried and taken", func() bool {
				rec := h.search(outreach.Filter{JobID: "job-429"})
				return h.settled() && len(rec) == 1 && rec[0].Status == outreach.StatusQueued
			})
			rec := h.search(outreach.Filter{JobID: "job-429"})[0]
			if n := h.twilio.Calls(phone); n != 2 || rec.Attempts != 2 {
				t.Errorf("Twilio saw %d requests, archive %d attempts; want 2 and 2 (429, then taken)", n, rec.Attempts)
			}
			if rec.QueuedAt == nil || rec.SentAt == nil || rec.SentAt.Before(*rec.QueuedAt) || rec.Segments != 2 || rec.Encoding != "UCS-2" {
				t.Errorf("archive = %+v, want queued_at <= sent_at and 2 UCS-2 segments (74 characters)", rec)
			}
			msgs := h.twilio.To(phone)
			if len(msgs) != 1 || msgs[0].StatusCallback != publicURL+sms.StatusPath || msgs[0].SID != rec.ProviderID {
				t.Fatalf("Twilio took %+v, want one message with the status callback URL", msgs)
			}

			status := func() outreach.Status { return h.search(outreach.Filter{JobID: "job-429"})[0].Status }
			forged := twiliotest.StatusForm(msgs[0].SID, "failed", "30003")
			if code, err := h.twilio.Webhook(publicURL+sms.StatusPath, "not-the-token", forged); err != nil || code != 403 {
				t.Errorf("forged callback: %d %v, want 403", code, err)
			}
			for _, step := range []struct {
				status string
				want   outreach.Status
			}{{"sent", outreach.StatusSent}, {"delivered", outreach.StatusDelivered}, {"sent", outreach.StatusDelivered}, {"delivered", outreach.StatusDelivered}} {
				if code, err := h.twilio.Callback(msgs[0], step.status, ""); err != nil || code != 204 {
					t.Fatalf("callback %s: %d %v, want 204", step.status, code, err)
				}
				if got := status(); got != step.want {
					t.Errorf("after callback %s: archive %s, want %s", step.status, got, step.want)
				}
			}
			m := h.d.Metrics()
			if got := testutil.ToFloat64(m.StatusReports.WithLabelValues("sms", "delivered", "applied")); got != 1 {
				t.Errorf("applied delivered reports = %v, want 1", got)
			}
			if got := testutil.ToFloat64(m.WebhookRequests.WithLabelValues("twilio_status", "forged")); got != 1 {
				t.Errorf("forged status requests = %v, want 1", got)
			}
			if n := testutil.CollectAndCount(m.RateLimitWait); n != 1 {
				t.Errorf("rate-limit wait series = %d, want 1 (sms)", n)
			}
		})
	}
}

// TestChatGroupNotice: a building notice that names the chat channels is
// posted once to each group robot and archived per channel, without a
// resident; the audience is not messaged.
func TestChatGroupNotice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", nil)
	h.upsert(outreach.Resident{ID: "r-b3", Name: "Grace Lin", Email: "grace@example.com", Building: "3", Locale: "zh-CN"})
	h.chat.Queue(outreach.ChannelSlack, webhooktest.Reply{Status: 503, Body: "service unavailable"}) // retried
	h.start()
	h.xadd("job", `{"id":"job-group","kind":"maintenance_notice","audience":{"building":"3"},"priority":"urgent",`+
		`"channels":["wecom","dingtalk","slack"],"data":{"title":"电梯故障","area":"3号楼","start":"2026-12-02 09:00","end":"2026-12-02 12:00"}}`)
	eventually(t, "the group notice posted everywhere", func() bool {
		recs := h.search(outreach.Filter{JobID: "job-group"})
		return h.settled() && len(recs) == 3 && !slices.ContainsFunc(recs, func(d outreach.Delivery) bool { return !d.Status.Accepted() })
	})
	for _, ch := range outreach.GroupChannels {
		posts := h.chat.Posts(ch)
		if len(posts) != 1 || !strings.Contains(posts[0], "电梯故障") || !strings.Contains(posts[0], "3号楼") {
			t.Errorf("%s robot got %q, want the notice once", ch, posts)
		}
	}
	for _, d := range h.search(outreach.Filter{JobID: "job-group"}) {
		if d.ResidentID != "" || d.Subject == "" || d.Body == "" {
			t.Errorf("group record = %+v, want no resident, the rendered notice", d)
		}
	}
	if d := byChannel(h.search(outreach.Filter{JobID: "job-group"}))[outreach.ChannelSlack]; d.Attempts != 2 {
		t.Errorf("slack record attempts = %d, want 2 (503, then taken)", d.Attempts)
	}
	if len(h.smtp.Messages()) != 0 {
		t.Errorf("the building's residents got %d emails, want none", len(h.smtp.Messages()))
	}
}

// TestInboundStopAndReplies: a resident's STOP reply, posted by Twilio
// with its signature, opts them out of SMS; an ordinary answer is archived
// against the SMS it answers; a forged STOP changes nothing.
func TestInboundStopAndReplies(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, func(c *config.Config, _ *dispatch.Config) { withPublicURL(c) })
			h.forward()
			const phone, ours = "+8613800138401", "+15005550006"
			h.upsert(outreach.Resident{ID: "r-stop", Name: "李明", Phone: phone, Locale: "zh-CN"},
				outreach.Resident{ID: "r-survey", Name: "Emily Carter", Phone: "+8613800138402", Locale: "en"})
			h.start()
			h.xadd("job", `{"id":"survey-1","kind":"satisfaction_callback","resident_id":"r-survey","data":{"service":"kitchen sink repair"}}`)
			eventually(t, "the survey sent", func() bool { return h.settled() && len(h.twilio.To("+8613800138402")) == 1 })

			inbound := publicURL + sms.InboundPath
			forged := h.twilio.InboundForm(phone, ours, "STOP")
			if code, _ := h.twilio.Webhook(inbound, "forged-token", forged); code != 403 {
				t.Errorf("forged STOP: %d, want 403", code)
			}
			optedOut := func() bool {
				r, err := h.d.Store.Resident(context.Background(), "r-stop")
				return err == nil && slices.Contains(r.OptOutChannels, outreach.ChannelSMS)
			}
			if optedOut() {
				t.Fatal("a forged STOP opted the resident out")
			}
			if code, err := h.twilio.Webhook(inbound, twiliotest.AuthToken, h.twilio.InboundForm(phone, ours, "退订")); err != nil || code != 200 {
				t.Fatalf("STOP: %d %v", code, err)
			}
			if !optedOut() {
				t.Error("退订 did not opt the resident out of SMS")
			}
			// Later SMS to the resident are not sent: the policy stage
			// archives them as suppressed, with the opt-out as the reason.
			h.xadd("job", fmt.Sprintf(notice, "after-stop", "r-stop", ""))
			eventually(t, "the notice after STOP archived", func() bool { return h.settled() && len(h.search(outreach.Filter{JobID: "after-stop"})) == 1 })
			if rec := h.only("after-stop"); rec.Status != outreach.StatusSuppressed || rec.Policy != outreach.PolicyOptOutChannel {
				t.Errorf("notice after STOP archived as %s (policy %q), want suppressed for the opt-out", rec.Status, rec.Policy)
			}
			if got := len(h.twilio.To(phone)); got != 0 {
				t.Errorf("Twilio got %d messages for the resident after STOP, want 0", got)
			}
			if code, err := h.twilio.Webhook(inbound, twiliotest.AuthToken, h.twilio.InboundForm("+8613800138402", ours, "5 - very happy")); err != nil || code != 200 {
				t.Fatalf("survey answer: %d %v", code, err)
			}
			replies, err := h.d.Store.Replies(context.Background(), outreach.Filter{ResidentID: "r-survey"})
			if err != nil || len(replies) != 1 || replies[0].JobID != "survey-1" || replies[0].Body != "5 - very happy" {
				t.Errorf("survey replies = %+v (%v), want the answer against survey-1", replies, err)
			}
		})
	}
}

// TestHolidayGreetingUnsubscribe: a holiday greeting by email carries a
// one-click unsubscribe link; the mail client's POST to it opts the
// resident out of greetings, and of nothing else.
func TestHolidayGreetingUnsubscribe(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { withPublicURL(c) })
	h.upsert(outreach.Resident{ID: "r-greet", Name: "Emily Carter", Email: "emily@example.com", Locale: "en"})
	h.start()
	h.xadd("job", `{"id":"ny-2027","kind":"holiday_greeting","resident_id":"r-greet","priority":"bulk","data":{"holiday":"New Year"}}`)
	h.xadd("job", fmt.Sprintf(notice, "water-1", "r-greet", ""))
	eventually(t, "both emails sent", func() bool { return h.settled() && len(received(h.smtp, "emily@example.com")) == 2 })

	var link string
	for _, m := range received(h.smtp, "emily@example.com") {
		p, err := emailtest.Parse(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		got := p.Header.Get("List-Unsubscribe")
		if strings.Contains(p.Subject, "New Year") || strings.Contains(string(m.Data), "X-Outreach-Job: ny-2027") {
			if p.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(got, "<"+publicURL+"/unsubscribe/") {
				t.Fatalf("greeting headers: List-Unsubscribe %q, -Post %q", got, p.Header.Get("List-Unsubscribe-Post"))
			}
			link = strings.Trim(got, "<>")
		} else if got != "" {
			t.Errorf("a maintenance notice carries List-Unsubscribe %q", got)
		}
	}
	if link == "" {
		t.Fatal("no greeting with an unsubscribe link")
	}
	local := strings.Replace(link, publicURL, "http://"+h.d.Addr(), 1)
	resp, err := http.Post(local, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r, err := h.d.Store.Resident(context.Background(), "r-greet")
	if err != nil || resp.StatusCode != 200 || !slices.Equal(r.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}) || len(r.OptOutChannels) != 0 {
		t.Errorf("after one-click: HTTP %d, opt-outs %v %v (%v); want holiday greetings only", resp.StatusCode, r.OptOutKinds, r.OptOutChannels, err)
	}
}
