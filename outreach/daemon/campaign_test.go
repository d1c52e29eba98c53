package daemon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/queue"
)

// buildingResidents are n residents spread over buildings 1 to 4.
func buildingResidents(n int) []outreach.Resident {
	var rs []outreach.Resident
	for i := range n {
		rs = append(rs, outreach.Resident{ID: fmt.Sprintf("b%03d", i), Name: fmt.Sprintf("Resident %d", i),
			Email: fmt.Sprintf("b%03d@example.com", i), Locale: "en", Building: fmt.Sprint(i%4 + 1)})
	}
	return rs
}

func greetingCampaign(name string, a outreach.Audience) outreach.Campaign {
	return outreach.Campaign{Name: name, Kind: outreach.KindHolidayGreeting, Audience: a,
		Data: map[string]any{"holiday": "Spring Festival"}}
}

// countsMatchArchive checks campaign show's counts against the archive.
func (h *harness) countsMatchArchive(id string, counts outreach.CampaignCounts) {
	h.t.Helper()
	byStatus := map[outreach.Status]int64{}
	for _, d := range h.search(outreach.Filter{Campaign: id, Limit: 100000}) {
		byStatus[d.Status]++
	}
	if got := outreach.CountCampaign(counts.Targeted, byStatus); got != counts {
		h.t.Errorf("campaign show counts %+v, the archive %+v", counts, got)
	}
}

// TestCampaignWithTwoDaemons: a campaign for building 3 reaches exactly
// building 3's residents, once each, with two daemons running; its counts
// match the archive and it ends done.
func TestCampaignWithTwoDaemons(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h1 := newHarness(t, url, nil)
			h2 := newHarness(t, url, func(c *config.Config, _ *dispatch.Config) {
				c.Stream = h1.keys.Stream
				c.Consumer = "daemon-2"
				c.SMTPURL = outreach.Secret(h1.smtp.URL())
			})
			rs := buildingResidents(200)
			if _, err := h1.d.Store.UpsertResidents(context.Background(), rs); err != nil {
				t.Fatal(err)
			}
			h1.start()
			h2.start()
			c, err := h1.d.Campaigns.Create(context.Background(), greetingCampaign("Spring Festival", outreach.Audience{Building: "3"}))
			if err != nil {
				t.Fatal(err)
			}
			var show outreach.CampaignCounts
			eventually(t, "the campaign done", func() bool {
				v, err := h2.d.Campaigns.Show(context.Background(), c.ID)
				show = v.Counts
				return err == nil && v.State == outreach.CampaignDone
			})
			if show.Targeted != 50 || show.Sent != 50 || show.Queued != 0 {
				t.Errorf("counts = %+v, want 50 targeted and sent", show)
			}
			h1.countsMatchArchive(c.ID, show)
			for _, r := range rs {
				want := 0
				if r.Building == "3" {
					want = 1
				}
				if n := len(received(h1.smtp, r.Email)); n != want {
					t.Errorf("%s (building %s) got %d greetings, want %d", r.ID, r.Building, n, want)
				}
			}
			jobs := testutil.ToFloat64(h1.d.Metrics().CampaignJobs) + testutil.ToFloat64(h2.d.Metrics().CampaignJobs)
			if jobs != 50 {
				t.Errorf("the daemons enqueued %v campaign jobs together, want 50", jobs)
			}
		})
	}
}

// TestPauseResumeCancel: jobs of a paused campaign that come due are held,
// not sent; resuming sends them, once; a cancelled campaign sends nothing
// more and archives its jobs as suppressed.
func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Date(2027, 2, 16, 12, 0, 0, 0, shanghai))
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", withPolicy("off", 0, clock))
	ctx := context.Background()
	rs := buildingResidents(40)
	if _, err := h.d.Store.UpsertResidents(ctx, rs); err != nil {
		t.Fatal(err)
	}
	h.start()
	// 09:00 local tomorrow: each job waits in the delayed set.
	plan := func(name string) outreach.Campaign {
		spec := greetingCampaign(name, outreach.Audience{All: true})
		spec.Schedule = outreach.Schedule{LocalTime: "09:00", On: "2027-02-17"}
		c, err := h.d.Campaigns.Create(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	paused, cancelled := plan("Paused"), plan("Cancelled")
	clock.Set(time.Date(2027, 2, 17, 4, 0, 0, 0, shanghai)) // past 09:00 in UTC+14 (03:00 here): both expand
	eventually(t, "both campaigns expanded into the delayed set", func() bool {
		n, _ := h.rdb.ZCard(ctx, h.keys.Delayed).Result()
		return n == 80
	})
	if _, err := h.d.Campaigns.Pause(ctx, paused.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.d.Campaigns.Cancel(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}

	clock.Set(time.Date(2027, 2, 17, 9, 0, 1, 0, shanghai))
	eventually(t, "the paused campaign's jobs held and the cancelled one's suppressed", func() bool {
		held, _ := h.rdb.ZCard(ctx, h.keys.Held(paused.ID)).Result()
		v, _ := h.d.Campaigns.Show(ctx, cancelled.ID)
		return held == 40 && v.Counts.Suppressed == 40 && h.settled()
	})
	if n := h.smtp.Received(); n != 0 {
		t.Fatalf("%d emails sent while one campaign was paused and the other cancelled", n)
	}
	for _, d := range h.search(outreach.Filter{Campaign: cancelled.ID}) {
		if d.Policy != outreach.PolicyCampaignCancelled {
			t.Errorf("cancelled campaign's delivery archived with policy %q", d.Policy)
		}
	}

	if _, err := h.d.Campaigns.Resume(ctx, paused.ID); err != nil {
		t.Fatal(err)
	}
	var v struct {
		outreach.CampaignCounts
		state outreach.CampaignState
	}
	eventually(t, "the resumed campaign done", func() bool {
		got, err := h.d.Campaigns.Show(ctx, paused.ID)
		v.CampaignCounts, v.state = got.Counts, got.State
		return err == nil && got.State == outreach.CampaignDone && h.settled()
	})
	if v.Sent != 40 || v.Targeted != 40 {
		t.Errorf("resumed campaign counts %+v, want 40 sent", v.CampaignCounts)
	}
	h.countsMatchArchive(paused.ID, v.CampaignCounts)
	for _, r := range rs {
		if n := len(received(h.smtp, r.Email)); n != 1 {
			t.Errorf("%s got %d greetings, want 1 (from the resumed campaign only)", r.ID, n)
		}
	}
	if got, _ := h.d.Campaigns.Show(ctx, cancelled.ID); got.State != outreach.CampaignCancelled {
		t.Errorf("cancelled campaign is %s", got.State)
	}
}

// TestSendAtSurvivesRestart: a job due 5 s ahead is not sent before then,
// and is sent after a restart of the daemon in between.
func TestSendAtSurvivesRestart(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite://" + t.TempDir() + "/a.db"
	clock := newClock(time.Date(2027, 2, 17, 10, 0, 0, 0, shanghai))
	h1 := newHarness(t, dbURL, withPolicy("off", 0, clock))
	if _, err := h1.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	h1.start()
	sendAt := clock.Now().Add(5 * time.Second).Format(time.RFC3339)
	h1.xadd("job", fmt.Sprintf(notice, "later-1", "r-email", `,"send_at":"`+sendAt+`"`))
	eventually(t, "the job waiting in the delayed set", func() bool {
		n, _ := h1.rdb.ZCard(context.Background(), h1.keys.Delayed).Result()
		return n == 1 && testutil.ToFloat64(h1.d.Metrics().Deferred.WithLabelValues("maintenance_notice")) == 1
	})
	clock.Set(clock.Now().Add(4 * time.Second)) // still a second early
	if err := h1.stop(); err != nil {
		t.Fatal(err)
	}
	if n := h1.smtp.Received(); n != 0 {
		t.Fatalf("sent %d emails before send_at", n)
	}

	h2 := newHarness(t, dbURL, func(c *config.Config, d *dispatch.Config) {
		withPolicy("off", 0, clock)(c, d)
		c.Stream, c.Consumer = h1.keys.Stream, "daemon-2"
		c.SMTPURL = outreach.Secret(h1.smtp.URL())
	})
	h2.start()
	clock.Set(clock.Now().Add(2 * time.Second))
	eventually(t, "the job sent after the restart", func() bool { return h2.has("later-1", outreach.StatusSent) && h2.settled() })
	if n := len(received(h1.smtp, "wang@example.com")); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
}

// TestFollowUp: a job with a follow-up schedules it when sent; when due it
// goes to the same resident, once, however often the first job came.
func TestFollowUp(t *testing.T) {
	t.Parallel()
	clock := newMovingClock(time.Date(2027, 2, 17, 10, 0, 0, 0, shanghai)) // the job comes twice: one copy waits for the other's lock
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", withPolicy("21:00-08:00", 3, clock))
	if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	h.start()
	job := `{"id":"wo-77-closed","kind":"maintenance_notice","resident_id":"r-email","data":{"title":"Repair done","area":"1201","start":"now","end":"now"},
		"follow_up":{"kind":"satisfaction_callback","after":"24h","data":{"service":"kitchen sink repair"}}}`
	h.xadd("job", job)
	h.xadd("job", job) // enqueued twice
	followUpID := outreach.FollowUpID("wo-77-closed", "r-email")
	eventually(t, "the job sent and its follow-up waiting", func() bool {
		n, _ := h.rdb.ZCard(context.Background(), h.keys.Delayed).Result()
		return h.has("wo-77-closed", outreach.StatusSent) && n >= 1 && len(h.search(outreach.Filter{JobID: followUpID})) == 0
	})
	clock.Set(clock.Now().Add(24*time.Hour + time.Minute))
	eventually(t, "the follow-up sent", func() bool { return h.has(followUpID, outreach.StatusSent) && h.settled() })
	fu := h.only(followUpID)
	if fu.Kind != outreach.KindSatisfactionCallback || fu.ResidentID != "r-email" {
		t.Errorf("follow-up archived as %+v", fu)
	}
	msgs := received(h.smtp, "wang@example.com")
	if len(msgs) != 2 {
		t.Errorf("resident got %d emails, want the notice and one follow-up", len(msgs))
	}
	if got := testutil.ToFloat64(h.d.Metrics().FollowUps.WithLabelValues("satisfaction_callback")); got < 1 {
		t.Errorf("outreach_follow_ups_scheduled_total = %v", got)
	}
}

// TestUrgentOvertakesBulk: with 20 000 bulk jobs queued, urgent notices, one
// XADDed by another service to the main stream and one enqueued with the
// producer, are sent while most of the bulk still waits.
func TestUrgentOvertakesBulk(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Date(2027, 2, 17, 10, 0, 0, 0, shanghai))
	// A daily cap of 1: the first greeting goes out, the others are
	// suppressed, so the bulk costs no SMTP round trips but still work.
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", withPolicy("off", 1, clock))
	ctx := context.Background()
	if _, err := h.d.Store.UpsertResidents(ctx, residents); err != nil {
		t.Fatal(err)
	}
	const bulk = 20000
	for start := 0; start < bulk; start += 1000 {
		pipe := h.rdb.Pipeline()
		for i := start; i < start+1000; i++ {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: h.keys.Bulk, Values: []any{"job",
				fmt.Sprintf(greeting, fmt.Sprintf("bulk-%05d", i), "r-flaky", `,"priority":"bulk"`)}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	eventually(t, "the bulk lane draining", func() bool { return len(h.search(outreach.Filter{Kind: outreach.KindHolidayGreeting, Limit: 10})) > 0 })

	h.xadd("job", fmt.Sprintf(notice, "gas-leak", "r-email", `,"priority":"urgent"`)) // raw XADD to the main stream
	if err := h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: h.keys.Urgent, Values: []any{"job",
		fmt.Sprintf(notice, "lift-fault", "r-sms", `,"priority":"urgent"`)}}).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both urgent notices sent", func() bool {
		return h.has("gas-leak", outreach.StatusSent) && h.has("lift-fault", outreach.StatusQueued) // Twilio queues SMS
	})
	lag, err := queue.NewConsumer(h.rdb, h.keys, queue.ConsumerOptions{}).Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if remaining := lag.Lanes[2].Lag; remaining < bulk/2 {
		t.Errorf("only %d of %d bulk jobs were still waiting when the urgent ones were sent; they did not overtake", remaining, bulk)
	}
	if n := len(received(h.smtp, "wang@example.com")); n != 1 {
		t.Errorf("urgent notice sent %d times", n)
	}
}
