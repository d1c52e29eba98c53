package survey

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
)

// Templates of the jobs the loop sends itself: the re-ask (kind
// satisfaction_callback, so opt-outs of the kind and quiet hours apply;
// it opens no survey of its own) and the escalation to staff.
const (
	ReaskTemplate      = "survey_reask"
	EscalationTemplate = "survey_escalation"
)

// StaffTag is the tag of the residents who are an estate's staff: a low
// score is escalated to them.
const StaffTag = "staff"

// Defaults of Settings.
const (
	DefaultExpiry         = 7 * 24 * time.Hour
	DefaultFatigue        = 30 * 24 * time.Hour
	DefaultEscalateAt     = 2
	DefaultCallbackWithin = 24 * time.Hour
)

// Store is the part of outreach.Store the service uses.
type Store interface {
	outreach.SurveyStore
	Residents(ctx context.Context, a outreach.Audience, fn func(outreach.Resident) error) error
	Resident(ctx context.Context, id string) (outreach.Resident, error)
	Estate(ctx context.Context, id string) (outreach.Estate, error)
}

// Jobs puts jobs on the stream (a *queue.Producer).
type Jobs interface {
	Enqueue(ctx context.Context, job outreach.Job) (string, error)
}

// Settings are the loop's rules (config.Survey).
type Settings struct {
	Expiry     time.Duration // a survey's life (default 7 days)
	Fatigue    time.Duration // one survey per resident in this window; < 0: no limit (default 30 days)
	EscalateAt int           // scores at or below escalate (default 2)
	// CallbackWithin is when the call-back task of a low score is due
	// (default 24h).
	CallbackWithin time.Duration
}

// Service runs the satisfaction loop: it opens surveys when a
// satisfaction_callback is sent, keeps residents from being surveyed too
// often, scores SMS replies, asks once more when a reply holds no score,
// escalates low scores to the estate's staff, closes call-back tasks and
// expires surveys.
type Service struct {
	Store    Store
	Jobs     Jobs
	Settings Settings
	Metrics  *metrics.Metrics // may be nil
	// PublicURL, when set, links the escalation to the survey in the
	// archive (<PublicURL>/v1/surveys/<id>).
	PublicURL string
	// Links, when set, signs the emailed surveys' one-click score links
	// and serves their page (see Page).
	Links  *Links
	Logger *slog.Logger     // default: discard
	Now    func() time.Time // default time.Now
	// Cases, when set, is the complaint loop (package cases): the surveys
	// of its follow-ups are its own. Their scores go to it instead of the
	// survey's own escalation (a low score reopens the case and escalates
	// it), and so do their ends (expired, closed unanswered).
	Cases Followers
}

// Followers is the complaint loop's part in the satisfaction loop.
type Followers interface {
	// Owns reports whether sv is the survey of a case's follow-up.
	Owns(sv outreach.Survey) bool
	// Scored is told the survey's score (each time it is recorded or a
	// reply is retried: it must be idempotent).
	Scored(ctx context.Context, sv outreach.Survey) error
	// Ended is told the survey expired or closed unanswered.
	Ended(ctx context.Context, sv outreach.Survey) error
}

func (s *Service) casesOwn(sv outreach.Survey) bool { return s.Cases != nil && s.Cases.Owns(sv) }

// fatigueFor is the fatigue window for a resident of estate: the
// estate's own (Estate.SurveyFatigue) when it sets one, else the daemon's.
// The caller has the estate already (the dispatcher's estate cache), so
// this reads nothing.
func (s *Service) fatigueFor(estate outreach.Estate) time.Duration {
	if w, set, err := estate.SurveyWindow(); err == nil && set {
		return w
	}
	return s.fatigue()
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

func (s *Service) expiry() time.Duration { return cmp.Or(s.Settings.Expiry, DefaultExpiry) }
func (s *Service) escalateAt() int       { return cmp.Or(s.Settings.EscalateAt, DefaultEscalateAt) }
func (s *Service) fatigue() time.Duration {
	if s.Settings.Fatigue < 0 {
		return 0
	}
	return cmp.Or(s.Settings.Fatigue, DefaultFatigue)
}

// Surveyed reports whether job opens a survey when it is sent: a
// satisfaction_callback that is not the loop's own re-ask.
func Surveyed(job outreach.Job) bool {
	return job.Kind == outreach.KindSatisfactionCallback && job.Template != ReaskTemplate
}

// Required reports whether the job says it must go whatever the fatigue
// window says (data.required: true, e.g. a complaint's follow-up).
func Required(job outreach.Job) bool {
	switch v := job.Data["required"].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

// dataString is job.Data[key] as text ("" when absent).
func dataString(data map[string]any, key string) string {
	switch v := data[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// Fatigued is the policy's question before a satisfaction_callback is
// sent to r, a resident of estate: did r have a survey within the fatigue window? The note
// says which (for the archive). A job that opens no survey, a required
// one, and the job's own survey (a redelivery) are never fatigued.
func (s *Service) Fatigued(ctx context.Context, job outreach.Job, r outreach.Resident, estate outreach.Estate) (bool, string, error) {
	if !Surveyed(job) || Required(job) {
		return false, "", nil
	}
	window := s.fatigueFor(estate)
	if window == 0 {
		return false, "", nil
	}
	since := s.now().Add(-window)
	list, err := s.Store.Surveys(ctx, outreach.SurveyFilter{ResidentIDs: []string{r.ID}, SentSince: since, Limit: 5})
	if err != nil {
		return false, "", fmt.Errorf("survey fatigue: %w", err)
	}
	for _, sv := range list {
		if sv.JobID == job.ID {
			continue
		}
		return true, fmt.Sprintf("resident had survey %s on %s (one per %s)", sv.ID, sv.SentAt.Format(time.DateOnly), days(window)), nil
	}
	return false, "", nil
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// Recorded opens a survey for every delivery of a surveyed job that a
// provider took (once: a redelivered job finds its survey open). It is
// called with the job's records once the archive has them.
func (s *Service) Recorded(ctx context.Context, job outreach.Job, recs []outreach.Delivery) error {
	if !Surveyed(job) {
		return nil
	}
	var errs []error
	for _, rec := range recs {
		if !rec.Status.Accepted() || rec.ResidentID == "" || rec.Channel.Group() {
			continue
		}
		sent := rec.UpdatedAt
		if rec.SentAt != nil {
			sent = *rec.SentAt
		}
		if sent.IsZero() {
			sent = s.now()
		}
		sent = sent.UTC()
		sv := outreach.Survey{
			ID: outreach.SurveyID(rec.ID), ResidentID: rec.ResidentID,
			Estate: cmp.Or(rec.Estate, outreach.DefaultEstateID), Building: rec.Building, Unit: rec.Unit,
			JobID: job.ID, DeliveryID: rec.ID,
			WorkOrder: dataString(job.Data, "work_order"), Service: dataString(job.Data, "service"),
			Channel: rec.Channel, Locale: rec.Locale, State: outreach.SurveyOpen,
			SentAt: sent, ExpiresAt: sent.Add(s.expiry()), SkipFatigue: Required(job),
		}
		_, created, err := s.Store.OpenSurvey(ctx, sv)
		if err != nil {
			errs = append(errs, fmt.Errorf("open survey for delivery %s: %w", rec.ID, err))
			continue
		}
		if created && s.Metrics != nil {
			s.Metrics.SurveysSent.WithLabelValues(string(rec.Channel)).Inc()
		}
	}
	return errors.Join(errs...)
}

// ReplyResult is what the loop made of one SMS reply (a result label of
// outreach_survey_replies_total).
type ReplyResult string

// Reply scores an SMS reply: it is tied to the latest open survey of the
// residents with the sender's number. A score answers it (and may
// escalate); words without one are kept as the comment, and the first
// time the resident is asked once more for a number; an opt-out closes
// it. A reply from an unknown number, with no open survey, or to an
// expired one changes nothing. The returned survey is the one the reply
// was tied to (zero when none), so the reply is archived against its
// delivery. A provider's retry of a reply already taken (same id) changes
// nothing again.
func (s *Service) Reply(ctx context.Context, reply outreach.Reply, residents []outreach.Resident) (outreach.Survey, ReplyResult, error) {
	if len(residents) == 0 {
		return s.count(outreach.Survey{}, metrics.ReplyUnknown), metrics.ReplyUnknown, nil
	}
	if reply.Action == outreach.ReplyOptIn {
		return outreach.Survey{}, "", nil
	}
	sv, ok, err := s.openSurvey(ctx, residents)
	if err != nil {
		return outreach.Survey{}, "", err
	}
	if !ok {
		return s.count(outreach.Survey{}, metrics.ReplyNoSurvey), metrics.ReplyNoSurvey, nil
	}
	now := s.now()
	if !now.Before(sv.ExpiresAt) { // the sweep has not come by yet
		return s.count(outreach.Survey{}, metrics.ReplyExpired), metrics.ReplyExpired, nil
	}
	mark := "reply " + reply.ID
	if reply.ID != "" {
		taken, err := s.taken(ctx, sv.ID, mark)
		if err != nil {
			return outreach.Survey{}, "", err
		}
		if taken {
			sv, err = s.escalateIfDue(ctx, sv)
			return s.count(sv, metrics.ReplyDuplicate), metrics.ReplyDuplicate, err
		}
	}
	if reply.Action == outreach.ReplyOptOut {
		return s.closeOnOptOut(ctx, sv, mark, now)
	}
	if answer, err := Parse(reply.Body); err == nil {
		return s.score(ctx, sv, answer, mark, now)
	}
	return s.comment(ctx, sv, reply.Body, mark, now)
}

// openSurvey is the latest open survey of the residents; ok is false when
// none is open.
func (s *Service) openSurvey(ctx context.Context, residents []outreach.Resident) (_ outreach.Survey, ok bool, _ error) {
	ids := make([]string, len(residents))
	for i, r := range residents {
		ids[i] = r.ID
	}
	open, err := s.Store.Surveys(ctx, outreach.SurveyFilter{ResidentIDs: ids, State: outreach.SurveyOpen, Limit: 1})
	if err != nil {
		return outreach.Survey{}, false, fmt.Errorf("find the open survey: %w", err)
	}
	if len(open) == 0 {
		return outreach.Survey{}, false, nil
	}
	return open[0], true, nil
}

// taken reports whether the survey's history already has the reply
// marked mark ("reply <id>"): a provider's retry.
func (s *Service) taken(ctx context.Context, surveyID, mark string) (bool, error) {
	events, err := s.Store.SurveyEvents(ctx, surveyID)
	if err != nil {
		return false, fmt.Errorf("read the survey's history: %w", err)
	}
	for _, e := range events {
		if strings.HasPrefix(e.Detail, mark+";") || e.Detail == mark {
			return true, nil
		}
	}
	return false, nil
}

// closeOnOptOut closes the survey of a resident who opted out (and ends
// its case when the loop owns it).
func (s *Service) closeOnOptOut(ctx context.Context, sv outreach.Survey, mark string, now time.Time) (outreach.Survey, ReplyResult, error) {
	sv, err := s.Store.UpdateSurvey(ctx, sv.ID, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
		if cur.State != outreach.SurveyOpen {
			return nil, nil
		}
		cur.State = outreach.SurveyClosed
		return []outreach.SurveyEvent{{Event: outreach.SurveyClose, At: now, Detail: mark + "; the resident opted out"}}, nil
	})
	if err != nil {
		return outreach.Survey{}, "", fmt.Errorf("close the survey: %w", err)
	}
	if s.casesOwn(sv) && sv.State == outreach.SurveyClosed {
		if err := s.Cases.Ended(ctx, sv); err != nil {
			return sv, "", fmt.Errorf("the survey's case: %w", err)
		}
	}
	return s.count(sv, metrics.ReplyClosed), metrics.ReplyClosed, nil
}

// score records the answer's score (and comment) and escalates a low one.
func (s *Service) score(ctx context.Context, sv outreach.Survey, answer Answer, mark string, now time.Time) (outreach.Survey, ReplyResult, error) {
	sv, err := s.Store.UpdateSurvey(ctx, sv.ID, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
		cur.State, cur.Score, cur.AnsweredVia, cur.AnsweredAt = outreach.SurveyAnswered, answer.Score, "sms", &now
		if answer.Comment != "" {
			cur.Comment = joinComment(cur.Comment, answer.Comment)
		}
		return []outreach.SurveyEvent{{Event: outreach.SurveyAnswer, At: now,
			Detail: fmt.Sprintf("%s; score %d; channel sms%s", mark, answer.Score, commentDetail(answer.Comment))}}, nil
	})
	if err != nil {
		return outreach.Survey{}, "", fmt.Errorf("record the score: %w", err)
	}
	if s.Metrics != nil {
		s.Metrics.SurveyResponses.WithLabelValues(sv.Estate, strconv.Itoa(sv.Score)).Inc()
	}
	sv, err = s.escalateIfDue(ctx, sv)
	return s.count(sv, metrics.ReplyScored), metrics.ReplyScored, err
}

// comment keeps words without a score as written and, the first time,
// asks once more for a number.
func (s *Service) comment(ctx context.Context, sv outreach.Survey, body, mark string, now time.Time) (outreach.Survey, ReplyResult, error) {
	comment := Truncate(strings.TrimSpace(strings.ToValidUTF8(body, "\uFFFD")))
	reask := false
	sv, err := s.Store.UpdateSurvey(ctx, sv.ID, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
		reask = false
		cur.Comment = joinComment(cur.Comment, comment)
		events := []outreach.SurveyEvent{{Event: outreach.SurveyCommented, At: now, Detail: mark + commentDetail(comment)}}
		if cur.ReaskedAt == nil {
			reask = true
			cur.ReaskedAt = &now
			events = append(events, outreach.SurveyEvent{Event: outreach.SurveyReasked, At: now, Detail: "job " + ReaskJobID(cur.ID)})
		}
		return events, nil
	})
	if err != nil {
		return outreach.Survey{}, "", fmt.Errorf("keep the comment: %w", err)
	}
	if !reask {
		return s.count(sv, metrics.ReplyCommented), metrics.ReplyCommented, nil
	}
	if _, err := s.Jobs.Enqueue(ctx, s.reaskJob(sv)); err != nil {
		return sv, "", fmt.Errorf("enqueue the re-ask: %w", err)
	}
	return s.count(sv, metrics.ReplyReasked), metrics.ReplyReasked, nil
}

func (s *Service) count(sv outreach.Survey, result string) outreach.Survey {
	if s.Metrics != nil {
		s.Metrics.SurveyReplies.WithLabelValues(result).Inc()
	}
	return sv
}

func joinComment(old, add string) string {
	if old == "" {
		return Truncate(add)
	}
	if add == "" {
		return old
	}
	return Truncate(old + "\n" + add)
}

func commentDetail(c string) string {
	if c == "" {
		return ""
	}
	return "; comment " + strconv.Quote(c)
}

// ReaskJobID is the id of the one re-ask of a survey: the job-id dedupe
// keeps it one even when the reply that asked for it is retried.
func ReaskJobID(surveyID string) string { return "survey-reask-" + surveyID }

// EscalationJobID is the id of a survey's one escalation.
func EscalationJobID(surveyID string) string { return "survey-escalation-" + surveyID }

func (s *Service) reaskJob(sv outreach.Survey) outreach.Job {
	return outreach.Job{
		ID: ReaskJobID(sv.ID), Kind: outreach.KindSatisfactionCallback, Template: ReaskTemplate,
		ResidentID: sv.ResidentID, Channels: []outreach.Channel{outreach.ChannelSMS},
		Data: map[string]any{"survey": sv.ID, "service": sv.Service, "work_order": sv.WorkOrder},
	}
}

// escalateIfDue sends an answered survey with a low score to its estate's
// staff and opens the call-back task, once. The escalation job comes
// first, with a stable id (a retry is deduplicated), then the survey
// records it.
func (s *Service) escalateIfDue(ctx context.Context, sv outreach.Survey) (outreach.Survey, error) {
	if s.casesOwn(sv) {
		if sv.State != outreach.SurveyAnswered {
			return sv, nil
		}
		if err := s.Cases.Scored(ctx, sv); err != nil {
			return sv, fmt.Errorf("the survey's case: %w", err)
		}
		return sv, nil
	}
	if sv.State != outreach.SurveyAnswered || sv.Score < MinScore || sv.Score > s.escalateAt() || sv.EscalatedAt != nil {
		return sv, nil
	}
	job, staff, err := s.escalationJob(ctx, sv)
	if err != nil {
		return sv, err
	}
	result := metrics.EscalationNoStaff
	if staff > 0 {
		if _, err := s.Jobs.Enqueue(ctx, job); err != nil {
			return sv, fmt.Errorf("enqueue the escalation: %w", err)
		}
		result = metrics.EscalationQueued
	} else {
		s.logger().Warn("low survey score but the estate has no staff to escalate to (tag residents staff)",
			"survey_id", sv.ID, "estate", sv.Estate, "score", sv.Score)
	}
	now := s.now()
	due := now.Add(cmp.Or(s.Settings.CallbackWithin, DefaultCallbackWithin))
	escalated := false
	sv, err = s.Store.UpdateSurvey(ctx, sv.ID, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
		if cur.EscalatedAt != nil {
			escalated = false
			return nil, nil
		}
		escalated = true
		cur.EscalatedAt, cur.CallbackDue = &now, &due
		detail := fmt.Sprintf("score %d; call back by %s", cur.Score, due.Format(time.RFC3339))
		if staff > 0 {
			cur.EscalationJob = job.ID
			detail = "job " + job.ID + "; " + detail
		} else {
			detail = "no staff in estate " + cur.Estate + "; " + detail
		}
		return []outreach.SurveyEvent{{Event: outreach.SurveyEscalated, At: now, Detail: detail}}, nil
	})
	if err != nil {
		return sv, fmt.Errorf("record the escalation: %w", err)
	}
	if escalated && s.Metrics != nil {
		s.Metrics.SurveyEscalations.WithLabelValues(result).Inc()
	}
	return sv, nil
}

// escalationJob is the escalation of sv to its estate's staff, and how
// many staff there are.
func (s *Service) escalationJob(ctx context.Context, sv outreach.Survey) (outreach.Job, int, error) {
	audience := outreach.Audience{Estate: sv.Estate, Tags: []string{StaffTag}}
	staff := 0
	if err := s.Store.Residents(ctx, audience, func(outreach.Resident) error { staff++; return nil }); err != nil {
		return outreach.Job{}, 0, fmt.Errorf("find the estate's staff: %w", err)
	}
	data := map[string]any{
		"survey": sv.ID, "score": sv.Score, "resident_id": sv.ResidentID,
		"building": sv.Building, "unit": sv.Unit, "work_order": sv.WorkOrder, "service": sv.Service,
	}
	if sv.Comment != "" {
		data["comment"] = sv.Comment
	}
	if r, err := s.Store.Resident(ctx, sv.ResidentID); err == nil {
		data["resident_name"] = r.Name
		if r.Phone != "" {
			data["resident_phone"] = r.Phone
		}
	} else if !errors.Is(err, outreach.ErrNotFound) {
		return outreach.Job{}, 0, fmt.Errorf("load the resident: %w", err)
	}
	if s.PublicURL != "" {
		data["survey_url"] = strings.TrimRight(s.PublicURL, "/") + "/v1/surveys/" + sv.ID
	}
	return outreach.Job{
		ID: EscalationJobID(sv.ID), Kind: outreach.KindEscalation, Template: EscalationTemplate,
		Audience: &audience, Data: data,
	}, staff, nil
}

// CallBack closes a survey's call-back task with staff's note. A survey
// without an open task is ErrNoCallback.
func (s *Service) CallBack(ctx context.Context, id, note string) (outreach.Survey, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return outreach.Survey{}, ErrEmptyNote
	}
	note = Truncate(note)
	now := s.now()
	return s.Store.UpdateSurvey(ctx, id, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
		if !cur.CallbackOpen() {
			return nil, ErrNoCallback
		}
		cur.CalledBackAt, cur.CallbackNote = &now, note
		return []outreach.SurveyEvent{{Event: outreach.SurveyCalledBack, At: now, Detail: note}}, nil
	})
}

// Errors of CallBack.
var (
	ErrNoCallback = errors.New("the survey has no open call-back task")
	ErrEmptyNote  = errors.New("the note is empty")
)

// Expire expires the open surveys that are due, in batches, and says how
// many. Concurrent calls (two daemons) expire each survey once.
func (s *Service) Expire(ctx context.Context) (int, error) {
	total := 0
	for {
		list, err := s.Store.ExpireSurveys(ctx, s.now(), 500)
		total += len(list)
		if s.Metrics != nil {
			s.Metrics.SurveysExpired.Add(float64(len(list)))
		}
		for _, sv := range list {
			if !s.casesOwn(sv) {
				continue
			}
			if cerr := s.Cases.Ended(ctx, sv); cerr != nil {
				err = errors.Join(err, fmt.Errorf("the case of survey %s: %w", sv.ID, cerr))
			}
		}
		if err != nil {
			return total, fmt.Errorf("expire surveys: %w", err)
		}
		if len(list) < 500 {
			return total, nil
		}
	}
}
