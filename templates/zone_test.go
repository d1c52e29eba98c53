package templates

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// TestRenderInResidentTimeZone renders the built-in maintenance notice,
// whose sample times are RFC 3339 in +08:00, for residents in several
// zones: each sees the times in their own zone, or in the daemon's default
// when the profile names none (or a zone that does not exist).
func TestRenderInResidentTimeZone(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		locale, zone string
		def          *time.Location
		wantZone     string
		want         []string // in the email text
	}{
		{"zh-CN", "", shanghai, "Asia/Shanghai", []string{"时间：2026年3月1日 09:00 至 12:00（星期日）"}},
		{"en", "", shanghai, "Asia/Shanghai", []string{"When:  Sunday 1 March 2026, 09:00 to 12:00"}},
		{"en", "Europe/London", shanghai, "Europe/London", []string{"When:  Sunday 1 March 2026, 01:00 to 04:00"}},
		{"zh-CN", "America/New_York", shanghai, "America/New_York", []string{"时间：2026年2月28日 20:00 至 23:00（星期六）"}},
		{"en", "America/Los_Angeles", shanghai, "America/Los_Angeles", []string{"When:  Saturday 28 February 2026, 17:00 to 20:00"}},
		{"en", "Mars/Olympus_Mons", shanghai, "Asia/Shanghai", []string{"When:  Sunday 1 March 2026, 09:00 to 12:00"}},
		{"en", "", nil, "", []string{"When:  Sunday 1 March 2026, 09:00 to 12:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.zone, func(t *testing.T) {
			t.Parallel()
			in := sampleInput(t, s, outreach.KindMaintenanceNotice, tt.locale, outreach.ChannelEmail)
			in.Resident.TimeZone, in.DefaultTimeZone = tt.zone, tt.def
			r, err := s.Render(in)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if r.TimeZone != tt.wantZone {
				t.Errorf("TimeZone %q, want %q", r.TimeZone, tt.wantZone)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, r.Text)
				}
			}
		})
	}
}

// TestRenderZonesConcurrently renders in many zones at once from one Set,
// so that binding a template to a zone on first use is exercised under
// -race, and checks no render sees another's zone.
func TestRenderZonesConcurrently(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	zones := []string{"Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"}
	want := map[string]string{}
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, time.March, 1, 9, 0, 0, 0, time.FixedZone("", 8*3600)).In(loc)
		want[z] = start.Format("Mon 2 Jan 15:04")
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 30 {
				z := zones[(g+i)%len(zones)]
				in := sampleInput(t, s, outreach.KindMaintenanceNotice, "en", outreach.ChannelSMS)
				in.Resident.TimeZone = z
				r, rerr := s.Render(in)
				if rerr != nil || !strings.Contains(r.Text, want[z]) {
					err = fmt.Errorf("%s: %q, %v; want it to contain %q", z, r.Text, rerr, want[z])
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestZoneCacheTellsFixedZonesApart: two different zones that share a name
// are not served each other's binding.
func TestZoneCacheTellsFixedZonesApart(t *testing.T) {
	t.Parallel()
	s, err := Load(mapFS(map[string]string{"t/en/sms.txt.tmpl": "{{time .Data.at}}", "t/zh-CN/sms.txt.tmpl": "x"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, tt := range []struct {
		zone *time.Location
		want string
	}{
		{time.FixedZone("X", 0), "01:00"},
		{time.FixedZone("X", 3600), "02:00"},
		{time.FixedZone("X", 0), "01:00"},
	} {
		r, err := s.Render(Input{Template: "t", Locale: "en", Channel: outreach.ChannelSMS, DefaultTimeZone: tt.zone,
			Data: map[string]any{"at": "2026-03-01T01:00:00Z"}})
		if err != nil || r.Text != tt.want {
			t.Errorf("zone %v: %q, %v; want %q", tt.zone, r.Text, err, tt.want)
		}
	}
}
