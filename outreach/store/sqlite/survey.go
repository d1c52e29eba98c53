package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

const surveyColumns = `id, resident_id, estate, building, unit, job_id, delivery_id, work_order, service,
	channel, locale, state, score, comment, answered_via, sent_at, expires_at, answered_at, reasked_at,
	clicked_at, escalated_at, escalation_job, callback_due, called_back_at, callback_note, skip_fatigue, updated_at`

func surveyArgs(s outreach.Survey) []any {
	return []any{s.ID, s.ResidentID, s.Estate, s.Building, s.Unit, s.JobID, s.DeliveryID, s.WorkOrder, s.Service,
		string(s.Channel), s.Locale, string(s.State), s.Score, s.Comment, s.AnsweredVia, micros(s.SentAt), micros(s.ExpiresAt),
		nullMicros(s.AnsweredAt), nullMicros(s.ReaskedAt), nullMicros(s.ClickedAt), nullMicros(s.EscalatedAt), s.EscalationJob,
		nullMicros(s.CallbackDue), nullMicros(s.CalledBackAt), s.CallbackNote, s.SkipFatigue, micros(s.UpdatedAt)}
}

func scanSurvey(row interface{ Scan(...any) error }) (outreach.Survey, error) {
	var (
		s                                              outreach.Survey
		sent, expires, updated                         int64
		answered, reasked, clicked, escalated, due, cb sql.NullInt64
	)
	err := row.Scan(&s.ID, &s.ResidentID, &s.Estate, &s.Building, &s.Unit, &s.JobID, &s.DeliveryID, &s.WorkOrder, &s.Service,
		&s.Channel, &s.Locale, &s.State, &s.Score, &s.Comment, &s.AnsweredVia, &sent, &expires, &answered, &reasked,
		&clicked, &escalated, &s.EscalationJob, &due, &cb, &s.CallbackNote, &s.SkipFatigue, &updated)
	if err != nil {
		return s, err
	}
	s.SentAt, s.ExpiresAt, s.UpdatedAt = fromMicros(sent), fromMicros(expires), fromMicros(updated)
	s.AnsweredAt, s.ReaskedAt, s.ClickedAt = fromNullMicros(answered), fromNullMicros(reasked), fromNullMicros(clicked)
	s.EscalatedAt, s.CallbackDue, s.CalledBackAt = fromNullMicros(escalated), fromNullMicros(due), fromNullMicros(cb)
	return s, nil
}

// OpenSurvey stores a new survey with its `sent` event, or returns the
// stored one.
func (s *Store) OpenSurvey(ctx context.Context, sv outreach.Survey) (outreach.Survey, bool, error) {
	now := normalize.Time(s.now())
	if sv.State == "" {
		sv.State = outreach.SurveyOpen
	}
	sv, err := normalize.Survey(sv, now)
	if err != nil {
		return sv, false, fmt.Errorf("open survey: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, `INSERT INTO surveys (`+surveyColumns+`) VALUES (?`+strings.Repeat(", ?", 26)+`)
		ON CONFLICT (id) DO NOTHING`, surveyArgs(sv)...)
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	if n == 1 {
		ev := []outreach.SurveyEvent{{Event: outreach.SurveySent, At: sv.SentAt, Detail: "channel: " + string(sv.Channel)}}
		if err := appendSurveyEvents(ctx, tx, sv, ev, now); err != nil {
			return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
		}
	}
	got, err := scanSurvey(tx.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = ?`, sv.ID))
	if err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return sv, false, fmt.Errorf("open survey %s: %w", sv.ID, err)
	}
	return got, n == 1, nil
}

// appendSurveyEvents writes events to the survey's history and to its
// delivery's (as "survey_<event>").
func appendSurveyEvents(ctx context.Context, tx *sql.Tx, sv outreach.Survey, es []outreach.SurveyEvent, now time.Time) error {
	es, err := normalize.SurveyEvents(sv.ID, es, now)
	if err != nil {
		return err
	}
	for _, e := range es {
		if _, err := tx.ExecContext(ctx, `INSERT INTO survey_events (survey_id, event, at, detail) VALUES (?, ?, ?, ?)`,
			sv.ID, string(e.Event), micros(e.At), e.Detail); err != nil {
			return fmt.Errorf("survey event: %w", err)
		}
		if sv.DeliveryID == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_events (delivery_id, job_id, event, at, detail) VALUES (?, ?, ?, ?, ?)`,
			sv.DeliveryID, sv.JobID, "survey_"+string(e.Event), micros(e.At), e.Detail); err != nil {
			return fmt.Errorf("delivery event: %w", err)
		}
	}
	return nil
}

// Survey returns one survey.
func (s *Store) Survey(ctx context.Context, id string) (outreach.Survey, error) {
	sv, err := scanSurvey(s.read.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sv, fmt.Errorf("survey %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return sv, fmt.Errorf("survey %q: %w", id, err)
	}
	return sv, nil
}

// Surveys lists matching surveys, newest first.
func (s *Store) Surveys(ctx context.Context, f outreach.SurveyFilter) ([]outreach.Survey, error) {
	query, args := sqlq.SearchSurveys(sqlq.SQLite, surveyColumns, f)
	rows, err := s.read.QueryContext(ctx, query, args...)
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

// UpdateSurvey changes one survey in one write transaction.
func (s *Store) UpdateSurvey(ctx context.Context, id string, fn func(*outreach.Survey) ([]outreach.SurveyEvent, error)) (outreach.Survey, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return outreach.Survey{}, fmt.Errorf("update survey %q: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	sv, err := scanSurvey(tx.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	args := surveyArgs(sv)
	if _, err := tx.ExecContext(ctx, `UPDATE surveys SET (`+surveyColumns+`) = (?`+strings.Repeat(", ?", 26)+`) WHERE id = ?`,
		append(args, id)...); err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	if err := appendSurveyEvents(ctx, tx, sv, events, now); err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return sv, fmt.Errorf("update survey %q: %w", id, err)
	}
	return sv, nil
}

// ExpireSurveys expires open surveys past their time.
func (s *Store) ExpireSurveys(ctx context.Context, now time.Time, limit int) ([]outreach.Survey, error) {
	if limit <= 0 {
		limit = 500
	}
	at := normalize.Time(now)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("expire surveys: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	rows, err := tx.QueryContext(ctx, `UPDATE surveys SET state = ?, updated_at = ?
		WHERE id IN (SELECT id FROM surveys WHERE state = ? AND expires_at <= ? ORDER BY expires_at, id LIMIT ?)
		RETURNING `+surveyColumns,
		string(outreach.SurveyExpired), micros(normalize.Time(s.now())), string(outreach.SurveyOpen), micros(at), limit)
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
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("expire surveys: %w", err)
	}
	return out, nil
}

// SurveyEvents returns a survey's history, oldest first.
func (s *Store) SurveyEvents(ctx context.Context, id string) ([]outreach.SurveyEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT survey_id, seq, event, at, detail FROM survey_events WHERE survey_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("survey events: %w", err)
	}
	defer rows.Close()
	var out []outreach.SurveyEvent
	for rows.Next() {
		var (
			e  outreach.SurveyEvent
			at int64
		)
		if err := rows.Scan(&e.SurveyID, &e.Seq, &e.Event, &at, &e.Detail); err != nil {
			return nil, fmt.Errorf("survey events: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("survey events: %w", err)
	}
	return out, nil
}
