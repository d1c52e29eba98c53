package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// campaign is a minimal valid campaign created at base.
func campaign(id string) outreach.Campaign {
	return outreach.Campaign{
		ID: id, Name: "Campaign " + id, Kind: outreach.KindHolidayGreeting,
		Audience: outreach.Audience{All: true}, State: outreach.CampaignScheduled,
		CreatedAt: base,
	}
}

func mustCreateCampaign(t *testing.T, s outreach.Store, cs ...outreach.Campaign) {
	t.Helper()
	for _, c := range cs {
		if err := s.CreateCampaign(t.Context(), c); err != nil {
			t.Fatalf("CreateCampaign(%q): %v", c.ID, err)
		}
	}
}

func mustCampaign(t *testing.T, s outreach.Store, id string) outreach.Campaign {
	t.Helper()
	c, err := s.Campaign(t.Context(), id)
	if err != nil {
		t.Fatalf("Campaign(%q): %v", id, err)
	}
	return c
}

// campaignDiff describes how got differs from want ("" when equal),
// ignoring UpdatedAt, which the store sets.
func campaignDiff(got, want outreach.Campaign) string {
	var diffs []string
	if d := timeDiff("CreatedAt", got.CreatedAt, want.CreatedAt); d != "" {
		diffs = append(diffs, d)
	}
	if got.UpdatedAt.IsZero() || got.UpdatedAt.Location() != time.UTC {
		diffs = append(diffs, fmt.Sprintf("UpdatedAt = %v, want a UTC time", got.UpdatedAt))
	}
	for _, p := range []struct {
		name      string
		got, want *time.Time
	}{{"Schedule.At", got.Schedule.At, want.Schedule.At}, {"NextRun", got.NextRun, want.NextRun}, {"LastRunAt", got.LastRunAt, want.LastRunAt}} {
		switch {
		case p.got == nil && p.want == nil:
		case p.got == nil || p.want == nil:
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", p.name, p.got, p.want))
		default:
			if d := timeDiff(p.name, *p.got, *p.want); d != "" {
				diffs = append(diffs, d)
			}
		}
	}
	got.CreatedAt, got.UpdatedAt, got.Schedule.At, got.NextRun, got.LastRunAt = time.Time{}, time.Time{}, nil, nil, nil
	want.CreatedAt, want.UpdatedAt, want.Schedule.At, want.NextRun, want.LastRunAt = time.Time{}, time.Time{}, nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		diffs = append(diffs, fmt.Sprintf("got  %#v\nwant %#v", got, want))
	}
	return strings.Join(diffs, "\n")
}

func testCampaignRoundTrip(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	at := time.Date(2027, 2, 17, 9, 0, 0, 123456789, shanghai)
	full := outreach.Campaign{
		ID: "spring-2027", Name: "春节问候 Spring Festival", Kind: outreach.KindHolidayGreeting,
		Template: "holiday_greeting", Audience: outreach.Audience{Building: "3", Unit: "1201", Tags: []string{"elderly", "vip"}, Locale: "zh-CN"},
		Channels: []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail},
		Data:     map[string]any{"holiday": "春节", "message": `"quoted" <b>`, "year": 2027.0, "nested": map[string]any{"ok": true}},
		Priority: outreach.PriorityNormal,
		Schedule: outreach.Schedule{At: &at},
		State:    outreach.CampaignRunning, NextRun: ptr(at), Occurrence: "20270217T010000Z", Cursor: "r-0042",
		Targeted: 1234567890123, Runs: 3, LastRunAt: ptr(at.Add(-time.Hour)), CreatedAt: at.Add(-48 * time.Hour),
	}
	stores := func(c outreach.Campaign) outreach.Campaign {
		for _, p := range []**time.Time{&c.Schedule.At, &c.NextRun, &c.LastRunAt} {
			if *p != nil {
				*p = ptr(stored(**p))
			}
		}
		c.CreatedAt = stored(c.CreatedAt)
		return c
	}
	tests := []struct {
		name string
		in   outreach.Campaign
		want outreach.Campaign
	}{
		{"every field", full, stores(full)},
		{"only what is required", campaign("min"), campaign("min")},
		{"local time schedule", func() outreach.Campaign {
			c := campaign("local")
			c.Schedule = outreach.Schedule{LocalTime: "09:00", On: "2027-02-17"}
			return c
		}(), func() outreach.Campaign {
			c := campaign("local")
			c.Schedule = outreach.Schedule{LocalTime: "09:00", On: "2027-02-17"}
			return c
		}()},
		{"empty lists and maps come back nil", func() outreach.Campaign {
			c := campaign("empty")
			c.Channels, c.Data, c.Audience.Tags = []outreach.Channel{}, map[string]any{}, []string{}
			c.Schedule.Every = "0 9 1 */3 *"
			return c
		}(), func() outreach.Campaign {
			c := campaign("empty")
			c.Schedule.Every = "0 9 1 */3 *"
			return c
		}()},
	}
	for _, tt := range tests {
		mustCreateCampaign(t, s, tt.in)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := campaignDiff(mustCampaign(t, s, tt.in.ID), tt.want); d != "" {
				t.Error(d)
			}
		})
	}
}

func testCampaignErrors(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustCreateCampaign(t, s, campaign("c1"))
	if err := s.CreateCampaign(t.Context(), campaign("c1")); !errors.Is(err, outreach.ErrExists) {
		t.Errorf("CreateCampaign with an id in use: error = %v, want ErrExists", err)
	}
	if _, err := s.Campaign(t.Context(), "nope"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("Campaign(unknown): error = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateCampaign(t.Context(), "nope", func(*outreach.Campaign) error { return nil }); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("UpdateCampaign(unknown): error = %v, want ErrNotFound", err)
	}
	bad := map[string]func(c *outreach.Campaign){
		"no id":            func(c *outreach.Campaign) { c.ID = "" },
		"no name":          func(c *outreach.Campaign) { c.Name = "" },
		"unknown kind":     func(c *outreach.Campaign) { c.Kind = "tea_party" },
		"empty audience":   func(c *outreach.Campaign) { c.Audience = outreach.Audience{} },
		"unknown state":    func(c *outreach.Campaign) { c.State = "sleeping" },
		"invalid UTF-8":    func(c *outreach.Campaign) { c.Name = "bad \xff" },
		"NUL in data":      func(c *outreach.Campaign) { c.Data = map[string]any{"x": "a\x00b"} },
		"two schedules":    func(c *outreach.Campaign) { c.Schedule = outreach.Schedule{At: &base, Every: "@daily"} },
		"local time alone": func(c *outreach.Campaign) { c.Schedule = outreach.Schedule{LocalTime: "09:00"} },
		"negative count":   func(c *outreach.Campaign) { c.Targeted = -1 },
	}
	for name, change := range bad {
		t.Run(name, func(t *testing.T) {
			c := campaign("bad-" + strings.ReplaceAll(name, " ", "-"))
			change(&c)
			if err := s.CreateCampaign(t.Context(), c); err == nil {
				t.Errorf("CreateCampaign accepted a campaign with %s", name)
			}
			if _, err := s.UpdateCampaign(t.Context(), "c1", func(u *outreach.Campaign) error {
				id := u.ID
				change(u)
				if name == "no id" {
					u.ID = id + "x"
				}
				return nil
			}); err == nil {
				t.Errorf("UpdateCampaign accepted a campaign with %s", name)
			}
		})
	}
	if d := campaignDiff(mustCampaign(t, s, "c1"), campaign("c1")); d != "" {
		t.Errorf("rejected updates changed the campaign: %s", d)
	}
}

func testCampaignsOrder(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var want []string
	for i := range 5 {
		c := campaign(fmt.Sprintf("c%d", i))
		c.CreatedAt = base.Add(time.Duration(i%3) * time.Hour) // c0,c3 then c1,c4 then c2 share times
		mustCreateCampaign(t, s, c)
	}
	want = []string{"c2", "c4", "c1", "c3", "c0"}
	cs, err := s.Campaigns(t.Context())
	if err != nil {
		t.Fatalf("Campaigns: %v", err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Campaigns = %v, want newest first, then by id descending: %v", got, want)
	}
}

func testDueCampaigns(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	now := base.Add(24 * time.Hour)
	mk := func(id string, st outreach.CampaignState, next *time.Time) outreach.Campaign {
		c := campaign(id)
		c.State, c.NextRun = st, next
		return c
	}
	mustCreateCampaign(t, s,
		mk("m-second", outreach.CampaignScheduled, ptr(now.Add(-time.Minute))),
		mk("z-first", outreach.CampaignScheduled, ptr(now.Add(-time.Hour).In(shanghai))),
		mk("a-third", outreach.CampaignRunning, ptr(now)),
		mk("future", outreach.CampaignScheduled, ptr(now.Add(time.Microsecond))),
		mk("no-next", outreach.CampaignRunning, nil),
		mk("paused", outreach.CampaignPaused, ptr(now.Add(-time.Hour))),
		mk("done", outreach.CampaignDone, ptr(now.Add(-time.Hour))),
		mk("cancelled", outreach.CampaignCancelled, ptr(now.Add(-time.Hour))),
	)
	cs, err := s.DueCampaigns(t.Context(), now.In(shanghai))
	if err != nil {
		t.Fatalf("DueCampaigns: %v", err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if want := []string{"z-first", "m-second", "a-third"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DueCampaigns = %v, want %v", got, want)
	}
}

func testUpdateCampaign(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustCreateCampaign(t, s, campaign("c"))
	next := base.Add(time.Hour)
	got, err := s.UpdateCampaign(t.Context(), "c", func(c *outreach.Campaign) error {
		c.State, c.NextRun, c.Occurrence, c.Cursor, c.Targeted = outreach.CampaignRunning, &next, "occ", "r-9", 500
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateCampaign: %v", err)
	}
	want := campaign("c")
	want.State, want.NextRun, want.Occurrence, want.Cursor, want.Targeted = outreach.CampaignRunning, &next, "occ", "r-9", 500
	if d := campaignDiff(got, want); d != "" {
		t.Errorf("UpdateCampaign returned: %s", d)
	}
	if d := campaignDiff(mustCampaign(t, s, "c"), want); d != "" {
		t.Errorf("after UpdateCampaign: %s", d)
	}

	stop := errors.New("not now")
	if _, err := s.UpdateCampaign(t.Context(), "c", func(c *outreach.Campaign) error {
		c.State = outreach.CampaignCancelled
		return stop
	}); !errors.Is(err, stop) {
		t.Errorf("UpdateCampaign with fn failing: error = %v, want fn's error", err)
	}
	if d := campaignDiff(mustCampaign(t, s, "c"), want); d != "" {
		t.Errorf("an aborted update changed the campaign: %s", d)
	}
	if _, err := s.UpdateCampaign(t.Context(), "c", func(c *outreach.Campaign) error {
		c.CreatedAt = c.CreatedAt.Add(time.Hour)
		return nil
	}); err == nil {
		t.Error("UpdateCampaign let the creation time change")
	}
}

// testUpdateCampaignConcurrent: updates of one campaign never lose each
// other's change (what pause, resume and the expander rely on).
func testUpdateCampaignConcurrent(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustCreateCampaign(t, s, campaign("c"))
	const workers, each = 8, 10
	ctx := waitCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := s.UpdateCampaign(ctx, "c", func(c *outreach.Campaign) error {
					c.Targeted++
					return nil
				}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := mustCampaign(t, s, "c").Targeted; got != workers*each {
		t.Errorf("Targeted = %d after %d concurrent increments", got, workers*each)
	}
}

func testCampaignStatusCounts(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	d := func(id, campaign string, st outreach.Status) outreach.Delivery {
		x := delivery(id, "job-"+id, "r-"+id)
		x.Campaign, x.Status = campaign, st
		return x
	}
	mustRecord(t, s,
		d("1", "c", outreach.StatusSent), d("2", "c", outreach.StatusSent), d("3", "c", outreach.StatusDelivered),
		d("4", "c", outreach.StatusFailed), d("5", "c", outreach.StatusSuppressed), d("6", "c", outreach.StatusDeferred),
		d("7", "c", outreach.StatusRetrying), d("8", "other", outreach.StatusSent), d("9", "", outreach.StatusSent),
	)
	got, err := s.CampaignStatusCounts(t.Context(), "c")
	if err != nil {
		t.Fatalf("CampaignStatusCounts: %v", err)
	}
	want := map[outreach.Status]int64{
		outreach.StatusSent: 2, outreach.StatusDelivered: 1, outreach.StatusFailed: 1,
		outreach.StatusSuppressed: 1, outreach.StatusDeferred: 1, outreach.StatusRetrying: 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CampaignStatusCounts = %v, want %v", got, want)
	}
	if got, err := s.CampaignStatusCounts(t.Context(), "none"); err != nil || len(got) != 0 {
		t.Errorf("CampaignStatusCounts(none) = %v, %v; want empty", got, err)
	}
}
