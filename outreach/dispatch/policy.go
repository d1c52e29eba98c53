package dispatch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// policyStage decides, for one resident, whether the message goes now.
// In order:
//
//   - a cancelled campaign's delivery is suppressed;
//   - a resident who opted out of the job's kind is not sent it
//     (suppressed); channels the resident opted out of are not used (see
//     routeStage), and when that leaves none the delivery is suppressed;
//   - a satisfaction_callback to a resident surveyed within the fatigue
//     window is suppressed (survey_fatigue; see survey.go);
//   - inside quiet hours in the resident's time zone a non-urgent message is
//     deferred to their end (a verdict: the resident's copy of the job
//     waits); an urgent one goes out and the archive records the bypass;
//   - a bulk message over the resident's daily or weekly cap is suppressed.
//
// Every decision is archived with its reason (Delivery.Policy) and counted.
// The record of a deferred or capped delivery carries the channel the
// message would take, so the later send updates the same record. The
// stage's error is the caps' (Redis could not be asked): the job comes back.
func (d *Dispatcher) policyStage(ctx context.Context, p *perResident) error {
	job, r, ch := p.a.job, p.r, p.channel()
	switch {
	case p.a.campaign == outreach.CampaignCancelled:
		d.suppress(p, ch, outreach.PolicyCampaignCancelled, fmt.Sprintf("campaign %s was cancelled", job.Campaign))
		return nil
	case slices.Contains(r.OptOutKinds, job.Kind):
		d.suppress(p, "", outreach.PolicyOptOutKind, fmt.Sprintf("resident opted out of %s", job.Kind))
		return nil
	case p.routeErr != nil:
		if p.optedOut {
			d.suppress(p, "", outreach.PolicyOptOutChannel, fmt.Sprintf("resident opted out of %v", r.OptOutChannels))
		}
		return nil // else the send stage archives why no channel works
	}
	if err := d.surveyFatigue(ctx, p, ch); err != nil || p.done {
		return err
	}

	now := d.cfg.Now()
	// Quiet hours: the estate's own, else the daemon's; in the resident's
	// zone, else the estate's, else the daemon's.
	estate := d.estates.peek(r.EstateID())
	zone, err := d.cfg.Zones.Get(cmp.Or(r.TimeZone, estate.TimeZone))
	if err != nil {
		d.logger.Warn("resident has an unknown time zone; using the default", "resident_id", r.ID, "err", err)
	}
	rules := d.cfg.Policy
	if estate.hasQuiet {
		rules.QuietHours = estate.quiet
	}
	if q, quiet := rules.Quiet(job.Kind, zone, now); quiet {
		if job.EffectivePriority() != outreach.PriorityUrgent {
			d.metrics.PolicyDecisions.WithLabelValues(string(outreach.DecisionDeferred), string(outreach.PolicyQuietHours)).Inc()
			note := fmt.Sprintf("deferred until %s (quiet hours %s, %s)", q.Until.Format(time.RFC3339), q.Window, q.Zone)
			p.recs = append(p.recs, d.policyRecord(p, ch, outreach.StatusDeferred, outreach.PolicyQuietHours, note))
			p.until, p.done = q.Until, true
			return nil
		}
		p.bypass = true
		d.metrics.PolicyDecisions.WithLabelValues(string(outreach.DecisionBypassed), string(outreach.PolicyQuietHours)).Inc()
	}

	if d.cfg.Policy.Capped(job.EffectivePriority()) {
		over, err := d.q.ReserveBulk(ctx, r.ID, outreach.DeliveryID(job.ID, r.ID, ch), now, d.cfg.Policy.DailyCap, d.cfg.Policy.WeeklyCap)
		if err != nil { // Redis trouble: try the job again later
			p.recs = append(p.recs, d.policyRecord(p, ch, outreach.StatusRetrying, "", err.Error()))
			p.err, p.done = err, true
			return err
		}
		if over != "" {
			d.suppress(p, ch, over, fmt.Sprintf("over the bulk %s (%d a day, %d a week)", over, d.cfg.Policy.DailyCap, d.cfg.Policy.WeeklyCap))
			return nil
		}
		p.reserved = true
	}
	return nil
}

// suppressedBefore reports whether the policy suppressed the resident's
// delivery on an earlier attempt of the job.
func suppressedBefore(prior map[outreach.Channel]outreach.Outcome) bool {
	for _, o := range prior {
		if o.Status == outreach.StatusSuppressed {
			return true
		}
	}
	return false
}

// settledResidents are the residents a redelivery of the job must leave
// alone: a provider took their message, or the policy suppressed it.
func settledResidents(prior map[string]map[outreach.Channel]outreach.Outcome) map[string]bool {
	settled := make(map[string]bool)
	for id, byChannel := range prior {
		for _, o := range byChannel {
			if o.Accepted || o.Status == outreach.StatusSuppressed {
				settled[id] = true
			}
		}
	}
	return settled
}

// suppress archives a delivery the policy stage decided not to send, and
// ends the resident's delivery.
func (d *Dispatcher) suppress(p *perResident, ch outreach.Channel, why outreach.PolicyReason, note string) {
	d.metrics.PolicyDecisions.WithLabelValues(string(outreach.DecisionSuppressed), string(why)).Inc()
	d.logger.Info("delivery suppressed by policy", "job_id", p.a.job.ID, "resident_id", p.r.ID, "reason", why)
	p.recs = append(p.recs, d.policyRecord(p, ch, outreach.StatusSuppressed, why, note))
	p.done = true
}

// policyRecord is the archive record of a delivery that was not sent now.
func (d *Dispatcher) policyRecord(p *perResident, ch outreach.Channel, status outreach.Status, why outreach.PolicyReason, note string) outreach.Delivery {
	rec := d.newDelivery(p.a.job, p.a.e, p.r.ID, ch)
	rec.Locale, rec.Status, rec.Policy, rec.Error = p.r.Locale, status, why, note
	return rec
}

// withoutOptedOutChannels is r without the contacts of the channels r
// opted out of, so that routing, whatever its rules, cannot pick them.
func withoutOptedOutChannels(r outreach.Resident) outreach.Resident {
	for _, c := range r.OptOutChannels {
		switch c {
		case outreach.ChannelEmail:
			r.Email = ""
		case outreach.ChannelSMS:
			r.Phone = ""
		}
	}
	return r
}

// deferredJob is the copy of job for one resident that waits out quiet
// hours in the delayed set: same id (so the archive record and the dedupe
// are the same), the resident alone by id (an inline profile is in the
// directory by now), no send_at.
func deferredJob(job outreach.Job, r outreach.Resident, until time.Time, attempt int) queue.Delayed {
	job.ResidentID, job.Audience, job.Resident, job.SendAt = r.ID, nil, nil, nil
	return queue.Delayed{Job: job, At: until, Attempt: attempt}
}
