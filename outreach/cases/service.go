// Package cases is the complaint loop: a case (outreach.Case) is opened
// (listen), acknowledged to the resident at once with its reference
// (confirm), resolved with a resolution notice (resolve) and followed up
// after a delay with a satisfaction survey (follow up). Response-time
// limits per category and urgency escalate a late case to the estate's
// staff, a second miss to its manager; a low follow-up score reopens the
// case and escalates it. See docs/cases.md.
//
// The Service is the API the HTTP handlers, the CLI and the console use:
// Open, Acknowledge, Start, Assign, Note, Resolve, Close, Get, List and
// Report. The Sweeper fires the timers under a lease.
package cases

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
)

// Templates of the messages the loop sends.
const (
	AcknowledgedTemplate = "case_acknowledged"
	ResolvedTemplate     = "case_resolved"
	FollowUpTemplate     = "case_follow_up"
	EscalationTemplate   = "case_escalation"
)

// Tags of the residents an escalation goes to: the estate's staff, and
// on a second missed limit its manager.
const (
	StaffTag   = "staff"
	ManagerTag = "manager"
)

// DefaultEscalateAt: follow-up scores at or below reopen the case.
const DefaultEscalateAt = 2

// DefaultSurveyExpiry is how long a follow-up's survey stays open when
// Settings.SurveyExpiry is not set (the survey loop's default).
const DefaultSurveyExpiry = 7 * 24 * time.Hour

// StageSurveyEnd is the timer that closes a followed-up case nobody
// answered, at its survey's expiry (the survey loop tells the case too;
// the timer makes sure).
const StageSurveyEnd = "survey_end"

// Store is the part of outreach.Store the service uses.
type Store interface {
	outreach.CaseStore
	Resident(ctx context.Context, id string) (outreach.Resident, error)
	Residents(ctx context.Context, a outreach.Audience, fn func(outreach.Resident) error) error
	Estate(ctx context.Context, id string) (outreach.Estate, error)
}

// Jobs puts jobs on the stream (a *queue.Producer).
type Jobs interface {
	Enqueue(ctx context.Context, job outreach.Job) (string, error)
}

// Settings are the loop's rules (config.Cases).
type Settings struct {
	// Limits are the daemon's limits (OUTREACH_CASE_LIMITS): an estate's
	// case_limits come first, DefaultCaseLimits last.
	Limits outreach.CaseLimits
	// EscalateAt: follow-up scores at or below reopen (default 2).
	EscalateAt int
	// SurveyExpiry is the survey loop's expiry (OUTREACH_SURVEY_EXPIRY).
	SurveyExpiry time.Duration
}

// Service runs the complaint loop.
type Service struct {
	Store    Store
	Jobs     Jobs
	Settings Settings
	Metrics  *metrics.Metrics // may be nil
	// PublicURL, when set, links escalations to the case
	// (<PublicURL>/v1/cases/<id>).
	PublicURL string
	Logger    *slog.Logger     // default: discard
	Now       func() time.Time // default time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// FieldError is bad input: the field and what is wrong with it. The API
// answers it with a 4xx naming the field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ErrIdempotencyConflict: an Idempotency-Key was used for a different case.
var ErrIdempotencyConflict = errors.New("the Idempotency-Key was used for a different case")

// refAlphabet leaves out letters read as digits (I, O) for references
// read over the phone.
const refAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewID is a new case reference: C-<yymmdd>-<5 letters or digits>.
func NewID(at time.Time) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = refAlphabet[int(b[i])%len(refAlphabet)]
	}
	return "C-" + at.Format("060102") + "-" + string(b)
}

// Open stores a new case, sets its limits and sends the resident the
// acknowledgment at once. c gives estate (or the resident's), resident_id
// or unit, category, urgency, received, description and optionally the
// assignee and IdempotencyKey; actor is who took the report. A repeat of
// a POST with the same key returns the first case and repeat true.
func (s *Service) Open(ctx context.Context, c outreach.Case, actor string) (_ outreach.Case, repeat bool, err error) {
	c.Description = strings.TrimSpace(c.Description)
	c.Urgency = cmp.Or(c.Urgency, outreach.UrgencyNormal)
	c.Received = cmp.Or(c.Received, outreach.ReceivedPhone)
	var r outreach.Resident
	if c.ResidentID != "" {
		r, err = s.Store.Resident(ctx, c.ResidentID)
		if errors.Is(err, outreach.ErrNotFound) {
			return c, false, fieldErr("resident_id", "no resident %q", c.ResidentID)
		}
		if err != nil {
			return c, false, fmt.Errorf("load the resident: %w", err)
		}
		if c.Estate == "" {
			c.Estate = r.EstateID()
		} else if c.Estate != r.EstateID() {
			return c, false, fieldErr("estate", "resident %q lives in estate %q, not %q", r.ID, r.EstateID(), c.Estate)
		}
		c.Building, c.Unit = cmp.Or(c.Building, r.Building), cmp.Or(c.Unit, r.Unit)
	}
	c.Estate = cmp.Or(c.Estate, outreach.DefaultEstateID)
	if err := c.Check(); err != nil {
		return c, false, asFieldError(err)
	}
	estate, err := s.Store.Estate(ctx, c.Estate)
	if errors.Is(err, outreach.ErrNotFound) {
		return c, false, fieldErr("estate", "no estate %q", c.Estate)
	}
	if err != nil {
		return c, false, fmt.Errorf("load the estate: %w", err)
	}
	if c.IdempotencyKey != "" {
		if prev, err := s.Store.CaseByKey(ctx, c.IdempotencyKey); err == nil {
			return s.repeat(prev, c)
		}
	}
	now := s.now()
	c.State, c.OpenedAt, c.OpenedBy = outreach.CaseOpen, now, cmp.Or(actor, outreach.ActorSystem)
	c.Resolution, c.Reopened, c.SurveyJob = "", 0, ""
	c.AcknowledgedAt, c.RespondedAt, c.ResolvedAt, c.FollowedUpAt, c.ClosedAt = nil, nil, nil, nil, nil
	c.Timers = s.limitTimers(c, estate, now, 0)
	detail := fmt.Sprintf("category %s, urgency %s, received by %s: %s", c.Category, c.Urgency, c.Received, c.Description)
	events := []outreach.CaseEvent{{Event: outreach.CaseOpened, At: now, Actor: c.OpenedBy, Detail: detail}}
	if c.Assignee != "" {
		events = append(events, outreach.CaseEvent{Event: outreach.CaseAssigned, At: now, Actor: c.OpenedBy, Detail: c.Assignee})
	}
	for range 5 {
		c.ID = NewID(now)
		var created outreach.Case
		created, err = s.Store.CreateCase(ctx, c, events)
		if err == nil {
			c = created
			break
		}
		if !errors.Is(err, outreach.ErrExists) {
			return c, false, fmt.Errorf("store the case: %w", err)
		}
		if c.IdempotencyKey != "" { // the key, or a rare id clash: which?
			if prev, kerr := s.Store.CaseByKey(ctx, c.IdempotencyKey); kerr == nil {
				return s.repeat(prev, c)
			}
		}
	}
	if err != nil {
		return c, false, fmt.Errorf("store the case: %w", err)
	}
	s.logger().Info("case opened", "case_id", c.ID, "estate", c.Estate, "category", c.Category, "urgency", c.Urgency)
	s.send(ctx, c, r, AcknowledgedTemplate, s.ackJob(c, estate))
	s.refreshGauge(ctx)
	return c, false, nil
}

// repeat answers a repeated POST: the first case when the request is the
// same, ErrIdempotencyConflict when it is not.
func (s *Service) repeat(prev, c outreach.Case) (outreach.Case, bool, error) {
	same := prev.Estate == c.Estate && prev.ResidentID == c.ResidentID && prev.Unit == c.Unit &&
		prev.Category == c.Category && prev.Urgency == c.Urgency && prev.Received == c.Received &&
		prev.Description == c.Description
	if !same {
		return prev, true, fmt.Errorf("case %s: %w", prev.ID, ErrIdempotencyConflict)
	}
	return prev, true, nil
}

// asFieldError turns Case.Check's joined "field: ..." errors into a
// FieldError naming the first field.
func asFieldError(err error) error {
	first := err
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		first = j.Unwrap()[0]
	}
	field, _, _ := strings.Cut(first.Error(), ":")
	return &FieldError{Field: field, Err: errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), field+":"), " "))}
}

// layers are the limits that apply in estate: its own, then the daemon's.
func (s *Service) layers(estate outreach.Estate) []outreach.CaseLimits {
	var out []outreach.CaseLimits
	if l, err := estate.CaseLimitsOf(); err == nil && l != nil {
		out = append(out, l)
	} else if err != nil {
		s.logger().Warn("estate case_limits unreadable; using the daemon's", "estate", estate.ID, "err", err)
	}
	if s.Settings.Limits != nil {
		out = append(out, s.Settings.Limits)
	}
	return out
}

// limitTimers are the response-time limits of a round starting at from.
func (s *Service) limitTimers(c outreach.Case, estate outreach.Estate, from time.Time, round int) []outreach.CaseTimer {
	timers := c.Timers
	for _, stage := range outreach.LimitStages {
		if d := outreach.Limit(c.Category, c.Urgency, stage, s.layers(estate)...); d > 0 {
			timers = append(timers, outreach.CaseTimer{Stage: stage, Round: round, Due: from.Add(d), Limit: d})
		}
	}
	return timers
}

// ContactWithin is what the acknowledgment promises: the respond limit,
// else the acknowledge limit, else the resolve limit (0: none).
func ContactWithin(c outreach.Case) time.Duration {
	for _, stage := range []string{outreach.StageRespond, outreach.StageAcknowledge, outreach.StageResolve} {
		for _, t := range c.Timers {
			if t.Stage == stage && t.Round == c.Reopened {
				return t.Limit
			}
		}
	}
	return 0
}

func hours(d time.Duration) string {
	h := d.Hours()
	if h == float64(int(h)) {
		return strconv.Itoa(int(h))
	}
	return strconv.FormatFloat(h, 'f', 1, 64)
}

// data is what every message of the case renders with.
func (s *Service) data(c outreach.Case) map[string]any {
	d := map[string]any{
		"case": c.ID, "reference": c.ID, "category": string(c.Category),
		"category_zh": categoryZH[c.Category], "category_en": categoryEN[c.Category],
		"description": excerpt(c.Description, 120), "urgency": string(c.Urgency),
		"building": c.Building, "unit": c.Unit,
	}
	if c.Assignee != "" {
		d["assignee"] = c.Assignee
	}
	return d
}

var categoryZH = map[outreach.CaseCategory]string{
	outreach.CaseFacility: "公共设施", outreach.CaseLift: "电梯", outreach.CaseWater: "供水", outreach.CasePower: "供电",
	outreach.CaseNoise: "噪音", outreach.CaseEnvironment: "环境卫生", outreach.CaseFee: "物业费", outreach.CaseSecurity: "安全",
	outreach.CaseOther: "其他",
}

var categoryEN = map[outreach.CaseCategory]string{
	outreach.CaseFacility: "facility", outreach.CaseLift: "lift", outreach.CaseWater: "water supply", outreach.CasePower: "power supply",
	outreach.CaseNoise: "noise", outreach.CaseEnvironment: "environment", outreach.CaseFee: "fees", outreach.CaseSecurity: "security",
	outreach.CaseOther: "other",
}

// excerpt is s cut to n runes with an ellipsis.
func excerpt(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

func priority(c outreach.Case) outreach.Priority {
	if c.Urgency == outreach.UrgencyUrgent {
		return outreach.PriorityUrgent
	}
	return outreach.PriorityNormal
}

func (s *Service) ackJob(c outreach.Case, estate outreach.Estate) outreach.Job {
	d := s.data(c)
	if w := ContactWithin(c); w > 0 {
		d["within_hours"] = hours(w)
	}
	_ = estate
	return outreach.Job{
		ID: "case-" + c.ID + "-ack", Kind: outreach.KindFollowUp, Template: AcknowledgedTemplate,
		ResidentID: c.ResidentID, Priority: priority(c), Data: d,
	}
}

func (s *Service) resolvedJob(c outreach.Case) outreach.Job {
	d := s.data(c)
	d["resolution"] = excerpt(c.Resolution, 300)
	return outreach.Job{
		ID: "case-" + c.ID + "-resolved-" + strconv.Itoa(c.Reopened), Kind: outreach.KindFollowUp, Template: ResolvedTemplate,
		ResidentID: c.ResidentID, Data: d,
	}
}

// FollowUpJobID is the id of a case's follow-up in round.
func FollowUpJobID(caseID string, round int) string {
	return "case-" + caseID + "-follow-up-" + strconv.Itoa(round)
}

// CaseOfJob is the case and round of a follow-up job id (ok false for
// other jobs).
func CaseOfJob(jobID string) (caseID string, round int, ok bool) {
	rest, ok := strings.CutPrefix(jobID, "case-")
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndex(rest, "-follow-up-")
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+len("-follow-up-"):])
	if err != nil {
		return "", 0, false
	}
	return rest[:i], n, true
}

func (s *Service) followUpJob(c outreach.Case) outreach.Job {
	d := s.data(c)
	// The survey loop reads these: required skips survey fatigue (a
	// case's follow-up always goes), work_order and service name it.
	d["required"] = true
	d["work_order"] = c.ID
	d["service"] = excerpt(c.Description, 40)
	if c.Resolution != "" {
		d["resolution"] = excerpt(c.Resolution, 300)
	}
	return outreach.Job{
		ID: FollowUpJobID(c.ID, c.Reopened), Kind: outreach.KindSatisfactionCallback, Template: FollowUpTemplate,
		ResidentID: c.ResidentID, Data: d,
	}
}

// unreachable says why no message can go to the case's resident ("" when
// one can).
func unreachable(c outreach.Case, r outreach.Resident) string {
	switch {
	case c.ResidentID == "":
		return "the case has no resident (unit " + c.Unit + ")"
	case r.Phone == "" && r.Email == "":
		return "resident " + r.ID + " has no phone or email"
	}
	for _, ch := range []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail} {
		if r.Contact(ch) != "" && !r.OptedOut(ch, outreach.KindFollowUp) {
			return ""
		}
	}
	return "resident " + r.ID + " opted out of every channel they have"
}

// send enqueues a message to the case's resident and records it in the
// history; a resident who cannot be reached is recorded too (the case is
// still tracked). Failures are recorded and logged, not returned: the
// case's step happened.
func (s *Service) send(ctx context.Context, c outreach.Case, r outreach.Resident, template string, job outreach.Job) bool {
	if c.ResidentID != "" && r.ID == "" {
		var err error
		if r, err = s.Store.Resident(ctx, c.ResidentID); err != nil && !errors.Is(err, outreach.ErrNotFound) {
			s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseMessage, Detail: template + ": not sent: the resident could not be read: " + err.Error()})
			s.countMessage(template, metrics.CaseMessageFailed)
			return false
		}
		if r.ID == "" {
			r.ID = c.ResidentID
		}
	}
	if why := unreachable(c, r); why != "" {
		s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseMessage, Detail: template + ": no message could go: " + why})
		s.countMessage(template, metrics.CaseMessageUnreachable)
		return false
	}
	if _, err := s.Jobs.Enqueue(ctx, job); err != nil {
		s.logger().Error("case message not queued", "case_id", c.ID, "template", template, "err", err)
		s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseMessage, Detail: template + ": not queued: " + err.Error()})
		s.countMessage(template, metrics.CaseMessageFailed)
		return false
	}
	s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseMessage, Detail: template + ": queued to " + c.ResidentID + " (job " + job.ID + ")"})
	s.countMessage(template, metrics.CaseMessageQueued)
	return true
}

func (s *Service) countMessage(template, result string) {
	if s.Metrics != nil {
		s.Metrics.CaseMessages.WithLabelValues(template, result).Inc()
	}
}

func (s *Service) record(ctx context.Context, id string, events ...outreach.CaseEvent) {
	now := s.now()
	for i := range events {
		if events[i].At.IsZero() {
			events[i].At = now
		}
	}
	if err := s.Store.AppendCaseEvents(ctx, id, events); err != nil {
		s.logger().Error("case history not written", "case_id", id, "err", err)
	}
}

// Get returns a case and its history.
func (s *Service) Get(ctx context.Context, id string) (outreach.Case, []outreach.CaseEvent, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return c, nil, err
	}
	events, err := s.Store.CaseEvents(ctx, id)
	if err != nil {
		return c, nil, fmt.Errorf("case %s history: %w", id, err)
	}
	return c, events, nil
}

// List lists cases.
func (s *Service) List(ctx context.Context, f outreach.CaseFilter) ([]outreach.Case, error) {
	return s.Store.Cases(ctx, f)
}

// meet marks the current round's timers of stages met at now.
func meet(c *outreach.Case, now time.Time, stages ...string) {
	for _, st := range stages {
		if t := c.Timer(st); t != nil && t.Pending() {
			t.MetAt = &now
		}
	}
}

// endTimers marks every pending timer met (a closed case waits for
// nothing).
func endTimers(c *outreach.Case, now time.Time) {
	for i := range c.Timers {
		if c.Timers[i].Pending() {
			c.Timers[i].MetAt = &now
		}
	}
}

// move changes the state of case id by actor (with the note in its
// history), applying extra before the write.
func (s *Service) move(ctx context.Context, id string, to outreach.CaseState, actor, note string, extra func(*outreach.Case, time.Time) []outreach.CaseEvent) (outreach.Case, error) {
	now := s.now()
	c, err := s.Store.UpdateCase(ctx, id, func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		ev, err := c.Move(to, now, cmp.Or(actor, outreach.ActorSystem), note)
		if err != nil {
			return nil, err
		}
		events := []outreach.CaseEvent{ev}
		if extra != nil {
			events = append(events, extra(c, now)...)
		}
		return events, nil
	})
	if err == nil {
		s.refreshGauge(ctx)
	}
	return c, err
}

func checkNote(field, note string, required bool) (string, error) {
	note = strings.TrimSpace(note)
	if note == "" && !required {
		return "", nil
	}
	if err := outreach.CheckCaseText(field, note); err != nil {
		return "", &FieldError{Field: field, Err: errors.New(strings.TrimPrefix(err.Error(), field+": "))}
	}
	return note, nil
}

// Acknowledge: staff have taken the case on (the acknowledge limit is met).
func (s *Service) Acknowledge(ctx context.Context, id, actor, note string) (outreach.Case, error) {
	note, err := checkNote("note", note, false)
	if err != nil {
		return outreach.Case{}, err
	}
	return s.move(ctx, id, outreach.CaseAcknowledged, actor, note, func(c *outreach.Case, now time.Time) []outreach.CaseEvent {
		meet(c, now, outreach.StageAcknowledge)
		return nil
	})
}

// Start: work on the case has begun (the respond limit is met).
func (s *Service) Start(ctx context.Context, id, actor, note string) (outreach.Case, error) {
	note, err := checkNote("note", note, false)
	if err != nil {
		return outreach.Case{}, err
	}
	return s.move(ctx, id, outreach.CaseInProgress, actor, note, func(c *outreach.Case, now time.Time) []outreach.CaseEvent {
		meet(c, now, outreach.StageAcknowledge, outreach.StageRespond)
		return nil
	})
}

// Assign gives the case to a staff member or team.
func (s *Service) Assign(ctx context.Context, id, actor, assignee string) (outreach.Case, error) {
	assignee = strings.TrimSpace(assignee)
	if assignee == "" || len(assignee) > 200 {
		return outreach.Case{}, fieldErr("assignee", "want a staff member or team, at most 200 bytes")
	}
	now := s.now()
	return s.Store.UpdateCase(ctx, id, func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		if c.State == outreach.CaseClosed {
			return nil, fmt.Errorf("case %s is closed: %w", id, outreach.ErrTransition)
		}
		c.Assignee = assignee
		return []outreach.CaseEvent{{Event: outreach.CaseAssigned, At: now, Actor: cmp.Or(actor, outreach.ActorSystem), Detail: assignee}}, nil
	})
}

// Note adds staff's note to the history (a call made, a visit).
func (s *Service) Note(ctx context.Context, id, actor, note string) (outreach.Case, error) {
	note, err := checkNote("note", note, true)
	if err != nil {
		return outreach.Case{}, err
	}
	now := s.now()
	return s.Store.UpdateCase(ctx, id, func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		return []outreach.CaseEvent{{Event: outreach.CaseNote, At: now, Actor: cmp.Or(actor, outreach.ActorSystem), Detail: note}}, nil
	})
}

// Resolve records what was done, sends the resolution notice and sets
// the follow-up after the category's delay.
func (s *Service) Resolve(ctx context.Context, id, actor, resolution string) (outreach.Case, error) {
	resolution, err := checkNote("resolution", resolution, true)
	if err != nil {
		return outreach.Case{}, err
	}
	cur, err := s.Store.Case(ctx, id)
	if err != nil {
		return cur, err
	}
	estate, err := s.Store.Estate(ctx, cur.Estate)
	if err != nil && !errors.Is(err, outreach.ErrNotFound) {
		return cur, fmt.Errorf("load the estate: %w", err)
	}
	delay := outreach.Limit(cur.Category, cur.Urgency, outreach.StageFollowUp, s.layers(estate)...)
	c, err := s.move(ctx, id, outreach.CaseResolved, actor, "", func(c *outreach.Case, now time.Time) []outreach.CaseEvent {
		c.Resolution = resolution
		meet(c, now, outreach.StageAcknowledge, outreach.StageRespond, outreach.StageResolve)
		c.Timers = append(c.Timers, outreach.CaseTimer{Stage: outreach.StageFollowUp, Round: c.Reopened, Due: now.Add(delay), Limit: delay})
		return []outreach.CaseEvent{{Event: outreach.CaseNote, At: now, Actor: cmp.Or(actor, outreach.ActorSystem),
			Detail: "resolution: " + resolution + "; follow-up due " + now.Add(delay).Format(time.RFC3339)}}
	})
	if err != nil {
		return c, err
	}
	s.send(ctx, c, outreach.Resident{}, ResolvedTemplate, s.resolvedJob(c))
	return c, nil
}

// Close closes a case (withdrawn, a duplicate, or done after its
// follow-up); note says why.
func (s *Service) Close(ctx context.Context, id, actor, note string) (outreach.Case, error) {
	note, err := checkNote("note", note, false)
	if err != nil {
		return outreach.Case{}, err
	}
	return s.move(ctx, id, outreach.CaseClosed, actor, note, func(c *outreach.Case, now time.Time) []outreach.CaseEvent {
		endTimers(c, now)
		return nil
	})
}

// refreshGauge sets outreach_cases from the archive.
func (s *Service) refreshGauge(ctx context.Context) {
	if s.Metrics == nil {
		return
	}
	counts, err := s.Store.CaseCounts(ctx)
	if err != nil {
		s.logger().Warn("case counts not read", "err", err)
		return
	}
	s.Metrics.Cases.Reset()
	for estate, byState := range counts {
		for _, st := range outreach.CaseStates {
			s.Metrics.Cases.WithLabelValues(estate, string(st)).Set(float64(byState[st]))
		}
	}
}

// FromInbound opens a case from an inbound SMS of resident r that answers
// no survey and is no keyword (OUTREACH_CASES_FROM_INBOUND): category
// other, for staff to sort, with the message as its description. The
// reply's id is the case's idempotency key, so a provider's retry opens
// nothing more. An empty message opens nothing.
func (s *Service) FromInbound(ctx context.Context, reply outreach.Reply, r outreach.Resident) (outreach.Case, error) {
	body := strings.TrimSpace(strings.ToValidUTF8(reply.Body, "\uFFFD"))
	if body == "" {
		return outreach.Case{}, nil
	}
	if len(body) > outreach.MaxCaseDescription {
		body = strings.ToValidUTF8(body[:outreach.MaxCaseDescription], "")
	}
	key := ""
	if reply.ID != "" {
		key = "inbound-" + string(reply.Channel) + "-" + reply.ID
	}
	c, _, err := s.Open(ctx, outreach.Case{ResidentID: r.ID, Category: outreach.CaseOther, Received: outreach.ReceivedSMS,
		Description: body, IdempotencyKey: key}, "resident")
	return c, err
}
