package dispatch

import (
	"context"

	"github.com/outreach-dev/outreach/outreach"
)

// byResident arranges where the deliveries of a job stand (its
// Store.Outcomes) by resident and channel, so that a retried or
// redelivered job neither sends again what a provider took nor tries again
// a channel that failed for good.
func byResident(list []outreach.Outcome) map[string]map[outreach.Channel]outreach.Outcome {
	m := make(map[string]map[outreach.Channel]outreach.Outcome)
	for _, o := range list {
		if m[o.ResidentID] == nil {
			m[o.ResidentID] = make(map[outreach.Channel]outreach.Outcome)
		}
		m[o.ResidentID][o.Channel] = o
	}
	return m
}

// anyAccepted reports whether a provider took the resident's message on
// some channel.
func anyAccepted(prior map[outreach.Channel]outreach.Outcome) bool {
	for ch, o := range prior {
		if o.Accepted && !ch.Group() {
			return true
		}
	}
	return false
}

func (d *Dispatcher) duplicate(job outreach.Job, residentID string) {
	d.metrics.Duplicates.WithLabelValues(string(job.Kind)).Inc()
	d.logger.Info("already sent; not sending again", "job_id", job.ID, "resident_id", residentID)
}

// recordOptOut marks the resident opted out of ch because the provider
// says they unsubscribed there (Twilio 21610: they replied STOP to
// Twilio, which now blocks the number). The directory then shows it, and
// the policy stage stops asking the provider. A failure to record it is
// logged: the next refusal records it again.
func (d *Dispatcher) recordOptOut(ctx context.Context, residentID string, ch outreach.Channel) {
	if err := d.store.SetOptOut(ctx, residentID, ch, "", true); err != nil {
		d.logger.Warn("record a provider's opt-out failed", "resident_id", residentID, "channel", ch, "err", err)
		return
	}
	d.metrics.OptOuts.WithLabelValues(string(ch), "provider", "out").Inc()
	d.logger.Info("resident opted out with the provider; recorded", "resident_id", residentID, "channel", ch)
}
