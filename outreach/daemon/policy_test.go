package daemon_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/policy"
)

// testClock is the daemon's clock in a test: it stands still until moved
// (or, made by newMovingClock, runs from where it was set).
type testClock struct {
	mu     sync.Mutex
	t      time.Time
	setAt  time.Time
	moving bool
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

// newMovingClock runs at the pace of the wall clock from where it was set,
// for tests where the daemon waits on its own clock: a copy of a job
// locked by another worker comes back LockWait later, which never comes on
// a clock that stands still.
func newMovingClock(t time.Time) *testClock {
	return &testClock{t: t, setAt: time.Now(), moving: true}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.moving {
		return c.t.Add(time.Since(c.setAt))
	}
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t, c.setAt = t, time.Now()
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// withPolicy sets the quiet hours, the caps and the clock.
func withPolicy(quiet string, daily int, clock *testClock) func(*config.Config, *dispatch.Config) {
	return func(c *config.Config, d *dispatch.Config) {
		c.Policy = policy.Rules{QuietHours: policy.MustParseQuietHours(quiet), DailyCap: daily, WeeklyCap: 10 * daily}
		c.TimeZone = shanghai
		d.Now = clock.Now
	}
}

// only returns the one delivery of job, failing the test otherwise.
func (h *harness) only(jobID string) outreach.Delivery {
	h.t.Helper()
	ds := h.search(outreach.Filter{JobID: jobID})
	if len(ds) != 1 {
		h.t.Fatalf("archive has %d deliveries of %s, want 1: %+v", len(ds), jobID, ds)
	}
	return ds[0]
}

func (h *harness) has(jobID string, st outreach.Status) bool {
	ds := h.search(outreach.Filter{JobID: jobID})
	return len(ds) == 1 && ds[0].Status == st
}

const greeting = `{"id":%q,"kind":"holiday_greeting","resident_id":%q,"data":{"holiday":"Spring Festival"}%s}`

// TestQuietHours: at 23:00 in the residents' zone a greeting is deferred
// to 08:00 and archived as such, while an urgent lift notice goes out at
// once with the bypass archived; at 08:00 the greeting is sent, once, and
// its record turns from deferred to sent.
func TestQuietHours(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Date(2027, 2, 16, 23, 0, 0, 0, shanghai))
			h := newHarness(t, url, withPolicy("21:00-08:00", 3, clock))
			if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
				t.Fatal(err)
			}
			h.start()
			h.xadd("job", fmt.Sprintf(greeting, "greet-1", "r-email", ""))
			h.xadd("job", fmt.Sprintf(notice, "lift-1", "r-sms", `,"priority":"urgent"`))

			eventually(t, "the urgent notice sent and the greeting deferred", func() bool {
				return h.has("lift-1", outreach.StatusQueued) && h.has("greet-1", outreach.StatusDeferred) // Twilio queues SMS
			})
			if rec := h.only("lift-1"); rec.Policy != outreach.PolicyUrgentBypass {
				t.Errorf("urgent notice archived with policy %q, want urgent_bypass", rec.Policy)
			}
			deferred := h.only("greet-1")
			if deferred.Policy != outreach.PolicyQuietHours || deferred.Channel != outreach.ChannelEmail || deferred.SentAt != nil {
				t.Errorf("deferred greeting archived as %+v", deferred)
			}
			if n := len(received(h.smtp, "wang@example.com")); n != 0 {
				t.Fatalf("greeting sent %d times inside quiet hours", n)
			}
			due, err := h.rdb.ZRangeWithScores(context.Background(), h.keys.Delayed, 0, -1).Result()
			if err != nil || len(due) != 1 {
				t.Fatalf("delayed set = %v, %v; want the greeting", due, err)
			}
			if at := time.UnixMilli(int64(due[0].Score)); !at.Equal(time.Date(2027, 2, 17, 8, 0, 0, 0, shanghai)) {
				t.Errorf("greeting waits until %s, want 08:00 in Shanghai", at.In(shanghai))
			}

			clock.Set(time.Date(2027, 2, 17, 8, 0, 1, 0, shanghai))
			eventually(t, "the greeting sent after quiet hours", func() bool { return h.has("greet-1", outreach.StatusSent) && h.settled() })
			sent := h.only("greet-1")
			if sent.ID != deferred.ID || sent.Policy != "" || sent.SentAt == nil {
				t.Errorf("after quiet hours the greeting's record is %+v, want the deferred one turned sent", sent)
			}
			if n := len(received(h.smtp, "wang@example.com")); n != 1 {
				t.Errorf("greeting sent %d times, want exactly once", n)
			}
			m := h.d.Metrics()
			for _, c := range []struct {
				decision, reason string
				want             float64
			}{{"deferred", "quiet_hours", 1}, {"bypassed", "quiet_hours", 1}} {
				if got := testutil.ToFloat64(m.PolicyDecisions.WithLabelValues(c.decision, c.reason)); got != c.want {
					t.Errorf("outreach_policy_decisions_total{%s,%s} = %v, want %v", c.decision, c.reason, got, c.want)
				}
			}
		})
	}
}

// TestCapsAndOptOuts: a resident who opted out of greetings gets no
// greeting but still gets a maintenance notice; one who opted out of email
// gets the greeting by SMS; the second bulk greeting of the day to the same
// resident is suppressed by the daily cap.
func TestCapsAndOptOuts(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Date(2027, 2, 17, 10, 0, 0, 0, shanghai))
			h := newHarness(t, url, withPolicy("21:00-08:00", 1, clock))
			rs := []outreach.Resident{
				{ID: "no-greetings", Name: "Li Ming", Email: "li@example.com", Locale: "en", Building: "7",
					OptOutKinds: []outreach.Kind{outreach.KindHolidayGreeting}},
				{ID: "no-email", Name: "Emily Carter", Email: "emily@example.com", Phone: "+8613800138001", Locale: "en", Building: "7",
					OptOutChannels: []outreach.Channel{outreach.ChannelEmail}},
				{ID: "plain", Name: "David Chen", Email: "david@example.com", Locale: "en", Building: "7"},
			}
			if _, err := h.d.Store.UpsertResidents(context.Background(), rs); err != nil {
				t.Fatal(err)
			}
			if r, _ := h.d.Store.Resident(context.Background(), "no-greetings"); len(r.OptOutKinds) != 1 {
				t.Fatalf("the store lost the opt-out: %+v", r)
			}
			h.start()
			for _, id := range []string{"bulk-1", "bulk-2"} {
				h.xadd("job", fmt.Sprintf(`{"id":%q,"kind":"holiday_greeting","audience":{"building":"7"},"priority":"bulk","data":{"holiday":"Spring Festival"}}`, id))
			}
			h.xadd("job", fmt.Sprintf(notice, "water-1", "no-greetings", ""))
			eventually(t, "every job processed", func() bool {
				return h.settled() && len(h.search(outreach.Filter{})) == 7
			})

			byResident := map[string]map[outreach.Status]int{}
			for _, d := range h.search(outreach.Filter{Kind: outreach.KindHolidayGreeting}) {
				if byResident[d.ResidentID] == nil {
					byResident[d.ResidentID] = map[outreach.Status]int{}
				}
				byResident[d.ResidentID][d.Status]++
				switch {
				case d.ResidentID == "no-greetings" && d.Policy != outreach.PolicyOptOutKind:
					t.Errorf("greeting to no-greetings archived with policy %q, want opt_out_kind", d.Policy)
				case d.ResidentID != "no-greetings" && d.Status == outreach.StatusSuppressed && d.Policy != outreach.PolicyDailyCap:
					t.Errorf("suppressed greeting to %s has policy %q, want daily_cap", d.ResidentID, d.Policy)
				case d.ResidentID == "no-email" && d.Status == outreach.StatusQueued && d.Channel != outreach.ChannelSMS:
					t.Errorf("greeting to no-email went by %s, want sms", d.Channel)
				}
			}
			want := map[string]map[outreach.Status]int{
				"no-greetings": {outreach.StatusSuppressed: 2},
				"no-email":     {outreach.StatusQueued: 1, outreach.StatusSuppressed: 1}, // by SMS, which Twilio queues
				"plain":        {outreach.StatusSent: 1, outreach.StatusSuppressed: 1},
			}
			if fmt.Sprint(byResident) != fmt.Sprint(want) {
				t.Errorf("greetings by resident = %v, want %v", byResident, want)
			}
			if rec := h.only("water-1"); rec.Status != outreach.StatusSent {
				t.Errorf("maintenance notice to a resident who opted out of greetings: %s, want sent", rec.Status)
			}
			if n := len(received(h.smtp, "li@example.com")); n != 1 {
				t.Errorf("li@example.com got %d emails, want only the notice", n)
			}
			if n := len(received(h.smtp, "emily@example.com")); n != 0 {
				t.Errorf("a resident who opted out of email got %d emails", n)
			}
		})
	}
}
