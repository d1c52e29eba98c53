package dispatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/queue"
)

// deliverWithPolicy is the policy stage in front of deliver (route, render,
// send). In order:
//
//   - a cancelled campaign's delivery is suppressed;
//   - a resident who opted out of the job's kind is not sent it
//     (suppressed); channels the resident opted out of are not used, and
//     when that leaves none the delivery is suppressed;
//   - inside quiet hours in the resident's time zone a non-urgent message is
//     deferred to their end (the returned error is a *deferral); an urgent
//     one goes out and the archive records the bypass;
//   - a bulk message over the resident's daily or weekly cap is suppressed.
//
// Every decision is archived with its reason (Delivery.Policy) and counted.
// The record of a deferred or capped delivery carries the channel the
// message would take, so the later send updates the same record.
func (d *Dispatcher) deliverWithPolicy(ctx context.Context, job outreach.Job, r outreach.Resident, e queue.Entry,
	lastAttempt bool, campaign outreach.CampaignState, prior map[outreach.Channel]outreach.Outcome) ([]outreach.Delivery, error) {
	if len(order(job, r)) == 0 {
		return nil, nil // the job is for chat groups only: postGroups sends it
	}
	policyStart := time.Now()
	// decided ends the policy stage (trace): the message goes ahead, or
	// is suppressed or deferred (ok), or the caps could not be checked.
	decided := func(err error) {
		d.trace(ctx, metrics.StagePolicy, policyStart, err, ids{job: job.ID, entry: e.ID, resident: r.ID})
	}
	now := d.cfg.Now()
	reachable := withoutOptedOutChannels(r)
	usable, routeErr := route(order(job, reachable), reachable, d.senders)
	var ch outreach.Channel
	if len(usable) > 0 {
		ch = usable[0]
	}
	one := func(rec outreach.Delivery) []outreach.Delivery { return []outreach.Delivery{rec} }

	switch {
	case campaign == outreach.CampaignCancelled:
		decided(nil)
		return one(d.suppress(job, r, e, ch, outreach.PolicyCampaignCancelled, fmt.Sprintf("campaign %s was cancelled", job.Campaign))), nil
	case slices.Contains(r.OptOutKinds, job.Kind):
		decided(nil)
		return one(d.suppress(job, r, e, "", outreach.PolicyOptOutKind, fmt.Sprintf("resident opted out of %s", job.Kind))), nil
	case routeErr != nil:
		decided(nil)
		if _, err := route(order(job, r), r, d.senders); err == nil { // reachable but for the opt-outs
			return one(d.suppress(job, r, e, "", outreach.PolicyOptOutChannel, fmt.Sprintf("resident opted out of %v", r.OptOutChannels))), nil
		}
		return d.deliverResident(ctx, job, reachable, e, lastAttempt, prior) // archives why no channel works
	}

	bypass := false
	// Quiet hours and their zone: the resident's, else the estate's, else
	// the daemon's.
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
			rec := d.policyRecord(job, r, e, ch, outreach.StatusDeferred, outreach.PolicyQuietHours, note)
			decided(nil)
			return one(rec), &deferral{until: q.Until}
		}
		bypass = true
		d.metrics.PolicyDecisions.WithLabelValues(string(outreach.DecisionBypassed), string(outreach.PolicyQuietHours)).Inc()
	}

	reserved := false
	id := outreach.DeliveryID(job.ID, r.ID, ch)
	if d.cfg.Policy.Capped(job.EffectivePriority()) {
		over, err := d.q.ReserveBulk(ctx, r.ID, id, now, d.cfg.Policy.DailyCap, d.cfg.Policy.WeeklyCap)
		if err != nil { // Redis trouble: try the job again later
			decided(err)
			return one(d.policyRecord(job, r, e, ch, outreach.StatusRetrying, "", err.Error())), err
		}
		if over != "" {
			decided(nil)
			return one(d.suppress(job, r, e, ch, over, fmt.Sprintf("over the bulk %s (%d a day, %d a week)",
				over, d.cfg.Policy.DailyCap, d.cfg.Policy.WeeklyCap))), nil
		}
		reserved = true
	}

	decided(nil)
	recs, err := d.deliverResident(ctx, job, reachable, e, lastAttempt, prior)
	taken := false
	for i := range recs {
		if bypass {
			recs[i].Policy = outreach.PolicyUrgentBypass
		}
		taken = taken || recs[i].Status.Accepted() || recs[i].Status == outreach.StatusRetrying
	}
	if reserved && !taken { // nothing went out and nothing will be retried: give the place back
		if err := d.q.ReleaseBulk(context.WithoutCancel(ctx), r.ID, id); err != nil {
			d.logger.Warn("release frequency cap reservation failed", "resident_id", r.ID, "err", err)
		}
	}
	return recs, err
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

// deferral says that a delivery waits, in the delayed set, until a time.
type deferral struct{ until time.Time }

func (e *deferral) Error() string { return "deferred until " + e.until.Format(time.RFC3339) }

func asDeferral(err error) (*deferral, bool) {
	var d *deferral
	ok := errors.As(err, &d)
	return d, ok
}

// suppress archives a delivery the policy stage decided not to send.
func (d *Dispatcher) suppress(job outreach.Job, r outreach.Resident, e queue.Entry, ch outreach.Channel, why outreach.PolicyReason, note string) outreach.Delivery {
	d.metrics.PolicyDecisions.WithLabelValues(string(outreach.DecisionSuppressed), string(why)).Inc()
	d.logger.Info("delivery suppressed by policy", "job_id", job.ID, "resident_id", r.ID, "reason", why)
	return d.policyRecord(job, r, e, ch, outreach.StatusSuppressed, why, note)
}

// policyRecord is the archive record of a delivery that was not sent now.
func (d *Dispatcher) policyRecord(job outreach.Job, r outreach.Resident, e queue.Entry, ch outreach.Channel,
	status outreach.Status, why outreach.PolicyReason, note string) outreach.Delivery {
	now := d.cfg.Now().UTC()
	return outreach.Delivery{
		ID:         outreach.DeliveryID(job.ID, r.ID, ch),
		JobID:      job.ID,
		StreamID:   e.ID,
		ResidentID: r.ID,
		Kind:       job.Kind,
		Channel:    ch,
		Locale:     r.Locale,
		Status:     status,
		Policy:     why,
		Error:      note,
		Attempts:   e.Attempt + 1,
		Campaign:   job.Campaign,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
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
