package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/queue"
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

// deliverResident routes one resident's message. It tries the usable
// channels in order and falls back to the next one when a channel fails
// for good (a permanent failure, or any failure on the last attempt), so
// the archive shows every attempt; a temporary failure stops there and the
// job is retried. An urgent maintenance notice with UrgentAllChannels goes
// by every usable channel at once instead.
//
// prior is this job's earlier outcomes for the resident, by channel:
// a channel a provider took is never sent again (in fallback mode none is
// sent once any was), and one that failed for good is skipped.
//
// It returns a record per channel tried, and an error only when the job
// must come back (the temporary failure) or be rejected (a template error).
func (d *Dispatcher) deliverResident(ctx context.Context, job outreach.Job, r outreach.Resident, e queue.Entry, lastAttempt bool, prior map[outreach.Channel]outreach.Outcome) ([]outreach.Delivery, error) {
	allowed := order(job, r)
	if len(allowed) == 0 {
		return nil, nil // the job is for chat groups only
	}
	all := d.allAtOnce(job)
	if !all && anyAccepted(prior) {
		d.duplicate(job, r.ID)
		return nil, nil
	}
	routeStart := time.Now()
	usable, err := route(allowed, r, d.senders)
	d.trace(ctx, metrics.StageRoute, routeStart, err, ids{job: job.ID, entry: e.ID, resident: r.ID})
	if err != nil {
		now := d.cfg.Now().UTC()
		return []outreach.Delivery{{
			ID: outreach.DeliveryID(job.ID, r.ID, ""), JobID: job.ID, StreamID: e.ID, ResidentID: r.ID,
			Kind: job.Kind, Locale: r.Locale, Status: outreach.StatusFailed, Error: err.Error(),
			Attempts: e.Attempt + 1, Campaign: job.Campaign, CreatedAt: now, UpdatedAt: now,
		}}, nil
	}
	var (
		recs     []outreach.Delivery
		retryErr error
	)
	for _, ch := range usable {
		if o, ok := prior[ch]; ok {
			if o.Accepted {
				d.duplicate(job, r.ID)
				continue
			}
			if o.Status == outreach.StatusFailed && o.Rendered {
				continue // the channel failed for good on an earlier attempt
			}
			// A template error is the job's, not the channel's: it is
			// rendered again, so that it reaches the dead-letter stream.
		}
		rec, err := d.deliver(ctx, job, r, ch, e, lastAttempt)
		recs = append(recs, rec)
		switch {
		case err == nil:
			if !all {
				return recs, nil
			}
		case isReject(err):
			return recs, err
		case rec.Status == outreach.StatusRetrying:
			if !all {
				return recs, err
			}
			if retryErr == nil || outreach.RetryAfterHint(err) > outreach.RetryAfterHint(retryErr) {
				retryErr = err
			}
		default: // failed for good: the next channel is tried
			if outreach.IsUnsubscribed(err) {
				d.recordOptOut(ctx, r.ID, ch)
			}
			d.logger.Info("channel failed for good; trying the next", "job_id", job.ID, "resident_id", r.ID, "channel", ch)
		}
	}
	return recs, retryErr
}

// postGroups posts the job once to each chat channel it names (a staff or
// building group). The message is rendered for the job's resident when it
// has one (a notice about that resident), else for a neutral reader in the
// audience's building, unit and locale. The record's resident is the job's
// resident or "".
func (d *Dispatcher) postGroups(ctx context.Context, job outreach.Job, residents []outreach.Resident, e queue.Entry, lastAttempt bool, prior map[string]map[outreach.Channel]outreach.Outcome) ([]outreach.Delivery, error) {
	var reader outreach.Resident
	switch {
	case (job.ResidentID != "" || job.Resident != nil) && len(residents) == 1:
		reader = residents[0]
	case job.Audience != nil:
		reader = outreach.Resident{Building: job.Audience.Building, Unit: job.Audience.Unit, Locale: job.Audience.Locale}
	}
	var (
		recs     []outreach.Delivery
		retryErr error
	)
	for _, ch := range job.Channels {
		if !ch.Group() {
			continue
		}
		if o, ok := prior[reader.ID][ch]; ok && (o.Accepted || (o.Status == outreach.StatusFailed && o.Rendered)) {
			if o.Accepted {
				d.duplicate(job, reader.ID)
			}
			continue
		}
		if d.senders[ch] == nil {
			now := d.cfg.Now().UTC()
			recs = append(recs, outreach.Delivery{
				ID: outreach.DeliveryID(job.ID, reader.ID, ch), JobID: job.ID, StreamID: e.ID, ResidentID: reader.ID,
				Kind: job.Kind, Channel: ch, Status: outreach.StatusFailed,
				Error:    fmt.Sprintf("no usable channel (%s: channel not configured)", ch),
				Attempts: e.Attempt + 1, Campaign: job.Campaign, CreatedAt: now, UpdatedAt: now,
			})
			continue
		}
		rec, err := d.deliver(ctx, job, reader, ch, e, lastAttempt)
		recs = append(recs, rec)
		switch {
		case err == nil:
		case isReject(err):
			return recs, err
		case rec.Status == outreach.StatusRetrying:
			retryErr = err
		}
	}
	return recs, retryErr
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
