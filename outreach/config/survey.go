package config

import "time"

// Survey is the satisfaction loop's settings (see docs/surveys.md).
type Survey struct {
	// Expiry is how long a survey waits for its answer.
	Expiry time.Duration `env:"OUTREACH_SURVEY_EXPIRY" envDefault:"7d" group:"survey" help:"how long a satisfaction survey waits for its answer before it expires, e.g. 7d or 72h (see [Satisfaction surveys](surveys.md))"`
	// Fatigue: at most one survey per resident in this window; 0 turns
	// the limit off.
	Fatigue time.Duration `env:"OUTREACH_SURVEY_FATIGUE" envDefault:"30d" group:"survey" help:"at most one survey per resident in this window: a satisfaction_callback over it is suppressed (survey_fatigue) unless its data.required is true; 0: no limit"`
	// EscalateAt: a score at or below it is sent to the estate's staff
	// with a call-back task.
	EscalateAt int `env:"OUTREACH_SURVEY_ESCALATE_AT" envDefault:"2" group:"survey" want:"a score from 1 to 4" help:"a score at or below this (1-4) sends an escalation to the estate's staff and opens a call-back task due within 24 h"`
}

func (s Survey) validate(r *report) {
	if !r.wants(GroupSurvey) {
		return
	}
	if s.Expiry <= 0 {
		r.add("OUTREACH_SURVEY_EXPIRY", "want a period longer than 0, such as 7d")
	}
	if s.EscalateAt < 1 || s.EscalateAt > 4 {
		r.add("OUTREACH_SURVEY_ESCALATE_AT", "want a score from 1 to 4, got %q", r.value("OUTREACH_SURVEY_ESCALATE_AT"))
	}
}
