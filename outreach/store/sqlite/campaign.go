package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

const campaignColumns = `id, name, kind, template, audience, channels, data, priority, schedule,
	state, next_run, occurrence, cursor, targeted, runs, last_run_at, created_at, updated_at`

// CreateCampaign stores a new campaign; an id in use wraps
// outreach.ErrExists.
func (s *Store) CreateCampaign(ctx context.Context, c outreach.Campaign) error {
	c, err := normalize.Campaign(c, s.now())
	if err != nil {
		return fmt.Errorf("create campaign: %w", err)
	}
	args, err := campaignArgs(c)
	if err != nil {
		return fmt.Errorf("create campaign: %w", err)
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO campaigns (`+campaignColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("create campaign %q: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create campaign %q: %w", c.ID, err)
	} else if n == 0 {
		return fmt.Errorf("create campaign %q: %w", c.ID, outreach.ErrExists)
	}
	return nil
}

// Campaign returns the campaign with id; an unknown id wraps
// outreach.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (outreach.Campaign, error) {
	c, err := scanCampaign(s.read.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("get campaign %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get campaign %q: %w", id, err)
	}
	return c, nil
}

// Campaigns lists campaigns, newest first.
func (s *Store) Campaigns(ctx context.Context) ([]outreach.Campaign, error) {
	return s.campaigns(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY created_at DESC, id DESC`)
}

// DueCampaigns lists the scheduled or running campaigns whose next run is
// at or before now, oldest due first.
func (s *Store) DueCampaigns(ctx context.Context, now time.Time) ([]outreach.Campaign, error) {
	return s.campaigns(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE state IN (?, ?) AND next_run IS NOT NULL AND next_run <= ?
		ORDER BY next_run, id`,
		string(outreach.CampaignScheduled), string(outreach.CampaignRunning), micros(normalize.Time(now)))
}

func (s *Store) campaigns(ctx context.Context, query string, args ...any) ([]outreach.Campaign, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	defer rows.Close()
	var out []outreach.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("list campaigns: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// UpdateCampaign reads, changes and writes one campaign in one write
// transaction (BEGIN IMMEDIATE): no other update interleaves.
func (s *Store) UpdateCampaign(ctx context.Context, id string, fn func(*outreach.Campaign) error) (_ outreach.Campaign, err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return outreach.Campaign{}, fmt.Errorf("update campaign %q: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	c, err := scanCampaign(tx.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("update campaign %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("update campaign %q: %w", id, err)
	}
	created := c.CreatedAt
	if err := fn(&c); err != nil {
		return c, fmt.Errorf("update campaign %q: %w", id, err)
	}
	if c.ID != id || !c.CreatedAt.Equal(created) {
		return c, fmt.Errorf("update campaign %q: the id and creation time cannot change", id)
	}
	if c, err = normalize.Campaign(c, s.now()); err != nil {
		return c, fmt.Errorf("update campaign: %w", err)
	}
	args, err := campaignArgs(c)
	if err != nil {
		return c, fmt.Errorf("update campaign: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET
		name = ?, kind = ?, template = ?, audience = ?, channels = ?, data = ?, priority = ?, schedule = ?,
		state = ?, next_run = ?, occurrence = ?, cursor = ?, targeted = ?, runs = ?, last_run_at = ?,
		created_at = ?, updated_at = ?
		WHERE id = ?`, append(args[1:], id)...); err != nil {
		return c, fmt.Errorf("update campaign %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("update campaign %q: commit: %w", id, err)
	}
	return c, nil
}

// CampaignStatusCounts counts the campaign's deliveries by status: the
// stored counts of migration 17, which hold no row for deliveries of no
// campaign (id ""), counted from the rows.
func (s *Store) CampaignStatusCounts(ctx context.Context, id string) (map[outreach.Status]int64, error) {
	query := `SELECT status, n FROM campaign_counts WHERE campaign = ? AND n <> 0`
	if id == "" {
		query = `SELECT status, count(*) FROM deliveries WHERE campaign = ? GROUP BY status`
	}
	rows, err := s.read.QueryContext(ctx, query, id)
	if err != nil {
		return nil, fmt.Errorf("count deliveries of campaign %q: %w", id, err)
	}
	defer rows.Close()
	counts := map[outreach.Status]int64{}
	for rows.Next() {
		var (
			st outreach.Status
			n  int64
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count deliveries of campaign %q: %w", id, err)
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count deliveries of campaign %q: %w", id, err)
	}
	return counts, nil
}

// campaignArgs are c's columns in campaignColumns order.
func campaignArgs(c outreach.Campaign) ([]any, error) {
	j, err := normalize.EncodeCampaign(c)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Name, string(c.Kind), c.Template, string(j.Audience), string(j.Channels),
		string(j.Data), string(c.Priority), string(j.Schedule), string(c.State), nullMicros(c.NextRun),
		c.Occurrence, c.Cursor, c.Targeted, c.Runs, nullMicros(c.LastRunAt),
		micros(c.CreatedAt), micros(c.UpdatedAt)}, nil
}

func scanCampaign(row interface{ Scan(...any) error }) (outreach.Campaign, error) {
	var (
		c                                  outreach.Campaign
		audience, channels, data, schedule string
		nextRun, lastRun                   sql.NullInt64
		created, updated                   int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.Template, &audience, &channels, &data, &c.Priority,
		&schedule, &c.State, &nextRun, &c.Occurrence, &c.Cursor, &c.Targeted, &c.Runs, &lastRun,
		&created, &updated); err != nil {
		return c, err
	}
	if err := normalize.DecodeCampaign(&c, normalize.CampaignJSON{
		Audience: []byte(audience), Channels: []byte(channels), Data: []byte(data), Schedule: []byte(schedule),
	}); err != nil {
		return c, err
	}
	c.NextRun = fromNullMicros(nextRun)
	c.LastRunAt = fromNullMicros(lastRun)
	c.CreatedAt = fromMicros(created)
	c.UpdatedAt = fromMicros(updated)
	return c, nil
}
