package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// deliveryColumns are the columns Record writes.
const deliveryColumns = `id, job_id, stream_id, resident_id, kind, channel, template, template_version,
	locale, variant, subject, body, status, provider_id, error, attempts, campaign,
	created_at, updated_at, sent_at, segments, encoding, queued_at, policy, building, unit, estate, fallback`

// selectColumns are the columns a Delivery is read from: Record's, and
// those that SetNote and PurgeContent own.
const selectColumns = deliveryColumns + `, note, content_purged_at`

// upsertDelivery replaces every column of an existing delivery except
// created_at, which keeps its first value, and sent_at, which keeps its
// first non-NULL value.
const upsertDelivery = `INSERT INTO deliveries (` + deliveryColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
		job_id = excluded.job_id, stream_id = excluded.stream_id,
		resident_id = excluded.resident_id, kind = excluded.kind, channel = excluded.channel,
		template = excluded.template, template_version = excluded.template_version,
		locale = excluded.locale, variant = excluded.variant,
		subject = excluded.subject, body = excluded.body, status = excluded.status,
		provider_id = excluded.provider_id, error = excluded.error,
		attempts = excluded.attempts, campaign = excluded.campaign,
		updated_at = excluded.updated_at,
		sent_at = COALESCE(deliveries.sent_at, excluded.sent_at),
		segments = excluded.segments, encoding = excluded.encoding, queued_at = excluded.queued_at,
		policy = excluded.policy, building = excluded.building, unit = excluded.unit,
		estate = excluded.estate, fallback = excluded.fallback`

// Record inserts or updates deliveries by ID, all in one transaction. The
// cost that matters is the commit (an fsync), paid once per call, so
// callers should pass many deliveries at once. Deliveries with the same ID
// in one call apply in order. A zero CreatedAt or UpdatedAt is set to the
// time of the call; times are kept to the microsecond, in UTC. The table's
// triggers append the events of new deliveries and status changes
// (migration 5).
func (s *Store) Record(ctx context.Context, ds []outreach.Delivery) (err error) {
	ds, err = normalize.Deliveries(ds, s.now())
	if err != nil {
		return fmt.Errorf("record deliveries: %w", err)
	}
	if len(ds) == 0 {
		return nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record deliveries: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, upsertDelivery)
	if err != nil {
		return fmt.Errorf("record deliveries: prepare: %w", err)
	}
	defer stmt.Close()
	for _, d := range ds {
		if _, err := stmt.ExecContext(ctx, d.ID, d.JobID, d.StreamID, d.ResidentID, string(d.Kind),
			string(d.Channel), d.Template, d.TemplateVersion, d.Locale, d.Variant, d.Subject, d.Body,
			string(d.Status), d.ProviderID, d.Error, d.Attempts, d.Campaign,
			micros(d.CreatedAt), micros(d.UpdatedAt), nullMicros(d.SentAt),
			d.Segments, d.Encoding, nullMicros(d.QueuedAt), string(d.Policy), d.Building, d.Unit, d.Estate, d.Fallback); err != nil {
			return fmt.Errorf("record delivery %q: %w", d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record deliveries: commit: %w", err)
	}
	return nil
}

// Search returns the deliveries matching f, newest first (created_at,
// then id, both descending), at most f.Limit of them (default 1000),
// after the cursor f.After.
func (s *Store) Search(ctx context.Context, f outreach.Filter) ([]outreach.Delivery, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return nil, fmt.Errorf("search deliveries: %w", err)
	}
	query, args := sqlq.SearchDeliveries(sqlq.SQLite, selectColumns, f)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search deliveries: %w", err)
	}
	defer rows.Close()
	var out []outreach.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("search deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search deliveries: %w", err)
	}
	return out, nil
}

func scanDelivery(rows interface{ Scan(...any) error }) (outreach.Delivery, error) {
	var (
		d                outreach.Delivery
		created, updated int64
		sentAt, queuedAt sql.NullInt64
		purgedAt         sql.NullInt64
	)
	if err := rows.Scan(&d.ID, &d.JobID, &d.StreamID, &d.ResidentID, &d.Kind, &d.Channel,
		&d.Template, &d.TemplateVersion, &d.Locale, &d.Variant, &d.Subject, &d.Body,
		&d.Status, &d.ProviderID, &d.Error, &d.Attempts, &d.Campaign,
		&created, &updated, &sentAt, &d.Segments, &d.Encoding, &queuedAt, &d.Policy,
		&d.Building, &d.Unit, &d.Estate, &d.Fallback, &d.Note, &purgedAt); err != nil {
		return d, err
	}
	d.ContentPurgedAt = fromNullMicros(purgedAt)
	d.CreatedAt = fromMicros(created)
	d.UpdatedAt = fromMicros(updated)
	d.SentAt = fromNullMicros(sentAt)
	d.QueuedAt = fromNullMicros(queuedAt)
	return d, nil
}

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}
