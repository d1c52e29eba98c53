package console_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach/store/storetest"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// postgresSchema is a PostgreSQL archive of the test's own (a schema,
// dropped when it ends).
func postgresSchema(t *testing.T) string {
	t.Helper()
	return storetest.PostgresSchema(t, "outreach_console")
}

// liveDaemon is the real daemon (real Redis, the archive at databaseURL,
// the in-process SMTP server and the Twilio stand-in), running, with the
// console's fixture estates, residents and users.
type liveDaemon struct {
	d    *daemon.Daemon
	base string
	rdb  redis.UniversalClient
	keys queue.Keys
	smtp *emailtest.Server
	sms  *twiliotest.Server
}

func startDaemon(t *testing.T, databaseURL string) *liveDaemon {
	t.Helper()
	smtp, tw := emailtest.NewServer(t, emailtest.Options{}), twiliotest.NewServer(t)
	rdb := queuetest.Redis(t)
	env := map[string]string{
		"OUTREACH_REDIS_URL":      queuetest.RedisURL(),
		"OUTREACH_DATABASE_URL":   databaseURL,
		"OUTREACH_SMTP_URL":       smtp.URL(),
		"OUTREACH_EMAIL_FROM":     "Property Office <office@example.com>",
		"TWILIO_ACCOUNT_SID":      twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN":       twiliotest.AuthToken,
		"OUTREACH_SMS_FROM":       "+15005550006",
		"OUTREACH_TWILIO_API_URL": tw.URL,
		"OUTREACH_HTTP_ADDR":      "127.0.0.1:0",
		"OUTREACH_STREAM":         queuetest.Stream(t, rdb, "console"),
		"OUTREACH_CONSUMER":       "daemon-1",
		"OUTREACH_WORKERS":        "4",
		"OUTREACH_QUIET_HOURS":    "off",
		"OUTREACH_TIMEZONE":       "Asia/Shanghai",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ld := &liveDaemon{smtp: smtp, sms: tw, rdb: rdb, keys: queue.NewShardedKeys(cfg.Stream, cfg.Group, cfg.Shards)}
	ld.d, err = daemon.New(t.Context(), daemon.Options{Config: cfg, SchedulerEvery: 50 * time.Millisecond, Dispatch: dispatch.Config{
		Backoff: func(int, time.Duration) time.Duration { return 100 * time.Millisecond }, PromoteEvery: 50 * time.Millisecond,
		ClaimEvery: 100 * time.Millisecond, StatsEvery: 50 * time.Millisecond, MaxAttempts: 3, LockWait: 100 * time.Millisecond,
		CampaignCacheTTL: time.Millisecond,
	}})
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	seedLive(t, ld.d.Store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ld.d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("the daemon did not stop")
		}
		_ = ld.d.Close()
	})
	select {
	case <-ld.d.Running():
	case err := <-done:
		t.Fatalf("the daemon stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon did not start")
	}
	ld.base = "http://" + ld.d.Addr()
	return ld
}

// seedLive: estates north (with a service phone, which the elderly
// variant gives residents to call) and south; in north an elderly
// resident (SMS), an English one (email) and a new one (SMS); in south
// one; the console users.
func seedLive(t *testing.T, st outreach.Store) {
	t.Helper()
	ctx := context.Background()
	for _, e := range []outreach.Estate{{ID: "north", Name: "North Park", ServicePhone: "0571-8888"}, {ID: "south", Name: "South Bay"}} {
		if err := st.CreateEstate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.UpsertResidents(ctx, []outreach.Resident{
		{ID: "n1", Estate: "north", Name: "宁大爷", Building: "1", Unit: "101", Phone: "+8613800000001", Locale: "zh-CN", Tags: []string{"elderly"}, Channels: []outreach.Channel{outreach.ChannelSMS}},
		{ID: "n2", Estate: "north", Name: "Nora North", Building: "2", Unit: "201", Email: "n2@example.com", Locale: "en", Channels: []outreach.Channel{outreach.ChannelEmail}},
		{ID: "n3", Estate: "north", Name: "牛新", Building: "2", Unit: "202", Phone: "+8613800000003", Locale: "zh-CN", Tags: []string{"new_resident"}, Channels: []outreach.Channel{outreach.ChannelSMS}},
		{ID: "n4", Estate: "north", Name: "倪先生", Building: "3", Unit: "301", Phone: "+8613800000004", Locale: "zh-CN", Channels: []outreach.Channel{outreach.ChannelSMS}},
		{ID: "s1", Estate: "south", Name: "Sun South", Building: "9", Unit: "901", Phone: "+8613800000009", Channels: []outreach.Channel{outreach.ChannelSMS}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, fu := range []struct {
		login   string
		role    outreach.ConsoleRole
		estates []string
	}{{"admin", outreach.RoleAdmin, nil}, {"manager-north", outreach.RoleManager, []string{"north"}}} {
		u, err := outreach.NewConsoleUser(fu.login, "", fu.role, fu.estates, password)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateConsoleUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserCampaigns drives the campaign pages in Chromium against the
// real daemon, on SQLite and on PostgreSQL: a manager of north creates a
// campaign through the flow (the live count, previews of the elderly and
// a regular resident) and sees its deliveries arrive; pauses and resumes
// another; sees nothing of south's campaign (list, direct URL) nor the
// dead letters; a POST without the CSRF token is refused; an admin
// re-queues a dead letter once its cause is fixed and sees it delivered.
func TestBrowserCampaigns(t *testing.T) {
	ctx := browser(t)
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			url := "sqlite://" + t.TempDir() + "/outreach.db"
			if driver == "postgres" {
				url = postgresSchema(t)
			}
			ld := startDaemon(t, url)
			browserCampaigns(t, ctx, ld, driver == "sqlite")
		})
	}
}

func browserCampaigns(t *testing.T, ctx context.Context, ld *liveDaemon, shots bool) {
	base, st := ld.base, ld.d.Store
	shot := func(name string) {
		if shots {
			screenshot(t, ctx, name)
		}
	}
	// South's campaign, in a week: the manager of north must not see it.
	later := time.Now().Add(7 * 24 * time.Hour)
	south, err := ld.d.Campaigns.Create(t.Context(), outreach.Campaign{Name: "South lift check", Kind: outreach.KindMaintenanceNotice,
		Audience: outreach.Audience{Estate: "south"}, Schedule: outreach.Schedule{At: &later}})
	if err != nil {
		t.Fatal(err)
	}

	signInBrowser(t, ctx, base, "manager-north")
	// The flow: kind.
	if err := run(ctx,
		chromedp.Navigate(base+"/console/campaigns"),
		chromedp.WaitVisible(chromedp.CSS("#new-campaign")),
		chromedp.Click(chromedp.CSS("#new-campaign")),
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Spring Festival greeting"),
		chromedp.SetValue(chromedp.CSS("#f-kind"), "holiday_greeting"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#audience-count #count")),
	); err != nil {
		t.Fatalf("the kind step: %v", err)
	}
	if n := get(t, ctx, chromedp.Text(chromedp.CSS("#count"))); n != "4" {
		t.Errorf("north's audience counts %s, want 4", n)
	}
	// The live count: a tag narrows it as it is typed (htmx), back after.
	if err := run(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-tags"), "elderly"),
		countIs("1"),
	); err != nil {
		t.Fatalf("the live count with tag elderly: %v", err)
	}
	shot("campaign-audience")
	if err := run(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('f-tags').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#f-building"), " "),
		countIs("4"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#f-data")),
		chromedp.SendKeys(chromedp.CSS("#f-data"), "holiday=春节\nmessage=除夕当晚小区内禁止燃放烟花爆竹。"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#preview-n1")),
	); err != nil {
		t.Fatalf("on to the preview: %v", err)
	}
	// Elderly against regular: another variant, another text.
	elderly := get(t, ctx, chromedp.Text(chromedp.CSS(`#preview-n1 .variant`)))
	regular := get(t, ctx, chromedp.Text(chromedp.CSS(`#preview-n4 .variant`)))
	elderlySMS := get(t, ctx, chromedp.Text(chromedp.CSS(`#preview-n1 .ch-sms .text`)))
	regularSMS := get(t, ctx, chromedp.Text(chromedp.CSS(`#preview-n4 .ch-sms .text`)))
	if elderly != "elderly" || regular != "default" || elderlySMS == regularSMS || !strings.Contains(elderlySMS, "0571-8888") {
		t.Errorf("the elderly resident's preview is %s %q, the regular one's %s %q", elderly, elderlySMS, regular, regularSMS)
	}
	if segments := get(t, ctx, chromedp.Text(chromedp.CSS(`#preview-n1 .segments`))); !strings.Contains(segments, "segment") {
		t.Errorf("the SMS preview says %q, no segments", segments)
	}
	if n := count(t, ctx, `#preview-n2, #preview-n3`); n != 2 {
		t.Errorf("the English and the new resident have %d previews, want 2", n)
	}
	shot("campaign-preview")
	if err := run(ctx,
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#w-now")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-count")),
	); err != nil {
		t.Fatalf("on to the confirm: %v", err)
	}
	if before, _ := st.Campaigns(t.Context()); len(before) != 1 {
		t.Errorf("%d campaigns before the confirm, want 1 (south's)", len(before))
	}
	// Create, and watch the deliveries arrive on the campaign's page.
	if err := run(ctx,
		chromedp.Click(chromedp.CSS("#create")),
		chromedp.WaitVisible(chromedp.CSS("#created")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#deliveries tr.delivery').length === 4`, chromedp.WithPollingTimeout(50*time.Second)),
		// The email is sent; the SMS wait, queued at the Twilio stand-in,
		// for a status report that it does not send.
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#deliveries .s-sent').length === 1 && document.querySelector('#progress .n-sent b').textContent === '1'`, chromedp.WithPollingTimeout(50*time.Second)),
	); err != nil {
		cs, _ := st.Campaigns(t.Context())
		for _, c := range cs {
			n, _ := st.CampaignStatusCounts(t.Context(), c.ID)
			t.Logf("campaign %s %s targeted %d runs %d next %v: %v", c.ID, c.State, c.Targeted, c.Runs, c.NextRun, n)
		}
		html := get(t, ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("create and watch the deliveries: %v\n%s", err, html)
	}
	if n := get(t, ctx, chromedp.Text(chromedp.CSS("#progress .n-targeted b"))); n != "4" {
		t.Errorf("targeted reads %s, want 4", n)
	}
	shot("campaign")
	if got := len(ld.sms.Messages()) + len(ld.smtp.Messages()); got != 4 {
		t.Errorf("%d messages reached the providers, want 4", got)
	}

	// Pause and resume one that waits for its time.
	wait, err := ld.d.Campaigns.Create(t.Context(), outreach.Campaign{Name: "North lift check", Kind: outreach.KindMaintenanceNotice,
		Audience: outreach.Audience{Estate: "north"}, Schedule: outreach.Schedule{At: &later}})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx,
		chromedp.Navigate(base+"/console/campaigns/"+wait.ID),
		chromedp.WaitVisible(chromedp.CSS("#pause")),
		chromedp.Click(chromedp.CSS("#pause")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
		chromedp.WaitVisible(chromedp.CSS("#resume")),
	); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if c, _ := st.Campaign(t.Context(), wait.ID); c.State != outreach.CampaignPaused {
		t.Errorf("after pause the campaign is %s", c.State)
	}
	if err := run(ctx, chromedp.Click(chromedp.CSS("#resume")), chromedp.WaitVisible(chromedp.CSS("#pause"))); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if c, _ := st.Campaign(t.Context(), wait.ID); c.State != outreach.CampaignScheduled {
		t.Errorf("after resume the campaign is %s", c.State)
	}
	// A POST without the CSRF token: refused, nothing changed.
	status := get(t, ctx, chromedp.Evaluate[int](`fetch('/console/campaigns/`+wait.ID+`/cancel', {method: 'POST', body: new URLSearchParams({seen: 'scheduled'}), redirect: 'manual'}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if c, _ := st.Campaign(t.Context(), wait.ID); status != 403 || c.State != outreach.CampaignScheduled {
		t.Errorf("a cancel without the CSRF token = %d, the campaign %s", status, c.State)
	}

	// Nothing of south: the list, the direct URL, its actions; no dead letters.
	if err := run(ctx, chromedp.Navigate(base+"/console/campaigns"), chromedp.WaitVisible(chromedp.CSS("#campaigns"))); err != nil {
		t.Fatal(err)
	}
	shot("campaigns")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("body"))); strings.Contains(body, "South lift check") || !strings.Contains(body, "Spring Festival greeting") {
		t.Errorf("the manager of north's campaign list reads %q", body)
	}
	for _, path := range []string{"/console/campaigns/" + south.ID, "/console/campaigns/new?go=audience&name=x&kind=welcome&estate=south"} {
		resp := get(t, ctx, chromedp.NavigateResponse(base+path))
		body := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
		if strings.Contains(body, "Sun South") || strings.Contains(body, "South lift check") || (strings.Contains(path, south.ID) && resp.Status != 404) {
			t.Errorf("GET %s as the manager of north = %d %q", path, resp.Status, body)
		}
	}
	if resp := get(t, ctx, chromedp.NavigateResponse(base+"/console/deadletters")); resp.Status != 403 {
		t.Errorf("the manager of north opens the dead letters: %d, want 403", resp.Status)
	}

	// A job for a resident the directory lacks is dead-lettered; once the
	// resident is added, an admin re-queues it and it is delivered.
	if err := ld.rdb.XAdd(t.Context(), &redis.XAddArgs{Stream: ld.keys.Stream, Values: []any{"job", `{"id":"wo-77","kind":"holiday_greeting","resident_id":"n9","data":{"holiday":"春节","message":"新春快乐"}}`}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx,
		chromedp.Navigate(base+"/console/archive"),
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	); err != nil {
		t.Fatal(err)
	}
	signInBrowser(t, ctx, base, "admin")
	deadline := time.Now().Add(50 * time.Second)
	for {
		if err := run(ctx, chromedp.Navigate(base+"/console/deadletters"), chromedp.WaitVisible(chromedp.CSS("#deadletters"))); err != nil {
			t.Fatal(err)
		}
		if count(t, ctx, "tr.deadletter") > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	shot("deadletters")
	if err := run(ctx,
		chromedp.Click(chromedp.CSS("tr.deadletter a")),
		chromedp.WaitVisible(chromedp.CSS("#dead-reason")),
	); err != nil {
		t.Fatalf("open the dead letter: %v", err)
	}
	if reason := get(t, ctx, chromedp.Text(chromedp.CSS("#dead-reason"))); reason != "unknown_resident" {
		t.Errorf("the dead letter's reason reads %q", reason)
	}
	if _, err := st.UpsertResidents(t.Context(), []outreach.Resident{{ID: "n9", Estate: "north", Name: "Nina New", Phone: "+8613800000019", Channels: []outreach.Channel{outreach.ChannelSMS}}}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, chromedp.Click(chromedp.CSS("#requeue")), chromedp.WaitVisible(chromedp.CSS("#requeued"))); err != nil {
		t.Fatalf("re-queue: %v", err)
	}
	deadline = time.Now().Add(50 * time.Second)
	for {
		ds, err := st.Search(t.Context(), outreach.Filter{JobID: "wo-77"})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(ds, func(d outreach.Delivery) bool { return d.ResidentID == "n9" && d.Status.Accepted() }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the re-queued job's deliveries: %+v", ds)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := count(t, ctx, "tr.deadletter"); n != 0 {
		t.Errorf("%d dead letters left after the re-queue", n)
	}
}

// countIs waits until the audience's live count says want. The count is
// the htmx element that replaces itself (outerHTML); a keystroke that
// lands while it is being swapped reaches no listener, as a person's
// would, and the person types again: so does this, by a change event on
// the form once a second while the count is not there yet.
func countIs(want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		const c = document.getElementById('count');
		if (c && c.textContent === '`+want+`') return true;
		document.getElementById('f-building').dispatchEvent(new Event('change', {bubbles: true}));
		return false;
	})()`, chromedp.WithPollingInterval(time.Second), chromedp.WithPollingTimeout(50*time.Second))
}
