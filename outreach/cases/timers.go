package cases

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
)

// Fire fires the timers that are due: a missed limit escalates the case
// (to the staff, from the second miss on to the manager), the follow-up
// sends its message and survey, a follow-up's survey end closes the case.
// Each timer fires once however many daemons call Fire at the same time:
// the store's UpdateCase lets one of them mark it fired, and only that
// one sends. It says how many timers fired.
func (s *Service) Fire(ctx context.Context) (int, error) {
	total := 0
	for {
		due, err := s.Store.DueCases(ctx, s.now(), 200)
		if err != nil {
			return total, fmt.Errorf("due cases: %w", err)
		}
		fired := 0
		var errs []error
		for _, c := range due {
			n, err := s.fireCase(ctx, c.ID)
			fired += n
			if err != nil {
				errs = append(errs, fmt.Errorf("case %s: %w", c.ID, err))
			}
		}
		total += fired
		if len(errs) > 0 {
			return total, errors.Join(errs...)
		}
		if len(due) < 200 || fired == 0 {
			s.refreshGauge(ctx)
			return total, nil
		}
	}
}

// fireCase fires the due timers of one case, one at a time.
func (s *Service) fireCase(ctx context.Context, id string) (int, error) {
	fired := 0
	for {
		now := s.now()
		var (
			timer  outreach.CaseTimer
			misses int
		)
		c, err := s.Store.UpdateCase(ctx, id, func(c *outreach.Case) ([]outreach.CaseEvent, error) {
			timer = outreach.CaseTimer{}
			i := dueTimer(c, now)
			if i < 0 {
				return nil, nil
			}
			t := &c.Timers[i]
			t.FiredAt = &now
			timer = *t
			switch t.Stage {
			case outreach.StageFollowUp:
				if c.State != outreach.CaseResolved || t.Round != c.Reopened {
					t.FiredAt, t.MetAt, timer = nil, &now, outreach.CaseTimer{} // reopened or closed meanwhile
					return nil, nil
				}
				ev, err := c.Move(outreach.CaseFollowedUp, now, outreach.ActorSystem, "follow-up "+FollowUpJobID(c.ID, c.Reopened))
				if err != nil {
					return nil, err
				}
				c.SurveyJob = FollowUpJobID(c.ID, c.Reopened)
				expiry := cmp.Or(s.Settings.SurveyExpiry, DefaultSurveyExpiry)
				c.Timers = append(c.Timers, outreach.CaseTimer{Stage: StageSurveyEnd, Round: c.Reopened, Due: now.Add(expiry + time.Minute), Limit: expiry})
				return []outreach.CaseEvent{ev}, nil
			case StageSurveyEnd:
				if c.State != outreach.CaseFollowedUp || t.Round != c.Reopened {
					t.FiredAt, t.MetAt, timer = nil, &now, outreach.CaseTimer{}
					return nil, nil
				}
				ev, err := c.Move(outreach.CaseClosed, now, outreach.ActorSystem, "no answer to the follow-up survey by its expiry")
				endTimers(c, now)
				return []outreach.CaseEvent{ev}, err
			}
			// A limit: missed.
			misses = c.Misses() // this one included
			t.Level = StaffTag
			if misses > 1 {
				t.Level = ManagerTag
			}
			timer = *t
			return []outreach.CaseEvent{{Event: outreach.CaseEscalated, At: now, Actor: outreach.ActorSystem,
				Detail: fmt.Sprintf("%s limit of %s missed (due %s); escalated to the estate's %s (job %s)",
					t.Stage, t.Limit, t.Due.Format(time.RFC3339), t.Level, escalationJobID(c.ID, t.Stage, t.Round))}}, nil
		})
		if err != nil {
			return fired, err
		}
		if timer.Stage == "" {
			return fired, nil
		}
		fired++
		switch timer.Stage {
		case outreach.StageFollowUp:
			if !s.send(ctx, c, outreach.Resident{}, FollowUpTemplate, s.followUpJob(c)) {
				// Nobody to ask: the loop ends here.
				if _, err := s.move(ctx, c.ID, outreach.CaseClosed, outreach.ActorSystem, "the follow-up could not go", func(c *outreach.Case, now time.Time) []outreach.CaseEvent {
					endTimers(c, now)
					return nil
				}); err != nil && !errors.Is(err, outreach.ErrTransition) {
					return fired, err
				}
			}
		case StageSurveyEnd:
		default:
			if s.Metrics != nil {
				s.Metrics.CaseLimitMisses.WithLabelValues(string(c.Category), timer.Stage).Inc()
			}
			s.logger().Warn("case limit missed", "case_id", c.ID, "estate", c.Estate, "stage", timer.Stage, "limit", timer.Limit, "escalated_to", timer.Level)
			reason := fmt.Sprintf("%s limit of %s missed", timer.Stage, timer.Limit)
			if err := s.escalate(ctx, c, escalationJobID(c.ID, timer.Stage, timer.Round), timer.Level, "limit", reason, timer.Stage); err != nil {
				return fired, err
			}
		}
	}
}

// dueTimer is the index of the case's earliest pending timer due by now
// (-1: none).
func dueTimer(c *outreach.Case, now time.Time) int {
	best := -1
	for i, t := range c.Timers {
		if t.Pending() && !t.Due.After(now) && (best < 0 || t.Due.Before(c.Timers[best].Due)) {
			best = i
		}
	}
	return best
}

func escalationJobID(caseID, stage string, round int) string {
	return "case-" + caseID + "-escalation-" + stage + "-" + strconv.Itoa(round)
}

// escalate sends the case to the estate's residents tagged level (staff
// or manager); a manager-level escalation goes to staff when the estate
// has no manager. Whether anyone got it is recorded in the history.
func (s *Service) escalate(ctx context.Context, c outreach.Case, jobID, level, reason, why, stage string) error {
	tag := level
	count := func(tag string) (int, error) {
		n := 0
		err := s.Store.Residents(ctx, outreach.Audience{Estate: c.Estate, Tags: []string{tag}}, func(outreach.Resident) error { n++; return nil })
		return n, err
	}
	n, err := count(tag)
	if err != nil {
		return fmt.Errorf("find the estate's %s: %w", tag, err)
	}
	if n == 0 && tag == ManagerTag {
		tag = StaffTag
		if n, err = count(tag); err != nil {
			return fmt.Errorf("find the estate's staff: %w", err)
		}
		if n > 0 {
			s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseEscalated, Detail: "estate " + c.Estate + " has no manager (tag residents manager); sent to staff"})
		}
	}
	result := metrics.EscalationQueued
	if n == 0 {
		result = metrics.EscalationNoStaff
		s.logger().Warn("case escalation: the estate has no staff (tag residents staff)", "case_id", c.ID, "estate", c.Estate)
		s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseEscalated, Detail: "no message could go: estate " + c.Estate + " has no staff (tag residents " + tag + ")"})
	} else {
		audience := outreach.Audience{Estate: c.Estate, Tags: []string{tag}}
		data := s.data(c)
		data["reason"] = why
		data["stage"] = stage
		data["stage_zh"] = stageZH[stage]
		data["state"] = string(c.State)
		data["description"] = excerpt(c.Description, 500)
		data["opened_at"] = c.OpenedAt.Format(time.RFC3339)
		if r, err := s.Store.Resident(ctx, c.ResidentID); err == nil {
			data["resident_name"] = r.Name
			if r.Phone != "" {
				data["resident_phone"] = r.Phone
			}
		}
		if s.PublicURL != "" {
			data["case_url"] = strings.TrimRight(s.PublicURL, "/") + "/v1/cases/" + c.ID
		}
		job := outreach.Job{ID: jobID, Kind: outreach.KindEscalation, Template: EscalationTemplate, Audience: &audience,
			Priority: outreach.PriorityUrgent, Data: data}
		if _, err := s.Jobs.Enqueue(ctx, job); err != nil {
			s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseEscalated, Detail: "escalation not queued: " + err.Error()})
			return fmt.Errorf("enqueue the escalation: %w", err)
		}
		s.record(ctx, c.ID, outreach.CaseEvent{Event: outreach.CaseMessage, Detail: fmt.Sprintf("%s: queued to the estate's %s, %d people (job %s)", EscalationTemplate, tag, n, jobID)})
	}
	if s.Metrics != nil {
		s.Metrics.CaseEscalations.WithLabelValues(reason, result).Inc()
	}
	return nil
}

var stageZH = map[string]string{
	outreach.StageAcknowledge: "超时未受理", outreach.StageRespond: "超时未响应", outreach.StageResolve: "超时未处理完成",
	"low_score": "回访低分，已重新打开",
}

// Owns reports whether sv is the survey of a case's follow-up.
func (s *Service) Owns(sv outreach.Survey) bool {
	_, _, ok := CaseOfJob(sv.JobID)
	return ok
}

// Scored takes the follow-up survey's score: at or below EscalateAt the
// case is reopened and escalated to the staff, above it is closed. A
// repeat (a retried reply) changes nothing; a changed score on the
// survey page counts again (a closed case reopens).
func (s *Service) Scored(ctx context.Context, sv outreach.Survey) error {
	id, round, ok := CaseOfJob(sv.JobID)
	if !ok || sv.Score == 0 {
		return nil
	}
	at := s.now()
	if sv.AnsweredAt != nil {
		at = *sv.AnsweredAt
	}
	mark := fmt.Sprintf("(survey %s, answered %s)", sv.ID, at.UTC().Format(time.RFC3339Nano))
	history, err := s.Store.CaseEvents(ctx, id)
	if err != nil {
		return fmt.Errorf("case %s history: %w", id, err)
	}
	for _, e := range history {
		if e.Event == outreach.CaseReply && strings.Contains(e.Detail, mark) {
			return nil // a retried reply: taken already
		}
	}
	low := sv.Score <= cmp.Or(s.Settings.EscalateAt, DefaultEscalateAt)
	now := s.now()
	reopened := false
	estate, err := s.caseEstate(ctx, id)
	if err != nil {
		return err
	}
	c, err := s.Store.UpdateCase(ctx, id, func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		reopened = false
		if c.SurveyJob != sv.JobID || round != c.Reopened {
			return nil, nil // an older round's survey
		}
		meet(c, now, StageSurveyEnd)
		detail := fmt.Sprintf("follow-up score %d of 5 via %s %s", sv.Score, cmp.Or(sv.AnsweredVia, "?"), mark)
		if sv.Comment != "" {
			detail += "; comment " + strconv.Quote(sv.Comment)
		}
		events := []outreach.CaseEvent{{Event: outreach.CaseReply, At: at, Actor: "resident", Detail: detail}}
		switch {
		case low && (c.State == outreach.CaseFollowedUp || c.State == outreach.CaseClosed):
			ev, err := c.Move(outreach.CaseReopened, now, outreach.ActorSystem, fmt.Sprintf("low follow-up score %d", sv.Score))
			if err != nil {
				return nil, err
			}
			c.Timers = s.limitTimers(*c, estate, now, c.Reopened)
			reopened = true
			events = append(events, ev)
		case !low && c.State == outreach.CaseFollowedUp:
			ev, err := c.Move(outreach.CaseClosed, now, outreach.ActorSystem, fmt.Sprintf("follow-up score %d", sv.Score))
			if err != nil {
				return nil, err
			}
			endTimers(c, now)
			events = append(events, ev)
		}
		return events, nil
	})
	if err != nil {
		return fmt.Errorf("case %s: %w", id, err)
	}
	s.refreshGauge(ctx)
	if !reopened {
		return nil
	}
	s.logger().Warn("case reopened by a low follow-up score", "case_id", c.ID, "estate", c.Estate, "score", sv.Score)
	return s.escalate(ctx, c, "case-"+c.ID+"-reopened-"+strconv.Itoa(c.Reopened), StaffTag, "low_score",
		fmt.Sprintf("reopened: the resident scored the follow-up %d of 5", sv.Score), "low_score")
}

func (s *Service) caseEstate(ctx context.Context, id string) (outreach.Estate, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return outreach.Estate{}, fmt.Errorf("case %s: %w", id, err)
	}
	e, err := s.Store.Estate(ctx, c.Estate)
	if err != nil && !errors.Is(err, outreach.ErrNotFound) {
		return e, fmt.Errorf("case %s estate: %w", id, err)
	}
	return e, nil
}

// Ended closes a followed-up case whose survey expired or closed
// unanswered.
func (s *Service) Ended(ctx context.Context, sv outreach.Survey) error {
	id, round, ok := CaseOfJob(sv.JobID)
	if !ok {
		return nil
	}
	why := "no answer to the follow-up survey by its expiry"
	if sv.State == outreach.SurveyClosed {
		why = "the resident opted out of the follow-up survey"
	}
	now := s.now()
	_, err := s.Store.UpdateCase(ctx, id, func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		if c.SurveyJob != sv.JobID || round != c.Reopened || c.State != outreach.CaseFollowedUp {
			return nil, nil
		}
		ev, err := c.Move(outreach.CaseClosed, now, outreach.ActorSystem, why)
		endTimers(c, now)
		return []outreach.CaseEvent{ev}, err
	})
	if err != nil {
		return fmt.Errorf("case %s: %w", id, err)
	}
	s.refreshGauge(ctx)
	return nil
}
