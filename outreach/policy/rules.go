package policy

import (
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Rules are a daemon's sending rules. The tags declare the settings that
// fill them (read by package config: Load, `outreach help` and
// docs/configuration.md).
type Rules struct {
	QuietHours QuietHours `env:"OUTREACH_QUIET_HOURS" envDefault:"21:00-08:00" group:"policy" help:"quiet hours in each resident's time zone, with overrides per kind, e.g. 21:00-08:00,maintenance_notice=23:00-06:00,follow_up=off (see [Sending policy](campaigns-and-policy.md#sending-policy)); off: none"`
	// DailyCap and WeeklyCap bound the bulk messages one resident gets in
	// any 24 hours and any 7 days; 0 means no cap.
	DailyCap  int `env:"OUTREACH_BULK_DAILY_CAP" envDefault:"3" group:"policy" want:"a whole number, 0 or more" help:"most bulk messages per resident in any 24 hours (0: no cap)"`
	WeeklyCap int `env:"OUTREACH_BULK_WEEKLY_CAP" envDefault:"10" group:"policy" want:"a whole number, 0 or more" help:"most bulk messages per resident in any 7 days (0: no cap)"`
}

// Quiet is a quiet period that a message falls into.
type Quiet struct {
	Window Window
	Zone   *time.Location
	Until  time.Time // the end of the period: when the message may go
}

// Quiet reports whether a message of kind k to a resident living in zone
// falls into quiet hours at now, and if so until when. Urgency is the
// caller's business: this only tells the time.
func (r Rules) Quiet(k outreach.Kind, zone *time.Location, now time.Time) (Quiet, bool) {
	w, ok := r.QuietHours.For(k)
	if !ok {
		return Quiet{}, false
	}
	local := now.In(zone)
	if !w.Contains(local) {
		return Quiet{}, false
	}
	return Quiet{Window: w, Zone: zone, Until: w.EndAfter(local)}, true
}

// Capped reports whether messages of priority p count against the
// frequency cap: bulk ones do, when a cap is set.
func (r Rules) Capped(p outreach.Priority) bool {
	return p == outreach.PriorityBulk && (r.DailyCap > 0 || r.WeeklyCap > 0)
}
