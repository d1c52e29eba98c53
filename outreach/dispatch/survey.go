package dispatch

import (
	"context"
	"maps"

	"github.com/outreach-dev/outreach/outreach"
)

// Surveys is the satisfaction loop's part in the pipeline (package
// survey's Service): a policy question before a message is sent, and
// what the archive recorded after.
type Surveys interface {
	// Fatigued reports whether job must not go to r because r was
	// surveyed too recently; note says why, for the archive. An error
	// (the archive could not be asked) retries the job.
	Fatigued(ctx context.Context, job outreach.Job, r outreach.Resident, estate outreach.Estate) (bool, string, error)
	// Recorded is told the job's records once the archive has them: it
	// opens the surveys of the messages a provider took.
	Recorded(ctx context.Context, job outreach.Job, recs []outreach.Delivery) error
	// Data is what the message of delivery deliveryID adds to the job's
	// data when it is rendered (an email's one-click score links); nil
	// for nothing.
	Data(job outreach.Job, deliveryID string) map[string]any
}

// surveyData is the job's data as the message to r on ch renders it:
// with the satisfaction loop's additions for email, under the job's own
// keys (a job that brings its own survey_url keeps it).
func (d *Dispatcher) surveyData(job outreach.Job, r outreach.Resident, ch outreach.Channel) map[string]any {
	if d.cfg.Surveys == nil || ch != outreach.ChannelEmail {
		return job.Data
	}
	extra := d.cfg.Surveys.Data(job, outreach.DeliveryID(job.ID, r.ID, ch))
	if len(extra) == 0 {
		return job.Data
	}
	data := maps.Clone(job.Data)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range extra {
		if _, ok := data[k]; !ok {
			data[k] = v
		}
	}
	return data
}

// surveyFatigue is the policy's survey rule: a satisfaction_callback to
// a resident surveyed within the fatigue window is suppressed
// (survey_fatigue). When the archive cannot be asked, the delivery is
// retried like one whose caps could not be checked.
func (d *Dispatcher) surveyFatigue(ctx context.Context, p *perResident, ch outreach.Channel) error {
	if d.cfg.Surveys == nil || p.a.job.Kind != outreach.KindSatisfactionCallback {
		return nil
	}
	tired, note, err := d.cfg.Surveys.Fatigued(ctx, p.a.job, p.r, d.estates.peek(p.r.EstateID()).Estate)
	if err != nil {
		p.recs = append(p.recs, d.policyRecord(p, ch, outreach.StatusRetrying, "", err.Error()))
		p.err, p.done = err, true
		return err
	}
	if tired {
		d.suppress(p, ch, outreach.PolicySurveyFatigue, note)
	}
	return nil
}

// surveysRecorded tells the satisfaction loop what the archive recorded.
// A failure is logged: the messages went out and are archived, only
// their surveys are missing (the job is not sent again for them).
func (d *Dispatcher) surveysRecorded(ctx context.Context, job outreach.Job, recs []outreach.Delivery) {
	if d.cfg.Surveys == nil || len(recs) == 0 {
		return
	}
	if err := d.cfg.Surveys.Recorded(ctx, job, recs); err != nil {
		d.logger.Error("open satisfaction surveys failed", "job_id", job.ID, "err", err)
	}
}
