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
	"github.com/outreach-dev/outreach/templates"
)

// deliverStage is the per-resident part of the pipeline. The job's chat
// groups go first: a group post is the default variant, so a template
// error there would fail every resident the same way, and ends the stage.
// Then each resident goes through residentStages (route, policy, send),
// unless the policy settled them on an earlier attempt.
func (d *Dispatcher) deliverStage(ctx context.Context, a *attempt) error {
	recs, err := d.postGroups(ctx, a)
	a.records = append(a.records, recs...)
	if a.failed.note(err) == deadLettered {
		return nil
	}
	for _, r := range a.residents { // a long audience job keeps its lock: renewLocks renews it
		if suppressedBefore(a.prior[r.ID]) {
			continue // the policy settled this resident on an earlier attempt
		}
		p := d.deliverTo(ctx, a, r)
		stampAddress(p.recs, r)
		a.records = append(a.records, p.recs...)
		if !p.until.IsZero() { // quiet hours: the resident's copy of the job waits
			a.later = append(a.later, deferredJob(a.job, r, p.until, a.e.Attempt))
			continue
		}
		// A template error in the default variant fails every other
		// resident the same way. A variant that lacks a variable falls
		// back to the default variant (see templates.Set.Render), so an
		// error for a variant's resident is one of the variant's own: the
		// others still get the notice, and the job is dead-lettered after
		// them, naming what is wrong.
		if a.failed.note(p.err) == deadLettered && templates.VariantFor(r) == templates.DefaultVariant {
			break
		}
	}
	return nil
}

// perResident is one resident's part of an attempt: the value the
// resident stages share.
type perResident struct {
	a         *attempt
	r         outreach.Resident                     // as stored
	reachable outreach.Resident                     // r without the contacts of the channels r opted out of
	earlier   map[outreach.Channel]outreach.Outcome // the job's earlier outcomes for r
	allowed   []outreach.Channel                    // the channels the job may use for r, in order
	// route: the allowed channels r can be reached on and the daemon
	// sends on, in order (computed once), or why there is none; optedOut
	// says that r could be reached but for the opt-outs.
	usable   []outreach.Channel
	routeErr error
	optedOut bool
	// policy: quiet hours bypassed (an urgent message), a place under the
	// bulk cap held.
	bypass, reserved bool

	// What the resident stages found: the records, an error when the job
	// must come back (a temporary failure) or be rejected (a template
	// error), the end of the quiet hours the delivery waits for (a
	// verdict, not an error), and whether the policy settled it (nothing
	// more is done).
	recs  []outreach.Delivery
	err   error
	until time.Time
	done  bool
}

// channel is the channel the message would take: the first usable one.
func (p *perResident) channel() outreach.Channel {
	if len(p.usable) > 0 {
		return p.usable[0]
	}
	return ""
}

// residentStage is one step of a resident's delivery. Its error is the
// stage's result (for the trace); the stage ends the resident's delivery
// by setting done.
type residentStage struct {
	metric metrics.Stage
	run    func(d *Dispatcher, ctx context.Context, p *perResident) error
}

// residentStages are what deliverStage runs for each resident, in order.
// The route comes before the policy because a policy decision's record
// names the channel the message would have taken.
var residentStages = []residentStage{
	{metrics.StageRoute, (*Dispatcher).routeStage},
	{metrics.StagePolicy, (*Dispatcher).policyStage},
	{untimed, (*Dispatcher).sendStage}, // render and send are timed per channel (see deliver)
}

// deliverTo runs the resident stages for r. A job that names only chat
// channels reaches no resident: postGroups sent it.
func (d *Dispatcher) deliverTo(ctx context.Context, a *attempt, r outreach.Resident) *perResident {
	p := &perResident{a: a, r: r, earlier: a.prior[r.ID], allowed: order(a.job, r)}
	if len(p.allowed) == 0 {
		return p
	}
	p.reachable = withoutOptedOutChannels(r)
	id := func() ids { return ids{job: a.job.ID, entry: a.e.ID, resident: r.ID} }
	for _, st := range residentStages {
		_ = d.timed(ctx, st.metric, id, func() error { return st.run(d, ctx, p) })
		if p.done {
			break
		}
	}
	return p
}

// routeStage picks the channels the message may take (see route).
func (d *Dispatcher) routeStage(_ context.Context, p *perResident) error {
	p.usable, p.routeErr = route(p.allowed, p.reachable, d.senders)
	if p.routeErr != nil {
		p.optedOut = slices.ContainsFunc(p.allowed, func(c outreach.Channel) bool {
			return p.r.Contact(c) != "" && d.senders[c] != nil
		})
	}
	return p.routeErr
}

// sendStage sends the resident's message by the route: the usable
// channels in order, falling back to the next one when a channel fails for
// good (a permanent failure, or any failure on the last attempt), so the
// archive shows every attempt; a temporary failure stops there and the job
// is retried. An urgent maintenance notice with UrgentAllChannels goes by
// every usable channel at once instead.
//
// The job's earlier outcomes for the resident count: a channel a provider
// took is never sent again (in fallback mode none is sent once any was),
// and one that failed for good is skipped. No usable channel is archived
// as a failure naming why.
func (d *Dispatcher) sendStage(ctx context.Context, p *perResident) error {
	all := d.allAtOnce(p.a.job)
	if !all && anyAccepted(p.earlier) {
		d.duplicate(p.a.job, p.r.ID)
		return nil
	}
	if p.routeErr != nil {
		rec := d.newDelivery(p.a.job, p.a.e, p.r.ID, "")
		rec.Locale, rec.Status, rec.Error = p.r.Locale, outreach.StatusFailed, p.routeErr.Error()
		p.recs = append(p.recs, rec)
		return nil
	}
	p.err = d.sendByRoute(ctx, p, all)
	taken := false
	for i := range p.recs {
		if p.bypass {
			p.recs[i].Policy = outreach.PolicyUrgentBypass
		}
		taken = taken || p.recs[i].Status.Accepted() || p.recs[i].Status == outreach.StatusRetrying
	}
	if p.reserved && !taken { // nothing went out and nothing will be retried: give the place back
		id := outreach.DeliveryID(p.a.job.ID, p.r.ID, p.channel())
		if err := d.q.ReleaseBulk(context.WithoutCancel(ctx), p.r.ID, id); err != nil {
			d.logger.Warn("release frequency cap reservation failed", "resident_id", p.r.ID, "err", err)
		}
	}
	return nil
}

// sendByRoute tries the usable channels (see sendStage) and returns the
// error that brings the job back or rejects it, if any.
func (d *Dispatcher) sendByRoute(ctx context.Context, p *perResident, all bool) error {
	job := p.a.job
	var retryErr error
	for _, ch := range p.usable {
		if o, ok := p.earlier[ch]; ok {
			if o.Accepted {
				d.duplicate(job, p.r.ID)
				continue
			}
			if o.Status == outreach.StatusFailed && o.Rendered {
				continue // the channel failed for good on an earlier attempt
			}
			// A template error is the job's, not the channel's: it is
			// rendered again, so that it reaches the dead-letter stream.
		}
		rec, outcome, err := d.deliver(ctx, p.a, p.reachable, ch)
		p.recs = append(p.recs, rec)
		switch outcome {
		case sendOK:
			if !all {
				return nil
			}
		case renderFailed:
			return err
		case sendRetry:
			if !all {
				return err
			}
			if retryErr == nil || outreach.RetryAfterHint(err) > outreach.RetryAfterHint(retryErr) {
				retryErr = err
			}
		case sendFailed: // the next channel is tried
			if outreach.IsUnsubscribed(err) {
				d.recordOptOut(ctx, p.r.ID, ch)
			}
			d.logger.Info("channel failed for good; trying the next", "job_id", job.ID, "resident_id", p.r.ID, "channel", ch)
		}
	}
	return retryErr
}

// sendOutcome is how one channel's delivery ended, as deliver classifies it.
type sendOutcome int

const (
	sendOK       sendOutcome = iota
	renderFailed             // a template error: the job's, a *outreach.RejectError
	sendRetry                // a temporary failure: the job comes back, no fallback
	sendFailed               // failed for good (permanent, or on the last attempt): the next channel is tried
)

// deliver renders and sends one message on channel ch to r (for a chat
// channel, r is the group's reader; see postGroups), and returns its
// archive record, how it ended and its error. Render and send are timed
// as stages of their own.
func (d *Dispatcher) deliver(ctx context.Context, a *attempt, r outreach.Resident, ch outreach.Channel) (outreach.Delivery, sendOutcome, error) {
	rec := d.newDelivery(a.job, a.e, r.ID, ch)
	rec.Locale = r.Locale
	id := func() ids { return ids{job: a.job.ID, entry: a.e.ID, resident: r.ID, channel: ch, delivery: rec.ID} }
	var out templates.Rendered
	err := d.timed(ctx, metrics.StageRender, id, func() (err error) {
		out, err = d.render(a.job, r, ch, rec.CreatedAt)
		return err
	})
	if err != nil {
		err = outreach.Reject(outreach.ReasonTemplateError, fmt.Errorf("render: %w", err))
		rec.Status, rec.Error = outreach.StatusFailed, err.Error()
		return rec, renderFailed, err
	}
	rec.Template, rec.TemplateVersion, rec.Locale, rec.Variant = out.Template, out.Version, out.Locale, out.Variant
	rec.Subject, rec.Body = out.Subject, out.Text
	if out.Fallback != "" { // the default variant went out: the archive says why
		rec.Fallback = out.Fallback
		d.metrics.TemplateFallbacks.WithLabelValues(string(a.job.Kind), out.FallbackVariant, out.FallbackReason).Inc()
		d.logger.Info("variant fell back to the default", "job_id", a.job.ID, "resident_id", r.ID, "channel", ch, "fallback", out.Fallback)
	}

	queued := d.cfg.Now().UTC()
	rec.QueuedAt = &queued
	var receipt outreach.Receipt
	err = d.timed(ctx, metrics.StageSend, id, func() (err error) {
		receipt, err = d.send(ctx, d.message(a.job, r, ch, rec.ID, out))
		return err
	})
	rec.UpdatedAt = d.cfg.Now().UTC()
	if err != nil {
		permanent := outreach.IsPermanent(err)
		d.logger.Warn("send failed", "job_id", a.job.ID, "resident_id", r.ID, "channel", ch, "permanent", permanent, "err", err)
		rec.Error = err.Error()
		if permanent || a.lastTry(d.cfg.MaxAttempts) {
			rec.Status = outreach.StatusFailed
			return rec, sendFailed, err
		}
		rec.Status = outreach.StatusRetrying
		return rec, sendRetry, err
	}
	rec.Status = outreach.StatusSent
	if receipt.Status.Accepted() {
		rec.Status = receipt.Status // queued, when the provider sends later
	}
	rec.ProviderID = receipt.ProviderID
	rec.Segments, rec.Encoding = receipt.Segments, receipt.Encoding
	sent := rec.UpdatedAt // not &rec.UpdatedAt: that would move the whole record to the heap
	rec.SentAt = &sent
	return rec, sendOK, nil
}

// render is the render stage: the job's message for r on channel ch, as of
// now, in the identity of r's estate (and its locale, for a resident
// without one). A group post is the default variant (it is not for one
// resident) and chat channels send the email version (see renderChannel).
func (d *Dispatcher) render(job outreach.Job, r outreach.Resident, ch outreach.Channel, now time.Time) (templates.Rendered, error) {
	variant := templates.VariantFor(r)
	if ch.Group() {
		variant = templates.DefaultVariant
	}
	estate := d.estates.peek(r.EstateID()).Estate
	return d.tmpl.Current().Render(templates.Input{
		Kind: job.Kind, Template: job.Template, Locale: cmp.Or(r.Locale, estate.Locale), Variant: variant, Channel: renderChannel(ch),
		Resident: r, Estate: estate, Data: d.surveyData(job, r, ch), Now: now, DefaultTimeZone: d.cfg.TimeZone,
	})
}

// message is what the channel's sender is given for delivery id.
func (d *Dispatcher) message(job outreach.Job, r outreach.Resident, ch outreach.Channel, id string, out templates.Rendered) outreach.Message {
	msg := outreach.Message{
		DeliveryID: id, JobID: job.ID, Kind: job.Kind, Channel: ch,
		To: r.Contact(ch), ToName: r.Name, Estate: d.estates.peek(r.EstateID()).Estate,
		Subject: out.Subject, Text: out.Text, HTML: out.HTML,
	}
	if d.cfg.Unsubscribe != nil && !ch.Group() {
		msg.Unsubscribe = d.cfg.Unsubscribe(r.ID, ch, job.Kind)
	}
	return msg
}

// send is the send stage: one provider call, bounded by SendTimeout,
// timed per channel and its failures counted by reason.
func (d *Dispatcher) send(ctx context.Context, msg outreach.Message) (outreach.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.SendTimeout)
	defer cancel()
	start := time.Now()
	receipt, err := d.senders[msg.Channel].Send(ctx, msg)
	d.metrics.SendDuration.WithLabelValues(string(msg.Channel)).Observe(time.Since(start).Seconds())
	if err != nil {
		d.metrics.SendFailures.WithLabelValues(string(msg.Channel), outreach.FailureReason(err)).Inc()
	}
	if !errors.Is(err, context.Canceled) { // the daemon stopping says nothing of the provider
		if outage(err) {
			d.cfg.Health.Observe(string(msg.Channel), err)
		} else {
			d.cfg.Health.Observe(string(msg.Channel), nil)
		}
	}
	return receipt, err
}

// postGroups posts the job once to each chat channel it names (a staff or
// building group). The message is rendered for the job's resident when it
// has one (a notice about that resident), else for a neutral reader in the
// audience's building, unit and locale. The record's resident is the job's
// resident or "".
func (d *Dispatcher) postGroups(ctx context.Context, a *attempt) ([]outreach.Delivery, error) {
	job := a.job
	var reader outreach.Resident
	switch {
	case (job.ResidentID != "" || job.Resident != nil) && len(a.residents) == 1:
		reader = a.residents[0]
	case job.Audience != nil:
		reader = outreach.Resident{Estate: job.Audience.Estate, Building: job.Audience.Building, Unit: job.Audience.Unit, Locale: job.Audience.Locale}
	}
	var (
		recs     []outreach.Delivery
		retryErr error
	)
	for _, ch := range job.Channels {
		if !ch.Group() {
			continue
		}
		if o, ok := a.prior[reader.ID][ch]; ok && (o.Accepted || (o.Status == outreach.StatusFailed && o.Rendered)) {
			if o.Accepted {
				d.duplicate(job, reader.ID)
			}
			continue
		}
		if d.senders[ch] == nil {
			rec := d.newDelivery(job, a.e, reader.ID, ch)
			rec.Status, rec.Error = outreach.StatusFailed, fmt.Sprintf("no usable channel (%s: channel not configured)", ch)
			recs = append(recs, rec)
			continue
		}
		rec, outcome, err := d.deliver(ctx, a, reader, ch)
		recs = append(recs, rec)
		switch outcome {
		case renderFailed:
			return recs, err
		case sendRetry:
			retryErr = err
		}
	}
	return recs, retryErr
}

// newDelivery is the archive record of job's delivery to a resident ("":
// a group post without one, or a job rejected before its resident was
// known) on channel ch ("": none chosen), made by entry e now. Every
// record the dispatcher archives starts here.
func (d *Dispatcher) newDelivery(job outreach.Job, e queue.Entry, residentID string, ch outreach.Channel) outreach.Delivery {
	now := d.cfg.Now().UTC()
	return outreach.Delivery{
		ID:         outreach.DeliveryID(job.ID, residentID, ch),
		JobID:      job.ID,
		StreamID:   e.ID,
		ResidentID: residentID,
		Kind:       job.Kind,
		Channel:    ch,
		Attempts:   e.Attempt + 1,
		Campaign:   job.Campaign,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
}
