package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// residentPage is how many residents Residents reads per query.
const residentPage = 500

const residentColumns = `id, name, email, phone, locale, building, unit, tags, channels, attributes, updated_at,
	time_zone, opt_out_channels, opt_out_kinds, estate`

// upsertResident reports whether it inserted (true) or updated (false) the
// row: a freshly inserted row version has no xmax, while ON CONFLICT DO
// UPDATE leaves its row lock's transaction id there. The opt-outs of an
// existing row are merged, not replaced (see outreach.Store), sorted in
// byte order ("C") as SQLite and Go sort.
const upsertResident = `INSERT INTO residents (` + residentColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
	ON CONFLICT (id) DO UPDATE SET
		name = excluded.name, email = excluded.email, phone = excluded.phone,
		locale = excluded.locale, building = excluded.building, unit = excluded.unit,
		tags = excluded.tags, channels = excluded.channels,
		attributes = excluded.attributes, updated_at = excluded.updated_at,
		time_zone = excluded.time_zone, estate = excluded.estate,
		opt_out_channels = ARRAY(SELECT x FROM unnest(residents.opt_out_channels || excluded.opt_out_channels) AS x
			GROUP BY x ORDER BY x COLLATE "C"),
		opt_out_kinds = ARRAY(SELECT x FROM unnest(residents.opt_out_kinds || excluded.opt_out_kinds) AS x
			GROUP BY x ORDER BY x COLLATE "C")
	RETURNING xmax = 0`

// UpsertResidents inserts or replaces residents by ID in one transaction
// and one round trip (a pipelined batch runs as one implicit transaction).
// The stored opt-outs are kept and the given ones added (see
// outreach.Store).
// The batch behaves as if applied in order: a second row with the same ID
// counts as an update of the first. A zero UpdatedAt is set to the time
// of the call.
func (s *Store) UpsertResidents(ctx context.Context, rs []outreach.Resident) (outreach.ImportResult, error) {
	var res outreach.ImportResult
	rs, err := normalize.Residents(rs, s.now())
	if err != nil {
		return res, fmt.Errorf("upsert residents: %w", err)
	}
	if len(rs) == 0 {
		return res, nil
	}
	b := &pgx.Batch{}
	for _, r := range rs {
		attrs := r.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		b.Queue(upsertResident, r.ID, r.Name, r.Email, r.Phone, r.Locale, r.Building, r.Unit,
			nonNil(r.Tags), textArray(r.Channels), attrs, r.UpdatedAt,
			r.TimeZone, textArray(r.OptOutChannels), textArray(r.OptOutKinds), r.Estate)
	}
	br := s.pool.SendBatch(ctx, b)
	for _, r := range rs {
		var inserted bool
		if err := br.QueryRow().Scan(&inserted); err != nil {
			br.Close()
			return outreach.ImportResult{}, fmt.Errorf("upsert residents: %w", residentError(r, err))
		}
		if inserted {
			res.Added++
		} else {
			res.Updated++
		}
	}
	if err := br.Close(); err != nil {
		return outreach.ImportResult{}, fmt.Errorf("upsert residents: %w", err)
	}
	s.residents.noteAdded(res.Added)
	return res, nil
}

// Resident returns the resident with id; an unknown id wraps
// outreach.ErrNotFound.
func (s *Store) Resident(ctx context.Context, id string) (outreach.Resident, error) {
	if !normalize.ValidText(id) {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, outreach.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = $1`, id)
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanResident)
	if errors.Is(err, pgx.ErrNoRows) {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, err)
	}
	return r, nil
}

// Residents calls fn for each resident in a, ordered by id. It reads a page
// of residents at a time (keyset on id) and holds no connection while fn
// runs, so fn may use the store. An empty audience selects nobody.
func (s *Store) Residents(ctx context.Context, a outreach.Audience, fn func(outreach.Resident) error) error {
	if a.Empty() {
		return nil
	}
	query, args := sqlq.ResidentPage(sqlq.PostgreSQL, residentColumns, a, residentPage, nil)
	after := ""
	for {
		args[0] = after
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("list residents: %w", err)
		}
		page, err := pgx.CollectRows(rows, scanResident)
		if err != nil {
			return fmt.Errorf("list residents: %w", err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < residentPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// ListResidents returns the page of the directory that f selects.
func (s *Store) ListResidents(ctx context.Context, f outreach.ResidentFilter) ([]outreach.Resident, error) {
	f, err := normalize.ResidentFilter(f)
	if err != nil {
		return nil, fmt.Errorf("list residents: %w", err)
	}
	query, args := sqlq.ResidentPage(sqlq.PostgreSQL, residentColumns, f.Audience, f.Limit, f.Estates)
	args[0] = f.After
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list residents: %w", err)
	}
	page, err := pgx.CollectRows(rows, scanResident)
	if err != nil {
		return nil, fmt.Errorf("list residents: %w", err)
	}
	return page, nil
}

func scanResident(row pgx.CollectableRow) (outreach.Resident, error) {
	var (
		r                               outreach.Resident
		channels, optChannels, optKinds []string
	)
	if err := row.Scan(&r.ID, &r.Name, &r.Email, &r.Phone, &r.Locale, &r.Building, &r.Unit,
		&r.Tags, &channels, &r.Attributes, &r.UpdatedAt, &r.TimeZone, &optChannels, &optKinds, &r.Estate); err != nil {
		return r, err
	}
	for _, c := range optChannels {
		r.OptOutChannels = append(r.OptOutChannels, outreach.Channel(c))
	}
	for _, k := range optKinds {
		r.OptOutKinds = append(r.OptOutKinds, outreach.Kind(k))
	}
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	for _, c := range channels {
		r.Channels = append(r.Channels, outreach.Channel(c))
	}
	if len(r.Attributes) == 0 {
		r.Attributes = nil
	}
	r.UpdatedAt = r.UpdatedAt.UTC()
	return r, nil
}

// nonNil returns s, or an empty slice for nil: pgx encodes a nil slice as
// NULL, and the array columns are NOT NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// textArray converts channels or kinds for pgx, never nil (see nonNil).
func textArray[S ~[]E, E ~string](s S) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}

// residentError names the resident a write failed for, and turns the
// foreign-key violation of an unknown estate into outreach.ErrUnknownEstate.
func residentError(r outreach.Resident, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == "residents_estate_fkey" {
		return fmt.Errorf("resident %q: estate %q: %w", r.ID, r.Estate, outreach.ErrUnknownEstate)
	}
	return fmt.Errorf("resident %q: %w", r.ID, err)
}
