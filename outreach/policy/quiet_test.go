package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseQuietHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		{in: "21:00-08:00", want: "21:00-08:00"},
		{in: " 21:00 - 08:00 ", want: "21:00-08:00"},
		{in: "off", want: "off"},
		{in: "OFF", want: "off"},
		{in: "13:00-14:30", want: "13:00-14:30"},
		{in: "21:00-08:00,maintenance_notice=off,holiday_greeting=20:00-09:30", want: "21:00-08:00,holiday_greeting=20:00-09:30,maintenance_notice=off"},
		{in: "follow_up=22:00-07:00", want: "off,follow_up=22:00-07:00"},
		{in: "", err: "empty item"},
		{in: "21:00-08:00,", err: "empty item"},
		{in: "21-8", err: "not a time of day"},
		{in: "25:00-08:00", err: "not a time of day"},
		{in: "21:00", err: "want HH:MM-HH:MM"},
		{in: "08:00-08:00", err: "the same time"},
		{in: "21:00-08:00,22:00-07:00", err: "two windows"},
		{in: "tea_party=21:00-08:00", err: "unknown kind"},
		{in: "follow_up=off,follow_up=21:00-08:00", err: "given twice"},
		{in: "holiday_greeting=", err: "want HH:MM-HH:MM"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuietHours(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseQuietHours(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuietHours(%q): %v", tt.in, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("ParseQuietHours(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuietHoursForKind(t *testing.T) {
	t.Parallel()
	q := MustParseQuietHours("21:00-08:00,maintenance_notice=off,follow_up=22:00-07:00")
	for _, tt := range []struct {
		k    outreach.Kind
		want string
		ok   bool
	}{
		{outreach.KindHolidayGreeting, "21:00-08:00", true},
		{outreach.KindMaintenanceNotice, "", false},
		{outreach.KindFollowUp, "22:00-07:00", true},
	} {
		w, ok := q.For(tt.k)
		if ok != tt.ok || (ok && w.String() != tt.want) {
			t.Errorf("For(%s) = %v, %v; want %s, %v", tt.k, w, ok, tt.want, tt.ok)
		}
	}
	if _, ok := MustParseQuietHours("off").For(outreach.KindFollowUp); ok {
		t.Error("off has a window")
	}
}

func TestRulesQuiet(t *testing.T) {
	t.Parallel()
	shanghai := mustZone(t, "Asia/Shanghai")
	newYork := mustZone(t, "America/New_York")
	r := Rules{QuietHours: MustParseQuietHours("21:00-08:00,maintenance_notice=23:00-06:00,follow_up=13:00-14:00")}
	at := func(loc *time.Location, y int, mo time.Month, d, h, m int) time.Time {
		return time.Date(y, mo, d, h, m, 0, 0, loc)
	}
	tests := []struct {
		name      string
		kind      outreach.Kind
		zone      *time.Location
		now       time.Time
		wantQuiet bool
		wantUntil time.Time
	}{
		{"evening, before", outreach.KindHolidayGreeting, shanghai, at(shanghai, 2027, 2, 16, 20, 59), false, time.Time{}},
		{"evening, start", outreach.KindHolidayGreeting, shanghai, at(shanghai, 2027, 2, 16, 21, 0), true, at(shanghai, 2027, 2, 17, 8, 0)},
		{"after midnight", outreach.KindHolidayGreeting, shanghai, at(shanghai, 2027, 2, 17, 3, 30), true, at(shanghai, 2027, 2, 17, 8, 0)},
		{"morning, end", outreach.KindHolidayGreeting, shanghai, at(shanghai, 2027, 2, 17, 8, 0), false, time.Time{}},
		{"own window for the kind", outreach.KindMaintenanceNotice, shanghai, at(shanghai, 2027, 2, 16, 22, 0), false, time.Time{}},
		{"own window, inside", outreach.KindMaintenanceNotice, shanghai, at(shanghai, 2027, 2, 16, 23, 30), true, at(shanghai, 2027, 2, 17, 6, 0)},
		{"window within a day", outreach.KindFollowUp, shanghai, at(shanghai, 2027, 2, 16, 13, 15), true, at(shanghai, 2027, 2, 16, 14, 0)},
		// 22:00 in Shanghai is 09:00 in New York: the resident's own zone counts.
		{"resident's zone", outreach.KindHolidayGreeting, newYork, at(shanghai, 2027, 2, 16, 22, 0), false, time.Time{}},
		{"resident's zone, night", outreach.KindHolidayGreeting, newYork, at(shanghai, 2027, 2, 17, 12, 0), true, at(newYork, 2027, 2, 17, 8, 0)},
		// The night DST starts in New York (2027-03-14, 02:00 -> 03:00) is
		// an hour shorter; the end is still 08:00 local.
		{"across a DST change", outreach.KindHolidayGreeting, newYork, at(newYork, 2027, 3, 13, 23, 0), true, at(newYork, 2027, 3, 14, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, quiet := r.Quiet(tt.kind, tt.zone, tt.now)
			if quiet != tt.wantQuiet {
				t.Fatalf("Quiet = %v, want %v", quiet, tt.wantQuiet)
			}
			if quiet && (!q.Until.Equal(tt.wantUntil) || q.Until.Location() != tt.zone) {
				t.Errorf("Until = %s, want %s", q.Until, tt.wantUntil)
			}
		})
	}
}

func TestEndAfterWhenDSTSkipsTheEnd(t *testing.T) {
	t.Parallel()
	newYork := mustZone(t, "America/New_York")
	w := Window{Start: 1 * 60, End: 2*60 + 30} // 01:00-02:30; 02:30 does not exist on 2027-03-14
	now := time.Date(2027, 3, 14, 1, 45, 0, 0, newYork)
	jump := time.Date(2027, 3, 14, 7, 0, 0, 0, time.UTC) // 02:00 EST = 03:00 EDT
	if got := w.EndAfter(now); !got.Equal(jump) {
		t.Errorf("EndAfter(%s) = %s, want the jump at %s", now, got, jump.In(newYork))
	}
}

func TestCapped(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    Rules
		p    outreach.Priority
		want bool
	}{
		{Rules{DailyCap: 3}, outreach.PriorityBulk, true},
		{Rules{WeeklyCap: 3}, outreach.PriorityBulk, true},
		{Rules{}, outreach.PriorityBulk, false},
		{Rules{DailyCap: 3}, outreach.PriorityNormal, false},
		{Rules{DailyCap: 3}, outreach.PriorityUrgent, false},
	} {
		if got := tt.r.Capped(tt.p); got != tt.want {
			t.Errorf("%+v.Capped(%s) = %v, want %v", tt.r, tt.p, got, tt.want)
		}
	}
}

func TestZones(t *testing.T) {
	t.Parallel()
	def := mustZone(t, "Asia/Shanghai")
	z := NewZones(def)
	if loc, err := z.Get(""); err != nil || loc != def {
		t.Errorf("Get(\"\") = %v, %v; want the default", loc, err)
	}
	a, err := z.Get("Europe/Berlin")
	if err != nil || a.String() != "Europe/Berlin" {
		t.Fatalf("Get(Europe/Berlin) = %v, %v", a, err)
	}
	if b, _ := z.Get("Europe/Berlin"); b != a {
		t.Error("Get did not cache the zone")
	}
	if loc, err := z.Get("Mars/Olympus"); err == nil || loc != def {
		t.Errorf("Get(unknown) = %v, %v; want the default and an error", loc, err)
	}
}

func FuzzParseQuietHours(f *testing.F) {
	for _, s := range []string{"21:00-08:00", "off", "21:00-08:00,maintenance_notice=off", "follow_up=13:00-14:00", "25:61-", ",,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuietHours(s)
		if err != nil {
			return
		}
		again, err := ParseQuietHours(q.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, q.String(), err)
		}
		if again.String() != q.String() {
			t.Fatalf("round trip of %q: %q then %q", s, q.String(), again.String())
		}
		now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, k := range outreach.Kinds {
			if w, ok := q.For(k); ok {
				for m := 0; m < 24*60; m += 7 {
					t0 := now.Add(time.Duration(m) * time.Minute)
					if w.Contains(t0) {
						end := w.EndAfter(t0)
						if !end.After(t0) || end.Sub(t0) > 24*time.Hour || w.Contains(end) {
							t.Fatalf("window %s at %s: end %s", w, t0, end)
						}
					}
				}
			}
		}
	})
}
