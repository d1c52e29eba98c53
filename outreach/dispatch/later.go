package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// scheduleLater puts in the delayed set what this entry leaves for later:
// the per-resident copies of deliveries deferred by quiet hours, and the
// follow-ups of a job that was sent. It runs after the outcome is archived
// and before the entry is acked; if it fails, the entry stays pending and
// is processed again, which schedules the same members again (harmless).
//
// Follow-ups go to every resident whose delivery is accepted: those sent
// now, and, on a redelivery, those the archive already has as sent (their
// follow-up may have been lost in a crash between archive and schedule),
// each After the time the message was sent.
func (d *Dispatcher) scheduleLater(ctx context.Context, e queue.Entry, job outreach.Job,
	later []queue.Delayed, records []outreach.Delivery, settled map[string]bool) error {
	var followUps []queue.Delayed
	if job.FollowUp != nil {
		sent := map[string]time.Time{} // resident -> when the message went
		note := func(rec outreach.Delivery) {
			if rec.Status.Accepted() {
				sent[rec.ResidentID] = rec.UpdatedAt
				if rec.SentAt != nil {
					sent[rec.ResidentID] = *rec.SentAt
				}
			}
		}
		for _, rec := range records {
			note(rec)
		}
		if len(settled) > 0 { // settled includes suppressed ones: ask which were sent
			before, err := d.store.Search(ctx, outreach.Filter{JobID: job.ID, Limit: 2*len(settled) + 10})
			if err != nil {
				return fmt.Errorf("look up earlier deliveries for follow-ups: %w", err)
			}
			for _, rec := range before {
				note(rec)
			}
		}
		// The follow-up's time is derived from the archived send time, so
		// scheduling it again on a redelivery adds no second member.
		for id, at := range sent {
			if fu, ok := job.FollowUpJob(id, at); ok {
				followUps = append(followUps, queue.Delayed{Job: fu, At: *fu.SendAt})
			}
		}
	}
	if err := d.q.ScheduleJobs(ctx, e.ID, append(later, followUps...)); err != nil {
		return err
	}
	for _, fu := range followUps {
		d.metrics.FollowUps.WithLabelValues(string(fu.Job.Kind)).Inc()
	}
	return nil
}
