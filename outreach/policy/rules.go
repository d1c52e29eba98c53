package policy

import (
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Rules are a daemon's sending rules (OUTREACH_QUIET_HOURS,
// OUTREACH_BULK_DAILY_CAP, OUTREACH_BULK_WEEKLY_CAP).
type Rules struct {
	QuietHours QuietHours
	// DailyCap and WeeklyCap bound the bulk messages one resident gets in
	// any 24 hours and any 7 days; 0 means no cap.
	DailyCap, WeeklyCap int
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
