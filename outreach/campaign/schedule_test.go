package campaign

import (
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseCron(t *testing.T) {
	t.Parallel()
	shanghai := zone(t, "Asia/Shanghai")
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		spec string
		next time.Time // first run after from
		err  string
	}{
		{spec: "0 9 1 */3 *", next: time.Date(2027, 1, 1, 9, 0, 0, 0, shanghai)}, // quarterly, 09:00 in the default zone
		{spec: "CRON_TZ=Europe/London 0 9 * * 1", next: time.Date(2027, 1, 4, 9, 0, 0, 0, zone(t, "Europe/London"))},
		{spec: "@daily", next: time.Date(2027, 1, 2, 0, 0, 0, 0, shanghai)},
		{spec: "@every 24h", next: from.Add(24 * time.Hour)},
		{spec: "", err: "empty"},
		{spec: "every day", err: "cron expression"},
		{spec: "CRON_TZ=Asia/Tokyo", err: "a zone and then the schedule"},
		{spec: "CRON_TZ=Mars/Base 0 9 * * *", err: "bad location"},
		{spec: "0 0 30 2 *", err: "never runs"},
		{spec: "@every 10s", err: "more often"},
		{spec: "* * * * * *", err: "cron expression"}, // six fields: seconds are not accepted
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := parseCron(tt.spec, shanghai)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseCron(%q) error = %v, want %q", tt.spec, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCron(%q): %v", tt.spec, err)
			}
			if got := s.Next(from); !got.Equal(tt.next) {
				t.Errorf("Next(%s) = %s, want %s", from, got, tt.next)
			}
		})
	}
}

func TestFirstAndNextRun(t *testing.T) {
	t.Parallel()
	shanghai := zone(t, "Asia/Shanghai")
	now := time.Date(2027, 2, 10, 12, 0, 0, 0, shanghai)
	at := time.Date(2027, 2, 17, 9, 0, 0, 0, shanghai)
	tests := []struct {
		name  string
		s     outreach.Schedule
		first time.Time
	}{
		{"now", outreach.Schedule{}, now},
		{"at", outreach.Schedule{At: &at}, at},
		// 09:00 on the 17th reaches Kiribati (UTC+14) first: 19:00 UTC on the 16th.
		{"local time", outreach.Schedule{LocalTime: "09:00", On: "2027-02-17"}, time.Date(2027, 2, 16, 19, 0, 0, 0, time.UTC)},
		{"every", outreach.Schedule{Every: "0 9 * * *"}, time.Date(2027, 2, 11, 9, 0, 0, 0, shanghai)},
	}
	for _, tt := range tests {
		got, err := firstRun(tt.s, now, shanghai)
		if err != nil || !got.Equal(tt.first) {
			t.Errorf("%s: firstRun = %s, %v; want %s", tt.name, got, err, tt.first)
		}
	}
	if next, err := nextRun(outreach.Schedule{At: &at}, at, now, shanghai); err != nil || next != nil {
		t.Errorf("nextRun of a one-time schedule = %v, %v; want none", next, err)
	}
	daily := outreach.Schedule{Every: "0 9 * * *"}
	due := time.Date(2027, 2, 11, 9, 0, 0, 0, shanghai)
	if next, err := nextRun(daily, due, due.Add(time.Minute), shanghai); err != nil || !next.Equal(due.Add(24*time.Hour)) {
		t.Errorf("nextRun = %v, %v; want the next day", next, err)
	}
	// Runs missed while no daemon ran are skipped, not sent in a burst.
	if next, err := nextRun(daily, due, due.Add(72*time.Hour+time.Hour), shanghai); err != nil || !next.Equal(due.Add(96*time.Hour)) {
		t.Errorf("nextRun after a long outage = %v, %v; want the first one after now", next, err)
	}
}

func TestLocalTimePerZone(t *testing.T) {
	t.Parallel()
	s := outreach.Schedule{LocalTime: "09:00", On: "2027-02-17"}
	for _, name := range []string{"Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati"} {
		loc := zone(t, name)
		got, err := localTime(s, loc)
		if err != nil {
			t.Fatal(err)
		}
		if l := got.In(loc); l.Hour() != 9 || l.Minute() != 0 || l.Day() != 17 {
			t.Errorf("%s: local time %s, want 09:00 on the 17th", name, l)
		}
	}
	for _, bad := range []outreach.Schedule{{LocalTime: "9am", On: "2027-02-17"}, {LocalTime: "09:00", On: "17.2.2027"}} {
		if err := checkSchedule(bad, time.UTC); err == nil {
			t.Errorf("checkSchedule(%+v) accepted it", bad)
		}
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"0 9 1 */3 *", "CRON_TZ=Asia/Tokyo 0 9 * * *", "@every 1h", "TZ=", "CRON_TZ=UTC", "@weekly"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := parseCron(spec, time.UTC)
		if err != nil {
			return
		}
		from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if next := s.Next(from); next.IsZero() || !next.After(from) {
			t.Fatalf("%q: Next = %s", spec, next)
		}
	})
}
