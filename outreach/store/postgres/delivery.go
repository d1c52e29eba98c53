package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// upsertDeliveries writes a whole batch in one statement: each parameter is
// the array of one column, and unnest turns the arrays back into rows. On
// conflict every column is replaced except created_at, which keeps its
// first value, and sent_at, which keeps its first non-NULL value. The same
// statement appends the event of each delivery it inserted (its status,
// as deliveries_log_status words a status change's): xmax is 0 in a row
// version that an INSERT made and set in one that ON CONFLICT DO UPDATE
// made, which locked the row first. The update's events come from the
// trigger deliveries_log_status. The stored counts of the rows it
// inserted are added by countInserted, those of the rows it updated by
// the trigger.
const upsertDeliveries = `WITH written AS (INSERT INTO deliveries (` + deliveryColumns + `)
	SELECT * FROM unnest(
		$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
		$16::integer[], $17::text[], $18::timestamptz[], $19::timestamptz[], $20::timestamptz[],
		$21::integer[], $22::text[], $23::timestamptz[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[])
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
		estate = excluded.estate, fallback = excluded.fallback
	RETURNING id, job_id, status, updated_at, error, provider_id, policy, xmax = 0 AS inserted,
		campaign, estate, channel, created_at),
	` + countInserted + `
	INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
	SELECT id, job_id, status, updated_at, concat_ws('; ',
		CASE WHEN error <> '' THEN 'error: ' || error END,
		CASE WHEN provider_id <> '' THEN 'provider id: ' || provider_id END,
		CASE WHEN policy <> '' THEN 'policy: ' || policy END)
	FROM written WHERE inserted`

// Record inserts or updates deliveries by ID in one statement, so one
// round trip and one transaction whatever the batch size. The statement
// appends the events of new deliveries, and the table's trigger those of
// status changes (migrations 6 and 15). Deliveries with
// the same ID in one call apply in order. A zero CreatedAt or UpdatedAt is
// set to the time of the call; times are kept to the microsecond, in UTC.
func (s *Store) Record(ctx context.Context, ds []outreach.Delivery) error {
	ds, err := normalize.Deliveries(ds, s.now())
	if err != nil {
		return fmt.Errorf("record deliveries: %w", err)
	}
	if len(ds) == 0 {
		return nil
	}
	ds = mergeDuplicates(ds)
	if _, err := s.pool.Exec(ctx, upsertDeliveries, deliveryArrays(ds)...); err != nil {
		return fmt.Errorf("record deliveries: %w", err)
	}
	return nil
}

// mergeDuplicates folds deliveries that share an ID into one, the result of
// applying them in order: the last wins, except for CreatedAt (the first)
// and SentAt (the first non-nil). PostgreSQL refuses to let one INSERT ...
// ON CONFLICT statement touch a row twice.
func mergeDuplicates(ds []outreach.Delivery) []outreach.Delivery {
	ids := make(map[string]struct{}, len(ds))
	for i := range ds {
		ids[ds[i].ID] = struct{}{}
	}
	if len(ids) == len(ds) {
		return ds // no duplicates, as nearly always: no copy of the batch
	}
	at := make(map[string]int, len(ds))
	out := make([]outreach.Delivery, 0, len(ds))
	for _, d := range ds {
		i, seen := at[d.ID]
		if !seen {
			at[d.ID] = len(out)
			out = append(out, d)
			continue
		}
		first := out[i]
		d.CreatedAt = first.CreatedAt
		if first.SentAt != nil {
			d.SentAt = first.SentAt
		}
		out[i] = d
	}
	return out
}

// deliveryArrays are the arguments of upsertDeliveries: one array per
// column, in deliveryColumns order.
func deliveryArrays(ds []outreach.Delivery) []any {
	text := func(get func(d *outreach.Delivery) string) []string {
		col := make([]string, len(ds))
		for i := range ds {
			col[i] = get(&ds[i])
		}
		return col
	}
	attempts := make([]int32, len(ds))
	segments := make([]int32, len(ds))
	created := make([]time.Time, len(ds))
	updated := make([]time.Time, len(ds))
	sent := make([]*time.Time, len(ds))
	queued := make([]*time.Time, len(ds))
	for i, d := range ds {
		attempts[i] = int32(d.Attempts) // normalize checked the range
		segments[i] = int32(d.Segments) // and this one
		created[i] = d.CreatedAt
		updated[i] = d.UpdatedAt
		sent[i] = d.SentAt
		queued[i] = d.QueuedAt
	}
	return []any{
		text(func(d *outreach.Delivery) string { return d.ID }),
		text(func(d *outreach.Delivery) string { return d.JobID }),
		text(func(d *outreach.Delivery) string { return d.StreamID }),
		text(func(d *outreach.Delivery) string { return d.ResidentID }),
		text(func(d *outreach.Delivery) string { return string(d.Kind) }),
		text(func(d *outreach.Delivery) string { return string(d.Channel) }),
		text(func(d *outreach.Delivery) string { return d.Template }),
		text(func(d *outreach.Delivery) string { return d.TemplateVersion }),
		text(func(d *outreach.Delivery) string { return d.Locale }),
		text(func(d *outreach.Delivery) string { return d.Variant }),
		text(func(d *outreach.Delivery) string { return d.Subject }),
		text(func(d *outreach.Delivery) string { return d.Body }),
		text(func(d *outreach.Delivery) string { return string(d.Status) }),
		text(func(d *outreach.Delivery) string { return d.ProviderID }),
		text(func(d *outreach.Delivery) string { return d.Error }),
		attempts,
		text(func(d *outreach.Delivery) string { return d.Campaign }),
		created,
		updated,
		sent,
		segments,
		text(func(d *outreach.Delivery) string { return d.Encoding }),
		queued,
		text(func(d *outreach.Delivery) string { return string(d.Policy) }),
		text(func(d *outreach.Delivery) string { return d.Building }),
		text(func(d *outreach.Delivery) string { return d.Unit }),
		text(func(d *outreach.Delivery) string { return d.Estate }),
		text(func(d *outreach.Delivery) string { return d.Fallback }),
	}
}

// Search returns the deliveries matching f, newest first (created_at,
// then id, both descending), at most f.Limit of them (default 1000),
// after the cursor f.After. The indexes of migration 6 serve it.
func (s *Store) Search(ctx context.Context, f outreach.Filter) ([]outreach.Delivery, error) {
	query, args, err := searchQuery(f)
	if err != nil {
		return nil, fmt.Errorf("search deliveries: %w", err)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search deliveries: %w", err)
	}
	out, err := pgx.AppendRows([]outreach.Delivery(nil), rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("search deliveries: %w", err)
	}
	return out, nil
}

// searchQuery is the statement Search runs for f, and its arguments.
func searchQuery(f outreach.Filter) (string, []any, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return "", nil, err
	}
	query, args := sqlq.SearchDeliveries(sqlq.PostgreSQL, selectColumns, f)
	return query, args, nil
}

// scanDelivery reads a row of deliveryColumns, for pgx.AppendRows.
func scanDelivery(row pgx.CollectableRow) (outreach.Delivery, error) { return scanDeliveryRow(row) }

// scanDeliveryRow reads a row of deliveryColumns, also from QueryRow.
func scanDeliveryRow(row pgx.Row) (outreach.Delivery, error) {
	var (
		d                  outreach.Delivery
		attempts, segments int32
	)
	if err := row.Scan(&d.ID, &d.JobID, &d.StreamID, &d.ResidentID, &d.Kind, &d.Channel,
		&d.Template, &d.TemplateVersion, &d.Locale, &d.Variant, &d.Subject, &d.Body,
		&d.Status, &d.ProviderID, &d.Error, &attempts, &d.Campaign,
		&d.CreatedAt, &d.UpdatedAt, &d.SentAt, &segments, &d.Encoding, &d.QueuedAt, &d.Policy,
		&d.Building, &d.Unit, &d.Estate, &d.Fallback, &d.Note, &d.ContentPurgedAt); err != nil {
		return d, err
	}
	d.Attempts = int(attempts)
	d.Segments = int(segments)
	d.CreatedAt = d.CreatedAt.UTC()
	d.UpdatedAt = d.UpdatedAt.UTC()
	d.SentAt = utcPtr(d.SentAt)
	d.QueuedAt = utcPtr(d.QueuedAt)
	d.ContentPurgedAt = utcPtr(d.ContentPurgedAt)
	return d, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
