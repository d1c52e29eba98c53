package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/bench"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

func redisURL() string { return queuetest.RedisURL() }

// TestRunIsExactlyOnceAndCleansUp runs a small benchmark through two
// replicas, with email and SMS, and checks what it reports and leaves.
func TestRunIsExactlyOnceAndCleansUp(t *testing.T) {
	t.Parallel()
	smtp := emailtest.NewServer(t, emailtest.Options{Discard: true})
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "bench.db")
	rdb := queuetest.Redis(t)
	env := map[string]string{
		"OUTREACH_REDIS_URL":    redisURL(),
		"OUTREACH_DATABASE_URL": dbURL,
		"OUTREACH_SMTP_URL":     smtp.URL(),
		"OUTREACH_EMAIL_FROM":   "office@example.com",
		"OUTREACH_STREAM":       queuetest.Stream(t, rdb, "bench"),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(t.Context(), bench.Options{Config: cfg, Jobs: 300, Urgent: 5, Replicas: 2, Channel: "mix", Residents: 50})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.RunID == "" {
		t.Fatal("result has no run id")
	}
	if res.Sent != 305 || res.Failed != 0 || res.Lost != 0 || res.Duplicates != 0 {
		t.Errorf("result = %+v, want 305 sent, none failed, lost or duplicated", res)
	}
	if res.ThroughputPerS <= 0 || res.P99ms < res.P50ms || res.PeakRSSMB <= 0 || res.Replicas != 2 || res.Store != "sqlite" {
		t.Errorf("implausible figures: %+v", res)
	}
	if got := smtp.Received(); got < 150 || got > 155 {
		t.Errorf("SMTP server received %d emails, want about half of 305 (mix)", got)
	}

	// Nothing is left behind: residents, archive records, stream keys.
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	if err := st.Residents(context.Background(), outreach.Audience{All: true}, func(outreach.Resident) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("%d residents left (%v)", n, err)
	}
	if ds, err := st.Search(context.Background(), outreach.Filter{}); err != nil || len(ds) != 0 {
		t.Errorf("%d archive records left (%v)", len(ds), err)
	}
	if keys, err := rdb.Keys(context.Background(), cfg.Stream+":"+res.RunID+"*").Result(); err != nil || len(keys) != 0 {
		t.Errorf("Redis keys left: %v (%v)", keys, err)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	t.Parallel()
	cfg, _ := config.Load(func(k string) string { return map[string]string{"OUTREACH_REDIS_URL": redisURL()}[k] })
	for _, opt := range []bench.Options{
		{Config: cfg, Channel: "fax"},
		{Config: cfg, Channel: "email"}, // no SMTP configured
		{Config: config.Config{}, Channel: "sms"},
	} {
		if _, err := bench.Run(t.Context(), opt); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", opt.Channel)
		}
	}
}

// TestRunMeasuresSMSRateAndBaseline: an SMS run with a rate limit reports
// the limit and what the stand-in saw; an email run with smtp-source (when
// installed) reports the baseline and the ratio to it.
func TestRunMeasuresSMSRateAndBaseline(t *testing.T) {
	t.Parallel()
	smtp := emailtest.NewServer(t, emailtest.Options{Discard: true})
	env := map[string]string{
		"OUTREACH_REDIS_URL":    redisURL(),
		"OUTREACH_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "bench.db"),
		"OUTREACH_SMTP_URL":     smtp.URL(),
		"OUTREACH_EMAIL_FROM":   "office@example.com",
		"OUTREACH_STREAM":       queuetest.Stream(t, queuetest.Redis(t), "bench"),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(t.Context(), bench.Options{Config: cfg, Jobs: 30, Channel: "sms", SMSRate: 40, Residents: 10})
	if err != nil {
		t.Fatalf("Run sms: %v", err)
	}
	if res.Sent != 30 || res.SMSRateLimit != 40 || res.SMSRatePerS <= 0 || res.SMSPeak1s < 1 || res.SMSPeak1s > 30 {
		t.Errorf("sms result = %+v, want 30 sent, limit 40, a measured rate and a peak", res)
	}
	if res.BaselinePerS != 0 {
		t.Errorf("an SMS run measured an SMTP baseline: %+v", res)
	}

	path := bench.FindSMTPSource()
	if path == "" {
		t.Skip("smtp-source (Postfix) not installed: no baseline to check")
	}
	res, err = bench.Run(t.Context(), bench.Options{Config: cfg, Jobs: 50, Channel: "email", SMTPSource: path, Residents: 10})
	if err != nil {
		t.Fatalf("Run email with baseline: %v", err)
	}
	if res.BaselinePerS <= 0 || res.BaselineSessions != cfg.SMTPConns || res.Ratio <= 0 || res.BaselineCommand == "" {
		t.Errorf("baseline = %+v, want smtp-source's rate over %d sessions and the ratio", res, cfg.SMTPConns)
	}
	if got := smtp.Received(); got != 50+50 {
		t.Errorf("SMTP server received %d messages, want 50 from smtp-source and 50 from the daemon", got)
	}
}

// TestRunCampaignOnPostgres: a --campaign run creates its residents and one
// campaign through the daemon's service, sends every job once, and reports
// the campaign's times and the CPU of the daemons' PostgreSQL backends.
func TestRunCampaignOnPostgres(t *testing.T) {
	t.Parallel()
	base := os.Getenv("OUTREACH_TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "outreach_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("PostgreSQL (OUTREACH_TEST_DATABASE_URL): %v", err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = conn.Close(context.Background())
	})
	smtp := emailtest.NewServer(t, emailtest.Options{Discard: true})
	env := map[string]string{
		"OUTREACH_REDIS_URL":    redisURL(),
		"OUTREACH_DATABASE_URL": base + "&search_path=" + schema,
		"OUTREACH_SMTP_URL":     smtp.URL(),
		"OUTREACH_EMAIL_FROM":   "office@example.com",
		"OUTREACH_STREAM":       queuetest.Stream(t, queuetest.Redis(t), "bench"),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(t.Context(), bench.Options{Config: cfg, Jobs: 1200, Campaign: true})
	if err != nil {
		t.Fatalf("Run --campaign: %v", err)
	}
	if res.Sent != 1200 || res.Lost != 0 || res.Duplicates != 0 || smtp.Received() != 1200 {
		t.Errorf("result = %+v (SMTP got %d), want 1200 sent once each", res, smtp.Received())
	}
	if res.CampaignID == "" || res.FirstAcceptedMs <= 0 || res.AllArchivedS <= 0 || res.CampaignPerS <= 0 ||
		res.FirstAcceptedMs > res.AllArchivedS*1000 {
		t.Errorf("campaign figures = %+v, want its id, first accepted before all archived, a rate", res)
	}
	if res.DBBackends == 0 || res.DBCPUusPerJob <= 0 || res.DaemonCPUusPerJob <= 0 || res.EnqueueCPUusPerJob != 0 {
		t.Errorf("CPU figures = %+v, want the daemons' backends measured and no bench enqueueing", res)
	}
	var campaigns, residents int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+schema+".campaigns").Scan(&campaigns); err != nil || campaigns != 1 {
		t.Errorf("campaigns in the archive: %d (%v), want the run's one", campaigns, err)
	}
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+schema+".residents").Scan(&residents); err != nil || residents != 0 {
		t.Errorf("residents left: %d (%v)", residents, err)
	}
}
