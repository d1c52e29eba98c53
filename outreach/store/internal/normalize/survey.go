package normalize

import (
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// MaxSurveyText bounds the comment and the call-back note of a survey, in
// bytes (a resident's comment is cut to survey.MaxComment runes before).
const MaxSurveyText = 8 << 10

// Survey validates s and puts it in canonical form: texts valid UTF-8
// without NUL, a known state, a score of 0-5, times in UTC to the
// microsecond, UpdatedAt now.
func Survey(s outreach.Survey, now time.Time) (outreach.Survey, error) {
	texts := []field{
		{"id", s.ID}, {"resident_id", s.ResidentID}, {"estate", s.Estate}, {"building", s.Building},
		{"unit", s.Unit}, {"job_id", s.JobID}, {"delivery_id", s.DeliveryID}, {"work_order", s.WorkOrder},
		{"service", s.Service}, {"channel", string(s.Channel)}, {"locale", s.Locale}, {"comment", s.Comment},
		{"answered_via", s.AnsweredVia}, {"escalation_job", s.EscalationJob}, {"callback_note", s.CallbackNote},
	}
	for _, f := range texts {
		if err := checkText(f.value); err != nil {
			return s, fmt.Errorf("survey %q: %s: %w", s.ID, f.name, err)
		}
	}
	switch {
	case s.ID == "":
		return s, errors.New("survey: empty id")
	case s.ResidentID == "":
		return s, fmt.Errorf("survey %q: empty resident_id", s.ID)
	case !s.State.Valid():
		return s, fmt.Errorf("survey %q: unknown state %q", s.ID, s.State)
	case s.Score < 0 || s.Score > 5:
		return s, fmt.Errorf("survey %q: score %d outside 1-5", s.ID, s.Score)
	case len(s.Comment) > MaxSurveyText || len(s.CallbackNote) > MaxSurveyText:
		return s, fmt.Errorf("survey %q: comment or note longer than %d bytes", s.ID, MaxSurveyText)
	case s.SentAt.IsZero() || s.ExpiresAt.IsZero():
		return s, fmt.Errorf("survey %q: sent_at and expires_at are required", s.ID)
	}
	s.SentAt, s.ExpiresAt, s.UpdatedAt = Time(s.SentAt), Time(s.ExpiresAt), Time(now)
	for _, t := range []**time.Time{&s.AnsweredAt, &s.ReaskedAt, &s.ClickedAt, &s.EscalatedAt, &s.CallbackDue, &s.CalledBackAt} {
		if *t != nil {
			v := Time(**t)
			*t = &v
		}
	}
	return s, nil
}

// SurveyEvents checks the events an update appends.
func SurveyEvents(id string, es []outreach.SurveyEvent, now time.Time) ([]outreach.SurveyEvent, error) {
	out := make([]outreach.SurveyEvent, len(es))
	for i, e := range es {
		if e.Event == "" {
			return nil, fmt.Errorf("survey %q: event %d has no kind", id, i)
		}
		if err := checkText(e.Detail); err != nil {
			return nil, fmt.Errorf("survey %q: event %s: %w", id, e.Event, err)
		}
		if e.At.IsZero() {
			e.At = now
		}
		e.SurveyID, e.At = id, Time(e.At)
		out[i] = e
	}
	return out, nil
}
