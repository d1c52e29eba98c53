package email

import (
	"testing"
	"time"
)

// TestDateHeader: the kept date is used only for the same second in the
// same location; any other time is formatted afresh.
func TestDateHeader(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	base := time.Date(2026, 12, 3, 18, 30, 5, 100, time.UTC)
	for _, d := range []time.Time{
		base, base.Add(800 * time.Millisecond), base.In(shanghai), base.Add(time.Second),
		base.In(shanghai).Add(time.Millisecond), base.Add(-time.Second), base.Add(24 * time.Hour), base,
	} {
		if got, want := dateHeader(d), d.Format(time.RFC1123Z); got != want {
			t.Errorf("dateHeader(%v) = %q, want %q", d, got, want)
		}
	}
}
