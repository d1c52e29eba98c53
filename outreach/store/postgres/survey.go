package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

const surveyColumns = `id, resident_id, estate, building, unit, job_id, delivery_id, work_order, service,
	channel, locale, state, score, comment, answered_via, sent_at, expires_at, answered_at, reasked_at,
	clicked_at, escalated_at, escalation_job, callback_due, called_back_at, callback_note, skip_fatigue, updated_at`

// surveyPlaceholders is "$1, ..., $27".
var surveyPlaceholders = func() string {
	p := make([]string, 27)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", i+1)
	}
	return strings.Join(p, ", ")
}()

func surveyArgs(s outreach.Survey) []any {
	return []any{s.ID, s.ResidentID, s.Estate, s.Building, s.Unit, s.JobID, s.DeliveryID, s.WorkOrder, s.Service,
		string(s.Channel), s.Locale, string(s.State), s.Score, s.Comment, s.AnsweredVia, s.SentAt, s.ExpiresAt,
		s.AnsweredAt, s.ReaskedAt, s.ClickedAt, s.EscalatedAt, s.EscalationJob,
		s.CallbackDue, s.CalledBackAt, s.CallbackNote, s.SkipFatigue, s.UpdatedAt}
}

func scanSurvey(row pgx.Row) (outreach.Survey, error) {
	var s outreach.Survey
	err := row.Scan(&s.ID, &s.ResidentID, &s.Estate, &s.Building, &s.Unit, &s.JobID, &s.DeliveryID, &s.WorkOrder, &s.Service,
		&s.Channel, &s.Locale, &s.State, &s.Score, &s.Comment, &s.AnsweredVia, &s.SentAt, &s.ExpiresAt, &s.AnsweredAt, &s.ReaskedAt,
		&s.ClickedAt, &s.EscalatedAt, &s.EscalationJob, &s.CallbackDue, &s.CalledBackAt, &s.CallbackNote, &s.SkipFatigue, &s.UpdatedAt)
	if err != nil {
		return s, err
	}
	s.SentAt, s.ExpiresAt, s.UpdatedAt = s.SentAt.UTC(), s.ExpiresAt.UTC(), s.UpdatedAt.UTC()
	s.AnsweredAt, s.ReaskedAt, s.ClickedAt = utcPtr(s.AnsweredAt), utcPtr(s.ReaskedAt), utcPtr(s.ClickedAt)
	s.EscalatedAt, s.CallbackDue, s.CalledBackAt = utcPtr(s.EscalatedAt), utcPtr(s.CallbackDue), utcPtr(s.CalledBackAt)
	return s, nil
}

// OpenSurvey stores a new survey with its `sent` event, or returns the
// stored one.
func (s *Store) OpenSurvey(ctx context.Context, sv outreach.Survey) (_ outreach.Survey, _ bool, err error) {
	now := normalize.Time(s.now())
	if sv.State == "" {
		sv.State = outreach.SurveyOpen
	}
	if sv, err = normalize.Survey(sv, now); err != nil {
		return sv, false, fmt.Errorf("open survey: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	tag, err := tx.Exec(ctx, `INSERT INTO surveys (`+surveyColumns+`) VALUES (`+surveyPlaceholders+`)
		ON CONFLICT (id) DO NOTHING`, surveyArgs(sv)...)
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	created := tag.RowsAffected() == 1
	if created {
		ev := []outreach.SurveyEvent{{Event: outreach.SurveySent, At: sv.SentAt, Detail: "channel: " + string(sv.Channel)}}
		if err := appendSurveyEvents(ctx, tx, sv, ev, now); err != nil {
			return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
		}
	}
	got, err := scanSurvey(tx.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = $1`, sv.ID))
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	return got, created, nil
}

// appendSurveyEvents writes events to the survey's history and to its
// delivery's (as "survey_<event>").
func appendSurveyEvents(ctx context.Context, tx pgx.Tx, sv outreach.Survey, es []outreach.SurveyEvent, now time.Time) error {
	es, err := normalize.SurveyEvents(sv.ID, es, now)
	if err != nil {
		return err
	}
	for _, e := range es {
		if _, err := tx.Exec(ctx, `INSERT INTO survey_events (survey_id, event, at, detail) VALUES ($1, $2, $3, $4)`,
			sv.ID, string(e.Event), e.At, e.Detail); err != nil {
			return fmt.Errorf("survey event: %w", err)
		}
		if sv.DeliveryID == "" {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO delivery_events (delivery_id, job_id, event, at, detail) VALUES ($1, $2, $3, $4, $5)`,
			sv.DeliveryID, sv.JobID, "survey_"+string(e.Event), e.At, e.Detail); err != nil {
			return fmt.Errorf("delivery event: %w", err)
		}
	}
	return nil
}

// Survey returns one survey.
func (s *Store) Survey(ctx context.Context, id string) (outreach.Survey, error) {
	sv, err := scanSurvey(s.pool.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sv, fmt.Errorf("survey %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return sv, fmt.Errorf("survey %q: %w", id, err)
	}
	return sv, nil
}

// Surveys lists matching surveys, newest first.
func (s *Store) Surveys(ctx context.Context, f outreach.SurveyFilter) ([]outreach.Survey, error) {
	query, args := sqlq.SearchSurveys(sqlq.PostgreSQL, surveyColumns, f)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list surveys: %w", err)
	}
	defer rows.Close()
	var out []outreach.Survey
	for rows.Next() {
		sv, err := scanSurvey(rows)
		if err != nil {
			return nil, fmt.Errorf("list surveys: %w", err)
		}
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list surveys: %w", err)
	}
	return out, nil
}

// UpdateSurvey reads the survey FOR UPDATE, changes and writes it in one
// transaction: no other update interleaves.
func (s *Store) UpdateSurvey(ctx context.Context, id string, fn func(*outreach.Survey) ([]outreach.SurveyEvent, error)) (outreach.Survey, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return outreach.Survey{}, fmt.Errorf("update survey %q: %w", id, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	sv, err := scanSurvey(tx.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sv, fmt.Errorf("update survey %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	events, err := fn(&sv)
	if err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	now := normalize.Time(s.now())
	sv.ID = id
	if sv, err = normalize.Survey(sv, now); err != nil {
		return sv, fmt.Errorf("update survey: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE surveys SET (`+surveyColumns+`) = (`+surveyPlaceholders+`) WHERE id = $1`,
		surveyArgs(sv)...); err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	if err := appendSurveyEvents(ctx, tx, sv, events, now); err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	return sv, nil
}

// ExpireSurveys expires open surveys past their time. SKIP LOCKED lets
// two daemons sweep at once without expiring a survey twice.
func (s *Store) ExpireSurveys(ctx context.Context, now time.Time, limit int) ([]outreach.Survey, error) {
	if limit <= 0 {
		limit = 500
	}
	at := normalize.Time(now)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("expire surveys: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	rows, err := tx.Query(ctx, `UPDATE surveys SET state = $1, updated_at = $2
		WHERE id IN (SELECT id FROM surveys WHERE state = $3 AND expires_at <= $4 ORDER BY expires_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
		AND state = $3
		RETURNING `+surveyColumns,
		string(outreach.SurveyExpired), normalize.Time(s.now()), string(outreach.SurveyOpen), at, limit)
	if err != nil {
		return nil, fmt.Errorf("expire surveys: %w", err)
	}
	var out []outreach.Survey
	for rows.Next() {
		sv, err := scanSurvey(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("expire surveys: %w", err)
		}
		out = append(out, sv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expire surveys: %w", err)
	}
	for _, sv := range out {
		ev := []outreach.SurveyEvent{{Event: outreach.SurveyExpire, At: sv.ExpiresAt}}
		if err := appendSurveyEvents(ctx, tx, sv, ev, at); err != nil {
			return nil, fmt.Errorf("expire surveys: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("expire surveys: %w", err)
	}
	return out, nil
}

// SurveyEvents returns a survey's history, oldest first.
func (s *Store) SurveyEvents(ctx context.Context, id string) ([]outreach.SurveyEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT survey_id, seq, event, at, detail FROM survey_events WHERE survey_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("survey events: %w", err)
	}
	defer rows.Close()
	var out []outreach.SurveyEvent
	for rows.Next() {
		var e outreach.SurveyEvent
		if err := rows.Scan(&e.SurveyID, &e.Seq, &e.Event, &e.At, &e.Detail); err != nil {
			return nil, fmt.Errorf("survey events: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("survey events: %w", err)
	}
	return out, nil
}
