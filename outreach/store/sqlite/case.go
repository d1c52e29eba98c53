package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

const caseColumns = `id, estate, resident_id, building, unit, category, urgency, description, received, assignee,
	state, resolution, opened_by, opened_at, acknowledged_at, responded_at, resolved_at, followed_up_at, closed_at,
	survey_job, reopened, timers, next_due, missed, idempotency_key, updated_at`

const caseColumnCount = 26

func caseArgs(c outreach.Case) ([]any, error) {
	timers, err := json.Marshal(c.Timers)
	if err != nil {
		return nil, err
	}
	if c.Timers == nil {
		timers = []byte("[]")
	}
	var next sql.NullInt64
	if d := c.NextDue(); !d.IsZero() {
		next = sql.NullInt64{Int64: micros(d), Valid: true}
	}
	return []any{c.ID, c.Estate, c.ResidentID, c.Building, c.Unit, string(c.Category), string(c.Urgency), c.Description,
		string(c.Received), c.Assignee, string(c.State), c.Resolution, c.OpenedBy, micros(c.OpenedAt),
		nullMicros(c.AcknowledgedAt), nullMicros(c.RespondedAt), nullMicros(c.ResolvedAt), nullMicros(c.FollowedUpAt),
		nullMicros(c.ClosedAt), c.SurveyJob, c.Reopened, string(timers), next, normalize.CaseMissed(c), c.IdempotencyKey,
		micros(c.UpdatedAt)}, nil
}

func scanCase(row interface{ Scan(...any) error }) (outreach.Case, error) {
	var (
		c                           outreach.Case
		opened, updated             int64
		ack, resp, res, fu, cl, nxt sql.NullInt64
		timers                      string
		missed                      int
	)
	err := row.Scan(&c.ID, &c.Estate, &c.ResidentID, &c.Building, &c.Unit, &c.Category, &c.Urgency, &c.Description,
		&c.Received, &c.Assignee, &c.State, &c.Resolution, &c.OpenedBy, &opened, &ack, &resp, &res, &fu, &cl,
		&c.SurveyJob, &c.Reopened, &timers, &nxt, &missed, &c.IdempotencyKey, &updated)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(timers), &c.Timers); err != nil {
		return c, fmt.Errorf("case %s: timers: %w", c.ID, err)
	}
	if len(c.Timers) == 0 {
		c.Timers = nil
	}
	for i := range c.Timers {
		t := &c.Timers[i]
		t.Due = t.Due.UTC()
		t.MetAt, t.FiredAt = utc(t.MetAt), utc(t.FiredAt)
	}
	c.OpenedAt, c.UpdatedAt = fromMicros(opened), fromMicros(updated)
	c.AcknowledgedAt, c.RespondedAt, c.ResolvedAt = fromNullMicros(ack), fromNullMicros(resp), fromNullMicros(res)
	c.FollowedUpAt, c.ClosedAt = fromNullMicros(fu), fromNullMicros(cl)
	return c, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

var casePlaceholders = "?" + strings.Repeat(", ?", caseColumnCount-1)

// CreateCase stores a new case with its first events.
func (s *Store) CreateCase(ctx context.Context, c outreach.Case, events []outreach.CaseEvent) (outreach.Case, error) {
	now := normalize.Time(s.now())
	c, err := normalize.Case(c, now)
	if err != nil {
		return c, fmt.Errorf("create case: %w", err)
	}
	args, err := caseArgs(c)
	if err != nil {
		return c, fmt.Errorf("create case %s: %w", c.ID, err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("create case %s: %w", c.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, `INSERT INTO cases (`+caseColumns+`) VALUES (`+casePlaceholders+`) ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return c, fmt.Errorf("create case %s: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return c, fmt.Errorf("create case %s: %w", c.ID, err)
	} else if n == 0 {
		return c, fmt.Errorf("create case %s (or its idempotency key): %w", c.ID, outreach.ErrExists)
	}
	if err := appendCaseEvents(ctx, tx, c.ID, events, now); err != nil {
		return c, fmt.Errorf("create case %s: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("create case %s: %w", c.ID, err)
	}
	return c, nil
}

func appendCaseEvents(ctx context.Context, tx *sql.Tx, id string, es []outreach.CaseEvent, now time.Time) error {
	es, err := normalize.CaseEvents(id, es, now)
	if err != nil {
		return err
	}
	for _, e := range es {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_events (case_id, event, at, actor, detail) VALUES (?, ?, ?, ?, ?)`,
			id, string(e.Event), micros(e.At), e.Actor, e.Detail); err != nil {
			return fmt.Errorf("case event: %w", err)
		}
	}
	return nil
}

// Case returns one case.
func (s *Store) Case(ctx context.Context, id string) (outreach.Case, error) {
	c, err := scanCase(s.read.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("case %q: %w", id, err)
	}
	return c, nil
}

// CaseByKey returns the case opened with an Idempotency-Key.
func (s *Store) CaseByKey(ctx context.Context, key string) (outreach.Case, error) {
	if key == "" {
		return outreach.Case{}, fmt.Errorf("case by idempotency key: empty key: %w", outreach.ErrNotFound)
	}
	c, err := scanCase(s.read.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE idempotency_key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case by idempotency key: %w", outreach.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("case by idempotency key: %w", err)
	}
	return c, nil
}

// Cases lists matching cases, newest first.
func (s *Store) Cases(ctx context.Context, f outreach.CaseFilter) ([]outreach.Case, error) {
	query, args := sqlq.SearchCases(sqlq.SQLite, caseColumns, f)
	return s.queryCases(ctx, "list cases", query, args...)
}

func (s *Store) queryCases(ctx context.Context, what, q string, args ...any) ([]outreach.Case, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []outreach.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// UpdateCase changes one case in one write transaction.
func (s *Store) UpdateCase(ctx context.Context, id string, fn func(*outreach.Case) ([]outreach.CaseEvent, error)) (outreach.Case, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return outreach.Case{}, fmt.Errorf("update case %q: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	c, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("update case %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("update case %q: %w", id, err)
	}
	key := c.IdempotencyKey
	events, err := fn(&c)
	if err != nil {
		return c, fmt.Errorf("update case %q: %w", id, err)
	}
	now := normalize.Time(s.now())
	c.ID, c.IdempotencyKey = id, key
	if c, err = normalize.Case(c, now); err != nil {
		return c, fmt.Errorf("update case: %w", err)
	}
	args, err := caseArgs(c)
	if err != nil {
		return c, fmt.Errorf("update case %q: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET (`+caseColumns+`) = (`+casePlaceholders+`) WHERE id = ?`,
		append(args, id)...); err != nil {
		return c, fmt.Errorf("update case %q: %w", id, err)
	}
	if err := appendCaseEvents(ctx, tx, id, events, now); err != nil {
		return c, fmt.Errorf("update case %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("update case %q: %w", id, err)
	}
	return c, nil
}

// AppendCaseEvents adds events to a case's history.
func (s *Store) AppendCaseEvents(ctx context.Context, id string, events []outreach.CaseEvent) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("case %q events: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM cases WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("case %q events: %w", id, outreach.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("case %q events: %w", id, err)
	}
	if err := appendCaseEvents(ctx, tx, id, events, normalize.Time(s.now())); err != nil {
		return fmt.Errorf("case %q events: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("case %q events: %w", id, err)
	}
	return nil
}

// CaseEvents returns a case's history, oldest first.
func (s *Store) CaseEvents(ctx context.Context, id string) ([]outreach.CaseEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT case_id, seq, event, at, actor, detail FROM case_events WHERE case_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("case events: %w", err)
	}
	defer rows.Close()
	var out []outreach.CaseEvent
	for rows.Next() {
		var (
			e  outreach.CaseEvent
			at int64
		)
		if err := rows.Scan(&e.CaseID, &e.Seq, &e.Event, &at, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("case events: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case events: %w", err)
	}
	return out, nil
}

// DueCases returns cases with a pending timer due by now.
func (s *Store) DueCases(ctx context.Context, now time.Time, limit int) ([]outreach.Case, error) {
	if limit <= 0 {
		limit = 500
	}
	return s.queryCases(ctx, "due cases", `SELECT `+caseColumns+` FROM cases WHERE next_due IS NOT NULL AND next_due <= ?
		ORDER BY next_due, id LIMIT ?`, micros(normalize.Time(now)), limit)
}

// CaseCounts counts cases by estate and state.
func (s *Store) CaseCounts(ctx context.Context) (map[string]map[outreach.CaseState]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT estate, state, COUNT(*) FROM cases GROUP BY estate, state`)
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	defer rows.Close()
	out := map[string]map[outreach.CaseState]int{}
	for rows.Next() {
		var (
			estate string
			state  outreach.CaseState
			n      int
		)
		if err := rows.Scan(&estate, &state, &n); err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
		if out[estate] == nil {
			out[estate] = map[outreach.CaseState]int{}
		}
		out[estate][state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	return out, nil
}
