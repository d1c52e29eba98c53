package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	tag, err := s.pool.Exec(ctx, `INSERT INTO campaigns (`+campaignColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("create campaign %q: %w", c.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create campaign %q: %w", c.ID, outreach.ErrExists)
	}
	return nil
}

// Campaign returns the campaign with id; an unknown id wraps
// outreach.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (outreach.Campaign, error) {
	return getCampaign(ctx, s.pool, id, "")
}

// Campaigns lists campaigns, newest first.
func (s *Store) Campaigns(ctx context.Context) ([]outreach.Campaign, error) {
	return s.campaigns(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY created_at DESC, id DESC`)
}

// DueCampaigns lists the scheduled or running campaigns whose next run is
// at or before now, oldest due first.
func (s *Store) DueCampaigns(ctx context.Context, now time.Time) ([]outreach.Campaign, error) {
	return s.campaigns(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE state IN ($1, $2) AND next_run IS NOT NULL AND next_run <= $3
		ORDER BY next_run, id`,
		string(outreach.CampaignScheduled), string(outreach.CampaignRunning), normalize.Time(now))
}

func (s *Store) campaigns(ctx context.Context, query string, args ...any) ([]outreach.Campaign, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCampaign)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// UpdateCampaign reads the campaign FOR UPDATE, changes and writes it in
// one transaction: no other update interleaves.
func (s *Store) UpdateCampaign(ctx context.Context, id string, fn func(*outreach.Campaign) error) (_ outreach.Campaign, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return outreach.Campaign{}, fmt.Errorf("update campaign %q: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(ctx)
		}
	}()
	c, err := getCampaign(ctx, tx, id, " FOR UPDATE")
	if err != nil {
		return c, fmt.Errorf("update: %w", err)
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
	if _, err := tx.Exec(ctx, `UPDATE campaigns SET
		name = $2, kind = $3, template = $4, audience = $5, channels = $6, data = $7, priority = $8,
		schedule = $9, state = $10, next_run = $11, occurrence = $12, cursor = $13, targeted = $14,
		runs = $15, last_run_at = $16, created_at = $17, updated_at = $18
		WHERE id = $1`, args...); err != nil {
		return c, fmt.Errorf("update campaign %q: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return c, fmt.Errorf("update campaign %q: commit: %w", id, err)
	}
	return c, nil
}

// CampaignStatusCounts counts the campaign's deliveries by status: the
// stored counts of migrations 17 and 18 (the compacted row plus the
// deltas, summed in one statement), which hold no row for deliveries of
// no campaign (id ""), counted from the rows.
func (s *Store) CampaignStatusCounts(ctx context.Context, id string) (map[outreach.Status]int64, error) {
	query := `SELECT status, sum(n) FROM (SELECT status, n FROM campaign_counts WHERE campaign = $1
		UNION ALL SELECT status, n FROM campaign_count_deltas WHERE campaign = $1) c
		GROUP BY status HAVING sum(n) <> 0`
	if id == "" {
		query = `SELECT status, count(*) FROM deliveries WHERE campaign = $1 GROUP BY status`
	}
	rows, err := s.pool.Query(ctx, query, id)
	if err != nil {
		return nil, fmt.Errorf("count deliveries of campaign %q: %w", id, err)
	}
	counts := map[outreach.Status]int64{}
	var (
		st outreach.Status
		n  int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error {
		counts[st] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count deliveries of campaign %q: %w", id, err)
	}
	return counts, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getCampaign(ctx context.Context, q querier, id, suffix string) (outreach.Campaign, error) {
	rows, err := q.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`+suffix, id)
	if err != nil {
		return outreach.Campaign{}, fmt.Errorf("get campaign %q: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCampaign)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("get campaign %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get campaign %q: %w", id, err)
	}
	return c, nil
}

// campaignArgs are c's columns in campaignColumns order.
func campaignArgs(c outreach.Campaign) ([]any, error) {
	j, err := normalize.EncodeCampaign(c)
	if err != nil {
		return nil, err
	}
	channels := make([]string, len(c.Channels))
	for i, ch := range c.Channels {
		channels[i] = string(ch)
	}
	return []any{c.ID, c.Name, string(c.Kind), c.Template, string(j.Audience), channels,
		string(j.Data), string(c.Priority), string(j.Schedule), string(c.State), c.NextRun,
		c.Occurrence, c.Cursor, c.Targeted, int32(c.Runs), c.LastRunAt,
		c.CreatedAt, c.UpdatedAt}, nil
}

func scanCampaign(row pgx.CollectableRow) (outreach.Campaign, error) {
	var (
		c                        outreach.Campaign
		audience, data, schedule []byte
		channels                 []string
		runs                     int32
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.Template, &audience, &channels, &data, &c.Priority,
		&schedule, &c.State, &c.NextRun, &c.Occurrence, &c.Cursor, &c.Targeted, &runs, &c.LastRunAt,
		&c.CreatedAt, &c.UpdatedAt); err != nil {
		return c, err
	}
	if err := normalize.DecodeCampaign(&c, normalize.CampaignJSON{Audience: audience, Data: data, Schedule: schedule}); err != nil {
		return c, err
	}
	for _, ch := range channels {
		c.Channels = append(c.Channels, outreach.Channel(ch))
	}
	c.Runs = int(runs)
	c.CreatedAt = c.CreatedAt.UTC()
	c.UpdatedAt = c.UpdatedAt.UTC()
	for _, t := range []**time.Time{&c.NextRun, &c.LastRunAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return c, nil
}
