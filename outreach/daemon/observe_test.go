package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
)

// syncBuffer is a log destination the daemon's goroutines share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// misplacedPhone is a phone number sent as a resident id.
const misplacedPhone = "+8613800138009"

// observed is a daemon with a debug JSON log (the handler `outreach serve`
// uses), a rate-limited SMS channel, and quick campaign metrics, that has
// processed a mix of jobs: sent by email and SMS, refused by SMTP, sent
// to an unknown resident, and not JSON.
type observed struct {
	*harness
	log *syncBuffer
}

func newObserved(t *testing.T) *observed {
	t.Helper()
	log := &syncBuffer{}
	h := newHarnessWith(t, "sqlite://"+t.TempDir()+"/outreach.db", func(cfg *config.Config, _ *dispatch.Config) {
		cfg.Delivery.SMSRate = 1000 // every SMS waits its turn, however briefly
	}, func(opt *daemon.Options) {
		opt.Logger = logging.New(log, logging.FormatJSON, slog.LevelDebug)
		opt.CampaignStatsEvery = 50 * time.Millisecond
	})
	ctx := context.Background()
	if _, err := h.d.Store.UpsertResidents(ctx, residents); err != nil {
		t.Fatal(err)
	}
	h.smtp.Reply("bounce@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "<bounce@example.com> mailbox unavailable"})
	h.start()
	h.xadd("job", fmt.Sprintf(notice, "obs-email", "r-email", ""))
	h.xadd("job", fmt.Sprintf(notice, "obs-sms", "r-sms", ""))
	h.xadd("job", fmt.Sprintf(notice, "obs-bounce", "r-bounce", ""))
	h.xadd("job", `{"id":"obs-ghost","kind":"follow_up","resident_id":"r-nobody","data":{"topic":"x"}}`)
	// A service that puts a phone number where the resident id goes: the
	// error quotes it, and the log must not.
	h.xadd("job", `{"id":"obs-phone-as-id","kind":"follow_up","resident_id":"`+misplacedPhone+`","data":{"topic":"x"}}`)
	h.xadd("job", "this is not JSON")
	eventually(t, "all entries processed and acked", func() bool { return h.settled() && len(h.deadReasons()) == 3 })
	return &observed{harness: h, log: log}
}

// gather returns the daemon's metrics by name.
func gather(t *testing.T, reg prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value sums the series of family name whose labels include want;
// histograms count their observations.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	sum, found := 0.0, false
series:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue series
			}
		}
		found = true
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum, found
}

// TestMetricsMove: after the mix of jobs, each metric an on-call SRE reads
// has moved: every stage ran (and decode, audience and send failed where
// the jobs say), sends are timed per channel, the queue gauges name the
// stream and group, dead letters and send failures have their reasons,
// the SMS waited for its rate limit, the SMTP pool was used, and a
// campaign shows in the campaign gauges.
func TestMetricsMove(t *testing.T) {
	t.Parallel()
	o := newObserved(t)
	stream, group := o.keys.Stream, o.keys.Group

	camp := outreach.Campaign{ID: "obs-camp", Name: "Mid-Autumn", Kind: outreach.KindHolidayGreeting,
		Audience: outreach.Audience{All: true}, State: outreach.CampaignPaused, Targeted: 3,
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := o.d.Store.CreateCampaign(context.Background(), camp); err != nil {
		t.Fatal(err)
	}
	var mfs map[string]*dto.MetricFamily
	eventually(t, "the campaign and queue gauges refreshed", func() bool {
		mfs = gather(t, o.d.Registry)
		paused, _ := value(mfs, "outreach_campaigns", map[string]string{"state": "paused"})
		targeted, _ := value(mfs, "outreach_campaign_targeted", map[string]string{"campaign": "obs-camp"})
		_, lanes := value(mfs, "outreach_lane_lag", map[string]string{"stream": stream, "group": group, "lane": "bulk"})
		dead, _ := value(mfs, "outreach_dead_letter_stream_length", map[string]string{"stream": stream})
		return paused == 1 && targeted == 3 && lanes && dead == 3
	})

	for _, tt := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"outreach_stage_total", map[string]string{"stage": "decode", "result": "ok"}, 3},
		{"outreach_stage_total", map[string]string{"stage": "decode", "result": "error"}, 1},
		{"outreach_stage_total", map[string]string{"stage": "audience", "result": "error"}, 2},
		{"outreach_stage_total", map[string]string{"stage": "dedupe", "result": "ok"}, 3},
		{"outreach_stage_total", map[string]string{"stage": "policy", "result": "ok"}, 3},
		{"outreach_stage_total", map[string]string{"stage": "route", "result": "ok"}, 3},
		{"outreach_stage_total", map[string]string{"stage": "render", "result": "ok"}, 3},
		{"outreach_stage_total", map[string]string{"stage": "send", "result": "ok"}, 2},
		{"outreach_stage_total", map[string]string{"stage": "send", "result": "error"}, 1},
		{"outreach_stage_total", map[string]string{"stage": "record", "result": "ok"}, 4},
		{"outreach_stage_total", map[string]string{"stage": "ack", "result": "ok"}, 3},
		{"outreach_stage_duration_seconds", map[string]string{"stage": "send"}, 3},
		{"outreach_send_duration_seconds", map[string]string{"channel": "email"}, 2},
		{"outreach_send_duration_seconds", map[string]string{"channel": "sms"}, 1},
		{"outreach_dead_letters_total", map[string]string{"reason": "bad_json"}, 1},
		{"outreach_dead_letters_total", map[string]string{"reason": "unknown_resident"}, 2},
		{"outreach_send_failures_total", map[string]string{"channel": "email", "reason": "smtp_5xx"}, 1},
		{"outreach_rate_limit_wait_seconds", map[string]string{"channel": "sms"}, 1},
		{"outreach_smtp_pool_wait_seconds", nil, 2},
		{"outreach_smtp_connections_open", nil, 1},
		{"outreach_smtp_pool_size", nil, 4},
		{"outreach_smtp_chained_messages_total", nil, 0},
		{"outreach_queue_lag", map[string]string{"stream": stream, "group": group}, 0},
		{"outreach_queue_pending", map[string]string{"stream": stream, "group": group}, 0},
		{"outreach_delayed_jobs", map[string]string{"stream": stream}, 0},
		{"outreach_campaign_deliveries", map[string]string{"campaign": "obs-camp", "status": "sent"}, 0},
	} {
		got, found := value(mfs, tt.name, tt.labels)
		if !found || got < tt.min {
			t.Errorf("%s%v = %v (found %v), want at least %v", tt.name, tt.labels, got, found, tt.min)
		}
	}
}

// TestLogsTraceJobsWithoutPII: with debug logs on, every stage of a job
// is a line carrying its job id, the outcome is an info line, and no line
// holds a resident's full address or number, or a credential.
func TestLogsTraceJobsWithoutPII(t *testing.T) {
	t.Parallel()
	o := newObserved(t)
	if err := o.stop(); err != nil {
		t.Fatal(err)
	}
	out := o.log.String()

	secrets := []string{twiliotest.AuthToken, misplacedPhone, strings.TrimPrefix(misplacedPhone, "+86")}
	for _, r := range residents {
		for _, s := range []string{r.Email, r.Phone, strings.TrimPrefix(r.Phone, "+86")} {
			if s != "" {
				secrets = append(secrets, s)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q", s)
		}
	}

	stages := map[string]map[string]bool{} // job id -> stages traced
	done := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		job, _ := line["job_id"].(string)
		switch line["msg"] {
		case "stage":
			// Acks go in batches: their line counts entries instead.
			if line["level"] != "DEBUG" || (line["entry_id"] == nil) != (line["stage"] == "ack") {
				t.Errorf("stage line %s: want DEBUG, with entry_id unless it is an ack batch", sc.Text())
			}
			if stages[job] == nil {
				stages[job] = map[string]bool{}
			}
			stages[job][line["stage"].(string)] = true
		case "job done":
			if line["level"] != "INFO" {
				t.Errorf("outcome line %s: want INFO", sc.Text())
			}
			done[job] = true
		}
	}
	if !stages[""]["ack"] {
		t.Errorf("no ack batch traced")
	}
	for _, want := range []string{"decode", "audience", "dedupe", "policy", "route", "render", "send", "record"} {
		if !stages["obs-email"][want] {
			t.Errorf("no %s stage line for job obs-email; traced %v", want, stages["obs-email"])
		}
	}
	if !stages["obs-bounce"]["send"] || !done["obs-email"] || !done["obs-sms"] {
		t.Errorf("stages %v, done %v: want obs-bounce's send traced, obs-email and obs-sms done", stages, done)
	}
	// The masked forms are there: the log still tells which mailbox refused.
	if !strings.Contains(out, "bo***@example.com") {
		t.Errorf("the log lacks the masked address of the refused mailbox")
	}
}

// TestPromtoolCheckMetrics: what /metrics serves after real traffic passes
// `promtool check metrics` (the linter Prometheus ships), when promtool is
// installed (.ci/run installs it).
func TestPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH (Debian: apt-get install prometheus); .ci/run installs it")
	}
	o := newObserved(t)
	eventually(t, "the queue gauges refreshed", func() bool {
		_, ok := value(gather(t, o.d.Registry), "outreach_queue_lag", nil)
		return ok
	})
	resp, err := http.Get("http://" + o.d.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	for _, want := range []string{"outreach_stage_total", "outreach_smtp_connections_in_use", "outreach_lane_lag{", "outreach_http_request_duration_seconds_count{route=\"GET /v1/archive/export\"}"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	res, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(res)) > 0 {
		_ = os.WriteFile(t.TempDir()+"/metrics.txt", body, 0o600)
		t.Errorf("promtool check metrics: %v\n%s", err, res)
	}
}
