package outreach

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"
)

// SurveyState is where a satisfaction survey stands.
type SurveyState string

// Survey states. A survey is open from the moment its message is sent
// until it is answered or expires; an answered survey's score can still
// be changed on the survey page while it has not expired.
const (
	SurveyOpen     SurveyState = "open"
	SurveyAnswered SurveyState = "answered"
	SurveyExpired  SurveyState = "expired"
	// SurveyClosed: the resident opted out (STOP, 退订) before answering.
	SurveyClosed SurveyState = "closed"
)

// Valid reports whether s is a known state.
func (s SurveyState) Valid() bool {
	switch s {
	case SurveyOpen, SurveyAnswered, SurveyExpired, SurveyClosed:
		return true
	}
	return false
}

// Survey is one satisfaction survey: the question a satisfaction_callback
// asked one resident about one job (a work order, a service), and the
// answer. Its ID is SurveyID of the delivery that asked.
type Survey struct {
	ID         string `json:"id"`
	ResidentID string `json:"resident_id"`
	Estate     string `json:"estate,omitempty"`
	Building   string `json:"building,omitempty"`
	Unit       string `json:"unit,omitempty"`
	JobID      string `json:"job_id"`
	DeliveryID string `json:"delivery_id"`
	// WorkOrder and Service are the job's data.work_order and data.service.
	WorkOrder string      `json:"work_order,omitempty"`
	Service   string      `json:"service,omitempty"`
	Channel   Channel     `json:"channel"` // the channel that asked
	Locale    string      `json:"locale,omitempty"`
	State     SurveyState `json:"state"`
	// Score is 1-5 once answered, 0 before.
	Score   int    `json:"score,omitempty"`
	Comment string `json:"comment,omitempty"`
	// AnsweredVia is how the score came: "sms", "email" (a link), "web"
	// (the survey page's form).
	AnsweredVia string     `json:"answered_via,omitempty"`
	SentAt      time.Time  `json:"sent_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	// ReaskedAt is when the resident was asked again for a number after a
	// reply without one (once at most).
	ReaskedAt *time.Time `json:"reasked_at,omitempty"`
	// ClickedAt is the first click on an email score link: later GETs
	// (mail scanners open every link) change nothing.
	ClickedAt *time.Time `json:"clicked_at,omitempty"`
	// EscalatedAt and EscalationJob: a low score was sent to the estate's
	// staff (an escalation job).
	EscalatedAt   *time.Time `json:"escalated_at,omitempty"`
	EscalationJob string     `json:"escalation_job,omitempty"`
	// CallbackDue is the follow-up task a low score opens: call the
	// resident back by then. CalledBackAt and CallbackNote close it.
	CallbackDue  *time.Time `json:"callback_due,omitempty"`
	CalledBackAt *time.Time `json:"called_back_at,omitempty"`
	CallbackNote string     `json:"callback_note,omitempty"`
	// SkipFatigue: the survey was opened whatever the fatigue window says
	// (data.required, a case follow-up).
	SkipFatigue bool      `json:"skip_fatigue,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Satisfied reports whether the survey's score is 4 or 5.
func (s Survey) Satisfied() bool { return s.Score >= 4 }

// CallbackOpen reports whether the survey has a call-back task not yet done.
func (s Survey) CallbackOpen() bool { return s.CallbackDue != nil && s.CalledBackAt == nil }

// SurveyID is the id of the survey that delivery deliveryID asks: stable,
// so that a redelivered job opens the same survey, and not guessable from
// the delivery's id without knowing it.
func SurveyID(deliveryID string) string {
	sum := sha256.Sum256([]byte("outreach survey\x00" + deliveryID))
	return "sv_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// SurveyEventKind names a step in a survey's history. Each is appended to
// the history of the survey and of the delivery that asked (as the
// delivery event "survey_" + kind).
type SurveyEventKind string

// Survey events.
const (
	SurveySent       SurveyEventKind = "sent"
	SurveyAnswer     SurveyEventKind = "answered"    // detail: score, comment, channel
	SurveyChanged    SurveyEventKind = "changed"     // the score changed on the page
	SurveyCommented  SurveyEventKind = "commented"   // words without a score
	SurveyReasked    SurveyEventKind = "reasked"     // asked once more for a number
	SurveyEscalated  SurveyEventKind = "escalated"   // detail: the escalation job
	SurveyCalledBack SurveyEventKind = "called_back" // detail: the note
	SurveyExpire     SurveyEventKind = "expired"
	SurveyClose      SurveyEventKind = "closed" // the resident opted out
)

// SurveyEvent is one step in a survey's history.
type SurveyEvent struct {
	SurveyID string          `json:"-"`
	Seq      int64           `json:"seq"`
	Event    SurveyEventKind `json:"event"`
	At       time.Time       `json:"at"`
	Detail   string          `json:"detail,omitempty"`
}

// SurveyFilter selects surveys. Zero fields do not filter.
type SurveyFilter struct {
	ResidentIDs []string
	Estates     []string // any of these estates (a token's estates)
	Building    string
	Service     string
	JobID       string
	State       SurveyState
	SentSince   time.Time // SentAt >= SentSince
	SentUntil   time.Time // SentAt < SentUntil
	// CallbackOpen: only surveys with a call-back task not yet done.
	CallbackOpen bool
	Limit        int // 0 means no limit
}

// SurveyStore keeps the satisfaction surveys (part of Store).
type SurveyStore interface {
	// OpenSurvey stores a new survey and its `sent` event, or leaves the
	// stored one alone when its id exists (a redelivered job): the result
	// is the survey as stored and whether it was new.
	OpenSurvey(ctx context.Context, s Survey) (Survey, bool, error)
	// Survey returns one survey; an unknown id wraps ErrNotFound.
	Survey(ctx context.Context, id string) (Survey, error)
	// Surveys lists the matching surveys, newest first (SentAt, then ID).
	Surveys(ctx context.Context, f SurveyFilter) ([]Survey, error)
	// UpdateSurvey changes one survey atomically, like UpdateResident: fn
	// gets the stored survey and returns the events to append; its error
	// aborts the update (nothing is written) and is returned. The events
	// go to the survey's history and to the history of its delivery. fn
	// must not use the store. UpdatedAt is set to the time of the call.
	UpdateSurvey(ctx context.Context, id string, fn func(*Survey) ([]SurveyEvent, error)) (Survey, error)
	// ExpireSurveys expires up to limit open surveys whose ExpiresAt is
	// not after now, with their `expired` events, and returns them.
	// Concurrent calls expire each survey once.
	ExpireSurveys(ctx context.Context, now time.Time, limit int) ([]Survey, error)
	// SurveyEvents returns a survey's history, oldest first.
	SurveyEvents(ctx context.Context, id string) ([]SurveyEvent, error)
}
