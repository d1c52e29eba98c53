package config

import (
	"fmt"
	"strconv"
	"time"
)

// Survey is the satisfaction loop's settings (see docs/surveys.md).
type Survey struct {
	// Expiry is OUTREACH_SURVEY_EXPIRY: how long a survey waits for its
	// answer (default 7 days).
	Expiry time.Duration
	// Fatigue is OUTREACH_SURVEY_FATIGUE: at most one survey per resident
	// in this window (default 30 days); 0 turns the limit off.
	Fatigue time.Duration
	// EscalateAt is OUTREACH_SURVEY_ESCALATE_AT: a score at or below it
	// is sent to the estate's staff with a call-back task (default 2).
	EscalateAt int
}

// surveyVars are the satisfaction loop's variables, listed in Vars.
var surveyVars = []Var{
	{"OUTREACH_SURVEY_EXPIRY", "7d", "how long a satisfaction survey waits for its answer before it expires, e.g. 7d or 72h"},
	{"OUTREACH_SURVEY_FATIGUE", "30d", "at most one satisfaction survey per resident in this window; a satisfaction_callback over it is suppressed (survey_fatigue) unless data.required is true (0: no limit)"},
	{"OUTREACH_SURVEY_ESCALATE_AT", "2", "a survey score at or below this (1-4) sends an escalation to the estate's staff and opens a call-back task due in 24h"},
}

// loadSurvey reads the survey variables through get, appending problems
// to errs.
func loadSurvey(get func(name, def string) string, errs *[]error) Survey {
	s := Survey{Expiry: 7 * 24 * time.Hour, Fatigue: 30 * 24 * time.Hour, EscalateAt: 2}
	if d, err := ParseRetention(get("OUTREACH_SURVEY_EXPIRY", "7d")); err != nil || d <= 0 {
		if err == nil {
			err = fmt.Errorf("want a period longer than 0, such as 7d")
		}
		*errs = append(*errs, fmt.Errorf("OUTREACH_SURVEY_EXPIRY: %w", err))
	} else {
		s.Expiry = d
	}
	if d, err := ParseRetention(get("OUTREACH_SURVEY_FATIGUE", "30d")); err != nil {
		*errs = append(*errs, fmt.Errorf("OUTREACH_SURVEY_FATIGUE: %w", err))
	} else {
		s.Fatigue = d
	}
	v := get("OUTREACH_SURVEY_ESCALATE_AT", "2")
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 4 {
		*errs = append(*errs, fmt.Errorf("OUTREACH_SURVEY_ESCALATE_AT: want a score from 1 to 4, got %q", v))
	} else {
		s.EscalateAt = n
	}
	return s
}
