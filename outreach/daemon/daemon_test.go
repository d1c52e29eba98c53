package daemon_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach/store/storetest"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/outreach/webhook/webhooktest"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redisURL is the test Redis (OUTREACH_TEST_REDIS_URL): one node, or a
// node of a Redis Cluster, which the daemon then uses as a cluster.
func redisURL() string { return queuetest.RedisURL() }

// postgresURL is the test PostgreSQL (OUTREACH_TEST_DATABASE_URL).
func postgresURL() string { return storetest.PostgresURL() }

// databaseURLs gives the archive of each driver, isolated for this test.
func databaseURLs(t *testing.T) map[string]string {
	t.Helper()
	return storetest.ArchiveURLs(t, "outreach_daemon")
}

// harness is a daemon wired to real Redis, a real archive, a real SMTP
// server and the real twilio-go client on a Twilio stand-in.
type harness struct {
	t           *testing.T
	databaseURL string
	d           *daemon.Daemon
	rdb         redis.UniversalClient
	keys        queue.Keys
	smtp        *emailtest.Server
	twilio      *twiliotest.Server
	chat        *webhooktest.Server
	hangup      chan os.Signal // Options.Hangup: a value reloads the templates
	cancel      context.CancelFunc
	done        chan error
}

func newHarness(t *testing.T, databaseURL string, tune func(*config.Config, *dispatch.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, databaseURL, tune, nil)
}

// newHarnessWith is newHarness with a last say on the daemon's Options
// (a logger, say).
func newHarnessWith(t *testing.T, databaseURL string, tune func(*config.Config, *dispatch.Config), options func(*daemon.Options)) *harness {
	t.Helper()
	h := &harness{t: t, databaseURL: databaseURL, smtp: emailtest.NewServer(t, emailtest.Options{}),
		twilio: twiliotest.NewServer(t), chat: webhooktest.NewServer(t), hangup: make(chan os.Signal, 1)}
	h.chat.Signed = true
	// A hash tag keeps the stream's keys in one slot when the test Redis
	// is a cluster.
	stream := "{test:" + randomName() + "}:jobs"
	env := map[string]string{
		"OUTREACH_REDIS_URL":      redisURL(),
		"OUTREACH_DATABASE_URL":   databaseURL,
		"OUTREACH_SMTP_URL":       h.smtp.URL(),
		"OUTREACH_EMAIL_FROM":     "Property Office <office@example.com>",
		"TWILIO_ACCOUNT_SID":      twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN":       twiliotest.AuthToken,
		"OUTREACH_SMS_FROM":       "+15005550006",
		"OUTREACH_TWILIO_API_URL": h.twilio.URL,
		// Chat robots: the DingTalk one checks signatures.
		"OUTREACH_WECOM_WEBHOOK_URL":    h.chat.WeComURL(),
		"OUTREACH_DINGTALK_WEBHOOK_URL": h.chat.DingTalkURL(),
		"OUTREACH_DINGTALK_SECRET":      webhooktest.DingTalkSecret,
		"OUTREACH_SLACK_WEBHOOK_URL":    h.chat.SlackURL(),
		"OUTREACH_HTTP_ADDR":            "127.0.0.1:0",
		"OUTREACH_STREAM":               stream,
		"OUTREACH_CONSUMER":             "daemon-1",
		"OUTREACH_WORKERS":              "4",
		// Policy tests turn quiet hours on with a clock of their own; here
		// the wall clock's hour must not matter.
		"OUTREACH_QUIET_HOURS": "off",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	dc := dispatch.Config{
		Backoff:      func(int, time.Duration) time.Duration { return 100 * time.Millisecond },
		PromoteEvery: 50 * time.Millisecond,
		ClaimEvery:   100 * time.Millisecond,
		StatsEvery:   50 * time.Millisecond,
		MaxAttempts:  3,
		LockWait:     100 * time.Millisecond,
		// Campaign tests pause and cancel; the next job must see it.
		CampaignCacheTTL: time.Millisecond,
	}
	if tune != nil {
		tune(&cfg, &dc)
	}
	h.rdb = queuetest.Connect(t, cfg.RedisURL.Reveal())
	h.keys = queue.NewShardedKeys(cfg.Stream, cfg.Group, cfg.Shards)
	// The stream (a tune may name another, or another Redis) and its
	// shards' streams, which need not share its prefix, go when the test
	// ends.
	t.Cleanup(func() {
		queuetest.DeleteKeys(t, h.rdb, h.keys.Name)
		for _, s := range h.keys.Shards() {
			queuetest.DeleteKeys(t, h.rdb, s.Stream)
		}
	})
	opt := daemon.Options{Config: cfg, Dispatch: dc, Hangup: h.hangup, SchedulerEvery: 50 * time.Millisecond}
	if options != nil {
		options(&opt)
	}
	h.d, err = daemon.New(t.Context(), opt)
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	// A harness that is never started still holds the archive, Redis and
	// the listener; one that is, released them when Run returned (start's
	// cleanup, registered later, runs first).
	t.Cleanup(func() { _ = h.d.Close() })
	return h
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.d.Run(ctx) }()
	h.t.Cleanup(func() {
		if h.cancel != nil {
			h.stop()
		}
	})
}

// stop cancels the daemon as SIGTERM does and returns what Run returned.
func (h *harness) stop() error {
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(60 * time.Second):
		h.t.Fatal("daemon did not stop")
		return nil
	}
}

// xadd adds an entry with the given fields, as another service would.
func (h *harness) xadd(fields ...any) string {
	h.t.Helper()
	id, err := h.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: h.keys.Stream, Values: fields}).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) search(f outreach.Filter) []outreach.Delivery {
	h.t.Helper()
	ds, err := h.d.Store.Search(context.Background(), f)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// settled reports whether the group has read and acked everything on every
// lane and no job is waiting in the delayed set, in every shard. It looks
// at a shard's keys in one MULTI, so a job moving between them cannot slip
// through unseen.
func (h *harness) settled() bool {
	ctx := context.Background()
	for _, k := range h.keys.Shards() {
		var groups []*redis.XInfoGroupsCmd
		var delayed *redis.IntCmd
		_, err := h.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, lane := range k.Lanes() {
				groups = append(groups, pipe.XInfoGroups(ctx, lane))
			}
			delayed = pipe.ZCard(ctx, k.Delayed)
			return nil
		})
		if err != nil || delayed.Val() != 0 {
			return false
		}
		for _, g := range groups {
			if len(g.Val()) != 1 || g.Val()[0].Pending != 0 || g.Val()[0].Lag != 0 {
				return false
			}
		}
	}
	return true
}

func (h *harness) deadReasons() []string {
	h.t.Helper()
	msgs, err := h.rdb.XRange(context.Background(), h.keys.Dead, "-", "+").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	var reasons []string
	for _, m := range msgs {
		reasons = append(reasons, fmt.Sprint(m.Values["reason"]))
	}
	slices.Sort(reasons)
	return reasons
}

var residents = []outreach.Resident{
	{ID: "r-email", Name: "王秀英", Email: "wang@example.com", Locale: "zh-CN", Building: "1", Unit: "1201"},
	{ID: "r-sms", Name: "Emily Carter", Phone: "+8613800138001", Locale: "en", Channels: []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}},
	{ID: "r-unsub", Name: "李明", Phone: "+8613800138002", Locale: "zh-CN"},
	{ID: "r-flaky", Name: "David Chen", Email: "flaky@example.com", Locale: "en"},
	{ID: "r-phone-only", Name: "张伟", Phone: "+8613800138003", Locale: "zh-CN"},
	{ID: "r-bounce", Name: "Bad Box", Email: "bounce@example.com", Locale: "en"},
}

const notice = `{"id":%q,"kind":"maintenance_notice","resident_id":%q%s,"data":{"title":"Planned water cut","area":"Building 1","start":"2026-12-02 09:00","end":"2026-12-02 12:00"}}`

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testEndToEnd(t, url)
		})
	}
}

func testEndToEnd(t *testing.T, databaseURL string) {
	h := newHarness(t, databaseURL, nil)
	if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	h.smtp.ReplyTimes("flaky@example.com", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, 1)
	h.smtp.Reply("bounce@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"})
	h.twilio.Always("+8613800138002", twiliotest.Unsubscribed)
	h.start()

	// Good jobs, added with plain XADD as another service would.
	h.xadd("job", fmt.Sprintf(notice, "job-email", "r-email", ""))
	h.xadd("job", fmt.Sprintf(notice, "job-email", "r-email", "")) // the same id again: delivered once
	h.xadd("job", fmt.Sprintf(notice, "job-sms", "r-sms", ""))
	h.xadd("job", fmt.Sprintf(notice, "job-unsub", "r-unsub", ""))
	h.xadd("job", fmt.Sprintf(notice, "job-flaky", "r-flaky", ""))
	h.xadd("job", fmt.Sprintf(notice, "job-no-channel", "r-phone-only", `,"channels":["email"]`))
	h.xadd("job", fmt.Sprintf(notice, "job-bounce", "r-bounce", ""))
	// Bad input: each must end in the dead-letter stream with its reason.
	h.xadd("payload", "no job field here")
	h.xadd("job", "this is not JSON")
	h.xadd("job", `{"kind":"tea_party","resident_id":"r-email"}`)
	h.xadd("job", `{"resident_id":"r-email"}`)
	h.xadd("job", `{"id":"job-ghost","kind":"follow_up","resident_id":"r-nobody","data":{"topic":"x"}}`)
	h.xadd("job", `{"id":"job-missing-var","kind":"maintenance_notice","resident_id":"r-email","data":{"title":"Lift fault"}}`)

	eventually(t, "all entries processed and acked", func() bool { return h.settled() && len(h.deadReasons()) == 6 })

	if got, want := h.deadReasons(), []string{"bad_json", "missing_kind", "no_job_field", "template_error", "unknown_kind", "unknown_resident"}; !slices.Equal(got, want) {
		t.Errorf("dead-letter reasons = %v, want %v", got, want)
	}

	// Email: one message although the job id came twice.
	msgs := received(h.smtp, "wang@example.com")
	if len(msgs) != 1 {
		t.Fatalf("SMTP got %d messages for the duplicated job, want 1", len(msgs))
	}
	if !strings.Contains(string(msgs[0].Data), "X-Outreach-Job: job-email") {
		t.Errorf("email lacks the job header:\n%s", msgs[0].Data)
	}
	rec := h.search(outreach.Filter{JobID: "job-email"})
	if len(rec) != 1 || rec[0].Status != outreach.StatusSent || rec[0].Channel != outreach.ChannelEmail ||
		rec[0].ProviderID == "" || rec[0].Template == "" || rec[0].TemplateVersion == "" || !strings.Contains(rec[0].Body, "王秀英") {
		t.Errorf("archive for job-email = %+v, want one sent email addressed to the resident", rec)
	}
	if len(rec) == 1 && (rec[0].Building != "1" || rec[0].Unit != "1201") {
		t.Errorf("archive for job-email in building %q unit %q, want the resident's 1/1201", rec[0].Building, rec[0].Unit)
	}
	if flaky := h.search(outreach.Filter{JobID: "job-flaky"}); len(flaky) == 1 {
		es, err := h.d.Store.Events(context.Background(), flaky[0].ID)
		var got []outreach.EventKind
		for _, e := range es {
			got = append(got, e.Event)
		}
		if want := []outreach.EventKind{outreach.EventRetrying, outreach.EventSent}; err != nil || !slices.Equal(got, want) {
			t.Errorf("history of job-flaky = %v (%v), want %v", got, err, want)
		}
	}

	// SMS through the real twilio-go client, in the resident's language.
	sent := h.twilio.To("+8613800138001")
	if n := h.twilio.Calls("+8613800138001"); n != 1 || len(sent) != 1 || !strings.Contains(sent[0].Body, "Emily Carter") || !strings.Contains(sent[0].Body, "Planned water cut") {
		t.Errorf("Twilio got %d calls %+v, want one SMS to Emily about the water cut", n, sent)
	}
	if rec := h.search(outreach.Filter{JobID: "job-sms"}); len(rec) != 1 || rec[0].Status != outreach.StatusQueued || !strings.HasPrefix(rec[0].ProviderID, "SM") ||
		rec[0].Segments != 1 || rec[0].Encoding != "GSM-7" {
		t.Errorf("archive for job-sms = %+v, want queued with the Twilio SID, 1 GSM-7 segment", rec)
	}

	// Permanent refusals are archived with the provider's error and not retried.
	if n := h.twilio.Calls("+8613800138002"); n != 1 {
		t.Errorf("unsubscribed number got %d calls, want exactly 1 (no retry)", n)
	}
	if rec := h.search(outreach.Filter{JobID: "job-unsub"}); len(rec) != 1 || rec[0].Status != outreach.StatusFailed || !strings.Contains(rec[0].Error, "21610") {
		t.Errorf("archive for job-unsub = %+v, want failed with 21610", rec)
	}
	// 21610 means the resident replied STOP to Twilio: the directory says so now.
	if r, err := h.d.Store.Resident(context.Background(), "r-unsub"); err != nil || !slices.Contains(r.OptOutChannels, outreach.ChannelSMS) {
		t.Errorf("r-unsub after 21610: opt-outs %v (%v), want sms", r.OptOutChannels, err)
	}
	if got := h.smtp.Attempts("bounce@example.com"); got != 1 {
		t.Errorf("rejected recipient was tried %d times, want 1", got)
	}
	if rec := h.search(outreach.Filter{JobID: "job-bounce"}); len(rec) != 1 || rec[0].Status != outreach.StatusFailed || !strings.Contains(rec[0].Error, "550") || rec[0].Attempts != 1 {
		t.Errorf("archive for job-bounce = %+v, want failed once with the 550 reply", rec)
	}

	// A temporary failure is retried and then delivered.
	if got := h.smtp.Attempts("flaky@example.com"); got != 2 {
		t.Errorf("flaky recipient saw %d attempts, want 2 (451, then success)", got)
	}
	if rec := h.search(outreach.Filter{JobID: "job-flaky"}); len(rec) != 1 || rec[0].Status != outreach.StatusSent || rec[0].Attempts != 2 {
		t.Errorf("archive for job-flaky = %+v, want sent on attempt 2", rec)
	}

	// No usable channel: archived as failed, not dead-lettered, not retried.
	if rec := h.search(outreach.Filter{JobID: "job-no-channel"}); len(rec) != 1 || rec[0].Status != outreach.StatusFailed || !strings.Contains(rec[0].Error, "no usable channel") {
		t.Errorf("archive for job-no-channel = %+v, want failed with the reason", rec)
	}
	// Rejected jobs are archived too, findable by their id.
	if rec := h.search(outreach.Filter{JobID: "job-ghost"}); len(rec) != 1 || !strings.Contains(rec[0].Error, "unknown resident") {
		t.Errorf("archive for job-ghost = %+v, want the rejection", rec)
	}
	if rec := h.search(outreach.Filter{JobID: "job-missing-var"}); len(rec) != 1 || !strings.Contains(rec[0].Error, `missing variable "area"`) {
		t.Errorf("archive for job-missing-var = %+v, want an error naming the missing variable", rec)
	}

	// Metrics count what happened and pass the linter promtool uses.
	m := h.d.Registry
	problems, err := testutil.GatherAndLint(m)
	if err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", err, problems)
	}
	count := func(name string, labels map[string]string) float64 {
		mfs, _ := m.Gather()
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		metric:
			for _, mt := range mf.GetMetric() {
				for _, lp := range mt.GetLabel() {
					if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
						continue metric
					}
				}
				return mt.GetCounter().GetValue()
			}
		}
		return -1
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"outreach_dead_letters_total", map[string]string{"reason": "bad_json"}, 1},
		{"outreach_dead_letters_total", map[string]string{"reason": "unknown_resident"}, 1},
		{"outreach_deliveries_total", map[string]string{"channel": "email", "kind": "maintenance_notice", "status": "sent"}, 2},
		{"outreach_deliveries_total", map[string]string{"channel": "sms", "kind": "maintenance_notice", "status": "failed"}, 1},
		{"outreach_estate_deliveries_total", map[string]string{"estate": "default", "channel": "email", "status": "sent"}, 2},
		{"outreach_estate_deliveries_total", map[string]string{"estate": "default", "channel": "sms", "status": "failed"}, 1},
		{"outreach_duplicates_skipped_total", map[string]string{"kind": "maintenance_notice"}, 1},
		{"outreach_retries_total", map[string]string{"kind": "maintenance_notice", "reason": "smtp_4xx"}, 1},
	} {
		if got := count(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	if err := h.stop(); err != nil {
		t.Errorf("Run after stop = %v, want nil", err)
	}
}

// TestClaimsFromDeadConsumer: a daemon that read an entry and died leaves it
// pending; another daemon claims and delivers it.
func TestClaimsFromDeadConsumer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { c.ClaimIdle = 200 * time.Millisecond })
	if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.rdb.XGroupCreateMkStream(ctx, h.keys.Stream, h.keys.Group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	h.xadd("job", fmt.Sprintf(notice, "job-orphan", "r-email", ""))
	// The dead daemon reads the entry and never acks it.
	got, err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: h.keys.Group, Consumer: "dead-daemon", Streams: []string{h.keys.Stream, ">"}, Count: 10, Block: time.Second}).Result()
	if err != nil || len(got[0].Messages) != 1 {
		t.Fatalf("dead consumer read %v, %v", got, err)
	}
	h.start()
	eventually(t, "the orphaned entry to be claimed and delivered", func() bool {
		rec := h.search(outreach.Filter{JobID: "job-orphan"})
		return len(rec) == 1 && rec[0].Status == outreach.StatusSent && h.settled()
	})
	if n := len(received(h.smtp, "wang@example.com")); n != 1 {
		t.Errorf("got %d emails, want 1", n)
	}
}

// TestStopFinishesInFlight: on SIGTERM (context cancel) the daemon stops
// reading, finishes the send in flight, archives and acks it, and returns nil.
func TestStopFinishesInFlight(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", nil)
	if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	entered, release := h.smtp.Hold("wang@example.com")
	h.start()
	h.xadd("job", fmt.Sprintf(notice, "job-slow", "r-email", ""))
	<-entered // the message is being sent
	go func() {
		time.Sleep(300 * time.Millisecond) // stop begins while the send is in flight
		release()
	}()
	if err := h.stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	ctx := context.Background()
	pending, err := h.rdb.XPending(ctx, h.keys.Stream, h.keys.Group).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pending.Count != 0 {
		t.Errorf("%d entries pending after shutdown, want 0", pending.Count)
	}
	// Run closed the store; open it again to look.
	st, err := store.Open(ctx, h.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.Search(ctx, outreach.Filter{JobID: "job-slow"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 1 || rec[0].Status != outreach.StatusSent {
		t.Errorf("archive after shutdown = %+v, want the in-flight job sent", rec)
	}
}

// TestDaemonsShareTheGroup: two daemons on one consumer group share the
// work, and a job id enqueued twice reaches its resident once although the
// copies may be read by different daemons at the same moment.
func TestDaemonsShareTheGroup(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite://" + t.TempDir() + "/shared.db"
	h1 := newHarness(t, dbURL, nil)
	h2 := newHarness(t, dbURL, func(c *config.Config, _ *dispatch.Config) {
		c.Stream = h1.keys.Stream
		c.Consumer = "daemon-2"
		c.SMTPURL = outreach.Secret(h1.smtp.URL())
	})
	const n = 40
	var rs []outreach.Resident
	for i := range n {
		rs = append(rs, outreach.Resident{ID: fmt.Sprintf("r%02d", i), Name: fmt.Sprintf("Resident %d", i), Email: fmt.Sprintf("r%02d@example.com", i), Locale: "en"})
	}
	if _, err := h1.d.Store.UpsertResidents(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	h1.start()
	h2.start()
	for i := range n {
		job := fmt.Sprintf(notice, fmt.Sprintf("job-%02d", i), fmt.Sprintf("r%02d", i), "")
		h1.xadd("job", job)
		h1.xadd("job", job)
	}
	eventually(t, "both copies of every job processed", func() bool {
		return h1.settled() && len(h1.search(outreach.Filter{Status: outreach.StatusSent})) == n
	})
	for i := range n {
		if got := len(received(h1.smtp, fmt.Sprintf("r%02d@example.com", i))); got != 1 {
			t.Errorf("resident r%02d got %d emails, want 1", i, got)
		}
	}
	sent := func(h *harness) float64 {
		return testutil.ToFloat64(h.d.Metrics().Deliveries.WithLabelValues("email", "maintenance_notice", "sent"))
	}
	s1, s2 := sent(h1), sent(h2)
	if s1+s2 != n || s1 == 0 || s2 == 0 {
		t.Errorf("daemons sent %v and %v, want %d in all with both taking part", s1, s2, n)
	}
}

// received returns the messages the server accepted for to.
func received(s *emailtest.Server, to string) []emailtest.Message {
	var out []emailtest.Message
	for _, m := range s.Messages() {
		if slices.Contains(m.To, to) {
			out = append(out, m)
		}
	}
	return out
}
