package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/outreach/unsubscribe"
)

// webhookEnv is the daemon's HTTP handler with webhooks on a real SQLite
// archive, served on an httptest server whose URL is the public URL.
type webhookEnv struct {
	srv     *httptest.Server
	store   outreach.Store
	metrics *metrics.Metrics
	wh      *Webhooks
}

func newWebhookEnv(t *testing.T, edit func(*Webhooks)) *webhookEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/archive.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	reg := prometheus.NewRegistry()
	env := &webhookEnv{store: st, metrics: metrics.New(reg)}
	v := sms.NewValidator(twiliotest.AuthToken)
	signer, err := unsubscribe.NewSigner(outreach.Secret(strings.Repeat("k", 40)), "https://outreach.example.com")
	if err != nil {
		t.Fatal(err)
	}
	env.wh = &Webhooks{Store: st, Metrics: env.metrics, Twilio: &v, Unsubscribe: signer, OptOut: st.SetOptOut}
	if edit != nil {
		edit(env.wh)
	}
	env.srv = httptest.NewServer(NewHandler(Config{Gatherer: reg, Webhooks: env.wh}))
	t.Cleanup(env.srv.Close)
	if env.wh.PublicURL == "" {
		env.wh.PublicURL = env.srv.URL
	}
	return env
}

const (
	residentPhone = "+8613800138000"
	sid1          = "SM00000000000000000000000000000001"
)

// queuedSMS archives an SMS that Twilio took with sid.
func (env *webhookEnv) queuedSMS(t *testing.T, id, sid string, created time.Time) {
	t.Helper()
	sent := created.Add(time.Second)
	err := env.store.Record(context.Background(), []outreach.Delivery{{
		ID: id, JobID: "job-" + id, ResidentID: "r1", Kind: outreach.KindSatisfactionCallback, Channel: outreach.ChannelSMS,
		Body: "How was the repair? Reply 1-5.", Status: outreach.StatusQueued, ProviderID: sid, Attempts: 1,
		CreatedAt: created, UpdatedAt: sent, SentAt: &sent,
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func (env *webhookEnv) delivery(t *testing.T, id string) outreach.Delivery {
	t.Helper()
	ds, err := env.store.Search(context.Background(), outreach.Filter{JobID: "job-" + id})
	if err != nil || len(ds) != 1 {
		t.Fatalf("search %s: %v %v", id, ds, err)
	}
	return ds[0]
}

func TestTwilioStatusCallback(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, nil)
	env.queuedSMS(t, "d1", sid1, time.Now().Add(-time.Minute))
	statusURL := env.srv.URL + sms.StatusPath
	steps := []struct {
		name   string
		token  string
		url    string // posted to, and signed over
		form   url.Values
		want   int
		status outreach.Status
	}{
		{"sent", twiliotest.AuthToken, statusURL, twiliotest.StatusForm(sid1, "sent", ""), 204, outreach.StatusSent},
		{"forged delivered", "not-the-token", statusURL, twiliotest.StatusForm(sid1, "delivered", ""), 403, outreach.StatusSent},
		{"signed for another host", twiliotest.AuthToken, statusURL, nil, 403, outreach.StatusSent},
		{"delivered", twiliotest.AuthToken, statusURL, twiliotest.StatusForm(sid1, "delivered", ""), 204, outreach.StatusDelivered},
		{"delivered again", twiliotest.AuthToken, statusURL, twiliotest.StatusForm(sid1, "delivered", ""), 204, outreach.StatusDelivered},
		{"late sent", twiliotest.AuthToken, statusURL, twiliotest.StatusForm(sid1, "sent", ""), 204, outreach.StatusDelivered},
		{"unknown message", twiliotest.AuthToken, statusURL, twiliotest.StatusForm("SM99999999999999999999999999999999", "delivered", ""), 204, outreach.StatusDelivered},
		{"malformed", twiliotest.AuthToken, statusURL, url.Values{"MessageSid": {"nope"}}, 400, outreach.StatusDelivered},
	}
	for _, st := range steps {
		var code int
		var err error
		if st.form == nil { // signed over the URL an attacker's proxy used
			form := twiliotest.StatusForm(sid1, "failed", "30003")
			code, err = postSignedOver(statusURL, "https://evil.example.com"+sms.StatusPath, form)
		} else {
			code, err = twiliotest.Post(st.url, st.token, st.form)
		}
		if err != nil {
			t.Fatal(err)
		}
		if code != st.want {
			t.Errorf("%s: HTTP %d, want %d", st.name, code, st.want)
		}
		if got := env.delivery(t, "d1").Status; got != st.status {
			t.Errorf("%s: archive status %q, want %q", st.name, got, st.status)
		}
	}
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"sms", "delivered", "applied"}, 1},
		{[]string{"sms", "delivered", "stale"}, 1},
		{[]string{"sms", "sent", "stale"}, 1},
	} {
		if got := testutil.ToFloat64(env.metrics.StatusReports.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("status reports %v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := testutil.ToFloat64(env.metrics.WebhookRequests.WithLabelValues("twilio_status", "forged")); got != 2 {
		t.Errorf("forged requests counted %v, want 2", got)
	}
}

func TestTwilioStatusUndelivered(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, nil)
	env.queuedSMS(t, "d2", sid1, time.Now())
	if code, err := twiliotest.Post(env.srv.URL+sms.StatusPath, twiliotest.AuthToken, twiliotest.StatusForm(sid1, "undelivered", "30003")); err != nil || code != 204 {
		t.Fatalf("callback: %d %v", code, err)
	}
	if d := env.delivery(t, "d2"); d.Status != outreach.StatusUndelivered || !strings.Contains(d.Error, "30003") {
		t.Errorf("archive = %s %q, want undelivered with Twilio's code", d.Status, d.Error)
	}
}

// TestTwilioSignatureUsesPublicURL: behind a proxy the daemon listens on
// one address and Twilio signs another; the public URL decides.
func TestTwilioSignatureUsesPublicURL(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, func(wh *Webhooks) { wh.PublicURL = "https://outreach.example.com/" })
	env.queuedSMS(t, "d3", sid1, time.Now())
	form := twiliotest.StatusForm(sid1, "delivered", "")
	code, err := postSignedOver(env.srv.URL+sms.StatusPath, "https://outreach.example.com"+sms.StatusPath, form)
	if err != nil || code != 204 {
		t.Errorf("signed over the public URL: %d %v, want 204", code, err)
	}
	if code, _ := twiliotest.Post(env.srv.URL+sms.StatusPath, twiliotest.AuthToken, form); code != 403 {
		t.Errorf("signed over the listen address: %d, want 403", code)
	}
}

// postSignedOver posts form to target with a signature over signedURL.
func postSignedOver(target, signedURL string, form url.Values) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, signedURL, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestTwilioInboundReply(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, nil)
	ctx := context.Background()
	if _, err := env.store.UpsertResidents(ctx, []outreach.Resident{{ID: "r1", Name: "王秀英", Phone: residentPhone}}); err != nil {
		t.Fatal(err)
	}
	env.queuedSMS(t, "old", "SM00000000000000000000000000000010", time.Now().Add(-48*time.Hour))
	env.queuedSMS(t, "new", "SM00000000000000000000000000000011", time.Now().Add(-time.Hour))
	ts := twiliotest.NewServer(t)
	inboundURL := env.srv.URL + sms.InboundPath

	answer := ts.InboundForm(residentPhone, "+15005550006", "5 非常满意，师傅很专业")
	for range 2 { // Twilio may post the same message twice
		req, _ := http.NewRequest(http.MethodPost, inboundURL, strings.NewReader(answer.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, inboundURL, answer))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "<Response>") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
			t.Errorf("inbound answer = %d %q, want 200 with empty TwiML", resp.StatusCode, body)
		}
	}
	stranger := ts.InboundForm("+8613900000000", "+15005550006", "who is this?")
	if code, err := twiliotest.Post(inboundURL, twiliotest.AuthToken, stranger); err != nil || code != 200 {
		t.Errorf("reply from an unknown number: %d %v, want 200", code, err)
	}
	forged := ts.InboundForm(residentPhone, "+15005550006", "STOP")
	if code, _ := twiliotest.Post(inboundURL, "forged", forged); code != 403 {
		t.Errorf("forged inbound: %d, want 403", code)
	}

	replies, err := env.store.Replies(ctx, outreach.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 2 {
		t.Fatalf("archived %d replies, want 2 (one per message, none forged): %+v", len(replies), replies)
	}
	byFrom := map[string]outreach.Reply{}
	for _, r := range replies {
		byFrom[r.From] = r
	}
	got := byFrom[residentPhone]
	if got.ResidentID != "r1" || got.DeliveryID != "new" || got.JobID != "job-new" || got.Body != "5 非常满意，师傅很专业" || got.Action != outreach.ReplyNone {
		t.Errorf("reply = %+v, want it against r1's latest SMS", got)
	}
	if s := byFrom["+8613900000000"]; s.ResidentID != "" || s.DeliveryID != "" || s.Body != "who is this?" {
		t.Errorf("stranger's reply = %+v, want it archived without a resident", s)
	}
}

func TestWebhooksAbsentWithoutConfig(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewHandler(Config{Gatherer: prometheus.NewRegistry()}))
	defer srv.Close()
	for _, path := range []string{sms.StatusPath, sms.InboundPath, "/unsubscribe/x.y"} {
		resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s without webhooks: %d, want 404", path, resp.StatusCode)
		}
	}
}
