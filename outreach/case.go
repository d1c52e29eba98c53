package outreach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// CaseCategory is what a case is about.
type CaseCategory string

// Case categories (the practice's service standards set limits per
// category).
const (
	CaseFacility    CaseCategory = "facility"
	CaseLift        CaseCategory = "lift"
	CaseWater       CaseCategory = "water"
	CasePower       CaseCategory = "power"
	CaseNoise       CaseCategory = "noise"
	CaseEnvironment CaseCategory = "environment"
	CaseFee         CaseCategory = "fee"
	CaseSecurity    CaseCategory = "security"
	CaseOther       CaseCategory = "other"
)

// CaseCategories lists every category, in a stable order (metrics, docs,
// reports).
var CaseCategories = []CaseCategory{CaseFacility, CaseLift, CaseWater, CasePower, CaseNoise, CaseEnvironment, CaseFee, CaseSecurity, CaseOther}

// Valid reports whether c is a known category.
func (c CaseCategory) Valid() bool { return slices.Contains(CaseCategories, c) }

// CaseUrgency is how pressing a case is; limits may differ by urgency.
type CaseUrgency string

// Case urgencies; an empty urgency is normal.
const (
	UrgencyLow    CaseUrgency = "low"
	UrgencyNormal CaseUrgency = "normal"
	UrgencyUrgent CaseUrgency = "urgent"
)

// CaseUrgencies lists every urgency.
var CaseUrgencies = []CaseUrgency{UrgencyLow, UrgencyNormal, UrgencyUrgent}

// Valid reports whether u is a known urgency.
func (u CaseUrgency) Valid() bool { return slices.Contains(CaseUrgencies, u) }

// CaseSource is how a case was received.
type CaseSource string

// Case sources.
const (
	ReceivedPhone  CaseSource = "phone"
	ReceivedSMS    CaseSource = "sms"
	ReceivedEmail  CaseSource = "email"
	ReceivedOnSite CaseSource = "on_site"
	ReceivedApp    CaseSource = "app"
)

// CaseSources lists every source.
var CaseSources = []CaseSource{ReceivedPhone, ReceivedSMS, ReceivedEmail, ReceivedOnSite, ReceivedApp}

// Valid reports whether s is a known source.
func (s CaseSource) Valid() bool { return slices.Contains(CaseSources, s) }

// CaseState is where a case stands in the loop: listen (open), confirm
// (acknowledged), resolve (in_progress, resolved), follow up
// (followed_up), closed; a low follow-up score reopens it.
type CaseState string

// Case states.
const (
	CaseOpen         CaseState = "open"
	CaseAcknowledged CaseState = "acknowledged"
	CaseInProgress   CaseState = "in_progress"
	CaseResolved     CaseState = "resolved"
	CaseFollowedUp   CaseState = "followed_up"
	CaseClosed       CaseState = "closed"
	CaseReopened     CaseState = "reopened"
)

// CaseStates lists every state, in the loop's order.
var CaseStates = []CaseState{CaseOpen, CaseAcknowledged, CaseInProgress, CaseResolved, CaseFollowedUp, CaseClosed, CaseReopened}

// Valid reports whether s is a known state.
func (s CaseState) Valid() bool { return slices.Contains(CaseStates, s) }

// caseMoves are the transitions that exist. Closing is possible from
// every state but closed (a withdrawn or duplicate report); a closed
// case is only reopened (a low score given after it closed).
var caseMoves = map[CaseState][]CaseState{
	CaseOpen:         {CaseAcknowledged, CaseInProgress, CaseResolved, CaseClosed},
	CaseAcknowledged: {CaseInProgress, CaseResolved, CaseClosed},
	CaseInProgress:   {CaseResolved, CaseClosed},
	CaseResolved:     {CaseFollowedUp, CaseReopened, CaseClosed},
	CaseFollowedUp:   {CaseClosed, CaseReopened},
	CaseClosed:       {CaseReopened},
	CaseReopened:     {CaseAcknowledged, CaseInProgress, CaseResolved, CaseClosed},
}

// CanMove reports whether a case in state from may go to state to.
func CanMove(from, to CaseState) bool { return slices.Contains(caseMoves[from], to) }

// ErrTransition is returned (wrapped) for a state change that does not
// exist, such as resolving a closed case.
var ErrTransition = errors.New("impossible case transition")

// Move changes the case's state after checking the transition, and sets
// the time of the steps that have one. The event it returns records it.
func (c *Case) Move(to CaseState, at time.Time, actor, detail string) (CaseEvent, error) {
	if !CanMove(c.State, to) {
		return CaseEvent{}, fmt.Errorf("case %s: %s -> %s: %w", c.ID, c.State, to, ErrTransition)
	}
	from := c.State
	c.State = to
	switch to {
	case CaseAcknowledged:
		if c.AcknowledgedAt == nil {
			c.AcknowledgedAt = &at
		}
	case CaseInProgress:
		if c.RespondedAt == nil {
			c.RespondedAt = &at
		}
		if c.AcknowledgedAt == nil {
			c.AcknowledgedAt = &at
		}
	case CaseResolved:
		c.ResolvedAt = &at
		if c.RespondedAt == nil {
			c.RespondedAt = &at
		}
		if c.AcknowledgedAt == nil {
			c.AcknowledgedAt = &at
		}
	case CaseFollowedUp:
		c.FollowedUpAt = &at
	case CaseClosed:
		c.ClosedAt = &at
	case CaseReopened:
		c.Reopened++
		c.ClosedAt, c.ResolvedAt, c.FollowedUpAt = nil, nil, nil
	}
	d := string(from) + " -> " + string(to)
	if detail != "" {
		d += "; " + detail
	}
	return CaseEvent{Event: CaseStateChanged, At: at, Actor: actor, Detail: d}, nil
}

// Limit stages: what must have happened by a timer's due time.
const (
	StageAcknowledge = "acknowledge"
	StageRespond     = "respond"
	StageResolve     = "resolve"
	// StageFollowUp is not a limit: it is when the follow-up goes.
	StageFollowUp = "follow_up"
)

// LimitStages are the stages a response-time limit can be set for.
var LimitStages = []string{StageAcknowledge, StageRespond, StageResolve}

// CaseTimer is one deadline of a case: a response-time limit (its stage
// met in time, or missed and escalated once) or the follow-up's time.
type CaseTimer struct {
	Stage string `json:"stage"`
	// Round counts the case's reopenings: each round has its own timers.
	Round int       `json:"round,omitempty"`
	Due   time.Time `json:"due"`
	// Limit is the limit as set ("2h0m0s"), for messages and history.
	Limit time.Duration `json:"limit,omitempty"`
	// MetAt: the stage happened (in time or late); FiredAt: the timer
	// fired (a limit missed and escalated, the follow-up sent).
	MetAt   *time.Time `json:"met_at,omitempty"`
	FiredAt *time.Time `json:"fired_at,omitempty"`
	// Level is whom a miss escalated to: "staff" or "manager".
	Level string `json:"level,omitempty"`
}

// Pending reports whether the timer has neither been met nor fired.
func (t CaseTimer) Pending() bool { return t.MetAt == nil && t.FiredAt == nil }

// Missed reports whether the timer is a limit that fired (was missed).
// The follow-up and the end of its survey fire too, but are the loop's
// own steps, not limits.
func (t CaseTimer) Missed() bool { return t.FiredAt != nil && slices.Contains(LimitStages, t.Stage) }

// Case is one complaint, repair request or enquiry, from report to
// follow-up. Its ID is also the reference residents are given (C-...).
type Case struct {
	ID         string       `json:"id"`
	Estate     string       `json:"estate"`
	ResidentID string       `json:"resident_id,omitempty"`
	Building   string       `json:"building,omitempty"`
	Unit       string       `json:"unit,omitempty"`
	Category   CaseCategory `json:"category"`
	Urgency    CaseUrgency  `json:"urgency"`
	// Description is the resident's report as taken down.
	Description string     `json:"description"`
	Received    CaseSource `json:"received"`
	// Assignee is the staff member or team handling it.
	Assignee string    `json:"assignee,omitempty"`
	State    CaseState `json:"state"`
	// Resolution is what was done (given on resolve).
	Resolution string `json:"resolution,omitempty"`
	// OpenedBy is who took the report ("api:<token>", "cli", "system").
	OpenedBy       string     `json:"opened_by,omitempty"`
	OpenedAt       time.Time  `json:"opened_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	RespondedAt    *time.Time `json:"responded_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	FollowedUpAt   *time.Time `json:"followed_up_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	// SurveyJob is the job of the latest follow-up (its survey is the
	// survey of that job's delivery).
	SurveyJob string `json:"survey_job,omitempty"`
	// Reopened counts the reopenings (low follow-up scores).
	Reopened int         `json:"reopened,omitempty"`
	Timers   []CaseTimer `json:"timers,omitempty"`
	// IdempotencyKey is the key of the POST that opened it ("" when none).
	IdempotencyKey string    `json:"-"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// NextDue is the earliest due time of the case's pending timers (zero
// when none): the stores index it, so the sweep reads only due cases.
func (c Case) NextDue() time.Time {
	var next time.Time
	for _, t := range c.Timers {
		if t.Pending() && (next.IsZero() || t.Due.Before(next)) {
			next = t.Due
		}
	}
	return next
}

// Timer returns the case's timer of stage in the current round.
func (c *Case) Timer(stage string) *CaseTimer {
	for i := range c.Timers {
		if c.Timers[i].Stage == stage && c.Timers[i].Round == c.Reopened {
			return &c.Timers[i]
		}
	}
	return nil
}

// Misses counts the limits the case has missed, every round.
func (c Case) Misses() int {
	n := 0
	for _, t := range c.Timers {
		if t.Missed() {
			n++
		}
	}
	return n
}

// Open reports whether the case still needs work (not resolved or after).
func (c Case) Open() bool {
	switch c.State {
	case CaseOpen, CaseAcknowledged, CaseInProgress, CaseReopened:
		return true
	}
	return false
}

// MaxCaseDescription is the longest description, note or resolution, in
// bytes.
const MaxCaseDescription = 4000

// maxCaseField is the longest assignee, building, unit or actor.
const maxCaseField = 200

// CheckCaseText checks a description, note or resolution named field:
// not empty, valid UTF-8, at most MaxCaseDescription bytes.
func CheckCaseText(field, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s: empty", field)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: not valid UTF-8", field)
	case len(s) > MaxCaseDescription:
		return fmt.Errorf("%s: %d bytes, at most %d", field, len(s), MaxCaseDescription)
	}
	return nil
}

// Check validates a case as opened: the fields a caller gives. Errors
// name the field.
func (c Case) Check() error {
	var errs []error
	if err := CheckEstateID(c.Estate); err != nil {
		errs = append(errs, fmt.Errorf("estate: %w", err))
	}
	if c.ResidentID == "" && c.Unit == "" {
		errs = append(errs, errors.New("resident_id: a case needs a resident or a unit"))
	}
	if !c.Category.Valid() {
		errs = append(errs, fmt.Errorf("category: %q is not one of %s", c.Category, joinNames(CaseCategories)))
	}
	if !c.Urgency.Valid() {
		errs = append(errs, fmt.Errorf("urgency: %q is not one of %s", c.Urgency, joinNames(CaseUrgencies)))
	}
	if !c.Received.Valid() {
		errs = append(errs, fmt.Errorf("received: %q is not one of %s", c.Received, joinNames(CaseSources)))
	}
	if err := CheckCaseText("description", c.Description); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct{ name, v string }{{"assignee", c.Assignee}, {"building", c.Building}, {"unit", c.Unit}, {"resident_id", c.ResidentID}} {
		if len(f.v) > maxCaseField || !utf8.ValidString(f.v) {
			errs = append(errs, fmt.Errorf("%s: want valid UTF-8 of at most %d bytes", f.name, maxCaseField))
		}
	}
	return errors.Join(errs...)
}

func joinNames[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// CaseEventKind names a step in a case's history.
type CaseEventKind string

// Case events: the communication record the practice asks for (time,
// content, participants, follow-up actions).
const (
	CaseOpened       CaseEventKind = "opened"
	CaseStateChanged CaseEventKind = "state"    // detail: "from -> to; ..."
	CaseMessage      CaseEventKind = "message"  // a message queued, sent or that could not go
	CaseReply        CaseEventKind = "reply"    // the resident answered (a follow-up score, an SMS)
	CaseNote         CaseEventKind = "note"     // staff's note
	CaseAssigned     CaseEventKind = "assigned" // detail: the assignee
	CaseEscalated    CaseEventKind = "escalated"
	CaseLimitMet     CaseEventKind = "limit_met"
)

// CaseEvent is one step in a case's history: when, who (a staff name,
// "resident", or "system") and what.
type CaseEvent struct {
	CaseID string        `json:"-"`
	Seq    int64         `json:"seq"`
	Event  CaseEventKind `json:"event"`
	At     time.Time     `json:"at"`
	Actor  string        `json:"actor"`
	Detail string        `json:"detail,omitempty"`
}

// ActorSystem is the actor of what the daemon does by itself.
const ActorSystem = "system"

// CaseFilter selects cases. Zero fields do not filter.
type CaseFilter struct {
	Estates    []string // any of these estates (a token's estates)
	ResidentID string
	Category   CaseCategory
	States     []CaseState
	Assignee   string
	// Overdue: only cases with a limit missed in the current round and
	// still open.
	Overdue     bool
	OpenedSince time.Time // OpenedAt >= OpenedSince
	OpenedUntil time.Time // OpenedAt < OpenedUntil
	Limit       int       // 0 means no limit
}

// CaseStore keeps the cases and their history (part of Store).
type CaseStore interface {
	// CreateCase stores a new case with its events (the first is
	// usually `opened`); an id in use wraps ErrExists. A case with an
	// IdempotencyKey already used by another case wraps ErrExists too;
	// CaseByKey finds that one.
	CreateCase(ctx context.Context, c Case, events []CaseEvent) (Case, error)
	// Case returns one case; an unknown id wraps ErrNotFound.
	Case(ctx context.Context, id string) (Case, error)
	// CaseByKey returns the case opened with an Idempotency-Key; an
	// unknown key wraps ErrNotFound.
	CaseByKey(ctx context.Context, key string) (Case, error)
	// Cases lists the matching cases, newest first (OpenedAt, then ID).
	Cases(ctx context.Context, f CaseFilter) ([]Case, error)
	// UpdateCase changes one case atomically, like UpdateSurvey: fn gets
	// the stored case and returns the events to append; its error aborts
	// the update (nothing is written) and is returned wrapped. fn must
	// not use the store. UpdatedAt is set to the time of the call.
	UpdateCase(ctx context.Context, id string, fn func(*Case) ([]CaseEvent, error)) (Case, error)
	// AppendCaseEvents adds events to a case's history without changing
	// the case (a message sent).
	AppendCaseEvents(ctx context.Context, id string, events []CaseEvent) error
	// CaseEvents returns a case's history, oldest first.
	CaseEvents(ctx context.Context, id string) ([]CaseEvent, error)
	// DueCases returns up to limit cases with a pending timer due at or
	// before now, earliest first. It changes nothing: the caller fires
	// the timers with UpdateCase, which lets one caller win.
	DueCases(ctx context.Context, now time.Time, limit int) ([]Case, error)
	// CaseCounts counts the cases by estate and state.
	CaseCounts(ctx context.Context) (map[string]map[CaseState]int, error)
}
