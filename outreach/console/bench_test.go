package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/api"
	"github.com/outreach-dev/outreach/outreach/console"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/outreach/store/storetest"
)

// benchSize reads a size from the environment.
func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkPages times the console's pages, through HTTP, on a SQLite
// archive (OUTREACH_CONSOLE_BENCH_STORE=postgres: a schema of its own on
// the test PostgreSQL, OUTREACH_TEST_DATABASE_URL) of OUTREACH_CONSOLE_BENCH_RESIDENTS residents (default 100000)
// in 10 estates and OUTREACH_CONSOLE_BENCH_DELIVERIES deliveries (default
// 1000000), built once per run (that takes minutes; docs/console.md
// has the figures). The limited user is a manager of one estate.
func BenchmarkPages(b *testing.B) {
	residents := benchSize("OUTREACH_CONSOLE_BENCH_RESIDENTS", 100_000)
	deliveries := benchSize("OUTREACH_CONSOLE_BENCH_DELIVERIES", 1_000_000)
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(b.TempDir(), "bench.db")
	if os.Getenv("OUTREACH_CONSOLE_BENCH_STORE") == "postgres" {
		url = storetest.PostgresSchema(b, "console_bench")
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	for e := range 10 {
		if err := st.CreateEstate(ctx, outreach.Estate{ID: fmt.Sprintf("e%d", e), Name: fmt.Sprintf("Estate %d", e)}); err != nil {
			b.Fatal(err)
		}
	}
	var rs []outreach.Resident
	for i := range residents {
		rs = append(rs, outreach.Resident{ID: fmt.Sprintf("r%07d", i), Estate: fmt.Sprintf("e%d", i%10), Name: fmt.Sprintf("住户 %d", i),
			Building: strconv.Itoa(i % 40), Unit: strconv.Itoa(i % 400), Phone: fmt.Sprintf("+86138%08d", i), Tags: []string{[]string{"elderly", "owner", "tenant"}[i%3]},
			Channels: []outreach.Channel{outreach.ChannelSMS}})
		if len(rs) == 1000 || i == residents-1 {
			if _, err := st.UpsertResidents(ctx, rs); err != nil {
				b.Fatal(err)
			}
			rs = rs[:0]
		}
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ds []outreach.Delivery
	for i := range deliveries {
		r := i % residents
		at := base.Add(time.Duration(i) * time.Second)
		ds = append(ds, outreach.Delivery{ID: fmt.Sprintf("d%08d", i), JobID: fmt.Sprintf("j%d", i/1000), ResidentID: fmt.Sprintf("r%07d", r),
			Estate: fmt.Sprintf("e%d", r%10), Building: strconv.Itoa(r % 40), Unit: strconv.Itoa(r % 400),
			Campaign: fmt.Sprintf("cp%d", r%50), Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelSMS, Status: []outreach.Status{outreach.StatusDelivered, outreach.StatusSent, outreach.StatusFailed}[i%3],
			Body: "Water off in your building on Friday 9:00-12:00.", CreatedAt: at, UpdatedAt: at})
		if len(ds) == 1000 || i == deliveries-1 {
			if err := st.Record(ctx, ds); err != nil {
				b.Fatal(err)
			}
			ds = ds[:0]
		}
	}
	// The console's clock: the last evening of the archive but half a
	// day, so that "today" and "this week" hold most of a million rows
	// (86400 and about 650000): the overview's worst case.
	now := base.Add(time.Duration(deliveries)*time.Second - 14*time.Hour)
	surveys := benchSize("OUTREACH_CONSOLE_BENCH_SURVEYS", 10_000)
	for i := range surveys {
		r := i % residents
		at := now.Add(-time.Duration(i%(29*24)) * time.Hour)
		answered := at.Add(time.Hour)
		if _, _, err := st.OpenSurvey(ctx, outreach.Survey{ID: fmt.Sprintf("sv%07d", i), ResidentID: fmt.Sprintf("r%07d", r), Estate: fmt.Sprintf("e%d", r%10),
			Building: strconv.Itoa(r % 40), JobID: fmt.Sprintf("wo%d", i), DeliveryID: fmt.Sprintf("d%08d", i), Service: []string{"repair", "cleaning", "security"}[i%3],
			Channel: outreach.ChannelSMS, State: outreach.SurveyAnswered, Score: 1 + i%5, SentAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour), AnsweredAt: &answered}); err != nil {
			b.Fatal(err)
		}
	}
	// 50 campaigns, 5 per estate (cp3 is e3's): about 20000 deliveries
	// each.
	for i := range 50 {
		if err := st.CreateCampaign(ctx, outreach.Campaign{ID: fmt.Sprintf("cp%d", i), Name: fmt.Sprintf("Campaign %d", i), Kind: outreach.KindMaintenanceNotice,
			Audience: outreach.Audience{Estate: fmt.Sprintf("e%d", i%10)}, State: outreach.CampaignDone, Targeted: int64(residents / 50), CreatedAt: base.Add(time.Duration(i) * time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	// Cases: a quarter of each state of open, acknowledged, resolved and
	// closed; one in five of the open and acknowledged ones overdue (a
	// missed limit fired).
	nCases := benchSize("OUTREACH_CONSOLE_BENCH_CASES", 10_000)
	states := []outreach.CaseState{outreach.CaseOpen, outreach.CaseAcknowledged, outreach.CaseResolved, outreach.CaseClosed}
	for i := range nCases {
		r := i % residents
		at := now.Add(-time.Duration(i) * time.Minute)
		due := at.Add(24 * time.Hour)
		timer := outreach.CaseTimer{Stage: outreach.StageAcknowledge, Due: due, Limit: 24 * time.Hour}
		if i%5 == 0 {
			timer.Due = at.Add(15 * time.Minute)
			timer.FiredAt, timer.Level = &timer.Due, "staff"
		}
		cs := outreach.Case{ID: fmt.Sprintf("C-%07d", i), Estate: fmt.Sprintf("e%d", r%10), ResidentID: fmt.Sprintf("r%07d", r), Building: strconv.Itoa(r % 40), Unit: strconv.Itoa(r % 400),
			Category: outreach.CaseCategories[i%len(outreach.CaseCategories)], Urgency: outreach.UrgencyNormal, Received: outreach.ReceivedPhone,
			Description: "Water leaking from the ceiling", State: states[i%len(states)], OpenedBy: "cli", OpenedAt: at, Timers: []outreach.CaseTimer{timer}}
		if _, err := st.CreateCase(ctx, cs, []outreach.CaseEvent{{Event: outreach.CaseOpened, At: at, Actor: "cli", Detail: cs.Description}}); err != nil {
			b.Fatal(err)
		}
	}
	if strings.HasPrefix(url, "postgres") {
		// As autovacuum would in a while: without statistics the planner
		// guesses on a freshly loaded archive, and without the visibility
		// map an index-only count visits every row's page.
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		_, err = conn.Exec(ctx, "VACUUM ANALYZE")
		conn.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d residents, %d deliveries, %d surveys and %d cases in %v", residents, deliveries, surveys, nCases, time.Since(start).Round(time.Second))

	c, err := console.New(console.Config{Store: st, TimeZone: time.UTC, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.NewHandler(api.Config{Console: c}))
	defer srv.Close()
	cookie := func(login string, role outreach.ConsoleRole, estates ...string) string {
		u := outreach.ConsoleUser{ID: "usr_" + login, Login: login, Role: role, Estates: estates, PasswordHash: "$2a$04$unused"}
		if err := st.CreateConsoleUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		secret := "secret-" + login
		if err := st.CreateConsoleSession(ctx, outreach.ConsoleSession{Hash: outreach.HashToken(secret), UserID: u.ID, CSRF: "c", CreatedAt: now, LastSeenAt: now}); err != nil {
			b.Fatal(err)
		}
		return secret
	}
	admin, manager := cookie("admin", outreach.RoleAdmin), cookie("manager", outreach.RoleManager, "e3")
	deep := outreach.Cursor{CreatedAt: base.Add(time.Duration(deliveries/2) * time.Second), ID: fmt.Sprintf("d%08d", deliveries/2)}.String()
	for _, p := range []struct{ name, session, path string }{
		{"overview/admin", admin, "/console/overview"},
		{"overview/manager", manager, "/console/overview"},
		{"archive/admin/first", admin, "/console/archive"},
		{"archive/admin/deep-page", admin, "/console/archive?after=" + deep},
		{"archive/admin/status", admin, "/console/archive?status=failed"},
		{"archive/manager/first", manager, "/console/archive"},
		{"archive/manager/building", manager, "/console/archive?building=13"},
		{"archive/manager/resident", manager, "/console/archive?resident=r0000013"},
		{"delivery/manager", manager, "/console/archive/deliveries/d00000013"},
		{"residents/admin/first", admin, "/console/residents"},
		{"residents/manager/tag", manager, "/console/residents?tag=elderly&building=13"},
		{"resident/manager/timeline", manager, "/console/residents/r0000013"},
		{"resident/manager/edit-form", manager, "/console/residents/r0000013/edit"},
		{"archive/manager/campaign", manager, "/console/archive?campaign=cp3"},
		{"archive/manager/since-until", manager, "/console/archive?since=" + now.AddDate(0, 0, -3).Format("2006-01-02") + "&until=" + now.AddDate(0, 0, -2).Format("2006-01-02")},
		{"export/manager/resident", manager, "/console/archive/export?resident=r0000013"},
		{"campaigns/admin", admin, "/console/campaigns"},
		{"campaigns/manager", manager, "/console/campaigns"},
		{"campaign/manager/deliveries", manager, "/console/campaigns/cp3"},
		{"satisfaction/admin", admin, "/console/satisfaction"},
		{"satisfaction/manager", manager, "/console/satisfaction"},
		{"templates/list", manager, "/console/templates"},
		{"templates/preview-resident", manager, "/console/templates?template=maintenance_notice&resident=r0000013"},
		{"cases/admin/open", admin, "/console/cases"},
		{"cases/admin/overdue", admin, "/console/cases?list=overdue"},
		{"cases/manager/open", manager, "/console/cases"},
		{"cases/manager/overdue-category", manager, "/console/cases?list=overdue&category=facility"},
		{"cases/manager/all-page-5", manager, "/console/cases?list=all&page=5"},
		{"case/manager", manager, "/console/cases/C-0000003"},
		{"users/admin", admin, "/console/users"},
		{"audit/admin", admin, "/console/audit"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.URL+p.path, nil)
				req.AddCookie(&http.Cookie{Name: "outreach_session", Value: p.session})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d", p.path, resp.StatusCode)
				}
			}
		})
	}
}
